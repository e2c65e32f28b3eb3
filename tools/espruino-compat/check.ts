/**
 * Static check for JavaScript that the Espruino interpreter cannot run, or runs differently.
 * Rules follow what was measured on Espruino 2v29 (shared/reference/espruino.md).
 */
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { scanRegExp } from './regexp.ts';
import { analyzeScopes, statementIndex, type Binding, type Reference, type ScopeAnalysis } from './scope.ts';

export const RULES = [
  { id: 'syntax', description: 'The source does not parse.' },
  { id: 'destructuring', description: 'Destructuring patterns (declarations, assignments, parameters, catch parameters, for-in/of heads).' },
  { id: 'default-parameter', description: 'Default parameter values.' },
  { id: 'rest-parameter', description: 'Rest parameters (...args).' },
  { id: 'spread', description: 'Spread in calls, array literals and object literals.' },
  { id: 'computed-key', description: 'Computed keys in object literals and class bodies ({[k]: v}).' },
  { id: 'exponent', description: 'The ** and **= operators.' },
  { id: 'optional-chaining', description: 'Optional chaining (?.).' },
  { id: 'logical-assignment', description: 'Logical assignment (??=, ||=, &&=).' },
  { id: 'async-await', description: 'async functions, async arrows and await.' },
  { id: 'for-await', description: 'for await (... of ...).' },
  { id: 'generator', description: 'Generator functions and yield.' },
  { id: 'label', description: 'Labeled statements (labeled break/continue).' },
  { id: 'private-member', description: '#private class fields and methods.' },
  { id: 'static-block', description: 'Class static initialization blocks.' },
  { id: 'new-target', description: 'new.target.' },
  { id: 'tagged-template', description: 'Tagged template literals (tag`...`).' },
  { id: 'unicode-escape', description: '\\u{...} code point escapes in strings, templates and identifiers.' },
  { id: 'bigint', description: 'BigInt literals (123n).' },
  { id: 'missing-global', description: 'Globals Espruino lacks (Map, Set, Symbol, Proxy, Reflect, TextEncoder, globalThis, ...).' },
  { id: 'missing-builtin', description: 'Built-in functions Espruino lacks (Math.trunc, Number.isInteger, Array.from, .flat(), .at(), Object.freeze, ...).' },
  { id: 'extends-error', description: 'Classes extending Error or a built-in *Error class.' },
  { id: 'class-expression-self-reference', description: 'A named class expression referring to its own name (the name is not bound in Espruino).' },
  { id: 'regexp-syntax', description: 'RegExp lookaround, (?:), named groups, {n,m}, lazy quantifiers, \\b/\\B and backreferences.' },
  { id: 'regexp-flag', description: 'RegExp flags m, s, u, v, y and d.' },
  { id: 'use-before-declaration', description: 'A binding used before its declaration has run (Espruino does not hoist).' },
  { id: 'for-let-closure', description: 'Closures over a for (let ...) loop variable (in Espruino they all see the final value).' },
  { id: 'arguments-length', description: 'arguments.length (Espruino reports max(declared, passed)).' },
] as const;

export type RuleId = (typeof RULES)[number]['id'];

export interface CompatProblem {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  rule: RuleId;
  message: string;
}

export interface CompatOptions {
  sourceType?: 'module' | 'script';
  /** Recorded as the parser's source file name; problems themselves carry no file name. */
  fileName?: string;
}

const MISSING_GLOBALS: Readonly<Record<string, string>> = {
  Map: 'use a plain object with string keys (Object.create(null)) or ship a small polyfill',
  Set: 'use a plain object as a set of keys, or an array with indexOf/includes',
  WeakMap: 'store the value in a property of the key object',
  WeakSet: 'mark the objects with a property',
  Symbol: 'use string property names',
  BigInt: 'use Numbers (exact up to 2^53) or byte arrays',
  Proxy: 'use explicit getter/setter functions',
  Reflect: 'use Object.* functions and fn.apply',
  TextEncoder: 'use E.toUint8Array(string) or a charCodeAt loop',
  TextDecoder: 'use E.toString(bytes) or String.fromCharCode.apply(null, bytes)',
  queueMicrotask: 'use Promise.resolve().then(fn) or setTimeout(fn, 0)',
  setImmediate: 'use setTimeout(fn, 0)',
  structuredClone: 'use JSON.parse(JSON.stringify(value)) or copy explicitly',
  WeakRef: 'keep a normal reference',
  FinalizationRegistry: 'release resources explicitly',
  globalThis: 'use the `global` object',
  Intl: 'format numbers and dates by hand',
  WebAssembly: 'use plain JavaScript',
  SharedArrayBuffer: 'use ArrayBuffer',
  Atomics: 'use plain typed array access',
};

const MISSING_STATIC: Readonly<Record<string, string>> = {
  'Math.trunc': 'use x < 0 ? Math.ceil(x) : Math.floor(x)',
  'Math.log10': 'use Math.log(x) / Math.LN10',
  'Math.hypot': 'use Math.sqrt(a * a + b * b)',
  'Math.cbrt': 'use a sign-aware Math.pow(x, 1 / 3)',
  'Math.fround': 'use new Float32Array([x])[0]',
  'Math.clz32': 'use a shift loop or a polyfill',
  'Math.imul': 'use a polyfill that multiplies 16-bit halves',
  'Number.isInteger': "use typeof x === 'number' && isFinite(x) && Math.floor(x) === x",
  'Array.from': 'use a for loop or Array.prototype.slice.call(x)',
  'Array.of': 'use an array literal',
  'Promise.race': 'use new Promise((resolve, reject) => promises.forEach((p) => p.then(resolve, reject)))',
  'Promise.allSettled': 'map each promise with .then(ok, fail) into Promise.all',
  'Object.freeze': 'leave the object unfrozen',
  'Object.is': 'use === (plus x !== x for NaN)',
};

const MISSING_METHODS: Readonly<Record<string, { owners: readonly string[]; advice: string }>> = {
  flat: { owners: ['Array'], advice: 'concatenate in a loop ([].concat.apply([], arr) for one level)' },
  flatMap: { owners: ['Array'], advice: 'map, then concatenate in a loop' },
  at: { owners: ['Array', 'String'], advice: 'use x[i] or x[x.length - n]' },
  findLast: { owners: ['Array'], advice: 'loop backwards' },
  finally: { owners: ['Promise'], advice: 'use .then(fn, fn)' },
  codePointAt: { owners: ['String'], advice: 'use charCodeAt' },
  trimStart: { owners: ['String'], advice: "use s.replace(/^\\s+/, '')" },
  search: { owners: ['String'], advice: 'use re.exec(s) and its index, or indexOf' },
  matchAll: { owners: ['String'], advice: 'loop over re.exec(s) with a g-flag RegExp' },
};

/** Static paths that do not exist: MISSING_STATIC plus `Array.prototype.flat` and the like. */
const MISSING_PATHS: Readonly<Record<string, string>> = {
  ...MISSING_STATIC,
  ...Object.fromEntries(
    Object.entries(MISSING_METHODS).flatMap(([name, { owners, advice }]) => owners.map((owner) => [`${owner}.prototype.${name}`, advice])),
  ),
};

const ERROR_CLASSES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'InternalError',
]);

/** Bindings whose declaration has to run before they can be used. */
const ORDERED_KINDS = new Set<Binding['kind']>(['var', 'let', 'const', 'class', 'function']);

type AnyFunction = acorn.FunctionDeclaration | acorn.FunctionExpression | acorn.ArrowFunctionExpression | acorn.AnonymousFunctionDeclaration;
type Where = acorn.Node | acorn.Position;

function propertyName(member: acorn.MemberExpression): string | null {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.computed && member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return null;
}

/** `Array.prototype.flat` -> root identifier `Array` and the dotted path. */
function staticPath(node: acorn.Node): { root: acorn.Identifier; path: string } | null {
  if (node.type === 'Identifier') return { root: node as acorn.Identifier, path: (node as acorn.Identifier).name };
  if (node.type !== 'MemberExpression') return null;
  const member = node as acorn.MemberExpression;
  const name = propertyName(member);
  const object = name === null ? null : staticPath(member.object);
  return object && { root: object.root, path: `${object.path}.${name}` };
}

function hasCodePointEscape(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '\\') continue;
    if (raw[i + 1] === 'u' && raw[i + 2] === '{') return true;
    i++;
  }
  return false;
}

function isFunctionNode(node: acorn.Node | undefined): node is AnyFunction {
  return node?.type === 'FunctionDeclaration' || node?.type === 'FunctionExpression' || node?.type === 'ArrowFunctionExpression';
}

function line(node: acorn.Node): number {
  return node.loc?.start.line ?? 0;
}

export function checkEspruinoCompat(source: string, options: CompatOptions = {}): CompatProblem[] {
  const tokens: acorn.Token[] = [];
  let ast: acorn.Program;
  try {
    ast = acorn.parse(source, {
      ecmaVersion: 'latest',
      sourceType: options.sourceType ?? 'module',
      locations: true,
      allowHashBang: true,
      onToken: tokens,
      ...(options.fileName === undefined ? {} : { sourceFile: options.fileName }),
    });
  } catch (error) {
    const loc = (error as { loc?: acorn.Position }).loc;
    const message = error instanceof Error ? error.message.replace(/\s*\(\d+:\d+\)$/, '') : String(error);
    return [{ line: loc?.line ?? 1, column: (loc?.column ?? 0) + 1, rule: 'syntax', message: `cannot parse: ${message}` }];
  }

  const problems = new Map<string, CompatProblem>();
  const report = (where: Where, rule: RuleId, message: string): void => {
    const start = 'line' in where ? where : (where.loc?.start ?? { line: 1, column: 0 });
    const problem = { line: start.line, column: start.column + 1, rule, message };
    problems.set(`${problem.line}:${problem.column}:${rule}:${message}`, problem);
  };

  const analysis = analyzeScopes(ast);
  const isGlobal = (id: acorn.Node): boolean => {
    const ref = analysis.referenceOf.get(id as acorn.Identifier);
    return ref !== undefined && ref.binding === null;
  };
  const polyfilled = collectPolyfills(ast, isGlobal);

  checkTokens(source, tokens, report);
  checkNodes(ast, { report, referenceOf: analysis.referenceOf, isGlobal, polyfilled });
  checkReferences(analysis, report, polyfilled);
  checkDeclarationOrder(analysis, report);

  return [...problems.values()].sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}

export function formatProblems(problems: readonly CompatProblem[], fileName: string): string {
  return problems.map((p) => `${fileName}:${p.line}:${p.column} ${p.rule} ${p.message}`).join('\n');
}

type Report = (where: Where, rule: RuleId, message: string) => void;

interface NodeContext {
  report: Report;
  referenceOf: ScopeAnalysis['referenceOf'];
  isGlobal: (id: acorn.Node) => boolean;
  polyfilled: ReadonlySet<string>;
}

/** Names assigned in the file (`Math.trunc = ...`, `Array.prototype.at = ...`, `Map = ...`): polyfills, not uses. */
function collectPolyfills(ast: acorn.Program, isGlobal: (id: acorn.Node) => boolean): Set<string> {
  const names = new Set<string>();
  const add = (target: acorn.Node, suffix = ''): void => {
    const path = staticPath(target);
    if (path && isGlobal(path.root)) names.add(`${path.path}${suffix}`.replace(/^(global|globalThis)\./, ''));
  };
  walk.simple(ast, {
    AssignmentExpression(node) {
      add(node.left);
    },
    CallExpression(node) {
      const [target, name] = node.arguments;
      if (staticPath(node.callee)?.path === 'Object.defineProperty' && target && name?.type === 'Literal' && typeof name.value === 'string') {
        add(target, `.${name.value}`);
      }
    },
  });
  return names;
}

function checkTokens(source: string, tokens: readonly acorn.Token[], report: Report): void {
  const labels = new Set(['name', 'string', 'template', 'invalidTemplate', 'privateId']);
  for (const token of tokens) {
    if (labels.has(token.type.label) && hasCodePointEscape(source.slice(token.start, token.end))) {
      report(token.loc?.start ?? { line: 1, column: 0 }, 'unicode-escape', '`\\u{...}` escapes are not supported; use `\\uXXXX` (a surrogate pair above U+FFFF)');
    }
  }
}

function checkRegExp(report: Report, where: acorn.Node, pattern: string, flags: string, exact: boolean): void {
  const start = where.loc?.start ?? { line: 1, column: 0 };
  for (const issue of scanRegExp(pattern, flags)) {
    // Offsets are exact for regex literals (`/pattern/flags`); a string pattern's escapes shift them.
    const offset = !exact ? 0 : issue.kind === 'flag' ? pattern.length + 2 + issue.offset : 1 + issue.offset;
    report({ line: start.line, column: start.column + offset }, issue.kind === 'flag' ? 'regexp-flag' : 'regexp-syntax', `RegExp: ${issue.message}`);
  }
}

function checkNodes(ast: acorn.Program, { report, referenceOf, isGlobal, polyfilled }: NodeContext): void {
  const parentOf = (ancestors: acorn.Node[]): acorn.Node | undefined => ancestors[ancestors.length - 2];

  const destructuring = (node: acorn.Node, ancestors: acorn.Node[]): void => {
    for (let i = ancestors.length - 2; i >= 0; i--) {
      const type = ancestors[i]?.type;
      if (type === 'ObjectPattern' || type === 'ArrayPattern') return; // reported at the outermost pattern
      if (type !== 'AssignmentPattern' && type !== 'RestElement') break;
    }
    report(node, 'destructuring', 'destructuring is not supported; read the values into separate variables (var a = obj.a, b = arr[1])');
  };

  const func = (node: AnyFunction): void => {
    if (node.async) report(node, 'async-await', 'async functions are not supported; return a Promise and chain then/catch');
    if (node.generator) report(node, 'generator', 'generators are not supported; write an iterator object with next() or use callbacks');
  };

  const klass = (node: acorn.Class): void => {
    const superClass = node.superClass;
    if (superClass?.type === 'Identifier' && ERROR_CLASSES.has(superClass.name) && isGlobal(superClass)) {
      report(node, 'extends-error', `extending ${superClass.name} does not work (instanceof fails); throw new Error(message) and set a property such as err.code`);
    }
  };

  const member = (node: acorn.MethodDefinition | acorn.PropertyDefinition): void => {
    if (node.computed) report(node, 'computed-key', 'computed class member names are not supported; add the member after the class (C.prototype[k] = ...)');
    if (node.key.type === 'PrivateIdentifier') {
      report(node, 'private-member', `#private members are not supported; use a normal property (e.g. _${node.key.name})`);
    }
  };

  const regExpCall = (node: acorn.CallExpression | acorn.NewExpression): void => {
    const [pattern, flags] = node.arguments;
    if (node.callee.type !== 'Identifier' || node.callee.name !== 'RegExp' || !isGlobal(node.callee)) return;
    if (pattern?.type !== 'Literal' || typeof pattern.value !== 'string') return;
    const flagText = flags?.type === 'Literal' && typeof flags.value === 'string' ? flags.value : '';
    checkRegExp(report, pattern, pattern.value, flagText, false);
  };

  const methodCall = (node: acorn.CallExpression): void => {
    if (node.callee.type !== 'MemberExpression') return;
    const name = propertyName(node.callee);
    const method = name === null || !Object.hasOwn(MISSING_METHODS, name) ? undefined : MISSING_METHODS[name];
    if (!method || method.owners.every((owner) => polyfilled.has(`${owner}.prototype.${name}`))) return;
    report(node.callee.property, 'missing-builtin', `.${name}() (${method.owners.join('/')}) does not exist in Espruino; ${method.advice}`);
  };

  const staticMember = (node: acorn.MemberExpression, parent: acorn.Node | undefined): void => {
    const path = staticPath(node);
    if (!path || !isGlobal(path.root) || polyfilled.has(path.path)) return;
    if (parent?.type === 'AssignmentExpression' && (parent as acorn.AssignmentExpression).left === node) return;
    if (parent?.type === 'UnaryExpression' && ['typeof', 'delete'].includes((parent as acorn.UnaryExpression).operator)) return;
    const advice = Object.hasOwn(MISSING_PATHS, path.path) ? MISSING_PATHS[path.path] : undefined;
    if (advice) report(node, 'missing-builtin', `${path.path} does not exist in Espruino; ${advice}`);
  };

  walk.ancestor(ast, {
    ObjectPattern: (node, _state, ancestors) => destructuring(node, ancestors),
    ArrayPattern: (node, _state, ancestors) => destructuring(node, ancestors),
    AssignmentPattern(node, _state, ancestors) {
      const parent = parentOf(ancestors);
      if (isFunctionNode(parent) && parent.params.includes(node)) {
        report(node, 'default-parameter', 'default parameters are not supported; assign the default in the body (if (x === undefined) x = ...)');
      }
    },
    RestElement(node, _state, ancestors) {
      const parent = parentOf(ancestors);
      if (isFunctionNode(parent) && parent.params.includes(node)) {
        report(node, 'rest-parameter', 'rest parameters are not supported; use Array.prototype.slice.call(arguments, n)');
      }
    },
    SpreadElement(node, _state, ancestors) {
      const parent = parentOf(ancestors)?.type;
      const advice =
        parent === 'ObjectExpression' ? 'use Object.assign({}, obj, ...)' : parent === 'ArrayExpression' ? 'use arr.concat(...) or slice()' : 'use fn.apply(thisArg, args)';
      report(node, 'spread', `spread is not supported; ${advice}`);
    },
    Property(node) {
      if (node.computed) report(node, 'computed-key', 'computed keys are not supported; create the object first, then assign obj[key] = value');
    },
    MethodDefinition: member,
    PropertyDefinition: member,
    BinaryExpression(node) {
      if (node.operator === '**') report(node, 'exponent', '`**` is not supported; use Math.pow(a, b)');
    },
    AssignmentExpression(node) {
      if (node.operator === '**=') report(node, 'exponent', '`**=` is not supported; use a = Math.pow(a, b)');
      if (node.operator === '??=' || node.operator === '||=' || node.operator === '&&=') {
        const op = node.operator.slice(0, 2);
        report(node, 'logical-assignment', `\`${node.operator}\` is not supported; write a = a ${op} b (or an if statement)`);
      }
    },
    ChainExpression(node) {
      report(node, 'optional-chaining', '`?.` is not supported; test explicitly (a && a.b, or a != null ? a.b : undefined)');
    },
    FunctionDeclaration: func,
    FunctionExpression: func,
    ArrowFunctionExpression: func,
    AwaitExpression(node) {
      report(node, 'async-await', '`await` is not supported; chain the promise with then/catch');
    },
    YieldExpression(node) {
      report(node, 'generator', '`yield` is not supported; write an iterator object with next() or use callbacks');
    },
    ForOfStatement(node) {
      if (node.await) report(node, 'for-await', '`for await` is not supported; process the promises with then/catch');
    },
    LabeledStatement(node) {
      report(node, 'label', `labels are not supported (label \`${node.label.name}\`); use a flag variable, or move the loop into a function and return`);
    },
    StaticBlock(node) {
      report(node, 'static-block', 'class static blocks are not supported; put the code after the class');
    },
    MetaProperty(node) {
      if (node.meta.name === 'new') report(node, 'new-target', '`new.target` is not supported; test `this instanceof C` instead');
    },
    TaggedTemplateExpression(node) {
      report(node, 'tagged-template', 'tagged templates are not supported; call the function with the strings and values as arguments');
    },
    Literal(node) {
      if (node.bigint !== undefined) report(node, 'bigint', 'BigInt literals are not supported; use Numbers (exact up to 2^53) or byte arrays');
      if (node.regex) checkRegExp(report, node, node.regex.pattern, node.regex.flags, true);
    },
    NewExpression: regExpCall,
    CallExpression(node) {
      regExpCall(node);
      methodCall(node);
    },
    ClassDeclaration: klass,
    ClassExpression: klass,
    MemberExpression(node, _state, ancestors) {
      if (node.object.type === 'Identifier' && node.object.name === 'arguments' && propertyName(node) === 'length') {
        const ref = referenceOf.get(node.object);
        if (ref && (ref.binding === null || ref.binding.kind === 'arguments')) {
          report(node, 'arguments-length', 'arguments.length is max(declared parameters, passed arguments) in Espruino; test arguments[i] !== undefined or pass an options object');
        }
      }
      staticMember(node, parentOf(ancestors));
    },
  });
}

function checkReferences(analysis: ScopeAnalysis, report: Report, polyfilled: ReadonlySet<string>): void {
  const loopClosures = new Set<string>();
  for (const ref of analysis.references) {
    const { id, binding, parent } = ref;
    if (!binding) {
      const isTypeof = parent?.type === 'UnaryExpression' && (parent as acorn.UnaryExpression).operator === 'typeof';
      if (ref.read && !isTypeof && Object.hasOwn(MISSING_GLOBALS, id.name) && !polyfilled.has(id.name)) {
        report(id, 'missing-global', `${id.name} does not exist in Espruino; ${MISSING_GLOBALS[id.name]}`);
      }
      continue;
    }
    if (binding.kind === 'class-name') {
      report(id, 'class-expression-self-reference', `class expression name \`${id.name}\` is not bound inside the class in Espruino; refer to the variable the class is assigned to, or use a class declaration`);
    }
    if (binding.kind === 'let' && binding.scope.node.type === 'ForStatement' && ref.runner !== binding.scope.runner) {
      const key = `${binding.id.start}:${ref.runner.start}`;
      if (!loopClosures.has(key)) {
        loopClosures.add(key);
        report(ref.runner, 'for-let-closure', `this function captures \`${id.name}\` of \`for (let ${id.name} ...)\`; in Espruino every closure sees its final value. Pass the value as a parameter (e.g. a helper function or forEach)`);
      }
    }
  }
}

/**
 * Espruino does not hoist, so every statement list (program, function body, block) must declare a
 * binding before the code that runs first uses it.
 *
 * Limits: code inside nested functions counts as deferred (except immediately invoked function
 * expressions), so callbacks that run at once (arr.forEach(function () {...})) are not checked;
 * calls are followed one level deep and only to functions known by name (function declarations and
 * `var f = function/arrow`), not to methods, constructors of classes or functions passed around;
 * uses inside the declaring statement itself (`var x = x || {}`) are not reported.
 */
function checkDeclarationOrder(analysis: ScopeAnalysis, report: Report): void {
  const declaredAt = (binding: Binding): number => statementIndex(binding.scope, binding.id.start);
  const byRunner = new Map<acorn.Node, Reference[]>();
  for (const ref of analysis.references) {
    const list = byRunner.get(ref.runner);
    if (list) list.push(ref);
    else byRunner.set(ref.runner, [ref]);
  }

  for (const ref of analysis.references) {
    const binding = ref.binding;
    if (!binding || !ref.read || !ORDERED_KINDS.has(binding.kind) || ref.runner !== binding.scope.runner) continue;
    const declared = declaredAt(binding);
    const usedAt = statementIndex(binding.scope, ref.id.start);
    if (declared < 0 || usedAt < 0 || usedAt === declared) continue;
    const name = binding.name;
    if (usedAt < declared) {
      const what = binding.kind === 'function' ? `function \`${name}\`` : `\`${name}\``;
      report(ref.id, 'use-before-declaration', `${what} is used before its declaration (line ${line(binding.id)}) has run; Espruino does not hoist, move the declaration above this use`);
      continue;
    }
    const parent = ref.parent;
    const isCall = (parent?.type === 'CallExpression' || parent?.type === 'NewExpression') && (parent as acorn.CallExpression).callee === ref.id;
    if (!isCall || !binding.fn) continue;
    for (const inner of byRunner.get(binding.fn) ?? []) {
      const later = inner.binding;
      if (!later || !inner.read || later.scope !== binding.scope || !ORDERED_KINDS.has(later.kind) || declaredAt(later) <= usedAt) continue;
      report(ref.id, 'use-before-declaration', `${name}() runs before \`${later.name}\` (declared on line ${line(later.id)}) exists, and ${name} uses it; Espruino does not hoist, move the declaration above this call`);
    }
  }
}
