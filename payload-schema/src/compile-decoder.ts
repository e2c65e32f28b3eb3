/**
 * Compiles a message definition into a specialised decoder function (via `new Function`, once per message when
 * the codec is built). Fields at a known bit offset are read with constant byte indexes and shifts; the decoded
 * object is built as one literal of fixed shape. Semantics are those of the generated ES5 decoders, and the
 * golden vectors and a differential fuzz test hold the two to each other: same values, same key order, same
 * error at the same field.
 */
import * as derivedFunctions from './derived-functions.js';
import type { Field, MessageDef, ValueField } from './dsl.ts';
import { PayloadError } from './errors.ts';
import { messageSize, scaledConstants } from './layout.ts';

export type DecoderFunction = (bytes: ArrayLike<number>) => Record<string, unknown>;

const HEX = Array.from({ length: 256 }, (_v, i) => i.toString(16).padStart(2, '0'));

/** Reads n bits at bit position p (MSB first); used where the offset is only known at run time. */
function rd(b: ArrayLike<number>, p: number, n: number): number {
  let v = 0;
  while (n > 0) {
    const a = 8 - (p & 7);
    const t = n < a ? n : a;
    v = v * (1 << t) + ((b[p >> 3]! >> (a - t)) & ((1 << t) - 1));
    p += t;
    n -= t;
  }
  return v;
}

const E = (code: ConstructorParameters<typeof PayloadError>[0], field: string, params: Record<string, string | number> = {}) =>
  new PayloadError(code, field, params);

/** A read at a bit offset known when compiling: constant byte indexes, shifts while the value fits 31 bits. */
function staticRead(o: number, n: number): string {
  const i0 = o >> 3;
  const i1 = (o + n - 1) >> 3;
  const firstBits = 8 - (o & 7);
  const total = firstBits + 8 * (i1 - i0);
  const trailing = total - n;
  const small = total <= 31;
  let expr = firstBits < 8 ? `(b[${i0}] & ${(1 << firstBits) - 1})` : `b[${i0}]`;
  for (let i = i0 + 1; i <= i1; i++) expr = small ? `(${expr} << 8 | b[${i}])` : `(${expr} * 256 + b[${i}])`;
  if (trailing === 0) return expr;
  return small ? `(${expr} >> ${trailing})` : `Math.floor(${expr} / ${2 ** trailing})`;
}

interface Emitter {
  lines: string[];
  /** Constants handed to the compiled function as parameters: k0, k1, ... */
  consts: unknown[];
  /** Bit offset when known at compile time; undefined once a list or optional group has been read. */
  offset: number | undefined;
  variable: boolean;
  next: number;
}

function constant(em: Emitter, value: unknown): string {
  em.consts.push(value);
  return `k${em.consts.length - 1}`;
}

/** Emits the read of n bits into a new local and returns its name. */
function read(em: Emitter, n: number): string {
  const v = `r${em.next++}`;
  if (em.offset !== undefined) {
    if (em.variable) em.lines.push(`if (L < ${em.offset + n}) throw shortError(${em.offset + n}, b.length);`);
    em.lines.push(`const ${v} = ${staticRead(em.offset, n)};`);
    em.offset += n;
  } else {
    em.lines.push(`if (L < p + ${n}) throw shortError(p + ${n}, b.length);`, `const ${v} = rd(b, p, ${n}); p += ${n};`);
  }
  return v;
}

/** Switches to run-time offsets (after a list or an optional group). */
function goDynamic(em: Emitter): void {
  if (em.offset !== undefined) em.lines.push(`p = ${em.offset};`);
  em.offset = undefined;
}

/** Error path of a field: a string literal, or a template using the item index `i` inside lists. */
function pathCode(prefix: string | undefined, name: string): string {
  return prefix === undefined ? JSON.stringify(name) : `${prefix} + ${JSON.stringify(name)}`;
}

/** Emits the decoding of one value field; returns the expression of its value. */
function value(em: Emitter, field: ValueField, prefix: string | undefined): string {
  const path = () => pathCode(prefix, field.name);
  switch (field.kind) {
    case 'uint': {
      const r = read(em, field.bits);
      if (field.min > 0 || field.max < 2 ** field.bits - 1) {
        em.lines.push(`if (${r} < ${field.min} || ${r} > ${field.max}) throw E('OUT_OF_RANGE', ${path()}, { value: ${r}, min: ${field.min}, max: ${field.max} });`);
      }
      return r;
    }
    case 'int': {
      const r = read(em, field.bits);
      const v = `v${em.next++}`;
      em.lines.push(`const ${v} = ${r} >= ${2 ** (field.bits - 1)} ? ${r} - ${2 ** field.bits} : ${r};`);
      em.lines.push(`if (${v} < ${field.min} || ${v} > ${field.max}) throw E('OUT_OF_RANGE', ${path()}, { value: ${v}, min: ${field.min}, max: ${field.max} });`);
      return v;
    }
    case 'scaled': {
      const k = scaledConstants(field);
      const r = read(em, field.bits);
      const v = `v${em.next++}`;
      let expr = k.stepInt === 1 ? r : `${r} * ${k.stepInt}`;
      if (k.minInt !== 0) expr = `${k.minInt} + ${expr}`;
      if (k.scale !== 1) expr = `(${expr}) / ${k.scale}`;
      em.lines.push(`const ${v} = ${r} === ${k.nullRaw} ? null : ${expr};`);
      if (k.maxRaw < k.nullRaw - 1) {
        em.lines.push(`if (${r} > ${k.maxRaw} && ${r} !== ${k.nullRaw}) throw E('OUT_OF_RANGE', ${path()}, { value: ${v}, min: ${field.min}, max: ${field.max} });`);
      }
      return v;
    }
    case 'bool':
      return `${read(em, 1)} === 1`;
    case 'enum': {
      const r = read(em, field.bits);
      const labels = constant(em, field.values);
      if (field.values.length < 2 ** field.bits) {
        em.lines.push(`if (${r} >= ${field.values.length}) throw E('UNKNOWN_ENUM', ${path()}, { value: ${r}, labels: ${JSON.stringify(field.values.join(', '))} });`);
      }
      return `${labels}[${r}]`;
    }
    case 'flags': {
      const r = read(em, field.flags.length);
      const n = field.flags.length;
      return `{ ${field.flags.map((f, i) => `${f}: (${r} >>> ${n - 1 - i} & 1) === 1`).join(', ')} }`;
    }
    case 'bytes': {
      const parts: string[] = [];
      for (let i = 0; i < field.length; i++) parts.push(`HEX[${read(em, 8)}]`);
      return parts.join(' + ');
    }
    case 'list': {
      const count = read(em, field.countBits);
      em.lines.push(
        `if (${count} < ${field.minCount} || ${count} > ${field.maxCount}) throw E('OUT_OF_RANGE', ${path()}, { value: ${count}, min: ${field.minCount}, max: ${field.maxCount} });`,
      );
      goDynamic(em);
      const list = `a${em.next++}`;
      em.lines.push(`const ${list} = [];`, `for (let i = 0; i < ${count}; i++) {`);
      const itemPrefix = `${JSON.stringify(field.name)} + '[' + i + '].'`;
      em.lines.push(`  ${list}.push(${objectLiteral(em, field.item, itemPrefix)});`, '}');
      return list;
    }
  }
}

interface Tree {
  [key: string]: string | Tree;
}

function place(tree: Tree, name: string, expr: string): void {
  const parts = name.split('.');
  const key = parts.pop()!;
  let node = tree;
  for (const part of parts) node = (node[part] ??= {}) as Tree;
  node[key] = expr;
}

function literal(tree: Tree): string {
  return `{ ${Object.entries(tree)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : literal(v)}`)
    .join(', ')} }`;
}

/** Reads fields without optional groups and returns one object literal of their values. */
function objectLiteral(em: Emitter, fields: readonly Field[], prefix: string | undefined): string {
  const tree: Tree = {};
  for (const field of fields) {
    if (field.kind === 'optional') throw new Error('optional groups are handled by assignments');
    const expr = value(em, field, prefix);
    const local = `v${em.next++}`;
    em.lines.push(`const ${local} = ${expr};`);
    place(tree, field.name, local);
  }
  return literal(tree);
}

function compileSource(message: MessageDef, em: Emitter): string {
  const size = messageSize(message);
  const hasGroup = message.fields.some((f) => f.kind === 'optional');
  em.variable = size.fixedBytes === undefined;
  if (size.fixedBytes !== undefined) {
    em.lines.push(`if (b.length !== ${size.fixedBytes}) throw E('WRONG_LENGTH', '', { atLeast: '', expected: ${size.fixedBytes}, actual: b.length });`);
  } else {
    em.lines.push('const L = b.length * 8;', 'let p = 0;');
  }
  const derived = (obj: string): void => {
    for (const d of message.derived) {
      const fn = constant(em, derivedFunctions[d.fn]);
      const args = d.args.map((a) => `num(${obj}${a.split('.').map((part) => `?.${part}`).join('')})`).join(', ');
      const parts = d.name.split('.');
      const key = parts.pop()!;
      let target = obj;
      for (const part of parts) {
        em.lines.push(`if (${target}.${part} === undefined) ${target}.${part} = {};`);
        target += `.${part}`;
      }
      em.lines.push(`${target}.${key} = ${fn}(${args});`);
    }
  };
  const finish = (): void => {
    if (em.variable) {
      const used = em.offset !== undefined ? String(Math.ceil(em.offset / 8)) : '(p + 7) >> 3';
      em.lines.push(`if (b.length !== ${used}) throw E('WRONG_LENGTH', '', { atLeast: '', expected: ${used}, actual: b.length });`);
    }
  };
  if (!hasGroup) {
    const obj = objectLiteral(em, message.fields, undefined);
    finish();
    em.lines.push(`const o = ${obj};`);
  } else {
    em.lines.push('const o = {};');
    for (const field of message.fields) {
      const members = field.kind === 'optional' ? field.fields : [field];
      const pr = field.kind === 'optional' ? read(em, members.length) : undefined;
      if (pr) goDynamic(em);
      members.forEach((member, i) => {
        if (pr) em.lines.push(`if ((${pr} >>> ${members.length - 1 - i}) & 1) {`);
        const expr = value(em, member, undefined);
        const parts = member.name.split('.');
        const key = parts.pop()!;
        let target = 'o';
        for (const part of parts) {
          em.lines.push(`if (${target}.${part} === undefined) ${target}.${part} = {};`);
          target += `.${part}`;
        }
        em.lines.push(`${target}.${key} = ${expr};`);
        if (pr) em.lines.push('}');
      });
    }
    finish();
  }
  derived('o');
  em.lines.push('return o;');
  return em.lines.join('\n');
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function compileDecoder(message: MessageDef): DecoderFunction {
  const em: Emitter = { lines: [], consts: [], offset: 0, variable: false, next: 0 };
  const body = compileSource(message, em);
  const names = em.consts.map((_c, i) => `k${i}`);
  const factory = new Function('E', 'rd', 'HEX', 'num', 'shortError', ...names, `
    return function decode_${message.name}(b) {
      ${body}
    };`) as (...args: unknown[]) => DecoderFunction;
  const shortError = (bits: number, length: number) =>
    E('WRONG_LENGTH', '', { atLeast: 'at least ', expected: Math.ceil(bits / 8), actual: length });
  return factory(E, rd, HEX, num, shortError, ...em.consts);
}
