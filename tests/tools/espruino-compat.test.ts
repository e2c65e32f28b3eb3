import { describe, expect, it } from 'vitest';
import { RULES, checkEspruinoCompat, formatProblems, type CompatProblem, type RuleId } from '../../tools/espruino-compat/check.ts';
import { createEspruinoContext, loadEspruinoModule, runInEspruino } from '../../tools/espruino-compat/sandbox.ts';

const found = (source: string, sourceType: 'module' | 'script' = 'module'): string[] =>
  checkEspruinoCompat(source, { sourceType }).map((p) => `${p.line}:${p.rule}`);

/** Every snippet starts with a harmless line, so the problem is expected on line 2 unless stated. */
function expectRejected(rule: RuleId, snippet: string, line = 2): void {
  const problems = checkEspruinoCompat(`var first = 1;\n${snippet}`);
  expect(problems.map((p) => `${p.line}:${p.rule}`), snippet).toContain(`${line}:${rule}`);
}

function expectAccepted(source: string, sourceType: 'module' | 'script' = 'module'): void {
  const problems = checkEspruinoCompat(source, { sourceType });
  expect(formatProblems(problems, 'snippet.js'), source).toBe('');
}

describe('checkEspruinoCompat: rejected constructs', () => {
  const cases: [RuleId, string, number?][] = [
    ['destructuring', 'var { a, b } = obj;'],
    ['destructuring', 'var [a, b] = arr;'],
    ['destructuring', 'var a, b; [a, b] = [b, a];'],
    ['destructuring', 'function f({ a }) { return a; }'],
    ['destructuring', 'var g = ([x]) => x;'],
    ['destructuring', 'try { f(); } catch ({ message }) { log(message); }'],
    ['destructuring', 'for (const [k, v] of pairs) log(k, v);'],
    ['default-parameter', 'function f(a, b = 1) { return a + b; }'],
    ['default-parameter', 'var f = (a = 1) => a;'],
    ['rest-parameter', 'function f(first, ...rest) { return rest; }'],
    ['spread', 'f(...args);'],
    ['spread', 'var all = [...a, 1];'],
    ['spread', 'var copy = { ...obj };'],
    ['computed-key', 'var o = { [key]: 1 };'],
    ['computed-key', 'class A { [name]() {} }'],
    ['exponent', 'var sq = x ** 2;'],
    ['exponent', 'x **= 2;'],
    ['optional-chaining', 'var v = a?.b;'],
    ['optional-chaining', 'callback?.();'],
    ['logical-assignment', 'a ??= 1;'],
    ['logical-assignment', 'a ||= 1;'],
    ['logical-assignment', 'a &&= 1;'],
    ['async-await', 'async function f() {}'],
    ['async-await', 'var f = async () => 1;'],
    ['async-await', 'class A { async m() {} }'],
    ['async-await', 'await ready;'],
    ['for-await', 'async function f() {\n  for await (const x of stream) log(x);\n}', 3],
    ['generator', 'function* g() {}'],
    ['generator', 'function* g() {\n  yield 1;\n}', 3],
    ['label', 'outer: for (;;) { break outer; }'],
    ['private-member', 'class A { #count = 0; }'],
    ['private-member', 'class A { #reset() {} }'],
    ['static-block', 'class A { static { A.ready = true; } }'],
    ['new-target', 'function F() { if (!new.target) throw new Error("use new"); }'],
    ['tagged-template', 'var s = tag`a${b}`;'],
    ['unicode-escape', "var s = '\\u{1F600}';"],
    ['unicode-escape', 'var s = `x\\u{41}`;'],
    ['unicode-escape', 'var \\u{61}bc = 1;'],
    ['bigint', 'var big = 10n;'],
    ['extends-error', 'class MyError extends Error {}'],
    ['extends-error', 'var E = class extends TypeError {};'],
    ['class-expression-self-reference', 'var C = class K {\n  static make() { return new K(); }\n};', 3],
    ['arguments-length', 'function f(a, b) { return arguments.length; }'],
    ['arguments-length', 'function f() { var g = () => arguments.length; return g(); }'],
  ];
  it.each(cases)('%s: %s', (rule, snippet, line) => expectRejected(rule, snippet, line));

  it('reports nested destructuring once, at the outermost pattern', () => {
    expect(found('var { a: [b, { c }] = [] } = obj;')).toEqual(['1:destructuring']);
  });

  it('reports a default parameter that is also a destructuring pattern under both rules', () => {
    expect(found('function f({ a } = {}) { return a; }')).toEqual(['1:default-parameter', '1:destructuring']);
  });

  it.each(['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'BigInt', 'Proxy', 'Reflect', 'TextEncoder', 'TextDecoder', 'queueMicrotask', 'setImmediate', 'structuredClone', 'WeakRef', 'globalThis'])(
    'missing-global: %s',
    (name) => expectRejected('missing-global', `var x = ${name};`),
  );

  it.each([
    'Math.trunc(x)',
    'Math.log10(x)',
    'Math.hypot(a, b)',
    'Math.cbrt(x)',
    'Math.fround(x)',
    'Math.clz32(x)',
    'Math.imul(a, b)',
    'Number.isInteger(x)',
    'Array.from(list)',
    'Array.of(1, 2)',
    'Promise.race(ps)',
    'Promise.allSettled(ps)',
    'Object.freeze(o)',
    'Object.is(a, b)',
    'arr.flat()',
    'arr.flatMap(f)',
    'arr.at(-1)',
    'arr.findLast(f)',
    'p.finally(done)',
    's.codePointAt(0)',
    's.trimStart()',
    's.search(re)',
    's.matchAll(re)',
    "s['at'](0)",
    'Array.prototype.flat.call(list)',
  ])('missing-builtin: %s', (expr) => expectRejected('missing-builtin', `var x = ${expr};`));

  it('reports .at() once although it is both an Array and a String method', () => {
    expect(found('var last = list.at(-1);')).toEqual(['1:missing-builtin']);
  });

  it.each([
    ['/a(?=b)/', 'lookahead'],
    ['/a(?!b)/', 'lookahead'],
    ['/(?<=a)b/', 'lookbehind'],
    ['/(?<!a)b/', 'lookbehind'],
    ['/(?:ab)+/', 'non-capturing'],
    ['/(?<year>\\d+)/', 'named group'],
    ['/\\d{4}/', 'counted quantifier'],
    ['/\\d{2,4}/', 'counted quantifier'],
    ['/\\d{2,}/', 'counted quantifier'],
    ['/a.*?b/', 'lazy'],
    ['/a.+?b/', 'lazy'],
    ['/ab??/', 'lazy'],
    ['/\\bword\\b/', 'word boundary'],
    ['/\\Bx/', 'word boundary'],
    ['/(a)\\1/', 'backreference'],
    ['/(?<q>a)\\k<q>/', 'named group'],
    ['new RegExp("\\\\d{2}")', 'counted quantifier'],
    ["RegExp('(?:a|b)', 'g')", 'non-capturing'],
  ])('regexp-syntax: %s (%s)', (re, feature) => {
    const problems = checkEspruinoCompat(`var first = 1;\nvar re = ${re};`);
    const problem = problems.find((p) => p.rule === 'regexp-syntax');
    expect(problem?.line).toBe(2);
    expect(problem?.message).toContain(feature);
  });

  it('points at the offending part of a RegExp literal', () => {
    expect(checkEspruinoCompat('var re = /ab(?:c)/;')).toMatchObject([{ line: 1, column: 13, rule: 'regexp-syntax' }]);
  });

  it.each(['m', 's', 'u', 'y', 'd', 'v'])('regexp-flag: %s', (flag) => {
    expectRejected('regexp-flag', `var re = /a/${flag};`);
  });

  it('regexp-flag: in new RegExp(pattern, flags)', () => {
    expectRejected('regexp-flag', "var re = new RegExp('^a', 'gm');");
  });

  describe('use-before-declaration', () => {
    it('calls a function declaration before it', () => {
      expect(found('start();\nfunction start() {}')).toEqual(['1:use-before-declaration']);
    });
    it('reads a var, let, const or class before its declaration', () => {
      expect(found('log(a);\nvar a = 1;')).toEqual(['1:use-before-declaration']);
      expect(found('log(b);\nlet b = 1;')).toEqual(['1:use-before-declaration']);
      expect(found('log(c);\nconst c = 1;')).toEqual(['1:use-before-declaration']);
      expect(found('var d = new D();\nclass D {}')).toEqual(['1:use-before-declaration']);
    });
    it('passes a function before its declaration as a value', () => {
      expect(found('setTimeout(tick, 10);\nfunction tick() {}')).toEqual(['1:use-before-declaration']);
    });
    it('checks the top of each function body', () => {
      expect(found('function outer() {\n  inner();\n  function inner() {}\n}\nouter();')).toEqual(['2:use-before-declaration']);
    });
    it('checks immediately invoked function expressions', () => {
      expect(found('(function () { init(); })();\nfunction init() {}')).toEqual(['1:use-before-declaration']);
    });
    it('checks code inside blocks and exported declarations', () => {
      expect(found('if (ready) {\n  run();\n}\nexport function run() {}')).toEqual(['2:use-before-declaration']);
    });
    it('follows one call into a function declared earlier', () => {
      const source = 'function setup() {\n  return config.port;\n}\nsetup();\nvar config = { port: 1 };';
      const problems = checkEspruinoCompat(source);
      expect(problems.map((p) => `${p.line}:${p.rule}`)).toEqual(['4:use-before-declaration']);
      expect(problems[0]?.message).toContain('config');
    });
    it('follows a call into a function expression held in a variable', () => {
      expect(found('var setup = function () { return config; };\nsetup();\nvar config = {};')).toEqual(['2:use-before-declaration']);
    });
  });

  it('for-let-closure: a function in the body captures the loop variable', () => {
    expectRejected('for-let-closure', 'for (let i = 0; i < 3; i++) {\n  handlers.push(function () { return i; });\n}', 3);
    expectRejected('for-let-closure', 'for (let i = 0; i < 3; i++) setTimeout(() => log(i), 10);');
  });

  it('syntax errors are problems, not exceptions', () => {
    expect(checkEspruinoCompat('var a = 1;\nvar = 2;')).toMatchObject([{ line: 2, rule: 'syntax' }]);
    expect(checkEspruinoCompat('function (')).toMatchObject([{ line: 1, rule: 'syntax' }]);
  });

  it('parses as a module by default and as a script on request', () => {
    expect(found('var x;\ndelete x;')).toEqual(['2:syntax']);
    expect(found('var x;\ndelete x;', 'script')).toEqual([]);
    expect(found('import x from "y";', 'script')).toEqual(['1:syntax']);
  });
});

describe('checkEspruinoCompat: accepted code', () => {
  const accepted: [string, string][] = [
    [
      'ES5',
      `var counter = 0;
function add(a, b) { return a + b; }
var obj = { n: 1, f: function () { return this.n; } };
for (var i = 0; i < 3; i++) { counter = add(counter, i); }
for (var k in obj) { if (obj.hasOwnProperty(k)) counter++; }
var parts = 'a,b'.split(',').map(function (s) { return s.toUpperCase(); });
switch (counter) { case 1: counter = 2; break; default: counter = 0; }
do { counter--; } while (counter > 0);
var re = /^([0-9a-f]+)\\s*(x|y)$/i;
var bytes = new Uint8Array(4); var view = new DataView(bytes.buffer); view.setInt16(0, -2, true);
var json = JSON.stringify({ a: [1, 2] }); var pow = Math.pow(2, 8);
var bound = add.bind(null, 1); var applied = add.apply(null, [1, 2]);`,
    ],
    ['catch without binding', 'try { risky(); } catch { recover(); }'],
    ['catch with a plain binding', 'try { risky(); } catch (e) { log(e.message); }'],
    [
      'classes extending user classes',
      `class Base { constructor(x) { this.x = x; } get double() { return this.x * 2; } static make() { return 1; } }
class Child extends Base { y = 1; static z = 2; constructor() { super(1); } m() { return super.double; } }`,
    ],
    ['template literals', 'var n = 2;\nvar s = `n = ${n}, twice ${n * 2}`;'],
    ['arrow functions', 'var sq = (x) => x * x;\nvar sum = [1, 2].reduce((a, b) => a + b, 0);'],
    ['nullish coalescing', 'function f(a) { return a ?? 0; }'],
    ['let and const, shorthand, methods', 'const a = 1;\nlet b = { a, m() { return a; } };'],
    ['numeric separators and binary/octal literals', 'var big = 1_000_000 + 0b1010 + 0o17;'],
    ['for..of over arrays', 'for (const x of [1, 2, 3]) log(x);'],
    ['a local named Map shadows the global', 'function make() {\n  var Map = function () {};\n  return new Map();\n}'],
    ['a parameter named Set shadows the global', 'function f(Set) { return new Set(); }'],
    ['typeof feature detection of a missing global', "var hasMap = typeof Map !== 'undefined';"],
    ['a polyfilled built-in', 'if (!Math.trunc) Math.trunc = function (x) { return x < 0 ? Math.ceil(x) : Math.floor(x); };\nvar t = Math.trunc(2.5);'],
    ['a polyfilled prototype method', "Object.defineProperty(Array.prototype, 'findLast', { value: function () {} });\n[1].findLast(Boolean);"],
    ['built-ins that exist', 'var a = Math.round(1.5) + Math.log2(8) + Math.sign(-1);\nvar ks = Object.keys({}).concat(Object.entries({}));'],
    ['member names that are not the missing built-ins', 'list.flatten();\nlist.atIndex(1);\nservice.searchFor(q);'],
    ['a `?` and `{` inside a character class', 'var re = /[?{]+[(?:)]/;'],
    ['a backspace \\b inside a character class', 'var re = /a[\\b]c/;'],
    ['an escaped backslash before b', 'var re = /a\\\\b/;'],
    ['escaped braces and a literal brace', 'var re = /\\{2\\}|a{,5}|x{/;'],
    ['capturing groups and alternation', 'var re = /(a|b)+c*d?/gi;'],
    ['a string RegExp without unsupported features', "var re = new RegExp('[{?]' + 'a+', 'gi');"],
    ['\\uXXXX escapes and an escaped backslash before u{', "var s = '\\u0041' + '\\\\u{41}';"],
    ['a function declared before use', 'function start() {}\nstart();'],
    [
      'later declarations used only in deferred code',
      'function a() { return b() + later; }\nsetTimeout(function () { log(later); }, 10);\nfunction b() { return 1; }\nvar later = 2;\na();',
    ],
    ['use inside the declaring statement', 'var ns = ns || {};'],
    ['closures in for (var ...) loops', 'for (var i = 0; i < 3; i++) { handlers.push(function () { return i; }); }'],
    ['for (let ...) without closures', 'var total = 0;\nfor (let i = 0; i < 3; i++) { total += i; }'],
    ['for (let ...) with an immediately invoked function', 'for (let i = 0; i < 3; i++) { (function () { log(i); })(); }'],
    ['named class expression that does not refer to itself', 'var C = class K { m() { return 1; } };'],
    ['named function expression referring to itself', 'var f = function fact(n) { return n ? n * fact(n - 1) : 1; };'],
    ['arguments by index', 'function f() { return arguments[0]; }'],
    ['a local variable named arguments', 'function f() { var arguments = [1]; return arguments.length; }'],
    ['import/export declarations', "import { x } from './x.js';\nexport function f() { return x; }\nexport const y = 1;\nexport { f as g };\nexport default f;"],
    ['an Error thrown, not extended', "function fail() { var e = new Error('bad'); e.code = 1; throw e; }"],
  ];
  it.each(accepted)('%s', (_name, source) => expectAccepted(source, source.includes('var arguments') ? 'script' : 'module'));

  it('checks the content of exported functions', () => {
    expect(found('export function f(a = 1) { return a ** 2; }')).toEqual(['1:default-parameter', '1:exponent']);
  });
});

describe('RULES and formatProblems', () => {
  it('has unique ids with descriptions', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) expect(rule.description.length).toBeGreaterThan(5);
  });

  it('formats one line per problem', () => {
    const problems: CompatProblem[] = checkEspruinoCompat('var a = b ** 2;\nvar m = new Map();');
    expect(formatProblems(problems, 'src/x.js').split('\n')).toEqual([
      'src/x.js:1:9 exponent `**` is not supported; use Math.pow(a, b)',
      expect.stringMatching(/^src\/x\.js:2:13 missing-global Map does not exist in Espruino; /),
    ]);
    expect(formatProblems([], 'x.js')).toBe('');
  });
});

describe('Espruino sandbox', () => {
  it('has no Map: new Map throws a ReferenceError', () => {
    const context = createEspruinoContext();
    expect(runInEspruino('try { new Map(); "created" } catch (e) { e instanceof ReferenceError ? "ReferenceError" : String(e) }', context)).toBe(
      'ReferenceError',
    );
    expect(() => runInEspruino('new Map()', context)).toThrow(/Map is not defined/);
  });

  it('removes the missing globals and built-ins', () => {
    const context = createEspruinoContext();
    const missing = [
      'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'BigInt', 'Proxy', 'Reflect', 'TextEncoder', 'TextDecoder', 'queueMicrotask',
      'setImmediate', 'structuredClone', 'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'Intl', 'WebAssembly',
      'globalThis', 'require', 'process', 'Buffer', 'console', 'module', 'exports',
      'Math.trunc', 'Math.log10', 'Math.hypot', 'Math.cbrt', 'Math.fround', 'Math.clz32', 'Math.imul', 'Number.isInteger',
      'Array.from', 'Array.of', '[].flat', '[].flatMap', '[].at', '[].findLast', 'Promise.race', 'Promise.allSettled',
      'Promise.resolve().finally', 'Object.freeze', 'Object.is', "''.at", "''.codePointAt", "''.trimStart", "''.search", "''.matchAll",
    ];
    for (const expr of missing) expect(runInEspruino(`typeof ${expr}`, context), expr).toBe('undefined');
  });

  it('keeps what Espruino has', () => {
    const context = createEspruinoContext();
    expect(runInEspruino('Math.round(2.5) + Math.floor(-1.5)', context)).toBe(1);
    expect(runInEspruino('var b = new Uint8Array([1, 2, 300]); b[2] + b.length', context)).toBe(47);
    expect(runInEspruino('JSON.stringify(JSON.parse("{\\"a\\":[1,2]}"))', context)).toBe('{"a":[1,2]}');
    expect(runInEspruino('[1, 2, 3].includes(2) && "ab".padStart(3, "x") === "xab" && typeof Promise.all', context)).toBe('function');
    expect(runInEspruino('new DataView(new ArrayBuffer(4)).getInt16(0)', context)).toBe(0);
  });

  it('adds extra globals', () => {
    const lines: unknown[] = [];
    const context = createEspruinoContext({ console: { log: (...args: unknown[]) => lines.push(args) }, answer: 42 });
    runInEspruino('console.log("hi", answer)', context);
    expect(lines).toEqual([['hi', 42]]);
  });

  it('gives each context its own globals', () => {
    const a = createEspruinoContext();
    runInEspruino('var shared = 1;', a);
    expect(runInEspruino('typeof shared', createEspruinoContext())).toBe('undefined');
  });
});

describe('loadEspruinoModule', () => {
  const source = `/* firmware codec */
export function encode(n) {
  return new Uint8Array([n & 0xff, scale(n)]);
}
function scale(n) { return n >> FACTOR; }
export var FACTOR = 1, NAME = 'codec';
export const hasMap = typeof Map;
let version = 3;
class Counter { constructor() { this.n = 0; } inc() { return ++this.n; } }
export {
  version,
  Counter as Tally,
};
export function fail() {
  throw new Error('line 15');
}`;

  it('returns working exports', () => {
    const mod = loadEspruinoModule(source);
    expect(Object.keys(mod).sort()).toEqual(['FACTOR', 'NAME', 'Tally', 'encode', 'fail', 'hasMap', 'version']);
    expect(Array.from((mod.encode as (n: number) => Uint8Array)(0x1234))).toEqual([0x34, 0x1a]);
    expect(mod.NAME).toBe('codec');
    expect(mod.version).toBe(3);
    expect(mod.hasMap).toBe('undefined');
    const Tally = mod.Tally as new () => { inc(): number };
    const tally = new Tally();
    tally.inc();
    expect(tally.inc()).toBe(2);
  });

  it('keeps line numbers for stack traces', () => {
    const mod = loadEspruinoModule(source, {}, 'codec.js');
    expect(() => (mod.fail as () => void)()).toThrow('line 15');
    try {
      (mod.fail as () => void)();
    } catch (error) {
      expect((error as Error).stack).toContain('codec.js:15');
    }
  });

  it('exports classes and let bindings declared with export', () => {
    const mod = loadEspruinoModule('export class Point { constructor(x) { this.x = x; } }\nexport let count = 2;\ncount++;');
    const Point = mod.Point as new (x: number) => { x: number };
    expect(new Point(3).x).toBe(3);
    expect(mod.count).toBe(3);
  });

  it('passes extra globals', () => {
    const mod = loadEspruinoModule('export function get() { return injected * 2; }', { injected: 21 });
    expect((mod.get as () => number)()).toBe(42);
  });

  it.each([
    ["import x from './x.js';\nexport var y = x;", /import/],
    ['export default 1;', /export default/],
    ["export * from './x.js';", /export \*/],
    ["export { a } from './x.js';", /re-export/],
  ])('rejects %s', (src, message) => {
    expect(() => loadEspruinoModule(src)).toThrow(message);
  });
});
