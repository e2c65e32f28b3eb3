import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  counterCandidates,
  FCNT_MAX,
  fCntMsbBytes,
  low16,
  MAX_FCNT_GAP,
  relationOf,
} from '../../../gateway-bridge/src/lorawan/frame-counter.ts';

const fCnt32 = fc.oneof(
  fc.integer({ min: 0, max: FCNT_MAX }),
  fc.integer({ min: 0, max: 0x3ffff }),
  fc.constantFrom(0, 1, 0xfffe, 0xffff, 0x10000, 0x1ffff, FCNT_MAX - 1, FCNT_MAX),
);

describe('counterCandidates', () => {
  it('MAX_FCNT_GAP is LoRaWAN 1.0.x MAX_FCNT_GAP', () => {
    expect(MAX_FCNT_GAP).toBe(16384);
  });

  it('follows every forward step up to maxFCntGap, across the 16-bit wrap', () => {
    fc.assert(
      fc.property(fCnt32, fc.integer({ min: 1, max: MAX_FCNT_GAP }), (last, step) => {
        fc.pre(last + step <= FCNT_MAX);
        expect(counterCandidates(low16(last + step), last)).toEqual([{ fCnt: last + step, relation: 'next' }]);
      }),
    );
  });

  it('wraps 0xFFFF -> 0x10000 and 0x1FFFF -> 0x20000', () => {
    expect(counterCandidates(0, 0xffff)).toEqual([{ fCnt: 0x10000, relation: 'next' }]);
    expect(counterCandidates(0, 0x1ffff)).toEqual([{ fCnt: 0x20000, relation: 'next' }]);
    expect(counterCandidates(99, 0xfff0)).toEqual([{ fCnt: 0x10063, relation: 'next' }]);
  });

  it('honours a smaller maxFCntGap', () => {
    expect(counterCandidates(15, 5, { maxFCntGap: 10 })).toEqual([{ fCnt: 15, relation: 'next' }]);
    expect(counterCandidates(16, 5, { maxFCntGap: 10 })).toEqual([{ fCnt: 16, relation: 'gap' }]);
  });

  it('gives the last counter itself for a repeated 16-bit value', () => {
    fc.assert(
      fc.property(fCnt32, (last) => {
        expect(counterCandidates(low16(last), last)).toEqual([{ fCnt: last, relation: 'same' }]);
      }),
    );
  });

  it('offers the replayed counter for any frame up to one epoch behind', () => {
    fc.assert(
      fc.property(fCnt32, fc.integer({ min: 1, max: 0x10000 - MAX_FCNT_GAP - 1 }), (last, back) => {
        fc.pre(back <= last);
        const candidates = counterCandidates(low16(last - back), last);
        expect(candidates[0]).toEqual({ fCnt: last - back, relation: 'behind' });
      }),
    );
  });

  it('offers the far-ahead counter as a gap for any jump beyond maxFCntGap', () => {
    fc.assert(
      fc.property(fCnt32, fc.integer({ min: MAX_FCNT_GAP + 1, max: 0xffff }), (last, ahead) => {
        fc.pre(last + ahead <= FCNT_MAX);
        expect(counterCandidates(low16(last + ahead), last)).toContainEqual({ fCnt: last + ahead, relation: 'gap' });
      }),
    );
  });

  it('every candidate has the on-air low bits, stays within 32 bits and agrees with relationOf', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.option(fCnt32, { nil: undefined }), (fCnt16, last) => {
        const candidates = counterCandidates(fCnt16, last, { firstEpochs: 4 });
        expect(candidates.length).toBeGreaterThan(0);
        for (const c of candidates) {
          expect(low16(c.fCnt)).toBe(fCnt16);
          expect(c.fCnt).toBeGreaterThanOrEqual(0);
          expect(c.fCnt).toBeLessThanOrEqual(FCNT_MAX);
          expect(c.relation).toBe(relationOf(c.fCnt, last));
        }
      }),
    );
  });

  it('without a stored counter tries the 16-bit value first, then higher epochs', () => {
    expect(counterCandidates(7, undefined)).toEqual([{ fCnt: 7, relation: 'first' }]);
    expect(counterCandidates(7, undefined, { firstEpochs: 3 }).map((c) => c.fCnt)).toEqual([7, 0x10007, 0x20007]);
  });

  it('never guesses past the 32-bit end', () => {
    expect(counterCandidates(0, FCNT_MAX)).toEqual([{ fCnt: FCNT_MAX - 0xffff, relation: 'behind' }]);
    expect(counterCandidates(0xffff, FCNT_MAX - 0x8000).every((c) => c.fCnt <= FCNT_MAX)).toBe(true);
  });
});

describe('relationOf', () => {
  it('classifies against the last accepted counter', () => {
    expect(relationOf(5, undefined)).toBe('first');
    expect(relationOf(5, 5)).toBe('same');
    expect(relationOf(4, 5)).toBe('behind');
    expect(relationOf(105, 5)).toBe('next');
    expect(relationOf(5 + MAX_FCNT_GAP, 5)).toBe('next');
    expect(relationOf(6 + MAX_FCNT_GAP, 5)).toBe('gap');
  });
});

describe('fCntMsbBytes', () => {
  it('is the upper 16 bits, little-endian, as lora-packet takes them', () => {
    expect(fCntMsbBytes(0x0001ffff).toString('hex')).toBe('0100');
    expect(fCntMsbBytes(0xabcd0000).toString('hex')).toBe('cdab');
    expect(fCntMsbBytes(5).toString('hex')).toBe('0000');
  });
});
