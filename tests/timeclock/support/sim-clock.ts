/**
 * The simulated wall clock of the acceptance tests, shared by the ledger, the terminals in the test process and a
 * terminal in a child process. It runs at real speed from an anchor; the test moves it forward (never back), e.g.
 * through a whole working day while the broker is down. A child process gets the anchor and computes the same time
 * from its own Date.now(), so every process reads one clock.
 */
import type { ClockSource } from '../../../firmware/timeclock/core/ports.ts';

export interface ClockAnchor {
  /** Simulated Unix seconds at realMs. */
  simS: number;
  /** Date.now() when the anchor was set. */
  realMs: number;
}

export function timeFromAnchor(anchor: ClockAnchor, realMs: number = Date.now()): number {
  return anchor.simS + (realMs - anchor.realMs) / 1000;
}

/** A terminal's clock on the simulated time, synchronised (as NTP would say). */
export function anchoredClockSource(anchor: () => ClockAnchor): ClockSource {
  return { now: () => timeFromAnchor(anchor()), synchronised: () => true };
}

export class SimClock {
  #anchor: ClockAnchor;

  constructor(startS: number) {
    this.#anchor = { simS: startS, realMs: Date.now() };
  }

  /** Unix seconds with a fraction. */
  now(): number {
    return timeFromAnchor(this.#anchor);
  }

  /** Whole Unix seconds (the ledger's clock). */
  nowS(): number {
    return Math.floor(this.now());
  }

  anchor(): ClockAnchor {
    return { ...this.#anchor };
  }

  /** Moves the clock forward to `simS`; an earlier time changes nothing (the clock never goes back). */
  advanceTo(simS: number): void {
    const realMs = Date.now();
    if (simS > timeFromAnchor(this.#anchor, realMs)) this.#anchor = { simS, realMs };
  }

  source(): ClockSource {
    return anchoredClockSource(() => this.#anchor);
  }
}
