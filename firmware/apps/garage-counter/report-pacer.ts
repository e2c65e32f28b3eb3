/**
 * When a count report may go out. The garage can change every few seconds in a busy hour, but the node may send
 * at most 30 s of airtime a day (shared/reference/lorawan.md): reports draw on a bucket of airtime that fills at
 * `dailyShareMs` a day and holds at most `burstMs`. A quiet garage reports `holdMs` after a change (cars arriving
 * together go out in one report); a busy one reports whenever the bucket allows, each report carrying every change
 * since the last. Status heartbeats and configuration reports come on top, so the share stays below the budget.
 */

export interface PacerOptions {
  dailyShareMs: number;
  /** The bucket's size: a few reports in a row after a quiet spell. */
  burstMs: number;
  holdMs: number;
}

export const PACER_DEFAULTS: PacerOptions = { dailyShareMs: 20000, burstMs: 4000, holdMs: 20000 };

const DAY_MS = 86400000;

export interface Pacer {
  /** The earliest time a report of a change that happened at `changedAtMs` may go out (>= nowMs). */
  readyAt(changedAtMs: number, nowMs: number): number;
  /** A report went out at `nowMs`. */
  spend(nowMs: number): void;
}

/** `reportMs`: the airtime of one report at the node's data rate. The bucket starts full. */
export function createPacer(options: PacerOptions, reportMs: number, nowMs: number): Pacer {
  const rate = options.dailyShareMs / DAY_MS;
  const size = Math.max(options.burstMs, reportMs);
  let level = size;
  let at = nowMs;

  function fill(now: number): void {
    if (now > at) level = Math.min(size, level + (now - at) * rate);
    at = Math.max(at, now);
  }

  return {
    readyAt: function (changedAtMs, now) {
      fill(now);
      const wait = level >= reportMs ? 0 : (reportMs - level) / rate;
      return Math.max(now + Math.ceil(wait), changedAtMs + options.holdMs);
    },
    spend: function (now) {
      fill(now);
      level -= reportMs;
    },
  };
}
