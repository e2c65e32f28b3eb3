/**
 * A node:vm context that has only what the Espruino interpreter has (as far as globals and
 * built-in functions go; see shared/reference/espruino.md). Syntax differences are the
 * compatibility check's job (check.ts), not this sandbox's.
 */
import vm from 'node:vm';
import * as acorn from 'acorn';

const MISSING_GLOBALS = [
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Symbol',
  'BigInt',
  'BigInt64Array',
  'BigUint64Array',
  'Proxy',
  'Reflect',
  'TextEncoder',
  'TextDecoder',
  'queueMicrotask',
  'setImmediate',
  'structuredClone',
  'WeakRef',
  'FinalizationRegistry',
  'SharedArrayBuffer',
  'Atomics',
  'Intl',
  'WebAssembly',
  'console', // V8 puts one in every context; pass one in extraGlobals to see output
];

const MISSING_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  Math: ['trunc', 'log10', 'hypot', 'cbrt', 'fround', 'clz32', 'imul'],
  Number: ['isInteger'],
  Array: ['from', 'of'],
  'Array.prototype': ['flat', 'flatMap', 'at', 'findLast'],
  Promise: ['race', 'allSettled'],
  'Promise.prototype': ['finally'],
  Object: ['freeze', 'is'],
  'String.prototype': ['at', 'codePointAt', 'trimStart', 'search', 'matchAll'],
};

// Runs inside the new context; `globalThis` goes last because the script uses it.
const REMOVE_SCRIPT = `(function (g, members, globals) {
  Object.keys(members).forEach(function (path) {
    var target = path.split('.').reduce(function (o, k) { return o[k]; }, g);
    members[path].forEach(function (name) { delete target[name]; });
  });
  globals.forEach(function (name) { delete g[name]; });
  delete g.globalThis;
})(this, ${JSON.stringify(MISSING_MEMBERS)}, ${JSON.stringify(MISSING_GLOBALS)});`;

/** A fresh context without the globals and built-ins Espruino lacks; extraGlobals are added afterwards. */
export function createEspruinoContext(extraGlobals: Record<string, unknown> = {}): vm.Context {
  const context = vm.createContext({});
  vm.runInContext(REMOVE_SCRIPT, context, { filename: 'espruino-sandbox-setup.js' });
  Object.assign(context, extraGlobals);
  return context;
}

/** Runs a classic script in the context and returns its completion value. */
export function runInEspruino(source: string, context: vm.Context, fileName = 'espruino.js'): unknown {
  return new vm.Script(source, { filename: fileName }).runInContext(context);
}

function exportedName(node: acorn.Identifier | acorn.Literal): string {
  return node.type === 'Identifier' ? node.name : String(node.value);
}

/**
 * Loads an ES module whose only module syntax is `export function/class/var/let/const ...` and
 * `export { a, b as c }`: the export syntax is cut out by source position, the rest runs as a
 * script in a fresh Espruino context, and the exported bindings are returned (their values at the
 * end of the script; not live bindings).
 */
export function loadEspruinoModule(
  source: string,
  extraGlobals: Record<string, unknown> = {},
  fileName = 'espruino-module.js',
): Record<string, unknown> {
  const ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
  const cuts: { start: number; end: number }[] = [];
  const exported: [name: string, local: string][] = [];
  const unsupported = (node: acorn.Node, what: string): Error =>
    new Error(`${fileName}:${node.loc?.start.line ?? 0}: ${what} is not supported by loadEspruinoModule (only export declarations and export { ... } lists)`);

  for (const node of ast.body) {
    if (node.type === 'ImportDeclaration') throw unsupported(node, 'import');
    if (node.type === 'ExportDefaultDeclaration') throw unsupported(node, 'export default');
    if (node.type === 'ExportAllDeclaration') throw unsupported(node, 'export *');
    if (node.type !== 'ExportNamedDeclaration') continue;
    if (node.source) throw unsupported(node, 're-export (export ... from)');
    const declaration = node.declaration;
    if (!declaration) {
      cuts.push({ start: node.start, end: node.end });
      for (const specifier of node.specifiers) exported.push([exportedName(specifier.exported), exportedName(specifier.local)]);
      continue;
    }
    cuts.push({ start: node.start, end: declaration.start });
    if (declaration.type === 'VariableDeclaration') {
      for (const declarator of declaration.declarations) {
        if (declarator.id.type !== 'Identifier') throw unsupported(declarator, 'a destructuring export');
        exported.push([declarator.id.name, declarator.id.name]);
      }
    } else {
      exported.push([declaration.id.name, declaration.id.name]);
    }
  }

  // Blank the export syntax out (keeping newlines) so that line and column numbers stay the same.
  let script = '';
  let at = 0;
  for (const cut of cuts) {
    script += source.slice(at, cut.start) + source.slice(cut.start, cut.end).replace(/[^\n]/g, ' ');
    at = cut.end;
  }
  script += source.slice(at);
  // The trailing object literal is the script's completion value; let/const/class are not
  // properties of the global object, so they can only be read from inside the script.
  const entries = exported.map(([name, local]) => `${JSON.stringify(name)}: ${local}`).join(', ');
  script += `\n;({ ${entries} });\n`;

  const values = runInEspruino(script, createEspruinoContext(extraGlobals), fileName) as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [name] of exported) result[name] = values[name];
  return result;
}
