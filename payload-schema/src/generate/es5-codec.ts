/**
 * Emits specialised ECMAScript 5.1 encoders and decoders, one pair per message, from the definitions.
 * Used by the TTN/ChirpStack formatter and the firmware-side module; both are checked against the golden vectors.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'acorn';
import type { Field, MessageDef, ValueField } from '../dsl.ts';
import { messageSize, scaledConstants } from '../layout.ts';
import { es5Runtime, type ByteTarget } from './es5-runtime.ts';

const lit = (value: unknown): string => JSON.stringify(value);

export function pascal(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}

export const encoderName = (m: MessageDef): string => `encode${pascal(m.name)}`;
export const decoderName = (m: MessageDef): string => `decode${pascal(m.name)}`;

/** The text of each function in derived-functions.js, without its `export` keyword. */
export function derivedFunctionSources(): Map<string, string> {
  const url = new URL('../derived-functions.js', import.meta.url);
  const source = readFileSync(url, 'utf8');
  const program = parse(source, { ecmaVersion: 2020, sourceType: 'module' });
  const out = new Map<string, string>();
  for (const node of program.body) {
    if (node.type === 'ExportNamedDeclaration' && node.declaration?.type === 'FunctionDeclaration') {
      const fn = node.declaration;
      out.set(fn.id.name, source.slice(fn.start, fn.end));
    }
  }
  return out;
}

function split(name: string): { parents: string[]; key: string } {
  const parts = name.split('.');
  return { key: parts.pop()!, parents: parts };
}

/** JS expression for the error path of a field: a literal at top level, `pre + 'name'` inside list items. */
function pathExpr(prefix: string | undefined, name: string): string {
  return prefix === undefined ? lit(name) : `${prefix} + ${lit(name)}`;
}

// ---------------------------------------------------------------------------------------------- decoders

function readExpr(field: ValueField, path: string): string {
  switch (field.kind) {
    case 'uint':
      return `rU(r, ${field.bits}, ${field.min}, ${field.max}, ${path})`;
    case 'int':
      return `rI(r, ${field.bits}, ${field.min}, ${field.max}, ${path})`;
    case 'scaled': {
      const k = scaledConstants(field);
      return `rS(r, ${field.bits}, ${k.minInt}, ${k.stepInt}, ${k.scale}, ${k.maxRaw}, ${lit(field.min)}, ${lit(field.max)}, ${path})`;
    }
    case 'bool':
      return 'rd(r, 1) === 1';
    case 'enum':
      return `rE(r, ${field.bits}, ${lit(field.values)}, ${path})`;
    case 'flags':
      return `rF(r, ${lit(field.flags)})`;
    case 'bytes':
      return `rX(r, ${field.length})`;
    case 'list':
      throw new Error('lists are emitted as statements');
  }
}

/** Statements that decode `fields` into the object variable `obj`; `prefix` is a JS expression for item paths. */
function decodeStatements(fields: readonly Field[], obj: string, prefix: string | undefined, indent: string): string[] {
  const out: string[] = [];
  const assign = (field: ValueField, expr: string, ind: string): void => {
    const { parents, key } = split(field.name);
    let target = obj;
    for (const parent of parents) {
      target += `.${parent}`;
      out.push(`${ind}if (${target} === undefined) ${target} = {};`);
    }
    out.push(`${ind}${target}.${key} = ${expr};`);
  };
  for (const field of fields) {
    if (field.kind === 'optional') {
      const n = field.fields.length;
      out.push(`${indent}pr = rd(r, ${n});`);
      field.fields.forEach((member, i) => {
        out.push(`${indent}if ((pr >>> ${n - 1 - i}) & 1) {`);
        if (member.kind === 'list') throw new Error('lists inside optional groups are not supported');
        assign(member, readExpr(member, pathExpr(prefix, member.name)), `${indent}  `);
        out.push(`${indent}}`);
      });
    } else if (field.kind === 'list') {
      const path = pathExpr(prefix, field.name);
      out.push(`${indent}n = rL(r, ${field.countBits}, ${field.minCount}, ${field.maxCount}, ${path});`);
      out.push(`${indent}a = [];`);
      out.push(`${indent}for (i = 0; i < n; i++) {`);
      out.push(`${indent}  it = {};`);
      out.push(`${indent}  pre = ${path} + '[' + i + '].';`);
      out.push(...decodeStatements(field.item, 'it', 'pre', `${indent}  `));
      out.push(`${indent}  a.push(it);`);
      out.push(`${indent}}`);
      assign(field, 'a', indent);
    } else {
      assign(field, readExpr(field, pathExpr(prefix, field.name)), indent);
    }
  }
  return out;
}

function emitDecoder(m: MessageDef): string {
  const size = messageSize(m);
  const lines = [`function ${decoderName(m)}(bytes) {`, '  var r = { b: bytes, p: 0 }, o = {}, pr, n, a, i, it, pre;', '  cb(bytes);'];
  if (size.fixedBytes !== undefined) lines.push(`  len(bytes, ${size.fixedBytes});`);
  lines.push(...decodeStatements(m.fields, 'o', undefined, '  '));
  lines.push('  end(r);');
  for (const d of m.derived) {
    const { parents, key } = split(d.name);
    let target = 'o';
    for (const parent of parents) {
      target += `.${parent}`;
      lines.push(`  if (${target} === undefined) ${target} = {};`);
    }
    const args = d.args.map((a) => `dv(o, ${lit(a.split('.'))})`).join(', ');
    lines.push(`  ${target}.${key} = ${d.fn}(${args});`);
  }
  lines.push('  return o;', '}');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- encoders

function writeStatement(field: ValueField, value: string, path: string): string {
  switch (field.kind) {
    case 'uint':
      return field.wraps
        ? `wW(w, ${value}, ${field.bits}, ${path});`
        : `wU(w, ${value}, ${field.bits}, ${field.min}, ${field.max}, ${path});`;
    case 'int':
      return `wI(w, ${value}, ${field.bits}, ${field.min}, ${field.max}, ${path});`;
    case 'scaled': {
      const k = scaledConstants(field);
      return `wS(w, ${value}, ${field.bits}, ${k.minInt}, ${k.stepInt}, ${k.scale}, ${k.maxRaw}, ${lit(field.min)}, ${lit(field.max)}, ${path});`;
    }
    case 'bool':
      return `wB(w, ${value}, ${path});`;
    case 'enum':
      return `wE(w, ${value}, ${field.bits}, ${lit(field.values)}, ${path});`;
    case 'flags':
      return `wF(w, ${value}, ${lit(field.flags)}, ${path});`;
    case 'bytes':
      return `wX(w, ${value}, ${field.length}, ${path});`;
    case 'list':
      throw new Error('lists are emitted as statements');
  }
}

function getExpr(obj: string, name: string): string {
  const { parents, key } = split(name);
  return `gv(${obj}, ${lit(parents)}, ${lit(key)})`;
}

function encodeStatements(fields: readonly Field[], obj: string, prefix: string | undefined, indent: string): string[] {
  const out: string[] = [];
  for (const field of fields) {
    if (field.kind === 'optional') {
      out.push(`${indent}g = [${field.fields.map((f) => getExpr(obj, f.name)).join(', ')}];`);
      out.push(`${indent}for (i = 0; i < g.length; i++) wr(w, g[i] !== undefined ? 1 : 0, 1);`);
      field.fields.forEach((member, i) => {
        out.push(`${indent}if (g[${i}] !== undefined) ${writeStatement(member, `g[${i}]`, pathExpr(prefix, member.name))}`);
      });
    } else if (field.kind === 'list') {
      const path = pathExpr(prefix, field.name);
      out.push(`${indent}a = ${getExpr(obj, field.name)};`);
      out.push(`${indent}wL(w, a, ${field.countBits}, ${field.minCount}, ${field.maxCount}, ${path});`);
      out.push(`${indent}for (i = 0; i < a.length; i++) {`);
      out.push(`${indent}  pre = ${path} + '[' + i + ']';`);
      out.push(`${indent}  co(a[i], pre);`);
      out.push(`${indent}  pre += '.';`);
      out.push(...encodeStatements(field.item, 'a[i]', 'pre', `${indent}  `));
      out.push(`${indent}}`);
    } else {
      out.push(`${indent}${writeStatement(field, getExpr(obj, field.name), pathExpr(prefix, field.name))}`);
    }
  }
  return out;
}

/** Allowed input keys: 1 for a value, an object for a nested path, [object] for list items. */
type KeyTree = { [key: string]: 1 | KeyTree | [KeyTree] };

function keyTree(fields: readonly Field[], extra: readonly string[] = []): KeyTree {
  const tree: KeyTree = {};
  const put = (name: string, value: 1 | [KeyTree]): void => {
    const { parents, key } = split(name);
    let node = tree;
    for (const parent of parents) node = (node[parent] ??= {}) as KeyTree;
    node[key] = value;
  };
  for (const field of fields) {
    const members = field.kind === 'optional' ? field.fields : [field];
    for (const f of members) put(f.name, f.kind === 'list' ? [keyTree(f.item)] : 1);
  }
  for (const name of extra) put(name, 1);
  return tree;
}

function emitEncoder(m: MessageDef, checkFieldNames: boolean): string {
  const size = messageSize(m);
  const keys = keyTree(
    m.fields,
    m.derived.map((d) => d.name),
  );
  return [
    `function ${encoderName(m)}(o) {`,
    '  var w, g, a, i, pre;',
    "  co(o, '');",
    ...(checkFieldNames ? [`  ck(o, ${lit(keys)}, '');`] : []),
    `  w = nw(${size.maxBytes});`,
    ...encodeStatements(m.fields, 'o', undefined, '  '),
    '  return fin(w);',
    '}',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------- assembly

export interface Es5CodecOptions {
  target: ByteTarget;
  /**
   * Refuse unknown (misspelt) input fields. The formatter must: its downlink data comes from people. The firmware
   * module leaves it out to save flash, since TypeScript checks the firmware's field names against payload.d.ts.
   */
  checkFieldNames: boolean;
}

/**
 * Runtime, derived functions, one encoder and decoder per message, and `MESSAGES` (port -> name, direction,
 * encoder, decoder) — in that order, since Espruino does not hoist.
 */
export function emitEs5Codec(messages: readonly MessageDef[], options: Es5CodecOptions): string {
  const derived = derivedFunctionSources();
  const used = [...new Set(messages.flatMap((m) => m.derived.map((d) => d.fn)))];
  const parts = [es5Runtime(options.target)];
  for (const fn of used) {
    const source = derived.get(fn);
    if (!source) throw new Error(`derived function ${fn} is missing from derived-functions.js`);
    parts.push(source);
  }
  for (const m of messages) parts.push(emitEncoder(m, options.checkFieldNames), emitDecoder(m));
  const table = messages
    .map(
      (m) =>
        `  ${lit(String(m.port))}: { name: ${lit(m.name)}, direction: ${lit(m.direction)}, encode: ${encoderName(m)}, decode: ${decoderName(m)} }`,
    )
    .join(',\n');
  parts.push(`var MESSAGES = {\n${table}\n};`);
  return parts.join('\n\n');
}
