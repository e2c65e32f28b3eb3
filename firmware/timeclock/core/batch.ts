/** The next batch to send: consecutive sequences (the contracts require it), within the transport's limits. */
import type { Booking } from './contracts.ts';

/**
 * The longest prefix of `pending` (oldest first) with consecutive sequence numbers, at most `maxCount` bookings and,
 * when `maxSpanS` is given, times within [first.time, first.time + maxSpanS] (a LoRa batch stores offsets from the
 * first booking's time in 17 bits; a clock that went back ends the batch).
 */
export function takeBatch(pending: Booking[], maxCount: number, maxSpanS: number | null): Booking[] {
  const batch: Booking[] = [];
  for (let i = 0; i < pending.length && batch.length < maxCount; i++) {
    const booking = pending[i]!;
    if (i > 0) {
      const first = batch[0]!;
      if (booking.sequence !== first.sequence + i) break;
      if (maxSpanS !== null && (booking.time < first.time || booking.time - first.time > maxSpanS)) break;
    }
    batch.push(booking);
  }
  return batch;
}
