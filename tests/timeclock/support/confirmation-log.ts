/**
 * Every outcome the terminals' screens showed during an acceptance run, checked as it is shown against what the
 * person at the terminal meant to do: the right badge, kind and greeting, sequences per terminal from 1 without a
 * gap or a repeat, refusals for the revoked and unknown badges. What does not fit goes to `anomalies`.
 */
import type { Booking, BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { RefusalReason, TapOutcome } from '../../../firmware/timeclock/core/ports.ts';
import type { StaffMember } from './workforce.ts';

export interface Confirmation extends Booking {
  terminal: string;
  /** Whose badge it was. */
  employeeId: string;
}

export type Intent = { member: StaffMember; kind: BookingKind } | { refusal: RefusalReason; badge: string };

export const confirmationKey = (terminal: string, sequence: number): string => `${terminal}#${sequence}`;

export class ConfirmationLog {
  /** By confirmationKey. */
  readonly booked = new Map<string, Confirmation>();
  readonly refused: Partial<Record<RefusalReason, number>> = {};
  readonly anomalies: string[] = [];
  readonly #highest = new Map<string, number>();

  /** Records what `terminal`'s screen showed for a tap meant as `intent`; returns whether it confirmed a new booking. */
  record(terminal: string, outcome: TapOutcome, intent: Intent): boolean {
    const anomaly = (what: string): void => {
      if (this.anomalies.length < 50) this.anomalies.push(`${terminal}: ${what}: ${JSON.stringify(outcome)}`);
    };
    if (outcome.result === 'failed') {
      anomaly('the tap failed');
      return false;
    }
    if (outcome.result === 'refused') {
      this.refused[outcome.reason] = (this.refused[outcome.reason] ?? 0) + 1;
      if (!('refusal' in intent) || intent.refusal !== outcome.reason || intent.badge !== outcome.badge) anomaly('unexpected refusal');
      return false;
    }
    if (outcome.repeated) {
      anomaly('a repeated confirmation (debounce is off in these tests)');
      return false;
    }
    const { booking } = outcome;
    const key = confirmationKey(terminal, booking.sequence);
    if (this.booked.has(key)) {
      anomaly(`sequence ${booking.sequence} confirmed a second time`);
      return false;
    }
    const highest = this.#highest.get(terminal) ?? 0;
    if (booking.sequence !== highest + 1) anomaly(`sequence ${booking.sequence} after ${highest}`);
    this.#highest.set(terminal, Math.max(highest, booking.sequence));
    if ('refusal' in intent) {
      anomaly(`booked a badge that must be refused (${intent.refusal})`);
      this.booked.set(key, { ...booking, terminal, employeeId: '(refused badge)' });
      return true;
    }
    const { member, kind } = intent;
    if (booking.badge !== member.badge) anomaly(`badge ${booking.badge}, expected ${member.badge}`);
    if (booking.kind !== kind) anomaly(`kind ${booking.kind}, the person chose ${kind}`);
    if (outcome.greeting !== member.greeting) anomaly(`greeting "${outcome.greeting}", expected "${member.greeting}"`);
    this.booked.set(key, { ...booking, terminal, employeeId: member.employeeId });
    return true;
  }

  /** The highest sequence confirmed on `terminal` (0 when none). */
  highest(terminal: string): number {
    return this.#highest.get(terminal) ?? 0;
  }

  countOn(terminal: string): number {
    let n = 0;
    for (const c of this.booked.values()) if (c.terminal === terminal) n++;
    return n;
  }
}
