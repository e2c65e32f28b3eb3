/**
 * fast-check arbitraries built from the message definitions. Each draws a valid input object (with scaled values
 * jittered by less than half a step) together with what decoding its encoding must give, computed independently
 * of the codec: the raw integer is drawn first and turned into the exact decimal with toFixed.
 */
import fc from 'fast-check';
import * as derivedFunctions from '../../payload-schema/src/derived-functions.js';
import { decimalsOf, type Field, type MessageDef, type ValueField } from '../../payload-schema/src/dsl.ts';

export interface Drawn {
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}

type Pair = { input: unknown; expected: unknown };

function set(obj: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split('.');
  const key = parts.pop()!;
  let node = obj;
  for (const part of parts) node = (node[part] ??= {}) as Record<string, unknown>;
  node[key] = value;
}

function get(obj: Record<string, unknown>, name: string): unknown {
  let node: unknown = obj;
  for (const part of name.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

const same = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Pair> => arb.map((v) => ({ input: v, expected: v }));

function valueArb(field: ValueField): fc.Arbitrary<Pair> {
  switch (field.kind) {
    case 'uint':
      if (field.wraps) {
        return fc.integer({ min: 0, max: 2 ** field.bits * 4 }).map((v) => ({ input: v, expected: v % 2 ** field.bits }));
      }
      return same(fc.integer({ min: field.min, max: field.max }));
    case 'int':
      return same(fc.integer({ min: field.min, max: field.max }));
    case 'scaled': {
      const decimals = Math.max(decimalsOf(field.min), decimalsOf(field.step));
      const maxRaw = Math.min(2 ** field.bits - 2, Math.round((field.max - field.min) / field.step));
      const value = fc
        .tuple(fc.integer({ min: 0, max: maxRaw }), fc.double({ min: -0.49, max: 0.49, noNaN: true }))
        .map(([raw, jitter]) => {
          const exact = Number((field.min + raw * field.step).toFixed(decimals));
          return { input: exact + jitter * field.step, expected: exact };
        });
      return fc.oneof({ arbitrary: value, weight: 9 }, { arbitrary: fc.constant({ input: null, expected: null }), weight: 1 });
    }
    case 'bool':
      return same(fc.boolean());
    case 'enum':
      return same(fc.constantFrom(...field.values));
    case 'flags':
      return fc
        .tuple(...field.flags.map(() => fc.option(fc.boolean(), { nil: undefined })))
        .map((bits) => {
          const input: Record<string, boolean> = {};
          const expected: Record<string, boolean> = {};
          field.flags.forEach((flag, i) => {
            if (bits[i] !== undefined) input[flag] = bits[i];
            expected[flag] = bits[i] === true;
          });
          return { input, expected };
        });
    case 'bytes':
      return fc
        .tuple(fc.uint8Array({ minLength: field.length, maxLength: field.length }), fc.boolean())
        .map(([bytes, upper]) => {
          const hex = Buffer.from(bytes).toString('hex');
          return { input: upper ? hex.toUpperCase() : hex, expected: hex };
        });
    case 'list':
      return fc
        .array(recordArb(field.item), { minLength: field.minCount, maxLength: field.maxCount })
        .map((items) => ({ input: items.map((i) => i.input), expected: items.map((i) => i.expected) }));
  }
}

function recordArb(fields: readonly Field[]): fc.Arbitrary<Drawn> {
  const parts: fc.Arbitrary<{ name: string; pair: Pair | undefined }>[] = [];
  for (const field of fields) {
    if (field.kind === 'optional') {
      for (const f of field.fields) {
        parts.push(fc.option(valueArb(f), { nil: undefined }).map((pair) => ({ name: f.name, pair })));
      }
    } else {
      parts.push(valueArb(field).map((pair) => ({ name: field.name, pair })));
    }
  }
  return fc.tuple(...parts).map((entries) => {
    const input: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const { name, pair } of entries) {
      if (!pair) continue;
      set(input, name, pair.input);
      set(expected, name, pair.expected);
    }
    return { input, expected };
  });
}

/** A valid object of the message and the decoded object its encoding must give (derived values included). */
export function messageArb(message: MessageDef): fc.Arbitrary<Drawn> {
  return recordArb(message.fields).map(({ input, expected }) => {
    for (const d of message.derived) {
      const fn = derivedFunctions[d.fn] as (...args: unknown[]) => number | null;
      const args = d.args.map((a) => {
        const v = get(expected, a);
        return typeof v === 'number' ? v : null;
      });
      set(expected, d.name, fn(...args));
    }
    return { input, expected };
  });
}

/** The largest instance of a message: every optional field present, every list full. */
export function largestInstance(message: MessageDef): Record<string, unknown> {
  const fill = (fields: readonly Field[]): Record<string, unknown> => {
    const obj: Record<string, unknown> = {};
    for (const field of fields) {
      for (const f of field.kind === 'optional' ? field.fields : [field]) set(obj, f.name, largestValue(f));
    }
    return obj;
  };
  const largestValue = (f: ValueField): unknown => {
    switch (f.kind) {
      case 'uint':
      case 'int':
      case 'scaled':
        return f.max;
      case 'bool':
        return true;
      case 'enum':
        return f.values[f.values.length - 1];
      case 'flags':
        return Object.fromEntries(f.flags.map((flag) => [flag, true]));
      case 'bytes':
        return 'ff'.repeat(f.length);
      case 'list':
        return Array.from({ length: f.maxCount }, () => fill(f.item));
    }
  };
  return fill(message.fields);
}
