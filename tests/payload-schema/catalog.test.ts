import { describe, expect, it } from 'vitest';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { Codec, codec } from '../../payload-schema/src/codec.ts';
import { dewPoint, frostPoint } from '../../payload-schema/src/derived-functions.js';
import { decimalsOf, message, scaled, uint, enumeration, type MessageDef } from '../../payload-schema/src/dsl.ts';
import { messageSize, scaledConstants, walkFields } from '../../payload-schema/src/layout.ts';
import { MAX_PAYLOAD_BYTES, SchemaDefinitionError, validateCatalog } from '../../payload-schema/src/validate.ts';
import { roadClimate } from '../../payload-schema/src/catalog/road-climate.ts';
import { largestInstance } from './arbitraries.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
const bits = (...groups: string[]): string => {
  const all = groups.join('');
  const padded = all.padEnd(Math.ceil(all.length / 8) * 8, '0');
  return (padded.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2).toString(16).padStart(2, '0')).join('').toUpperCase();
};

describe('message catalog v1', () => {
  it('is valid: unique ports and names, widths that fit', () => {
    expect(() => validateCatalog(catalog)).not.toThrow();
    expect(new Set(catalog.map((m) => m.port)).size).toBe(catalog.length);
  });

  it.each(catalog.map((m) => [m.name, m] as const))('%s at its largest is at most 51 bytes (sendable at DR0)', (_n, m) => {
    const result = codec.encode(m.port, largestInstance(m));
    if (!result.ok) throw result.error;
    expect(result.bytes.length).toBe(messageSize(m).maxBytes);
    expect(result.bytes.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });

  it('keeps the road climate reading at 6 bytes', () => {
    expect(messageSize(roadClimate)).toEqual({ minBytes: 6, maxBytes: 6, fixedBytes: 6 });
  });

  it('writes every field with a reason or a description of its range', () => {
    for (const m of catalog) {
      for (const { path, field } of walkFields(m.fields)) {
        expect(field.description.length, `${m.name}.${path}`).toBeGreaterThan(10);
        if (field.kind === 'scaled') expect(field.unit, `${m.name}.${path}`).toBeTruthy();
      }
    }
  });
});

describe('bit layout, checked by hand', () => {
  it('road climate: 2.4 degC, 90 %RH, surface -0.5 degC, watch, heater on, 2.95 V', () => {
    const r = codec.encode(20, {
      air: { temperature: 2.4, relativeHumidity: 90 },
      surface: { temperature: -0.5 },
      iceRisk: 'watch',
      status: { heaterOn: true },
      battery: 2.95,
    });
    // raw 424 (10 bits), 180 (8), 395 (11), 1 (2), 001 (3), 115 (8), 6 padding bits
    expect(r.ok && hex(r.bytes)).toBe(bits('0110101000', '10110100', '00110001011', '01', '001', '01110011'));
    expect(r.ok && hex(r.bytes)).toBe('6A2D0C5A5CC0');
  });

  it('parking bay: occupied, 17 changes, 42.5 uT, 11.5 degC, 3.01 V', () => {
    const r = codec.encode(10, { occupied: true, sensorFault: false, changeCount: 17, fieldDeviation: 42.5, temperature: 11.5, battery: 3.01 });
    expect(r.ok && hex(r.bytes)).toBe(bits('1', '0', '0000010001', '0001010101', '01100111', '01111001'));
  });

  it('booking acknowledgement: two big-endian 32-bit values', () => {
    const r = codec.encode(41, { ackedThrough: 1006, serverTime: 1795766460 });
    expect(r.ok && hex(r.bytes)).toBe('000003EE6B0938BC');
    const none = codec.encode(41, { ackedThrough: 1006, serverTime: null });
    expect(none.ok && hex(none.bytes)).toBe('000003EEFFFFFFFF');
  });

  it('config downlink: presence bits first, then only the present settings', () => {
    const r = codec.encode(3, { sendInterval: 600 });
    // 17 presence bits (sendInterval first), then 600 in 16 bits
    expect(r.ok && hex(r.bytes)).toBe(bits('1', '0'.repeat(16), (600).toString(2).padStart(16, '0')));
  });

  it('a null reading is the all-ones raw value and decodes as null', () => {
    const r = codec.encode(30, { level: null, distance: null, stage: 0, trend: 'unknown', quality: { noTarget: true }, battery: null });
    expect(r.ok && hex(r.bytes)).toBe(bits('1'.repeat(12), '1'.repeat(14), '00', '11', '100', '1'.repeat(8)));
    const d = r.ok ? codec.decode(30, r.bytes) : undefined;
    expect(d?.ok && d.data).toMatchObject({ level: null, distance: null, battery: null });
  });
});

describe('exact decimals', () => {
  it('every raw value of every scaled field decodes to the shortest decimal of its quantized value', () => {
    for (const m of catalog) {
      for (const { path, field } of walkFields(m.fields)) {
        if (field.kind !== 'scaled' || field.bits > 16) continue;
        const decimals = Math.max(decimalsOf(field.min), decimalsOf(field.step));
        const k = scaledConstants(field);
        for (let raw = 0; raw <= k.maxRaw; raw += 1) {
          const value = (k.minInt + raw * k.stepInt) / k.scale;
          const text = String(value);
          expect(text, `${m.name}.${path} raw ${raw}`).toBe(String(Number((field.min + raw * field.step).toFixed(decimals))));
          expect(decimalsOf(value)).toBeLessThanOrEqual(decimals);
        }
      }
    }
  });

  it('decodes 2.4 as 2.4, not 2.3999999999999986', () => {
    const r = codec.encode(20, { air: { temperature: 2.4, relativeHumidity: 50 }, surface: { temperature: 2.4 }, iceRisk: 'clear', status: {}, battery: 2.4 });
    const d = r.ok ? codec.decode(20, r.bytes) : undefined;
    expect(JSON.stringify(d?.ok && d.data)).toContain('"temperature":2.4,');
    expect(d?.ok && d.data.battery).toBe(2.4);
  });
});

describe('derived values', () => {
  it('match the check values in the sensor reference', () => {
    expect(dewPoint(2, 90)).toBe(0.53);
    expect(frostPoint(2, 90)).toBe(0.47);
    expect(dewPoint(-3, 85)).toBe(-5.17);
    expect(frostPoint(-3, 85)).toBe(-4.57);
  });

  it('are null without a reading or at 0 %RH, and never -0', () => {
    expect(dewPoint(null, 50)).toBeNull();
    expect(frostPoint(10, null)).toBeNull();
    expect(dewPoint(10, 0)).toBeNull();
    for (let t = -5; t <= 5; t += 0.1) expect(Object.is(dewPoint(t, 100), -0)).toBe(false);
  });
});

describe('prototype safety', () => {
  it('refuses __proto__ and constructor keys in input and leaves Object.prototype untouched', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "sendInterval": 600}') as unknown;
    const r = codec.encode(3, input);
    expect(!r.ok && r.error.message).toBe('__proto__: unknown field');
    const nested = JSON.parse('{"parking": {"constructor": {"prototype": {"polluted": true}}}}') as unknown;
    const n = codec.encode(3, nested);
    expect(!n.ok && n.error.message).toBe('parking.constructor: unknown field');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('ignores inherited properties: a field only counts when it is the object\'s own', () => {
    const proto = { sendInterval: 600 };
    const r = codec.encode(3, Object.create(proto) as object);
    expect(r.ok && r.bytes.length).toBe(3); // presence bits only: nothing present
  });

  it('decodes into objects whose keys all come from the schema', () => {
    const r = codec.decode(40, [0, 0, 0, 1, 0, 0, 0, 1, 0x20, 0, 0, 0, 0, 0, 0]);
    expect(r.ok && Object.keys(r.data)).toEqual(['sequence', 'baseTime', 'bookings']);
  });
});

describe('definition errors are caught when a catalog loads', () => {
  const ok = (fields: MessageDef['fields'], port = 100): MessageDef =>
    message({ port, name: 'test', title: 'Test', direction: 'uplink', description: 'Test message', fields });
  const cases: [string, MessageDef[]][] = [
    ['33-bit field', [ok([uint('a', 33, { description: 'too wide' })])]],
    ['duplicate port', [ok([uint('a', 8, { description: 'a' })]), { ...ok([uint('b', 8, { description: 'b' })]), name: 'other' }]],
    ['reserved name', [ok([uint('__proto__', 8, { description: 'bad' })])]],
    ['nested/plain clash', [ok([uint('air', 8, { description: 'a' }), uint('air.temperature', 8, { description: 'b' })])]],
    ['too many enum labels', [ok([enumeration('e', 1, ['a', 'b', 'c'], { description: 'e' })])]],
    ['more than 51 bytes', [ok(Array.from({ length: 14 }, (_v, i) => uint(`f${i}`, 32, { description: 'wide' })))]],
    ['step that does not fit', [ok([scaled('s', { min: 0, step: 0.5, bits: 4, max: 100, unit: 'V', description: 's' })])]],
    ['port 0', [ok([uint('a', 8, { description: 'a' })], 0)]],
  ];
  it.each(cases)('%s', (_title, messages) => {
    expect(() => validateCatalog(messages)).toThrow(SchemaDefinitionError);
    expect(() => new Codec(messages)).toThrow(SchemaDefinitionError);
  });
});
