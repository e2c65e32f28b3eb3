import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { checkEspruinoCompat, type RuleId } from '../../tools/espruino-compat/check.ts';
import { lowerForEspruino } from '../../tools/firmware-build/lower.ts';
import { espruinoPostPass } from '../../tools/firmware-build/post-pass.ts';

const rules = (code: string): RuleId[] => checkEspruinoCompat(code, { sourceType: 'script' }).map((p) => p.rule);

/** What a script prints in a plain Node context (the post-pass must not change what the code does). */
function printed(code: string): string[] {
  const lines: string[] = [];
  vm.runInNewContext(code, { console: { log: (...values: unknown[]) => lines.push(values.join(' ')) } });
  return lines;
}

function topLevelTypes(code: string): string[] {
  return acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }).body.map((s) => s.type);
}

describe('espruinoPostPass: hoisting', () => {
  it('moves function declarations above the code that calls them', () => {
    const source = 'var total = add(1, 2);\nconsole.log(total);\nfunction add(a, b) { return a + b; }\n';
    expect(rules(source)).toContain('use-before-declaration');
    const out = espruinoPostPass(source);
    expect(topLevelTypes(out)[0]).toBe('FunctionDeclaration');
    expect(rules(out)).toEqual([]);
    expect(printed(out)).toEqual(printed(source));
  });

  it('declares early a var that a hoisted function reads, and one declared in a nested block', () => {
    const source = [
      'console.log(describe());',
      'function describe() { return "unit " + unit; }',
      'var unit = "cm";',
      'function pick(flag) { if (flag) { var chosen = 1; } return chosen; }',
      'console.log(describe(), pick(false), pick(true));',
    ].join('\n');
    const out = espruinoPostPass(source);
    expect(out.startsWith('var unit;')).toBe(true);
    expect(out).toMatch(/function pick\(flag\) \{\s*var chosen;\s*if/);
    expect(printed(out)).toEqual(printed(source));
  });

  it('declares no var again that is only used after its declaration inside the block or loop that declares it', () => {
    const source = [
      'function sum(list) { var total = 0; for (var i = 0; i < list.length; i++) { var item = list[i]; total += item; } return total + i * 0; }',
      'function firstBig(list) { for (var k in list) { if (list[k] > 2) { var found = list[k]; return found; } } return -1; }',
      'console.log(sum([1, 2, 3]), firstBig([1, 5]), firstBig([]));',
    ].join('\n');
    const out = espruinoPostPass(source);
    expect(out).toBe(source);
    expect(rules(out)).toEqual([]);
    expect(printed(out)).toEqual(['6 5 -1']);
  });

  it('still declares early a var used outside its block, or by code before it in a loop', () => {
    const source = [
      'function last(list) { for (var k in list) { var seen = list[k]; } return seen; }',
      'function again(n) { var out = []; while (n-- > 0) { if (n < 1) out.push(prev); var prev = n; } return out.join(); }',
      'console.log(last([]), last([4]), again(3));',
    ].join('\n');
    const out = espruinoPostPass(source);
    expect(out).toMatch(/function last\(list\) \{\s*var seen;/);
    expect(out).toMatch(/function again\(n\) \{\s*var prev;/);
    expect(printed(out)).toEqual(printed(source));
  });

  it('joins moved statements without line breaks in compact mode', () => {
    const source = 'var a=f();function f(){return g()}function g(){return 1}console.log(a);';
    const out = espruinoPostPass(source, { compact: true });
    expect(out).toBe('function f(){return g()}function g(){return 1}var a=f();console.log(a);');
    expect(printed(out)).toEqual(['1']);
  });

  it('leaves code that needs no change byte for byte', () => {
    const source = 'function a() { return 1; }\nvar b = a();\nconsole.log(b, `value ${b}`);\n';
    expect(espruinoPostPass(source)).toBe(source);
  });
});

describe('espruinoPostPass: named class expressions', () => {
  it('drops an unused name', () => {
    const out = espruinoPostPass('var A = class Unused { m() { return 1; } };\nconsole.log(new A().m());\n');
    expect(out).not.toContain('Unused');
    expect(printed(out)).toEqual(['1']);
  });

  it('renames references to the class name to the constant it is assigned to', () => {
    const source = 'const Point = class P { static origin() { return new P(0); } constructor(x) { this.x = x; } };\nconsole.log(Point.origin().x);\n';
    expect(rules(source)).toContain('class-expression-self-reference');
    const out = espruinoPostPass(source);
    expect(out).toContain('return new Point(0)');
    expect(rules(out)).toEqual([]);
    expect(printed(out)).toEqual(['0']);
  });

  it('turns a self-referencing class expression that is not assigned into a returned class declaration', () => {
    const source = 'console.log(class K { static make() { return new K(); } get name() { return "k"; } }.make().name);\n';
    const out = espruinoPostPass(source);
    expect(out).toContain('(function(){class K {');
    expect(rules(out)).toEqual([]);
    expect(printed(out)).toEqual(['k']);
  });
});

describe('espruinoPostPass: template literals', () => {
  it('keeps simple templates', () => {
    const source = 'var port = 1, hex = "AB";\nconsole.log(`AT+SEND=${port}:${hex.toLowerCase()}`);\n';
    expect(espruinoPostPass(source)).toBe(source);
  });

  it('rewrites templates Espruino would split or re-parse wrongly as concatenation', () => {
    // [source, template literals left afterwards]
    const cases: [string, number][] = [
      ['console.log(`braces ${JSON.stringify({ a: "}" })} end`);', 0],
      ['console.log(`nested ${`inner ${1 + 1}`}`);', 1],
      ['console.log(`escape ${"a\\tb".length}`);', 0],
      ['console.log(`fn ${[1, 2].map(function (n) { return n * 2; }).join()}`);', 0],
      ['console.log(`${/x{2}/.test("xx")} \u00e9`);', 0],
    ];
    for (const [source, left] of cases) {
      const out = espruinoPostPass(source);
      let templates = 0;
      walk.simple(acorn.parse(out, { ecmaVersion: 'latest' }), { TemplateLiteral: () => templates++ });
      expect(templates, `${source} -> ${out}`).toBe(left);
      expect(out, source).toMatch(/^[\x20-\x7e\n]*$/);
      expect(printed(out), source).toEqual(printed(source));
    }
  });
});

describe('espruinoPostPass: characters', () => {
  it('writes non-ASCII characters as \\u escapes in strings, templates and comments', () => {
    const source = '// 5 °C\nvar unit = "°C", label = `Temperatur in ${unit} über Null`;\nconsole.log(unit.length, label);\n';
    const out = espruinoPostPass(source);
    expect(out).not.toMatch(/[\u0080-\uffff]/);
    expect(out).toContain('"\\u00b0C"');
    expect(printed(out)).toEqual(printed(source));
  });
});

describe('lowerForEspruino', () => {
  it('lowers rest parameters without arguments.length, also in arrow functions', async () => {
    const source = 'function f(a, ...rest) { return rest.length; }\nvar g = (...all) => all.join("-");\nconsole.log(f(1, 2, 3), g(1, 2));\n';
    const out = await lowerForEspruino(source);
    expect(out).not.toMatch(/\.\.\.|arguments\.length/);
    expect(rules(out)).toEqual([]);
    expect(printed(out)).toEqual(['2 1-2']);
  });

  it('keeps classes, arrows, template literals, let/const and ?? native', async () => {
    const source = 'class A { m() { return 1; } }\nconst f = (x) => x ?? `d`;\nlet v = f(null);\nconsole.log(new A().m(), v);\n';
    const out = await lowerForEspruino(source);
    expect(out).toMatch(/class A/);
    expect(out).toMatch(/=>/);
    expect(out).toMatch(/`d`/);
    expect(out).toMatch(/\?\?/);
    expect(out).toMatch(/^let v/m);
    expect(printed(out)).toEqual(['1 d']);
  });
});
