/**
 * In-memory implementations of every interface of the booking core (firmware/timeclock/core/ports.ts), for the core
 * tests. They record what happened in one shared journal so that tests can check the order of events across them
 * (a booking stored before its confirmation is shown).
 */
import { createHmac } from 'node:crypto';
import type { BadgeListMessage, Booking, BookingAckMessage } from '../../../firmware/timeclock/core/contracts.ts';
import type {
  BadgeListStore,
  BadgeReader,
  BookingOutbox,
  BookingTransport,
  ClockSource,
  CoreTimers,
  NewBooking,
  PseudonymHmac,
  TapOutcome,
  TerminalDisplay,
  TerminalStatus,
  TransportEvents,
} from '../../../firmware/timeclock/core/ports.ts';

export type Journal = string[];

export class MemoryOutbox implements BookingOutbox {
  rows: Booking[] = [];
  next = 1;
  /** When set, append throws this (a full disk, a broken card). */
  failAppend: Error | null = null;

  constructor(private readonly journal: Journal) {}

  append(booking: NewBooking): Booking {
    if (this.failAppend) throw this.failAppend;
    const stored: Booking = { sequence: this.next, badge: booking.badge, kind: booking.kind, time: booking.time, clockUnsynced: booking.clockUnsynced };
    this.next++;
    this.rows.push(stored);
    this.journal.push(`stored ${stored.sequence}`);
    return { ...stored };
  }
  unacknowledged(limit: number): Booking[] {
    return this.rows.slice(0, limit).map((b) => ({ ...b }));
  }
  acknowledge(through: number): number {
    const before = this.rows.length;
    this.rows = this.rows.filter((b) => b.sequence > through);
    return before - this.rows.length;
  }
  pendingCount(): number {
    return this.rows.length;
  }
  nextSequence(): number {
    return this.next;
  }
  setNextSequence(next: number): void {
    if (next > this.next) this.next = next;
  }
}

export class MemoryBadgeStore implements BadgeListStore {
  saved: BadgeListMessage | null = null;
  load(): BadgeListMessage | null {
    return this.saved;
  }
  save(list: BadgeListMessage): void {
    this.saved = JSON.parse(JSON.stringify(list)) as BadgeListMessage;
  }
}

/** A clock set by hand; ManualTimers moves it along with virtual time. */
export class FakeClock implements ClockSource {
  constructor(
    public time: number,
    public synced = true,
  ) {}
  now(): number {
    return this.time;
  }
  synchronised(): boolean {
    return this.synced;
  }
}

export class ManualTimers implements CoreTimers {
  nowMs = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 1;

  constructor(private readonly clock?: FakeClock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.nowMs + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  monotonicMs(): number {
    return this.nowMs;
  }
  pending(): number {
    return this.timers.length;
  }
  /** Moves virtual time (and the clock) forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.moveTo(due.at);
      due.fn();
    }
    this.moveTo(end);
  }
  private moveTo(ms: number): void {
    if (this.clock) this.clock.time += (ms - this.nowMs) / 1000;
    this.nowMs = ms;
  }
}

/** A real HMAC-SHA256 (node:crypto) under a test key. */
export function testHmac(key = 'test pseudonym key'): PseudonymHmac {
  return { hmacSha256: (data) => new Uint8Array(createHmac('sha256', key).update(data).digest()) };
}

export function pseudonymOf(uid: Uint8Array, key = 'test pseudonym key'): string {
  return createHmac('sha256', key).update(uid).digest().subarray(0, 4).toString('hex');
}

export class FakeTransport implements BookingTransport {
  sent: Booking[][] = [];
  events: TransportEvents | null = null;
  failSend: Error | null = null;

  constructor(
    readonly maxBatch: number,
    readonly maxSpanS: number | null = null,
    private readonly journal?: Journal,
  ) {}

  start(events: TransportEvents): void {
    this.events = events;
  }
  send(batch: Booking[]): void {
    if (this.failSend) throw this.failSend;
    this.sent.push(batch.map((b) => ({ ...b })));
    this.journal?.push(`sent ${batch[0]?.sequence}..${batch[batch.length - 1]?.sequence}`);
  }
  online(isOnline: boolean): void {
    this.events!.online(isOnline);
  }
  ack(ackedThrough: number, serverTime: number | null = null): void {
    this.events!.ack({ ackedThrough, serverTime } as BookingAckMessage);
  }
  badgeList(list: BadgeListMessage): void {
    this.events!.badgeList(list);
  }
  /** Sequence ranges of the batches sent, e.g. ['1..50', '51..60']. */
  ranges(): string[] {
    return this.sent.map((b) => `${b[0]!.sequence}..${b[b.length - 1]!.sequence}`);
  }
}

export class RecordingDisplay implements TerminalDisplay {
  outcomes: TapOutcome[] = [];
  statuses: TerminalStatus[] = [];
  constructor(private readonly journal: Journal) {}
  showOutcome(outcome: TapOutcome): void {
    this.outcomes.push(JSON.parse(JSON.stringify(outcome)) as TapOutcome);
    this.journal.push(`shown ${outcome.result}${outcome.result === 'booked' ? ` ${outcome.booking.sequence}` : ` ${outcome.reason}`}`);
  }
  showStatus(status: TerminalStatus): void {
    this.statuses.push({ ...status });
  }
  lastStatus(): TerminalStatus {
    return this.statuses[this.statuses.length - 1]!;
  }
}

export class ManualReader implements BadgeReader {
  private listener: ((uid: Uint8Array) => void) | null = null;
  onBadge(listener: (uid: Uint8Array) => void): void {
    this.listener = listener;
  }
  read(uid: Uint8Array): void {
    this.listener!(uid);
  }
}
