/**
 * The booking core's outbox in Espruino's Storage (flash): one file per booking, `tcb<sequence>`, holding
 * `badge,kind,time,unsynced`, plus `tc.seq` with the next sequence number. A booking is stored when its file write
 * returned true; the next sequence is the larger of `tc.seq` and the highest booking file + 1, so a reset between
 * the two writes neither loses nor reuses a sequence. Acknowledged bookings' files are erased.
 */
import { BOOKING_KINDS, type Booking } from '../../timeclock/core/contracts.ts';
import type { BookingOutbox, NewBooking } from '../../timeclock/core/ports.ts';

/** What the outbox needs of require('Storage'). */
export interface BookingStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
  erase(name: string): void;
  list(pattern: RegExp): string[];
}

const PREFIX = 'tcb';
const NEXT_FILE = 'tc.seq';

export function createStorageOutbox(storage: BookingStorage): BookingOutbox {
  const names = storage.list(/^tcb[0-9]+$/);
  /** Pending sequences, ascending. */
  const pending: number[] = [];
  for (let i = 0; i < names.length; i++) pending.push(parseInt(names[i]!.substring(PREFIX.length), 10));
  pending.sort(function (a, b) {
    return a - b;
  });
  const saved = parseInt(storage.read(NEXT_FILE) || '1', 10);
  let next = saved > 0 ? saved : 1;
  if (pending.length > 0 && pending[pending.length - 1]! >= next) next = pending[pending.length - 1]! + 1;

  function writeNext(value: number): void {
    if (!storage.write(NEXT_FILE, String(value))) throw new Error('Storage full: cannot keep the sequence number');
  }

  function read(sequence: number): Booking | null {
    const text = storage.read(PREFIX + sequence);
    if (!text) return null;
    const fields = text.split(',');
    return { sequence: sequence, badge: fields[0]!, kind: BOOKING_KINDS[parseInt(fields[1]!, 10)]!, time: parseInt(fields[2]!, 10), clockUnsynced: fields[3] === '1' };
  }

  return {
    append: function (booking: NewBooking): Booking {
      const sequence = next;
      const text = booking.badge + ',' + BOOKING_KINDS.indexOf(booking.kind) + ',' + Math.floor(booking.time) + ',' + (booking.clockUnsynced ? '1' : '0');
      if (!storage.write(PREFIX + sequence, text)) throw new Error('Storage full: booking not stored');
      next = sequence + 1;
      pending.push(sequence);
      // the booking file alone already moves the sequence on after a reset: a failure here loses nothing
      try {
        writeNext(next);
      } catch {
        // kept in RAM; the next append or acknowledgement writes it again
      }
      return { sequence: sequence, badge: booking.badge, kind: booking.kind, time: Math.floor(booking.time), clockUnsynced: booking.clockUnsynced };
    },
    unacknowledged: function (limit: number): Booking[] {
      const out: Booking[] = [];
      for (let i = 0; i < pending.length && out.length < limit; i++) {
        const booking = read(pending[i]!);
        if (booking) out.push(booking);
      }
      return out;
    },
    acknowledge: function (throughSequence: number): number {
      let removed = 0;
      while (pending.length > 0 && pending[0]! <= throughSequence) {
        storage.erase(PREFIX + pending.shift()!);
        removed++;
      }
      return removed;
    },
    pendingCount: function (): number {
      return pending.length;
    },
    nextSequence: function (): number {
      return next;
    },
    setNextSequence: function (value: number): void {
      if (value <= next) return;
      writeNext(value);
      next = value;
    },
  };
}
