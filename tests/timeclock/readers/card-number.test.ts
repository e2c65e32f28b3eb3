import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cardNumberToUid } from '../../../firmware/timeclock/terminal/readers/card-number.ts';

const hex = (result: ReturnType<typeof cardNumberToUid>): string =>
  result.ok ? Buffer.from(result.uid).toString('hex') : 'refused: ' + result.reason;

describe('card numbers to UID bytes', () => {
  it('reads the 10-digit decimal most readers type as the 4-byte UID, big-endian', () => {
    // 0x04A23B1C = 77740828
    expect(hex(cardNumberToUid('0077740828'))).toBe('04a23b1c');
    expect(hex(cardNumberToUid('77740828'))).toBe('04a23b1c');
    expect(hex(cardNumberToUid('0000000001'))).toBe('00000001');
    expect(hex(cardNumberToUid('4294967295'))).toBe('ffffffff');
  });

  it('undoes a reader that prints the UID bytes in reverse order', () => {
    // the same card read as a little-endian number: 0x1C3BA204 = 473670148
    expect(hex(cardNumberToUid('0473670148', { byteOrder: 'reversed' }))).toBe('04a23b1c');
    expect(hex(cardNumberToUid('1C3BA204', { byteOrder: 'reversed' }))).toBe('04a23b1c');
  });

  it('gives longer decimal numbers the 7- and 10-byte UID lengths', () => {
    expect(hex(cardNumberToUid('4294967296'))).toBe('00000100000000');
    expect(hex(cardNumberToUid('4112233445566'))).toBe('0003bd7436b8be');
    expect(hex(cardNumberToUid((1n << 56n).toString()))).toBe('00000100000000000000');
    expect(hex(cardNumberToUid(((1n << 80n) - 1n).toString()))).toBe('ffffffffffffffffffff');
    expect(hex(cardNumberToUid((1n << 80n).toString()))).toBe('refused: out-of-range');
  });

  it('reads hex numbers of UID length as written, any case', () => {
    expect(hex(cardNumberToUid('04A23B1C', { format: 'hex' }))).toBe('04a23b1c');
    expect(hex(cardNumberToUid('04a23b1d'))).toBe('04a23b1d');
    expect(hex(cardNumberToUid('0411223344556A'))).toBe('0411223344556a');
    expect(hex(cardNumberToUid('12345678', { format: 'hex' }))).toBe('12345678');
    expect(hex(cardNumberToUid('0102030405', { format: 'hex' }))).toBe('0102030405');
  });

  it('refuses what is not a card number, with a reason', () => {
    expect(hex(cardNumberToUid(''))).toBe('refused: empty');
    expect(hex(cardNumberToUid('   '))).toBe('refused: empty');
    expect(hex(cardNumberToUid('12 34'))).toBe('refused: not-a-number');
    expect(hex(cardNumberToUid('0x04A23B1C'))).toBe('refused: not-a-number');
    expect(hex(cardNumberToUid('-1'))).toBe('refused: not-a-number');
    expect(hex(cardNumberToUid('ÄÖÜ'))).toBe('refused: not-a-number');
    expect(hex(cardNumberToUid('04A23B', { format: 'hex' }))).toBe('refused: bad-length');
    expect(hex(cardNumberToUid('04A23B1'))).toBe('refused: bad-length');
    expect(hex(cardNumberToUid('04A23B1C', { format: 'decimal' }))).toBe('refused: not-a-number');
    expect(hex(cardNumberToUid('9'.repeat(26)))).toBe('refused: bad-length');
  });

  it('round-trips every 4-byte UID through its decimal and hex forms', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (uid) => {
        const value = Buffer.from(uid).readUInt32BE(0);
        const asDecimal = cardNumberToUid(value.toString().padStart(10, '0'));
        const asHex = cardNumberToUid(Buffer.from(uid).toString('hex'), { format: 'hex' });
        const reversed = cardNumberToUid(Buffer.from(uid).readUInt32LE(0).toString(), { byteOrder: 'reversed' });
        for (const result of [asDecimal, asHex, reversed]) {
          expect(result.ok && Buffer.from(result.uid).equals(Buffer.from(uid))).toBe(true);
        }
      }),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('auto', 'decimal', 'hex' as const), (text, format) => {
        const result = cardNumberToUid(text, { format });
        if (result.ok) expect([4, 5, 7, 10]).toContain(result.uid.length);
      }),
    );
  });
});
