/**
 * Every construct of the schema language, including those catalog v1 does not use yet (signed integers, narrowed
 * ranges, enums with spare codes), through the TypeScript codec and both generated ES5 targets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Codec } from '../../payload-schema/src/codec.ts';
import {
  bool,
  bytes,
  derived,
  enumeration,
  flags,
  int,
  list,
  message,
  optional,
  scaled,
  uint,
} from '../../payload-schema/src/dsl.ts';
import { emitEs5Codec } from '../../payload-schema/src/generate/es5-codec.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';
import { messageArb } from './arbitraries.ts';

const d = { description: 'test field' };
const everything = message({
  port: 100,
  name: 'everything',
  title: 'Every field kind',
  direction: 'uplink',
  description: 'Test message',
  fields: [
    uint('u.small', 3, { ...d, min: 1, max: 6 }),
    uint('u.wide', 32, d),
    uint('counter', 7, { ...d, wraps: true }),
    int('i.signed', 12, d),
    int('i.narrow', 8, { ...d, min: -50, max: 50 }),
    scaled('s.temperature', { ...d, min: -40, step: 0.1, bits: 10, unit: 'Cel' }),
    scaled('s.humidity', { ...d, min: 0, step: 0.5, bits: 8, max: 100, unit: '%RH' }),
    scaled('s.fine', { ...d, min: -1.25, step: 0.05, bits: 7, unit: 'V' }),
    bool('flag', d),
    enumeration('mode', 3, ['off', 'low', 'high'], d),
    flags('f', ['a', 'b', 'c', 'd', 'e'], d),
    bytes('id', 3, d),
    list('items', {
      ...d,
      countBits: 3,
      minCount: 0,
      maxCount: 5,
      item: [int('delta', 5, d), scaled('v', { ...d, min: 0, step: 2.5, bits: 6, unit: 'cm' }), bool('ok', d)],
    }),
  ],
  derived: [
    derived('s.dewPoint', {
      ...d,
      fn: 'dewPoint',
      args: ['s.temperature', 's.humidity'],
      unit: 'Cel',
      resolution: 0.01,
    }),
  ],
});
const partial = message({
  port: 101,
  name: 'partial',
  title: 'Optional group',
  direction: 'downlink',
  description: 'Test message',
  fields: [
    uint('version', 4, d),
    optional('settings', [
      uint('a.b', 9, d),
      int('a.c', 6, d),
      scaled('x', { ...d, min: 10, step: 10, bits: 5, unit: 's' }),
      flags('cmd', ['go', 'stop'], d),
      enumeration('m', 2, ['p', 'q', 'r', 's'], d),
    ]),
    bool('last', d),
  ],
});
const messages = [everything, partial];
const codec = new Codec(messages);

function es5(target: 'array' | 'uint8array') {
  const source = `${emitEs5Codec(messages, { target, checkFieldNames: target === 'array' })}\nexport { MESSAGES };`;
  const { MESSAGES } = loadEspruinoModule(source) as {
    MESSAGES: Record<string, { encode(o: unknown): Iterable<number>; decode(b: number[]): unknown }>;
  };
  return MESSAGES;
}
const targets = { array: es5('array'), uint8array: es5('uint8array') };

describe.each(messages.map((m) => [m.name, m] as const))('schema language: %s', (_name, m) => {
  it('round-trips through the TypeScript codec and agrees with both ES5 targets', () => {
    fc.assert(
      fc.property(messageArb(m), ({ input, expected }) => {
        const encoded = codec.encode(m.port, input);
        if (!encoded.ok) throw encoded.error;
        const decoded = codec.decode(m.port, encoded.bytes);
        expect(decoded.ok && decoded.data).toEqual(expected);
        for (const t of Object.values(targets)) {
          const bytes = [...t[String(m.port)]!.encode(input)];
          expect(bytes).toEqual([...encoded.bytes]);
          expect(JSON.stringify(t[String(m.port)]!.decode(bytes))).toBe(JSON.stringify(decoded.ok && decoded.data));
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('schema language details', () => {
  it('writes signed integers in two\'s complement', () => {
    const r = codec.encode(101, { version: 1, a: { c: -1 }, last: false });
    // version 0001, presence 01000 (a.c only), a.c 111111, last 0
    expect(r.ok && Buffer.from(r.bytes).toString('hex')).toBe(parseInt('0001' + '01000' + '111111' + '0', 2).toString(16).padStart(4, '0'));
  });

  it('rejects raw values outside a narrowed range when decoding', () => {
    const base = codec.encode(100, {
      u: { small: 1, wide: 0 }, counter: 0, i: { signed: 0, narrow: 0 },
      s: { temperature: 0, humidity: 0, fine: 0 }, flag: false, mode: 'off', f: {}, id: '000000', items: [],
    });
    if (!base.ok) throw base.error;
    const bytes = [...base.bytes];
    bytes[0] = 0; // u.small raw 0 < min 1
    const r = codec.decode(100, bytes);
    expect(!r.ok && r.error.message).toBe('u.small: 0 is out of range 1..6');
    expect(() => targets.array['100']!.decode(bytes)).toThrow('u.small: 0 is out of range 1..6');
  });

  it('wraps counters modulo 2^bits', () => {
    const input = {
      u: { small: 1, wide: 0 }, counter: 130, i: { signed: 0, narrow: 0 },
      s: { temperature: 0, humidity: 0, fine: 0 }, flag: false, mode: 'off', f: {}, id: '000000', items: [],
    };
    const r = codec.encode(100, input);
    const back = r.ok ? codec.decode(100, r.bytes) : undefined;
    expect(back?.ok && back.data.counter).toBe(2);
  });
});
