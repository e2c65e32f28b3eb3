/**
 * One lane of a garage ramp with two light barriers, free of hardware: `a` outside, `b` inside, closer together than
 * the shortest car and further apart than a walking person is deep (hardware/garage-node.md).
 *
 * Each beam's (debounced) edges pass a filter first: a beam counts as blocked once it has been blocked for
 * `minBlockedMs`, and as clear once it has been clear for `minClearMs`; shorter interruptions (a person's legs, a
 * bird, a flicker at a bumper) never reach the direction logic. The filtered beams form a Gray code that a car steps
 * through one beam at a time, like a quadrature encoder: (a, b) = 00 -> 10 -> 11 -> 01 -> 00 is one entry, the reverse
 * one exit. Every step is +1 or -1, so backing out (00 -> 10 -> 11 -> 10 -> 00) nets 0 and counts nothing. A passage
 * is decided when both beams are clear again: net +4 entry, -4 exit, 0 aborted. A lane that was not idle when the
 * node started is not counted until it has been idle once (the direction of a car already in it is unknown).
 */

export type Passage = 'entry' | 'exit' | 'aborted';

export interface LaneOptions {
  /** A beam counts as blocked after this long (people and short interruptions are shorter). */
  minBlockedMs: number;
  /** A blocked beam counts as clear again after this long (must exceed the setWatch debounce). */
  minClearMs: number;
  /** A beam blocked this long is reported (beamBlocked). */
  stuckMs: number;
  /** After this many passages in a row that blocked only one beam, the other beam is suspected failed. */
  soloLimit: number;
}

/** Defaults for cars at garage speeds (5-20 km/h, 3-6 m long) and barriers 1.0 m apart (hardware/garage-node.md). */
export const LANE_DEFAULTS: LaneOptions = { minBlockedMs: 250, minClearMs: 120, stuckMs: 180000, soloLimit: 5 };

/** Position in the Gray cycle of the filtered state, indexed by a * 2 + b: 00 -> 0, 01 -> 3, 10 -> 1, 11 -> 2. */
const POSITION = [0, 3, 1, 2];

interface Beam {
  /** The (debounced) level and since when. */
  raw: boolean;
  rawSince: number;
  /** The filtered state and since when. */
  blocked: boolean;
  since: number;
}

export interface Lane {
  /** A debounced edge of beam 0 (a) or 1 (b) that happened at `atMs` (decisions due before it are applied first). */
  edge(beam: number, blocked: boolean, atMs: number): void;
  /** Applies every filter decision due up to `nowMs`, in time order; passages are reported to `onPassage`. */
  advance(nowMs: number): void;
  /** When `advance` has something to do next (a filter decision or a stuck deadline); Infinity if nothing. */
  nextDueMs(nowMs: number): number;
  /** A beam has been blocked for stuckMs or longer. */
  stuck(nowMs: number): boolean;
  /** Beam 0 (a) or 1 (b) is suspected failed: the other beam saw soloLimit passages in a row without it. */
  suspect(beam: number): boolean;
}

function newBeam(blocked: boolean, atMs: number): Beam {
  return { raw: blocked, rawSince: atMs, blocked: blocked, since: atMs };
}

export function createLane(options: LaneOptions, a: boolean, b: boolean, atMs: number, onPassage: (p: Passage) => void): Lane {
  const beams = [newBeam(a, atMs), newBeam(b, atMs)];
  let position = POSITION[(a ? 2 : 0) + (b ? 1 : 0)]!;
  /** Net steps since the lane was last idle. */
  let steps = 0;
  let counted = !a && !b;
  /** Beams blocked during the current passage (bit 0: a, bit 1: b). */
  let seen = 0;
  /** Passages in a row that blocked only a / only b. */
  const solo = [0, 0];

  function dueOf(beam: Beam): number {
    return beam.raw === beam.blocked ? Infinity : beam.rawSince + (beam.raw ? options.minBlockedMs : options.minClearMs);
  }

  function settle(): void {
    if (counted) {
      if (steps >= 4) onPassage('entry');
      else if (steps <= -4) onPassage('exit');
      else onPassage('aborted');
    }
    if (seen === 1 || seen === 2) {
      solo[seen - 1] = solo[seen - 1]! + 1;
      solo[2 - seen] = 0;
    } else if (seen === 3) {
      solo[0] = 0;
      solo[1] = 0;
    }
    steps = 0;
    seen = 0;
    counted = true;
  }

  function apply(i: number, atMs: number): void {
    const beam = beams[i]!;
    beam.blocked = beam.raw;
    beam.since = atMs;
    if (beam.blocked) seen |= 1 << i;
    const next = POSITION[(beams[0]!.blocked ? 2 : 0) + (beams[1]!.blocked ? 1 : 0)]!;
    steps += (next - position + 4) % 4 === 1 ? 1 : -1;
    position = next;
    if (next === 0) settle();
  }

  function advance(nowMs: number): void {
    for (;;) {
      const dueA = dueOf(beams[0]!);
      const dueB = dueOf(beams[1]!);
      const due = Math.min(dueA, dueB);
      if (due > nowMs) return;
      apply(dueA <= dueB ? 0 : 1, due);
    }
  }

  return {
    edge: function (i, blocked, at) {
      advance(at);
      const beam = beams[i]!;
      if (beam.raw === blocked) return;
      beam.raw = blocked;
      beam.rawSince = at;
    },
    advance: advance,
    nextDueMs: function (nowMs) {
      let due = Math.min(dueOf(beams[0]!), dueOf(beams[1]!));
      for (let i = 0; i < 2; i++) {
        const beam = beams[i]!;
        const stuckAt = beam.since + options.stuckMs;
        if (beam.blocked && stuckAt > nowMs && stuckAt < due) due = stuckAt;
      }
      return due;
    },
    stuck: function (nowMs) {
      for (let i = 0; i < 2; i++) {
        const beam = beams[i]!;
        if (beam.blocked && nowMs - beam.since >= options.stuckMs) return true;
      }
      return false;
    },
    suspect: function (i) {
      return solo[1 - i]! >= options.soloLimit;
    },
  };
}
