/**
 * The seams of the booking core: everything it needs from the machine it runs on, as small interfaces. The Pi
 * terminal (firmware/timeclock/terminal/) implements them with SQLite, MQTT, node:crypto and the system clock; an
 * Espruino terminal implements them with Storage, a RAK modem and its RTC; the tests with in-memory fakes.
 * Types only: nothing here runs.
 */
import type { Logger, Timers } from '../../drivers/at-line.ts';
import type { BadgeListMessage, Booking, BookingAckMessage, BookingKind } from './contracts.ts';

export type { Logger, Timers };

/** A booking before the outbox has given it its sequence number. */
export interface NewBooking {
  badge: string;
  kind: BookingKind;
  time: number;
  clockUnsynced: boolean;
}

/**
 * The terminal's durable outbox. Synchronous on purpose: a booking must be on disk (or in flash) before the
 * confirmation shows, and a synchronous call that returns is the simplest proof of that. Every method throws when
 * the medium fails; the core shows an error and books nothing.
 */
export interface BookingOutbox {
  /** Gives the booking the next sequence number and stores both durably (one transaction); returns it. */
  append(booking: NewBooking): Booking;
  /** Unacknowledged bookings, oldest (lowest sequence) first, at most `limit`. */
  unacknowledged(limit: number): Booking[];
  /** Removes every booking with sequence <= throughSequence; returns how many went. */
  acknowledge(throughSequence: number): number;
  pendingCount(): number;
  /** The sequence number the next append will use (1 for a new outbox). */
  nextSequence(): number;
  /** Moves the next sequence number forward (never back): after an acknowledgement beyond it. */
  setNextSequence(next: number): void;
}

/** Keeps the last badge list across restarts, so that a terminal started while the ledger is away still knows it. */
export interface BadgeListStore {
  load(): BadgeListMessage | null;
  save(list: BadgeListMessage): void;
}

/** The raw clock: the core's clock check (clock-check.ts) decides whether to trust it. */
export interface ClockSource {
  /** Unix time, UTC seconds (may have a fraction). */
  now(): number;
  /** NTP (or a trusted RTC) says the clock is right. */
  synchronised(): boolean;
}

/** Timers plus a clock for intervals (debounce, selection timeout) that wall-clock corrections do not move. */
export interface CoreTimers extends Timers {
  /** Milliseconds from any fixed point; never goes back. */
  monotonicMs(): number;
}

/** HMAC-SHA256 under the terminal's pseudonym key; the key stays with the implementation, never in the core. */
export interface PseudonymHmac {
  hmacSha256(data: Uint8Array): Uint8Array;
}

/**
 * A badge reader (keyboard wedge, MFRC522, a test): calls the listener with the UID bytes as read from the card
 * (the byte order of the card's anticollision answer, as an MFRC522 reports it; readers that print a number
 * convert it back). Closing a reader is its owner's business, not the core's.
 */
export interface BadgeReader {
  onBadge(listener: (uid: Uint8Array) => void): void;
}

/** What the transport reports back. Messages are checked by the core; a transport only parses them. */
export interface TransportEvents {
  online(isOnline: boolean): void;
  ack(message: BookingAckMessage): void;
  badgeList(message: BadgeListMessage): void;
  /** A message that could not even be parsed (bad JSON, bad bytes): counted under `reason`. */
  invalid(reason: string, detail: string): void;
}

/** Carries booking batches to the ledger and its acknowledgements back (MQTT on the LAN, a RAK modem over LoRa). */
export interface BookingTransport {
  /** Bookings per batch: MAX_BOOKINGS_PER_MESSAGE over MQTT, MAX_BOOKINGS_PER_LORA_BATCH over LoRa. */
  readonly maxBatch: number;
  /** Largest time span within one batch in seconds (LoRa: the 17-bit offset), or null for none. */
  readonly maxSpanS: number | null;
  start(events: TransportEvents): void;
  /** Sends one batch of consecutive sequences, fire and forget: the core resends until an ack covers it. */
  send(batch: Booking[]): void;
}

export type RefusalReason = 'unknownBadge' | 'revokedBadge' | 'noBadgeList';
export type FailureReason = 'storageFailed' | 'badUid' | 'internalError';

/** The result of one tap, as shown on the display. `message` is an English default text; displays may map reasons. */
export type TapOutcome =
  | { result: 'booked'; booking: Booking; greeting: string; repeated: boolean }
  | { result: 'refused'; reason: RefusalReason; badge: string; message: string }
  | { result: 'failed'; reason: FailureReason; message: string };

/** What the display shows apart from tap outcomes. */
export interface TerminalStatus {
  online: boolean;
  /** Bookings in the outbox not yet acknowledged by the ledger. */
  pending: number;
  clockSynced: boolean;
  /** Why the clock is not trusted (null when it is). */
  clockProblem: ClockProblem | null;
  /** The kind a tap books now: the chosen button while its selection lasts, else the default by time of day. */
  kind: BookingKind;
  /** Whether `kind` was chosen by a button (false: the default). */
  kindChosen: boolean;
  /** Version of the badge list in use, null before any arrived. */
  badgeListVersion: number | null;
}

export type ClockProblem = 'notSynchronised' | 'beforeBuildDate' | 'jumpedBackwards' | 'serverDisagrees';

/** The kiosk page, LEDs and buzzer. Called synchronously by the core; must not throw (errors are logged and ignored). */
export interface TerminalDisplay {
  showOutcome(outcome: TapOutcome): void;
  showStatus(status: TerminalStatus): void;
}
