/**
 * Whether the host clock is NTP-synchronised, for RxInfo.clockSynced. systemd-timesyncd creates
 * /run/systemd/timesync/synchronized once it has synchronised the clock (and keeps the directory while it runs):
 * the file means true, the directory without it false, no directory null (timesyncd absent: chrony or no NTP, so
 * the bridge cannot tell).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const TIMESYNC_DIR = '/run/systemd/timesync';

export type ClockSyncCheck = () => boolean | null;

export function systemdClockSynced(dir: string = TIMESYNC_DIR): boolean | null {
  if (existsSync(join(dir, 'synchronized'))) return true;
  return existsSync(dir) ? false : null;
}

/** The check at most once per `maxAgeMs`: frames arrive by the thousand, the answer changes rarely. */
export function cachedClockSync(check: ClockSyncCheck = () => systemdClockSynced(), maxAgeMs = 10_000, now: () => number = Date.now): ClockSyncCheck {
  let value: boolean | null = null;
  let checkedAt = -Infinity;
  return () => {
    const t = now();
    if (t - checkedAt >= maxAgeMs) {
      value = check();
      checkedAt = t;
    }
    return value;
  };
}
