/** One frame heard by several receivers: which reception is best, and one list of them, best first. */
import type { RxInfo } from '../types.ts';

/**
 * Negative when a is the better reception: higher SNR first (it says how far above the noise the frame was, which
 * RSSI alone does not), then higher RSSI.
 */
export function compareRx(a: RxInfo, b: RxInfo): number {
  return b.snr - a.snr || b.rssi - a.rssi;
}

/** One entry per receiver (input and gateway id), the better one kept when a receiver reports twice, best first. */
export function mergeRxLists(current: readonly RxInfo[], extra: readonly RxInfo[]): RxInfo[] {
  const byReceiver = new Map<string, RxInfo>();
  for (const rx of [...current, ...extra]) {
    const key = `${rx.input}\u0000${rx.gatewayId}`;
    const known = byReceiver.get(key);
    if (known === undefined || compareRx(rx, known) < 0) byReceiver.set(key, rx);
  }
  return [...byReceiver.values()].sort(compareRx);
}
