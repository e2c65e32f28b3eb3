/** The pieces both network parsers rely on: strict base64 and timestamps. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, normalizeTime } from '../../../gateway-bridge/src/inputs/network/common.ts';

describe('decodeBase64', () => {
  it('decodes padded, unpadded and URL-safe base64', () => {
    expect(decodeBase64('gkHe')).toEqual(new Uint8Array([0x82, 0x41, 0xde]));
    expect(decodeBase64('vu8=')).toEqual(new Uint8Array([0xbe, 0xef]));
    expect(decodeBase64('vu8')).toEqual(new Uint8Array([0xbe, 0xef]));
    expect(decodeBase64('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(decodeBase64('')).toEqual(new Uint8Array(0));
  });

  it('refuses what Buffer.from would quietly turn into other bytes', () => {
    for (const bad of ['gk He', 'gkH*', 'g', 'g===', 'vu8==', 'vu=8', 'gkHe\n', 'ü']) expect(decodeBase64(bad), bad).toBeUndefined();
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const buf = Buffer.from(b);
        expect(decodeBase64(buf.toString('base64'))).toEqual(new Uint8Array(b));
        expect(decodeBase64(buf.toString('base64url'))).toEqual(new Uint8Array(b));
      }),
    );
  });
});

describe('normalizeTime', () => {
  it('cuts nanoseconds to milliseconds and converts offsets to UTC', () => {
    expect(normalizeTime('2020-02-12T15:15:46.014773143Z')).toBe('2020-02-12T15:15:46.014Z');
    expect(normalizeTime('2024-01-24T16:47:02.370171527+00:00')).toBe('2024-01-24T16:47:02.370Z');
    expect(normalizeTime('2024-01-24T18:47:02.5+02:00')).toBe('2024-01-24T16:47:02.500Z');
    expect(normalizeTime('2024-01-24T16:47:02Z')).toBe('2024-01-24T16:47:02.000Z');
  });

  it('refuses anything else', () => {
    for (const bad of ['', '2024-01-24', '2024-01-24 16:47:02Z', '2024-13-24T16:47:02Z', 'yesterday', '1706114822']) expect(normalizeTime(bad), bad).toBeUndefined();
    expect(normalizeTime(undefined)).toBeUndefined();
  });
});
