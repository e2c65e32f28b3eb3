/** Ordering and merging the receivers of one frame. */
import type { RxInfo } from '../types.ts';

/**
 * Best receiver first: higher SNR, then higher RSSI. SNR comes first because it says how far above the noise floor
 * the frame was decoded (the margin that matters for reception), while RSSI includes the noise; RSSI breaks ties.
 * Remaining ties keep the earlier receive time first, then the gateway id, so the order never depends on arrival.
 */
export function compareRx(a: RxInfo, b: RxInfo): number {
  return (
    b.snr - a.snr ||
    b.rssi - a.rssi ||
    (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0) ||
    (a.gatewayId < b.gatewayId ? -1 : a.gatewayId > b.gatewayId ? 1 : 0)
  );
}

/** A sorted copy, best first. */
export function sortRx(rx: readonly RxInfo[]): RxInfo[] {
  return [...rx].sort(compareRx);
}

/** Adds one more reception of the same frame: one entry per gateway (its better reception kept), best first. */
export function mergeRx(existing: readonly RxInfo[], extra: RxInfo): RxInfo[] {
  const byGateway = new Map<string, RxInfo>();
  for (const rx of [...existing, extra]) {
    const seen = byGateway.get(rx.gatewayId);
    if (!seen || compareRx(rx, seen) < 0) byGateway.set(rx.gatewayId, rx);
  }
  return sortRx([...byGateway.values()]);
}
