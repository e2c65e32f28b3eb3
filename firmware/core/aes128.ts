/**
 * AES-128 block encryption (FIPS-197) in plain JavaScript, for boards whose Espruino build has no AES
 * (MDBT42Q, Pico, RAK5010). Compact on purpose: the S-box is computed once at start-up, no T-tables.
 *
 * Only the forward cipher exists. LoRaWAN never needs AES decryption on a device: FRMPayload is
 * en- and decrypted by XOR with a keystream AES_encrypt(key, A_i) (counter mode), and the MIC is
 * AES-CMAC, which uses the forward cipher too. (Even OTAA's Join-Accept is made by the server with
 * AES *decrypt* so that devices only need encrypt; ABP has no join at all.)
 */

/** Encrypts one 16-byte block with a fixed key; returns a new 16-byte array. */
export type BlockCipher = (block: Uint8Array) => Uint8Array;

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
function xtime(a: number): number {
  return ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;
}

function rotl8(x: number, shift: number): number {
  return ((x << shift) | (x >> (8 - shift))) & 0xff;
}

/** p walks the multiplicative group by powers of 3, q by powers of 1/3, so q = 1/p; then the affine map. */
function buildSbox(): Uint8Array {
  const box = new Uint8Array(256);
  let p = 1;
  let q = 1;
  do {
    p = p ^ xtime(p);
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    box[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63;
  } while (p !== 1);
  box[0] = 0x63;
  return box;
}

const SBOX = buildSbox();

/** The 11 round keys, 176 bytes. */
function expandKey(key: Uint8Array): Uint8Array {
  const w = new Uint8Array(176);
  w.set(key.subarray(0, 16));
  let rcon = 1;
  for (let i = 16; i < 176; i += 4) {
    let a = w[i - 4]!;
    let b = w[i - 3]!;
    let c = w[i - 2]!;
    let d = w[i - 1]!;
    if (i % 16 === 0) {
      const t = a;
      a = SBOX[b]! ^ rcon;
      b = SBOX[c]!;
      c = SBOX[d]!;
      d = SBOX[t]!;
      rcon = xtime(rcon);
    }
    w[i] = w[i - 16]! ^ a;
    w[i + 1] = w[i - 15]! ^ b;
    w[i + 2] = w[i - 14]! ^ c;
    w[i + 3] = w[i - 13]! ^ d;
  }
  return w;
}

function encryptBlock(w: Uint8Array, input: Uint8Array): Uint8Array {
  const s = new Uint8Array(16);
  const t = new Uint8Array(16);
  for (let i = 0; i < 16; i++) s[i] = input[i]! ^ w[i]!;
  for (let round = 1; round <= 10; round++) {
    // SubBytes and ShiftRows together: the state is column-major, row r rotates left by r columns.
    for (let i = 0; i < 16; i++) t[i] = SBOX[s[(i + 4 * (i & 3)) & 15]!]!;
    for (let i = 0; i < 16; i++) {
      // MixColumns (not in the last round): byte r of column c is 2*a_r + 3*a_r+1 + a_r+2 + a_r+3
      // = a_r ^ (a_0 ^ a_1 ^ a_2 ^ a_3) ^ xtime(a_r ^ a_r+1).
      const c = i & 12;
      const a = t[i]!;
      const mixed = a ^ t[c]! ^ t[c + 1]! ^ t[c + 2]! ^ t[c + 3]! ^ xtime(a ^ t[c + ((i + 1) & 3)]!);
      s[i] = (round < 10 ? mixed : a) ^ w[round * 16 + i]!;
    }
  }
  return s;
}

/** AES-128-ECB encryption of single blocks under `key` (16 bytes); the key schedule is computed once here. */
export function aes128(key: Uint8Array): BlockCipher {
  const roundKeys = expandKey(key);
  return function (block: Uint8Array): Uint8Array {
    return encryptBlock(roundKeys, block);
  };
}
