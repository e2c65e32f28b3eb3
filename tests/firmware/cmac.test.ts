import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aes128 } from '../../firmware/core/aes128.ts';
import { aesCmac } from '../../firmware/core/cmac.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 4493 built from node:crypto's AES-128-CBC: a CBC-MAC whose last block is masked with K1 or K2. */
function nodeCmac(key: Uint8Array, message: Uint8Array): string {
  const ecb = (block: Buffer): Buffer => {
    const c = createCipheriv('aes-128-ecb', key, null);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  };
  const dbl = (b: Buffer): Buffer => {
    const big = (BigInt('0x' + b.toString('hex')) << 1n) & ((1n << 128n) - 1n);
    const r = b[0]! & 0x80 ? big ^ 0x87n : big;
    return Buffer.from(r.toString(16).padStart(32, '0'), 'hex');
  };
  const k1 = dbl(ecb(Buffer.alloc(16)));
  const k2 = dbl(k1);
  const complete = message.length > 0 && message.length % 16 === 0;
  const padded = Buffer.alloc(complete ? message.length : (Math.floor(message.length / 16) + 1) * 16);
  padded.set(message);
  if (!complete) padded[message.length] = 0x80;
  const last = padded.length - 16;
  for (let i = 0; i < 16; i++) padded[last + i]! ^= (complete ? k1 : k2)[i]!;
  const cbc = createCipheriv('aes-128-cbc', key, Buffer.alloc(16));
  cbc.setAutoPadding(false);
  const out = Buffer.concat([cbc.update(padded), cbc.final()]);
  return out.subarray(out.length - 16).toString('hex');
}

describe('aesCmac', () => {
  // RFC 4493 section 4 examples.
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const message =
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';
  const examples: [number, string][] = [
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ];

  it.each(examples)('gives the RFC 4493 result for a %i-byte message', (length, expected) => {
    expect(toHex(aesCmac(aes128(key), hex(message.slice(0, length * 2))))).toBe(expected);
  });

  it('equals a node:crypto-based CMAC for random keys and messages of any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 80 }), (k, m) => {
        expect(toHex(aesCmac(aes128(k), m))).toBe(nodeCmac(k, m));
      }),
      { numRuns: 300 },
    );
  });
});
