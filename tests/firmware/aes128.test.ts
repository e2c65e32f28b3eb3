import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aes128 } from '../../firmware/core/aes128.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function nodeAesEcb(key: Uint8Array, block: Uint8Array): string {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]).toString('hex');
}

const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('aes128', () => {
  it('gives the FIPS-197 / SP 800-38A ECB result', () => {
    const encrypt = aes128(hex('2b7e151628aed2a6abf7158809cf4f3c'));
    expect(toHex(encrypt(hex('6bc1bee22e409f96e93d7e117393172a')))).toBe('3ad77bb40d7a3660a89ecaf32466ef97');
    expect(toHex(encrypt(hex('ae2d8a571e03ac9c9eb76fac45af8e51')))).toBe('f5d3d58503b9699de785895a96fdbaaf');
  });

  it('gives the FIPS-197 appendix C.1 result', () => {
    const encrypt = aes128(hex('000102030405060708090a0b0c0d0e0f'));
    expect(toHex(encrypt(hex('00112233445566778899aabbccddeeff')))).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
  });

  it('equals node:crypto aes-128-ecb for random keys and blocks', () => {
    fc.assert(
      fc.property(bytes16, bytes16, (key, block) => {
        expect(toHex(aes128(key)(block))).toBe(nodeAesEcb(key, block));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves its input untouched and can be reused', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const block = hex('00112233445566778899aabbccddeeff');
    const encrypt = aes128(key);
    const first = toHex(encrypt(block));
    expect(toHex(block)).toBe('00112233445566778899aabbccddeeff');
    expect(toHex(encrypt(block))).toBe(first);
  });
});
