/**
 * The booking core's clock, timers and HMAC on Node: the system clock trusted when systemd-timesyncd says it is
 * synchronised (the check the gateway bridge uses, gateway-bridge/src/inputs/serial/clock-sync.ts), Node's timers
 * with performance.now() for intervals, and HMAC-SHA256 from node:crypto.
 */
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cachedClockSync, systemdClockSynced, type ClockSyncCheck } from '../../../gateway-bridge/src/inputs/serial/clock-sync.ts';
import type { ClockSource, CoreTimers, PseudonymHmac } from '../core/ports.ts';

export interface SystemClockOptions {
  /**
   * Without systemd-timesyncd (chrony, an RTC the operator vouches for) its state cannot be read: trust the clock
   * then (true) or flag every booking (false, the default).
   */
  trustWithoutTimesyncd?: boolean;
  /** For tests: where the synchronisation state comes from. */
  check?: ClockSyncCheck;
}

export function systemClock(options: SystemClockOptions = {}): ClockSource {
  const synced = cachedClockSync(options.check ?? (() => systemdClockSynced()));
  const trustUnknown = options.trustWithoutTimesyncd ?? false;
  return {
    now: () => Date.now() / 1000,
    synchronised: () => synced() ?? trustUnknown,
  };
}

export const nodeTimers: CoreTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  monotonicMs: () => performance.now(),
};

/** HMAC-SHA256 under `key`; the key stays inside this closure. */
export function nodePseudonymHmac(key: Uint8Array): PseudonymHmac {
  const keyCopy = Buffer.from(key);
  return { hmacSha256: (data) => new Uint8Array(createHmac('sha256', keyCopy).update(data).digest()) };
}
