/**
 * The contracts of the time-clock system, shared by the booking core (terminal side, Node and Espruino), the Pi
 * terminal, the kiosk page and the ledger. Plain types and constants only: this file must stay in the language
 * subset Espruino runs (no Map/Set, no classes needed), because the booking core includes it in Espruino bundles.
 *
 * Paths a booking takes:
 * - LAN: terminal → `stadtsensor/timeclock/<terminal>/bookings` (QoS 1, BookingBatchMessage JSON) → ledger commits →
 *   ledger → `stadtsensor/timeclock/<terminal>/ack` (QoS 1, BookingAckMessage JSON) → terminal removes them.
 * - LoRa: terminal → RAK modem → payload-schema bookingBatch (FPort 40) → gateway bridge → `stadtsensor/<device>/up`
 *   → ledger commits → ledger publishes `{"bookingAck":{"ackedThrough":N,"serverTime":T}}` on `stadtsensor/<device>/down`
 *   → bridge → ABP downlink (FPort 41) in the terminal's receive window → terminal removes them.
 * The ledger is idempotent on (terminal, sequence); an acknowledgement is cumulative: every booking of the terminal up
 * to and including `ackedThrough` is committed.
 */

export type BookingKind = 'come' | 'go' | 'breakStart' | 'breakEnd' | 'errand';

/** In payload-schema's bookingBatch enum order. */
export const BOOKING_KINDS: BookingKind[] = ['come', 'go', 'breakStart', 'breakEnd', 'errand'];

/** One booking as the terminal made it. Never the raw badge UID: a keyed pseudonym (see badgePseudonym). */
export interface Booking {
  /** Per-terminal sequence number, from 1, never reused (the terminal's outbox persists it). */
  sequence: number;
  /** 8 lower-case hex digits: the first 4 bytes of HMAC-SHA256(pseudonymKey, UID bytes). */
  badge: string;
  kind: BookingKind;
  /** Unix time, UTC seconds. */
  time: number;
  /** The terminal clock was not synchronised (no NTP, RTC check failed) when the booking was made. */
  clockUnsynced: boolean;
}

/** terminal → ledger over MQTT (LAN). At most MAX_BOOKINGS_PER_MESSAGE bookings, consecutive sequences. */
export interface BookingBatchMessage {
  terminal: string;
  bookings: Booking[];
}

/** ledger → terminal over MQTT (LAN); the same meaning as payload-schema's bookingAck (FPort 41). */
export interface BookingAckMessage {
  ackedThrough: number;
  /** Ledger clock, Unix seconds, for the terminal's clock sanity check; null when not sent. */
  serverTime: number | null;
}

/**
 * ledger → every terminal, retained: which badges may book, and what to greet them with. Published so that a
 * terminal can tell unknown and revoked badges apart even while the ledger is away. Holds pseudonyms only.
 */
export interface BadgeListMessage {
  /** Increases with every change, so a terminal keeps the newest list it saw. */
  version: number;
  badges: { badge: string; greeting: string }[];
  revoked: string[];
}

/**
 * terminal → everyone, retained on TIMECLOCK_TOPICS.status: `online` after every connect, `offline` when it stops
 * (cause 'stopped') or, as its MQTT last will, when its connection is lost (cause 'last-will').
 */
export interface TerminalStatusMessage {
  terminal: string;
  state: 'online' | 'offline';
  cause?: 'stopped' | 'last-will';
}

export const TIMECLOCK_TOPICS = {
  bookings: (terminal: string): string => 'stadtsensor/timeclock/' + terminal + '/bookings',
  ack: (terminal: string): string => 'stadtsensor/timeclock/' + terminal + '/ack',
  /** Subscriptions of the ledger and the terminals. */
  allBookings: 'stadtsensor/timeclock/+/bookings',
  badges: 'stadtsensor/timeclock/badges',
  /** Retained online/offline of a terminal (last will). */
  status: (terminal: string): string => 'stadtsensor/timeclock/' + terminal + '/status',
};

/** Bookings per MQTT message; over LoRa a bookingBatch carries at most 6 (payload-schema). */
export const MAX_BOOKINGS_PER_MESSAGE = 50;
export const MAX_BOOKINGS_PER_LORA_BATCH = 6;

/** Working-time records are kept at least two years (ArbZG §16(2)); the ledger refuses a shorter retention. */
export const MIN_RETENTION_DAYS = 731;
