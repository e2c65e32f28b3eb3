/**
 * Whether the terminal's clock can be trusted for a booking. A booking made with an untrusted clock is still made,
 * but flagged (Booking.clockUnsynced): never silently wrong. Untrusted means any of:
 * - the clock source says it is not synchronised (no NTP, RTC not set);
 * - it shows a time before the build date (an RTC that lost power);
 * - it went back by more than the tolerance against the latest time seen: which of the two was right cannot be
 *   told, so it stays untrusted until it has caught up with that time or the ledger's time agrees;
 * - the ledger's time (serverTime of an ack) was further off than the tolerance, until a later one agrees.
 */
import type { ClockProblem, ClockSource } from './ports.ts';

export interface ClockReading {
  /** Whole Unix seconds. */
  time: number;
  synced: boolean;
  problem: ClockProblem | null;
}

export interface ClockCheck {
  read(): ClockReading;
  /** The ledger's clock, from an acknowledgement. */
  serverTime(serverS: number): void;
}

export interface ClockCheckSettings {
  clockFloorS: number;
  backwardToleranceS: number;
  serverToleranceS: number;
}

export function createClockCheck(source: ClockSource, settings: ClockCheckSettings): ClockCheck {
  let latest = 0;
  let serverDisagrees = false;

  function read(): ClockReading {
    const time = Math.floor(source.now());
    let problem: ClockProblem | null = null;
    if (time < settings.clockFloorS) problem = 'beforeBuildDate';
    else if (latest > 0 && time < latest - settings.backwardToleranceS) problem = 'jumpedBackwards';
    else {
      if (time > latest) latest = time;
      if (serverDisagrees) problem = 'serverDisagrees';
      else if (!source.synchronised()) problem = 'notSynchronised';
    }
    return { time: time, synced: problem === null, problem: problem };
  }

  function serverTime(serverS: number): void {
    const time = source.now();
    serverDisagrees = Math.abs(time - serverS) > settings.serverToleranceS;
    // the ledger confirms the present time: an earlier backward jump was a correction
    if (!serverDisagrees && time >= settings.clockFloorS) latest = Math.floor(time);
  }

  return { read: read, serverTime: serverTime };
}
