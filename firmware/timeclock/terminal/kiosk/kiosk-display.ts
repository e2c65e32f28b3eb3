/**
 * What the terminal tells the kiosk screen, and what the screen tells the terminal. The terminal (booking core
 * wrapper) calls a KioskDisplay; a KindSelectionSource reports the kind a person chose on the touch screen.
 */
import type { BookingKind } from '../../core/contracts.ts';

export type RefusalReason = 'unknown' | 'revoked' | 'error';

export interface BookingConfirmation {
  /** Name or greeting from the ledger's badge list, e.g. "Guten Morgen, Frau Schmidt". */
  greeting: string;
  kind: BookingKind;
  /** The booking's time, Unix seconds. */
  time: number;
  sequence: number;
  clockUnsynced?: boolean;
}

export interface BookingRefusal {
  reason: RefusalReason;
  /** Shown under the title; a default text per reason when left out. */
  text?: string;
}

export interface KioskDisplay {
  /** Call after the booking is committed to the outbox. */
  showConfirmation(confirmation: BookingConfirmation): void;
  showRefusal(refusal: BookingRefusal): void;
  /** Whether the ledger is reachable, and how many bookings wait in the outbox. */
  setOnline(online: boolean, waiting: number): void;
  setSelectedKind(kind: BookingKind): void;
  /** False while the terminal's clock is not trusted (bookings are flagged): the page says so. */
  setClockSynced(synced: boolean): void;
}

export interface KindSelectionSource {
  onKindSelected(listener: (kind: BookingKind) => void): void;
}

/** What the page renders, pushed over Server-Sent Events as one JSON object. */
export interface KioskView {
  online: boolean;
  waiting: number;
  selectedKind: BookingKind;
  clockSynced: boolean;
  overlay: KioskOverlay | null;
}

export type KioskOverlay =
  | ({ id: number; type: 'confirmation'; clockUnsynced: boolean } & Omit<BookingConfirmation, 'clockUnsynced'>)
  | { id: number; type: 'refusal'; reason: RefusalReason; title: string; text: string };
