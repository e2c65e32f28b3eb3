/**
 * Emits the ECMAScript 5.1 codec used by the TTN/ChirpStack formatter and the firmware-side module: the table
 * interpreter (es5-runtime.ts), then one layout table per message and a small encoder and decoder per message that
 * hand their table to it. Both targets are checked against the golden vectors and fuzzed against the TypeScript codec.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'acorn';
import type { Field, MessageDef, OptionalGroup, ValueField } from '../dsl.ts';
import { messageSize, scaledConstants } from '../layout.ts';
import { es5Runtime, type ByteTarget, type ErrorStyle } from './es5-runtime.ts';

const lit = (value: unknown): string => JSON.stringify(value);

export function pascal(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}

export const encoderName = (m: MessageDef): string => `encode${pascal(m.name)}`;
export const decoderName = (m: MessageDef): string => `decode${pascal(m.name)}`;
const layoutName = (m: MessageDef): string => `${m.name}Layout`;
const derivedName = (m: MessageDef): string => `${m.name}Derived`;

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

// ---------------------------------------------------------------------------------------------- tables

/**
 * The descriptor of a value field: [KIND, name, constants...] as es5-runtime.ts documents each kind. A scaled field's
 * min and max only go into error texts, so the 'codes' error style leaves them out.
 */
function descriptor(field: ValueField, indent: string, style: ErrorStyle): string {
  const name = lit(field.name);
  switch (field.kind) {
    case 'uint':
      return `[${field.wraps ? 'COUNTER' : 'UINT'}, ${name}, ${field.bits}, ${field.min}, ${field.max}]`;
    case 'int':
      return `[INT, ${name}, ${field.bits}, ${field.min}, ${field.max}]`;
    case 'scaled': {
      const k = scaledConstants(field);
      const range = style === 'text' ? `, ${lit(field.min)}, ${lit(field.max)}` : '';
      return `[SCALED, ${name}, ${field.bits}, ${k.minInt}, ${k.stepInt}, ${k.scale}, ${k.maxRaw}${range}]`;
    }
    case 'bool':
      return `[BOOL, ${name}]`;
    case 'enum':
      return `[ENUM, ${name}, ${field.bits}, ${lit(field.values)}]`;
    case 'flags':
      return `[FLAGS, ${name}, ${lit(field.flags)}]`;
    case 'bytes':
      return `[BYTES, ${name}, ${field.length}]`;
    case 'list':
      return `[LIST, ${name}, ${field.countBits}, ${field.minCount}, ${field.maxCount}, ${fieldList(field.item, indent, style)}]`;
  }
}

/** A bracketed list of descriptors, one per line. */
function block(items: readonly string[], indent: string): string {
  return `[\n${items.map((item) => `${indent}  ${item}`).join(',\n')}\n${indent}]`;
}

function fieldList(fields: readonly Field[], indent: string, style: ErrorStyle): string {
  return block(
    fields.map((field) => {
      if (field.kind === 'optional') throw new Error('optional groups are emitted by groupDescriptor');
      return descriptor(field, `${indent}  `, style);
    }),
    indent,
  );
}

/**
 * Optional groups whose members start with all members of an earlier group (the settings a configuration report
 * and a configuration downlink share) refer to that group's member table instead of repeating it.
 */
interface SharedGroup {
  /** The group whose members the table holds; its layout defines the variable. */
  owner: OptionalGroup;
  variable: string;
  members: string[];
  users: MessageDef[];
}

function findSharedGroups(messages: readonly MessageDef[], style: ErrorStyle): Map<OptionalGroup, SharedGroup> {
  const candidates: SharedGroup[] = [];
  const out = new Map<OptionalGroup, SharedGroup>();
  for (const m of messages) {
    const groups = m.fields.filter((f): f is OptionalGroup => f.kind === 'optional');
    groups.forEach((group, index) => {
      const members = group.fields.map((f) => descriptor(f, '  ', style));
      const earlier = candidates.find(
        (c) => c.members.length >= 2 && c.members.length <= members.length && c.members.every((text, i) => text === members[i]),
      );
      if (earlier) {
        earlier.users.push(m);
        out.set(earlier.owner, earlier);
        out.set(group, earlier);
      } else {
        candidates.push({ owner: group, variable: `${m.name}Group${groups.length > 1 ? index + 1 : ''}`, members, users: [] });
      }
    });
  }
  return out;
}

/**
 * How tables are held. The formatter keeps them in variables. The firmware module wraps each in a function that
 * builds it when an encoder or decoder runs: on Espruino a table kept in a variable would hold hundreds of RAM
 * blocks for good, while the function text can stay in flash.
 */
interface TableStyle {
  define(name: string, literal: string): string;
  use(name: string): string;
}

const VARIABLES: TableStyle = {
  define: (name, literal) => `var ${name} = ${literal};`,
  use: (name) => name,
};

const BUILDERS: TableStyle = {
  define: (name, literal) => `function ${name}() {\n  return ${literal.replace(/\n/g, '\n  ')};\n}`,
  use: (name) => `${name}()`,
};

function groupDescriptor(group: OptionalGroup, shared: SharedGroup | undefined, style: TableStyle, indent: string, errors: ErrorStyle): string {
  if (!shared) return `[OPTIONAL, ${fieldList(group.fields, indent, errors)}]`;
  const rest = group.fields.slice(shared.members.length);
  const members = style.use(shared.variable);
  return rest.length ? `[OPTIONAL, ${members}, ${fieldList(rest, indent, errors)}]` : `[OPTIONAL, ${members}]`;
}

function emitLayout(m: MessageDef, groups: Map<OptionalGroup, SharedGroup>, style: TableStyle, errors: ErrorStyle): string {
  const size = messageSize(m);
  const before: string[] = [];
  const fields = m.fields.map((field) => {
    if (field.kind !== 'optional') return descriptor(field, '    ', errors);
    const shared = groups.get(field);
    if (shared?.owner === field) {
      const users = shared.users.map((u) => `${u.name} (FPort ${u.port})`).join(', ');
      before.push(`/* Optional fields of ${m.name}, shared with ${users}. */\n${style.define(shared.variable, block(shared.members, ''))}`);
    }
    return groupDescriptor(field, shared, style, '    ', errors);
  });
  const bytes =
    size.fixedBytes !== undefined ? `${size.fixedBytes} bytes` : `${size.minBytes}-${size.maxBytes} bytes`;
  const props = [`  maxBytes: ${size.maxBytes}`];
  if (size.fixedBytes !== undefined) props.push(`  fixedBytes: ${size.fixedBytes}`);
  props.push(`  fields: ${block(fields, '  ')}`);
  const derived = m.derived.map((d) => `[${[d.fn, lit(d.name), ...d.args.map(lit)].join(', ')}]`);
  return [
    ...before,
    `/* FPort ${m.port}: ${m.name} (${m.direction}), ${bytes}. */`,
    style.define(layoutName(m), `{\n${props.join(',\n')}\n}`),
    ...(derived.length ? [style.define(derivedName(m), block(derived, ''))] : []),
  ].join('\n');
}

function emitFunctions(m: MessageDef, style: TableStyle, checkFieldNames: boolean): string {
  const layout = style.use(layoutName(m));
  const derived = m.derived.length ? style.use(derivedName(m)) : undefined;
  const names = derived && checkFieldNames ? `, ${derived}` : '';
  const decoded = `unpack(${layout}, bytes)`;
  return [
    `function ${encoderName(m)}(o) {\n  return pack(${layout}, o${names});\n}`,
    `function ${decoderName(m)}(bytes) {\n  return ${derived ? `derive(${decoded}, ${derived})` : decoded};\n}`,
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
  /** Default 'text'. */
  errors?: ErrorStyle;
}

/**
 * Runtime, derived functions, a layout table per message, an encoder and decoder per message, and `MESSAGES`
 * (port -> name, direction, encoder, decoder) — in that order, since Espruino does not hoist.
 */
export function emitEs5Codec(messages: readonly MessageDef[], options: Es5CodecOptions): string {
  const derived = derivedFunctionSources();
  const used = [...new Set(messages.flatMap((m) => m.derived.map((d) => d.fn)))];
  const errors = options.errors ?? 'text';
  const parts = [es5Runtime(options.target, options.checkFieldNames, errors)];
  for (const fn of used) {
    const source = derived.get(fn);
    if (!source) throw new Error(`derived function ${fn} is missing from derived-functions.js`);
    parts.push(source);
  }
  const groups = findSharedGroups(messages, errors);
  const style = options.target === 'uint8array' ? BUILDERS : VARIABLES;
  for (const m of messages) parts.push(emitLayout(m, groups, style, errors));
  parts.push(messages.map((m) => emitFunctions(m, style, options.checkFieldNames)).join('\n'));
  const table = messages
    .map(
      (m) =>
        `  ${lit(String(m.port))}: { name: ${lit(m.name)}, direction: ${lit(m.direction)}, encode: ${encoderName(m)}, decode: ${decoderName(m)} }`,
    )
    .join(',\n');
  parts.push(`var MESSAGES = {\n${table}\n};`);
  return parts.join('\n\n');
}
