/**
 * The terminal's clock. Espruino's clock starts at 0 after every reset and nothing sets it, so the time comes from the
 * ledger: every bookingAck carries serverTime, which the LoRa link passes on only when the ack is surely fresh
 * (younger than its maxAckAgeMs). The first one sets the clock; later ones only when the clock is off by more than
 * that age (a smaller difference is the ack's age, not an error). Until the first, bookings are flagged clockUnsynced
 * (the core's clock check also refuses any time before the build date). The core's timers use a monotonic clock:
 * getTime() minus every correction made here.
 */
import type { ClockSource, CoreTimers } from '../../timeclock/core/ports.ts';

export interface TerminalClock extends ClockSource {
  /** A fresh ledger time (Unix seconds); returns whether the clock was set. */
  ledgerTime(serverS: number): boolean;
  monotonicMs(): number;
}

export function createTerminalClock(maxAgeS: number): TerminalClock {
  let synced = false;
  /** Seconds the clock was moved by setTime. */
  let corrections = 0;
  return {
    now: function (): number {
      return getTime();
    },
    synchronised: function (): boolean {
      return synced;
    },
    ledgerTime: function (serverS: number): boolean {
      const delta = serverS - getTime();
      if (synced && Math.abs(delta) <= maxAgeS) return false;
      setTime(serverS);
      corrections += delta;
      synced = true;
      return true;
    },
    monotonicMs: function (): number {
      return (getTime() - corrections) * 1000;
    },
  };
}

export function coreTimers(clock: TerminalClock): CoreTimers {
  return {
    setTimeout: function (fn: () => void, ms: number): unknown {
      return setTimeout(fn, ms);
    },
    clearTimeout: function (handle: unknown): void {
      clearTimeout(handle as number);
    },
    monotonicMs: clock.monotonicMs,
  };
}
