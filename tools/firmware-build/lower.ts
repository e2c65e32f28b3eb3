/**
 * Step 2: Babel preset-env lowers the bundled ES2022 script to what the Espruino interpreter runs
 * (shared/reference/espruino.md). Classes, arrows, template literals, let/const, shorthand properties, `??`,
 * `catch {}` and for..of over arrays are native in Espruino and stay; the syntax it lacks is rewritten.
 * Forbidden constructs without a faithful lowering (async, generators, labels, #private, static blocks,
 * tagged templates, Map/Set...) are left alone for the compatibility check to reject.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The slice of @babel/core and @babel/types used here (the packages ship no TypeScript types). */
interface BabelNode {
  type: string;
  name?: string;
  argument?: BabelNode;
}
interface BabelPath {
  node: BabelNode;
  get(key: 'params'): BabelPath[];
  get(key: 'body'): BabelPath;
  isArrowFunctionExpression(): boolean;
  isRestElement(): boolean;
  arrowFunctionToExpression(): void;
  ensureBlock(): void;
  remove(): void;
  unshiftContainer(key: 'body', node: unknown): void;
}
interface BabelTypes {
  isIdentifier(node: unknown): boolean;
  identifier(name: string): unknown;
  numericLiteral(value: number): unknown;
  memberExpression(object: unknown, property: unknown): unknown;
  callExpression(callee: unknown, args: unknown[]): unknown;
  variableDeclaration(kind: 'var', declarators: unknown[]): unknown;
  variableDeclarator(id: unknown, init: unknown): unknown;
}
interface BabelCore {
  types: BabelTypes;
  transformAsync(code: string, options: Record<string, unknown>): Promise<{ code?: string | null } | null>;
}

const babel = require('@babel/core') as BabelCore;
const presetEnv = require.resolve('@babel/preset-env');
// preset-env's own copy: configured here because preset-env would pass it useBuiltIns: false (an `_extends`
// helper whose fallback loops over arguments.length) while Espruino has Object.assign.
const objectRestSpread = createRequire(presetEnv)('@babel/plugin-transform-object-rest-spread') as unknown;

/** The preset-env transforms Espruino needs besides object rest/spread (below); everything else stays native. */
export const LOWERED_SYNTAX = [
  'transform-destructuring',
  'transform-parameters',
  'transform-spread',
  'transform-computed-properties',
  'transform-exponentiation-operator',
  'transform-optional-chaining',
  'transform-logical-assignment-operators',
  'transform-unicode-escapes',
  'transform-numeric-separator',
] as const;

/**
 * preset-env's rest parameters loop over `arguments.length`, which Espruino reports as max(declared, passed)
 * and the compatibility check rejects; `Array.prototype.slice.call(arguments, n)` needs neither.
 */
function restParametersAsSlice(): { name: string; visitor: { Function(path: BabelPath): void } } {
  const t = babel.types;
  return {
    name: 'espruino-rest-parameters',
    visitor: {
      Function(path) {
        const params = path.get('params');
        const rest = params[params.length - 1];
        if (!rest?.isRestElement() || !t.isIdentifier(rest.node.argument)) return;
        // An arrow has no `arguments` of its own; the conversion keeps `this` through a captured variable.
        if (path.isArrowFunctionExpression()) path.arrowFunctionToExpression();
        path.ensureBlock();
        const name = (rest.node.argument as BabelNode).name as string;
        rest.remove();
        const slice = t.memberExpression(t.memberExpression(t.identifier('Array'), t.identifier('prototype')), t.identifier('slice'));
        const call = t.callExpression(t.memberExpression(slice, t.identifier('call')), [t.identifier('arguments'), t.numericLiteral(params.length - 1)]);
        path.get('body').unshiftContainer('body', t.variableDeclaration('var', [t.variableDeclarator(t.identifier(name), call)]));
      },
    },
  };
}

export async function lowerForEspruino(code: string): Promise<string> {
  const result = await babel.transformAsync(code, {
    babelrc: false,
    configFile: false,
    sourceType: 'script',
    comments: true,
    plugins: [restParametersAsSlice, [objectRestSpread, { loose: true, useBuiltIns: true }]],
    presets: [
      [
        presetEnv,
        // A target that needs nothing, plus the explicit list: preset-env then only orders and configures them.
        { targets: { chrome: '120' }, include: [...LOWERED_SYNTAX], loose: true, modules: false },
      ],
    ],
    // Loose, helper-free output: arrays are arrays, objects have no symbol keys.
    assumptions: {
      iterableIsArray: true,
      objectRestNoSymbols: true,
      setSpreadProperties: true,
      setComputedProperties: true,
      ignoreFunctionLength: true,
      noDocumentAll: true,
      pureGetters: true,
    },
  });
  if (typeof result?.code !== 'string') throw new Error('Babel returned no code');
  return result.code;
}
