/** AES-CMAC (RFC 4493) over any block cipher: the LoRaWAN MIC is its first 4 bytes. */
import type { BlockCipher } from './aes128.ts';

/** Doubling in GF(2^128): shift left one bit, fold the carry back with 0x87 (RFC 4493 subkey generation). */
function double(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = (b[i]! << 1) | (i < 15 ? b[i + 1]! >> 7 : 0);
  if (b[0]! & 0x80) out[15] = out[15]! ^ 0x87;
  return out;
}

/** The 16-byte CMAC of `message` under `cipher` (an AES-128 block cipher for RFC 4493). */
export function aesCmac(cipher: BlockCipher, message: Uint8Array): Uint8Array {
  const n = message.length;
  const k1 = double(cipher(new Uint8Array(16)));
  // A complete last block is masked with K1; a padded one (10*) with K2. The empty message is one padded block.
  const lastKey = n > 0 && n % 16 === 0 ? k1 : double(k1);
  const blocks = n > 0 ? Math.ceil(n / 16) : 1;
  let x: Uint8Array = new Uint8Array(16);
  for (let b = 0; b < blocks; b++) {
    const y = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      const j = b * 16 + i;
      let m = j < n ? message[j]! : j === n ? 0x80 : 0;
      if (b === blocks - 1) m ^= lastKey[i]!;
      y[i] = x[i]! ^ m;
    }
    x = cipher(y);
  }
  return x;
}
