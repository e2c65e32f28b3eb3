/**
 * 32-bit uplink frame counter reconstruction. A LoRaWAN 1.0.x frame carries only the low 16 bits of FCntUp; the
 * full counter enters the MIC and the keystream, so a receiver must guess the high 16 bits from the last counter it
 * accepted and confirm the guess with the MIC. These functions only make the guesses; the frame processor checks
 * them. Pure, no state.
 */

/** LoRaWAN 1.0.x MAX_FCNT_GAP: the largest forward jump accepted. */
export const MAX_FCNT_GAP = 16384;
/** The largest 32-bit counter. */
export const FCNT_MAX = 0xffffffff;

const EPOCH = 0x10000;

/**
 * How a candidate counter stands to the last accepted one:
 * first: no counter stored yet; next: 1..maxGap ahead (accepted); same: equal; behind: lower (a replay, or a
 * device that lost its counter); gap: more than maxGap ahead, or past the 32-bit end.
 */
export type CounterRelation = 'first' | 'next' | 'same' | 'behind' | 'gap';

export interface CounterCandidate {
  /** The full 32-bit counter this guess assumes. */
  fCnt: number;
  relation: CounterRelation;
}

export interface CounterGuessOptions {
  /** Largest accepted forward jump (default MAX_FCNT_GAP). */
  maxFCntGap?: number;
  /**
   * With no stored counter: how many 65,536-counter epochs to try, lowest first (default 1: only the 16-bit value
   * itself). More lets a bridge with lost state pick up a device whose counter is past 65,535.
   */
  firstEpochs?: number;
}

/** The low 16 bits, as sent on the air. */
export function low16(fCnt: number): number {
  return fCnt % EPOCH;
}

/** The upper 16 bits of a 32-bit counter, as the 2 little-endian bytes lora-packet takes for MIC and decryption. */
export function fCntMsbBytes(fCnt: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(Math.floor(fCnt / EPOCH));
  return bytes;
}

/** How `fCnt` relates to the last accepted counter `last` (both 32-bit). */
export function relationOf(fCnt: number, last: number | undefined, maxFCntGap = MAX_FCNT_GAP): CounterRelation {
  if (last === undefined) return 'first';
  if (fCnt === last) return 'same';
  if (fCnt < last) return 'behind';
  return fCnt - last <= maxFCntGap ? 'next' : 'gap';
}

/**
 * The 32-bit counters a frame with on-air counter `fCnt16` may carry, most likely first. One 16-bit value is
 * ambiguous beyond the accepted gap: "far ahead" and "behind" give the same low bits, so both are returned and the
 * MIC decides. A counter behind by more than one epoch is not guessed (its MIC fails: a mismatch, not a replay).
 */
export function counterCandidates(
  fCnt16: number,
  last: number | undefined,
  options: CounterGuessOptions = {},
): CounterCandidate[] {
  const maxGap = options.maxFCntGap ?? MAX_FCNT_GAP;
  if (last === undefined) {
    const epochs = Math.max(1, options.firstEpochs ?? 1);
    const out: CounterCandidate[] = [];
    for (let e = 0; e < epochs && e * EPOCH + fCnt16 <= FCNT_MAX; e++) {
      out.push({ fCnt: e * EPOCH + fCnt16, relation: 'first' });
    }
    return out;
  }
  const ahead = (fCnt16 - low16(last) + EPOCH) % EPOCH;
  if (ahead === 0) return [{ fCnt: last, relation: 'same' }];
  const forward = last + ahead;
  if (ahead <= maxGap && forward <= FCNT_MAX) return [{ fCnt: forward, relation: 'next' }];
  const out: CounterCandidate[] = [];
  const back = last - (EPOCH - ahead);
  if (back >= 0) out.push({ fCnt: back, relation: 'behind' });
  // Never empty: when `back` is negative, `last` is below 65,536 and `forward` far below the 32-bit end.
  if (forward <= FCNT_MAX) out.push({ fCnt: forward, relation: 'gap' });
  return out;
}
