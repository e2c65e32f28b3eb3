/**
 * The kind a tap books when no button was pressed: `come` before TerminalSettings.goFromHour (local time), `go`
 * from then on. Simple on purpose: breaks and errands always need their button, and the display shows the kind
 * before and after the tap, so a wrong default is seen and corrected with a button and a second tap.
 */
import { BOOKING_KINDS, type BookingKind } from './contracts.ts';

export function defaultKind(localHour: number, goFromHour: number): BookingKind {
  return localHour < goFromHour ? 'come' : 'go';
}

/** The local hour of a Unix time: the Pi's time zone in Node, E.setTimeZone's on Espruino. */
export function localHourOf(unixS: number): number {
  return new Date(unixS * 1000).getHours();
}

export function isBookingKind(value: unknown): value is BookingKind {
  return typeof value === 'string' && BOOKING_KINDS.indexOf(value as BookingKind) >= 0;
}
