/**
 * The TypeScript codec. `decode` runs a decoder compiled from the definition (compile-decoder.ts) and never throws
 * for any input: it returns the decoded object or a typed PayloadError naming the field. `encode` interprets the
 * definition and validates every value before writing a bit.
 */
import { BitWriter } from './bits.ts';
import { catalog } from './catalog/index.ts';
import { compileDecoder, type DecoderFunction } from './compile-decoder.ts';
import type { Field, MessageDef, ValueField } from './dsl.ts';
import { describeValue, PayloadError, typeName } from './errors.ts';
import { messageSize, scaledConstants, type MessageSize, type ScaledConstants } from './layout.ts';
import { validateCatalog } from './validate.ts';

export type DecodedValue = number | string | boolean | null | DecodedObject | DecodedObject[];
export interface DecodedObject {
  [key: string]: DecodedValue;
}

export type DecodeResult =
  | { ok: true; port: number; message: MessageDef; data: DecodedObject }
  | { ok: false; port: number; error: PayloadError };

export type EncodeResult =
  | { ok: true; port: number; message: MessageDef; bytes: Uint8Array }
  | { ok: false; port: number; error: PayloadError };

/** A field with its path split and its constants computed once. */
type Compiled =
  | { field: Exclude<ValueField, { kind: 'scaled' | 'list' }>; parents: string[]; key: string }
  | { field: Extract<ValueField, { kind: 'scaled' }>; parents: string[]; key: string; k: ScaledConstants }
  | { field: Extract<ValueField, { kind: 'list' }>; parents: string[]; key: string; item: CompiledList }
  | { field: Extract<Field, { kind: 'optional' }>; members: Compiled[] };

interface CompiledList {
  fields: Compiled[];
  keys: KeyTree;
}

/** Allowed keys of an input object: nested objects as subtrees, lists as `{ list }`. */
type KeyTree = { [key: string]: KeyTree | true | { list: KeyTree } };

interface Plan {
  message: MessageDef;
  size: MessageSize;
  fields: Compiled[];
  keys: KeyTree;
  decode: DecoderFunction;
}

const own = Object.prototype.hasOwnProperty;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function splitPath(name: string): { parents: string[]; key: string } {
  const parts = name.split('.');
  return { key: parts.pop()!, parents: parts };
}

function compileFields(fields: readonly Field[], keys: KeyTree): Compiled[] {
  return fields.map((field): Compiled => {
    if (field.kind === 'optional') return { field, members: compileFields(field.fields, keys) };
    const { parents, key } = splitPath(field.name);
    let node = keys;
    for (const parent of parents) node = (node[parent] ??= Object.create(null) as KeyTree) as KeyTree;
    if (field.kind === 'list') {
      const itemKeys = Object.create(null) as KeyTree;
      node[key] = { list: itemKeys };
      return { field, parents, key, item: { fields: compileFields(field.item, itemKeys), keys: itemKeys } };
    }
    node[key] = true;
    if (field.kind === 'scaled') return { field, parents, key, k: scaledConstants(field) };
    return { field, parents, key } as Compiled;
  });
}

function compile(message: MessageDef): Plan {
  const keys = Object.create(null) as KeyTree;
  const fields = compileFields(message.fields, keys);
  for (const def of message.derived) {
    const { parents, key } = splitPath(def.name);
    let node = keys;
    for (const parent of parents) node = (node[parent] ??= Object.create(null) as KeyTree) as KeyTree;
    node[key] = true; // derived values may be present in input (a decoded object re-encoded) and are ignored
  }
  return { message, size: messageSize(message), fields, keys, decode: compileDecoder(message) };
}

// ---------------------------------------------------------------------------------------------- decoding

function decodeWith(plan: Plan, port: number, bytes: ArrayLike<number>): DecodeResult {
  try {
    return { ok: true, port, message: plan.message, data: plan.decode(bytes) as DecodedObject };
  } catch (error) {
    if (error instanceof PayloadError) return { ok: false, port, error };
    throw error;
  }
}

function isByteArray(bytes: unknown): bytes is ArrayLike<number> {
  if (bytes instanceof Uint8Array) return true;
  if (!Array.isArray(bytes)) return false;
  for (const b of bytes) if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------- encoding

function get(obj: Record<string, unknown>, parents: string[], key: string): unknown {
  let node: unknown = obj;
  for (const part of parents) {
    if (!isPlainObject(node) || !own.call(node, part)) return undefined;
    node = node[part];
  }
  return isPlainObject(node) && own.call(node, key) ? node[key] : undefined;
}

function checkKeys(obj: Record<string, unknown>, keys: KeyTree, prefix: string): void {
  for (const key of Object.keys(obj)) {
    const node = keys[key];
    if (node === undefined) throw new PayloadError('UNKNOWN_FIELD', prefix + key);
    const value = obj[key];
    if (node === true) continue;
    if ('list' in node && typeof node.list === 'object') {
      if (!Array.isArray(value)) continue; // reported as WRONG_TYPE by the encoder
      value.forEach((item, i) => {
        if (isPlainObject(item)) checkKeys(item, node.list as KeyTree, `${prefix}${key}[${i}].`);
      });
    } else if (isPlainObject(value)) {
      checkKeys(value, node as KeyTree, `${prefix}${key}.`);
    }
  }
}

function requireNumber(value: unknown, path: string, nullable: boolean): number | null {
  if (value === undefined) throw new PayloadError('MISSING_FIELD', path);
  if (value === null && nullable) return null;
  if (typeof value !== 'number') {
    throw new PayloadError('WRONG_TYPE', path, { expected: nullable ? 'a number or null' : 'a number', actual: typeName(value) });
  }
  if (!Number.isFinite(value)) throw new PayloadError('NOT_FINITE', path, { value: String(value) });
  return value;
}

function requireInteger(value: unknown, path: string, min: number, max: number): number {
  const n = requireNumber(value, path, false)!;
  if (!Number.isInteger(n)) throw new PayloadError('NOT_INTEGER', path, { value: n });
  if (n < min || n > max) throw new PayloadError('OUT_OF_RANGE', path, { value: n, min, max });
  return n;
}

function encodeFields(fields: Compiled[], obj: Record<string, unknown>, w: BitWriter, prefix: string): void {
  for (const c of fields) {
    if ('members' in c) {
      const present = c.members.map((m) => 'key' in m && get(obj, m.parents, m.key) !== undefined);
      for (const p of present) w.write(p ? 1 : 0, 1);
      encodeFields(
        c.members.filter((_m, i) => present[i]),
        obj,
        w,
        prefix,
      );
      continue;
    }
    encodeValue(c, get(obj, c.parents, c.key), w, prefix + c.field.name);
  }
}

function encodeValue(c: Exclude<Compiled, { members: Compiled[] }>, value: unknown, w: BitWriter, path: string): void {
  const f = c.field;
  switch (f.kind) {
    case 'uint': {
      if (f.wraps) {
        const n = requireInteger(value, path, 0, Number.MAX_SAFE_INTEGER);
        w.write(n % 2 ** f.bits, f.bits);
      } else {
        w.write(requireInteger(value, path, f.min, f.max), f.bits);
      }
      return;
    }
    case 'int': {
      const n = requireInteger(value, path, f.min, f.max);
      w.write(n < 0 ? n + 2 ** f.bits : n, f.bits);
      return;
    }
    case 'scaled': {
      const k = (c as { k: ScaledConstants }).k;
      const n = requireNumber(value, path, true);
      if (n === null) {
        w.write(k.nullRaw, f.bits);
        return;
      }
      const raw = Math.round((n * k.scale - k.minInt) / k.stepInt);
      if (!(raw >= 0 && raw <= k.maxRaw)) throw new PayloadError('OUT_OF_RANGE', path, { value: n, min: f.min, max: f.max });
      w.write(raw, f.bits);
      return;
    }
    case 'bool':
      if (value === undefined) throw new PayloadError('MISSING_FIELD', path);
      if (typeof value !== 'boolean') throw new PayloadError('WRONG_TYPE', path, { expected: 'a boolean', actual: typeName(value) });
      w.write(value ? 1 : 0, 1);
      return;
    case 'enum': {
      if (value === undefined) throw new PayloadError('MISSING_FIELD', path);
      const raw = typeof value === 'string' ? f.values.indexOf(value) : -1;
      if (raw < 0) throw new PayloadError('UNKNOWN_ENUM', path, { value: describeValue(value), labels: f.values.join(', ') });
      w.write(raw, f.bits);
      return;
    }
    case 'flags': {
      if (value === undefined) throw new PayloadError('MISSING_FIELD', path);
      if (!isPlainObject(value)) throw new PayloadError('WRONG_TYPE', path, { expected: 'an object of booleans', actual: typeName(value) });
      for (const key of Object.keys(value)) {
        if (!f.flags.includes(key)) throw new PayloadError('UNKNOWN_FLAG', path, { value: describeValue(key) });
        const flag = value[key];
        if (typeof flag !== 'boolean' && flag !== undefined) {
          throw new PayloadError('WRONG_TYPE', `${path}.${key}`, { expected: 'a boolean', actual: typeName(flag) });
        }
      }
      for (const flag of f.flags) w.write(own.call(value, flag) && value[flag] === true ? 1 : 0, 1);
      return;
    }
    case 'bytes': {
      if (value === undefined) throw new PayloadError('MISSING_FIELD', path);
      if (typeof value !== 'string' || value.length !== f.length * 2 || !/^[0-9a-fA-F]*$/.test(value)) {
        throw new PayloadError('WRONG_TYPE', path, {
          expected: `${f.length} bytes as ${f.length * 2} hex digits`,
          actual: describeValue(value),
        });
      }
      for (let i = 0; i < f.length; i++) w.write(parseInt(value.slice(i * 2, i * 2 + 2), 16), 8);
      return;
    }
    case 'list': {
      if (value === undefined) throw new PayloadError('MISSING_FIELD', path);
      if (!Array.isArray(value)) throw new PayloadError('WRONG_TYPE', path, { expected: 'an array', actual: typeName(value) });
      if (value.length < f.minCount || value.length > f.maxCount) {
        throw new PayloadError('OUT_OF_RANGE', path, { value: value.length, min: f.minCount, max: f.maxCount });
      }
      w.write(value.length, f.countBits);
      const item = (c as { item: CompiledList }).item;
      value.forEach((entry: unknown, i) => {
        const itemPath = `${path}[${i}]`;
        if (!isPlainObject(entry)) throw new PayloadError('WRONG_TYPE', itemPath, { expected: 'an object', actual: typeName(entry) });
        encodeFields(item.fields, entry, w, `${itemPath}.`);
      });
      return;
    }
  }
}

function encodeWith(plan: Plan, port: number, value: unknown): EncodeResult {
  try {
    if (!isPlainObject(value)) throw new PayloadError('WRONG_TYPE', '', { expected: 'an object', actual: typeName(value) });
    checkKeys(value, plan.keys, '');
    const w = new BitWriter(plan.size.maxBytes);
    encodeFields(plan.fields, value, w, '');
    return { ok: true, port, message: plan.message, bytes: w.finish() };
  } catch (error) {
    if (error instanceof PayloadError) return { ok: false, port, error };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------- the codec

export class Codec {
  private readonly plans = new Map<number, Plan>();
  private readonly byName = new Map<string, MessageDef>();

  constructor(readonly messages: readonly MessageDef[] = catalog) {
    validateCatalog(messages);
    for (const message of messages) {
      this.plans.set(message.port, compile(message));
      this.byName.set(message.name, message);
    }
  }

  message(port: number): MessageDef | undefined {
    return this.plans.get(port)?.message;
  }

  messageByName(name: string): MessageDef | undefined {
    return this.byName.get(name);
  }

  /** Never throws: a decoded object, or a PayloadError naming the field. */
  decode(port: number, bytes: Uint8Array | readonly number[]): DecodeResult {
    const plan = this.plans.get(port);
    if (!plan) return { ok: false, port, error: new PayloadError('UNKNOWN_PORT', '', { port: describeValue(port) }) };
    if (!isByteArray(bytes)) {
      return {
        ok: false,
        port,
        error: new PayloadError('WRONG_TYPE', '', { expected: 'bytes (0-255)', actual: typeName(bytes) }),
      };
    }
    return decodeWith(plan, port, bytes);
  }

  encode(port: number, value: unknown): EncodeResult {
    const plan = this.plans.get(port);
    if (!plan) return { ok: false, port, error: new PayloadError('UNKNOWN_PORT', '', { port: describeValue(port) }) };
    return encodeWith(plan, port, value);
  }

  /** As decode, but only for uplink messages (what a network server's uplink decoder sees). */
  decodeUplink(port: number, bytes: Uint8Array | readonly number[]): DecodeResult {
    const wrong = this.wrongDirection(port, 'uplink');
    return wrong ? { ok: false, port, error: wrong } : this.decode(port, bytes);
  }

  /** Decodes a downlink; the data names its message: `{ deviceConfig: { ... } }`. */
  decodeDownlink(port: number, bytes: Uint8Array | readonly number[]): DecodeResult {
    const wrong = this.wrongDirection(port, 'downlink');
    if (wrong) return { ok: false, port, error: wrong };
    const result = this.decode(port, bytes);
    return result.ok ? { ...result, data: { [result.message.name]: result.data } } : result;
  }

  /** Encodes downlink data that names its message, `{ deviceConfig: { sendInterval: 600 } }`, as the formatter does. */
  encodeDownlink(data: unknown): EncodeResult {
    const keys = isPlainObject(data) ? Object.keys(data) : [];
    const message = keys.length === 1 ? this.byName.get(keys[0]!) : undefined;
    if (!message || message.direction !== 'downlink') {
      const names = this.messages.filter((m) => m.direction === 'downlink').map((m) => m.name);
      return { ok: false, port: 0, error: new PayloadError('UNKNOWN_MESSAGE', 'data', { names: names.join(', ') }) };
    }
    return this.encode(message.port, (data as Record<string, unknown>)[message.name]);
  }

  private wrongDirection(port: number, direction: 'uplink' | 'downlink'): PayloadError | undefined {
    const message = this.message(port);
    if (!message || message.direction === direction) return undefined;
    return new PayloadError('WRONG_DIRECTION', '', { port, name: message.name, direction: message.direction });
  }
}

/** The codec for message catalog v1. */
export const codec = new Codec(catalog);

export function decode(port: number, bytes: Uint8Array | readonly number[]): DecodeResult {
  return codec.decode(port, bytes);
}

export function encode(port: number, value: unknown): EncodeResult {
  return codec.encode(port, value);
}
