/**
 * HMAC-SHA256 (RFC 2104) on Espruino's built-in SHA256 (`require('crypto').SHA256`, compiled into the MDBT42Q and
 * Pico builds). Keys up to one block (64 bytes); the pseudonym key is 16 to 64 bytes.
 */
import type { PseudonymHmac } from '../../timeclock/core/ports.ts';

type Sha256 = (data: Uint8Array) => ArrayBuffer;

export function createHmacSha256(key: Uint8Array, sha256: Sha256): PseudonymHmac {
  if (key.length < 16 || key.length > 64) throw new Error('pseudonym key: 16 to 64 bytes');
  const inner = new Uint8Array(64);
  const outer = new Uint8Array(96);
  for (let i = 0; i < 64; i++) {
    const k = i < key.length ? key[i]! : 0;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  return {
    hmacSha256: function (data: Uint8Array): Uint8Array {
      const first = new Uint8Array(64 + data.length);
      first.set(inner, 0);
      first.set(data, 64);
      outer.set(new Uint8Array(sha256(first)), 64);
      return new Uint8Array(sha256(outer));
    },
  };
}
