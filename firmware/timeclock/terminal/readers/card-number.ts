/**
 * Card numbers as keyboard-wedge readers type them → the badge's UID bytes.
 *
 * Readers differ: most 13.56 MHz readers type the 4-byte UID as one 10-digit decimal number (an unsigned 32-bit
 * integer, zero-padded: UID 04 A2 3B 1C → "0077740828"); others type hex ("04A23B1C"); many print the UID's bytes in
 * reverse order (the 32-bit number read little-endian: "0473670148" for the same card). The byte order must match
 * what the ledger enrolled and what an MFRC522 reads (card order), so it is a setting: `byteOrder: 'reversed'`
 * undoes a reader that prints the last UID byte first.
 *
 * - decimal: up to 25 digits; the value picks the UID length: < 2^32 → 4 bytes, < 2^56 → 7 bytes, < 2^80 → 10 bytes
 *   (ISO 14443-3 single, double, triple size UIDs), big-endian, zero-padded.
 * - hex: 8, 10 (EM4100), 14 or 20 hex digits, bytes as written.
 * - auto: decimal when the number has only digits, hex when it has a-f/A-F.
 */

export type CardNumberFormat = 'auto' | 'decimal' | 'hex';
export type UidByteOrder = 'as-typed' | 'reversed';

export interface CardNumberOptions {
  format?: CardNumberFormat;
  byteOrder?: UidByteOrder;
}

export type CardNumberRejection = 'empty' | 'not-a-number' | 'bad-length' | 'out-of-range';

export type CardNumberResult = { ok: true; uid: Uint8Array } | { ok: false; reason: CardNumberRejection };

const HEX_DIGIT_COUNTS = [8, 10, 14, 20];
const DECIMAL_UID_LENGTHS = [4, 7, 10];
const MAX_DECIMAL_DIGITS = 25;

export function cardNumberToUid(text: string, options: CardNumberOptions = {}): CardNumberResult {
  const number = text.trim();
  if (number === '') return { ok: false, reason: 'empty' };
  const format = options.format ?? 'auto';
  const isDecimal = /^[0-9]+$/.test(number);
  const isHex = /^[0-9a-fA-F]+$/.test(number);
  if (!isHex) return { ok: false, reason: 'not-a-number' };

  let uid: Uint8Array;
  if (format === 'decimal' || (format === 'auto' && isDecimal)) {
    if (!isDecimal) return { ok: false, reason: 'not-a-number' };
    if (number.length > MAX_DECIMAL_DIGITS) return { ok: false, reason: 'bad-length' };
    const decoded = decimalToBytes(BigInt(number));
    if (decoded === null) return { ok: false, reason: 'out-of-range' };
    uid = decoded;
  } else {
    if (!HEX_DIGIT_COUNTS.includes(number.length)) return { ok: false, reason: 'bad-length' };
    uid = Uint8Array.from(Buffer.from(number, 'hex'));
  }
  if (options.byteOrder === 'reversed') uid.reverse();
  return { ok: true, uid };
}

function decimalToBytes(value: bigint): Uint8Array | null {
  for (const length of DECIMAL_UID_LENGTHS) {
    if (value < 1n << BigInt(8 * length)) {
      const bytes = new Uint8Array(length);
      let rest = value;
      for (let i = length - 1; i >= 0; i--) {
        bytes[i] = Number(rest & 0xffn);
        rest >>= 8n;
      }
      return bytes;
    }
  }
  return null;
}
