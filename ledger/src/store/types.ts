/**
 * The ledger's storage seam. Two implementations share one SQL text (sql-store.ts) over two drivers: SQLite
 * (better-sqlite3, the default) and PostgreSQL (pg). Times are Unix seconds (UTC) everywhere.
 *
 * Sequences: a terminal numbers its bookings from 1 (contracts.ts, Booking.sequence), so the first sequence of every
 * terminal is known without asking it. ackedThrough(terminal) is the highest n such that every sequence from the
 * terminal's first (1, or what an administrator set with skipThrough) up to n is stored; 0 when nothing is.
 */
import type { Booking } from '../../../firmware/timeclock/core/contracts.ts';

export type Via = 'lan' | 'lora';

export interface IncomingBatch {
  terminal: string;
  bookings: Booking[];
  via: Via;
  /** Ledger clock when the message arrived. */
  receivedAt: number;
}

export interface BatchResult {
  /** Bookings stored by this call. */
  inserted: number;
  /** Already stored with the same content: a re-delivery. Changes nothing. */
  duplicates: number;
  /**
   * Already stored with different content (a terminal whose outbox was reset reuses sequences): kept in
   * booking_conflicts for a person to look at, never silently dropped, never overwriting the first.
   */
  conflicts: number;
  /** The terminal's ackedThrough after the commit. */
  ackedThrough: number;
}

export interface StoredBooking extends Booking {
  terminal: string;
  via: Via;
  receivedAt: number;
}

/** A booking with the employee its badge mapped to at the booking's time (null when none did). */
export interface ExportBooking extends StoredBooking {
  employeeId: string | null;
  employeeName: string | null;
}

export interface TerminalState {
  terminal: string;
  firstSequence: number;
  ackedThrough: number;
  /** Highest stored sequence (above ackedThrough when there is a gap). */
  highestSequence: number | null;
  lastBatchAt: number | null;
}

export interface Employee {
  id: string;
  name: string;
  /** What a terminal shows on a tap; null: the configured neutral default. */
  greeting: string | null;
  createdAt: number;
}

export interface BadgeMapping {
  id: number;
  /** 8 lower-case hex digits: the keyed pseudonym, never the UID. */
  badge: string;
  employeeId: string;
  validFrom: number;
  /** Exclusive; null: open-ended. */
  validTo: number | null;
  revokedAt: number | null;
  createdAt: number;
}

export type AuditAction =
  | 'employee.add'
  | 'badge.add'
  | 'badge.revoke'
  | 'employee.list'
  | 'badge.list'
  | 'terminal.skip'
  | 'export'
  | 'retention.dry-run'
  | 'retention.apply';

export interface AuditEntry {
  id: number;
  at: number;
  /** Who: the operating-system user running the command (or what --actor says). */
  actor: string;
  action: AuditAction;
  /** What, as a small JSON object (ids, counts, periods; never a UID or a key). */
  details: Record<string, unknown>;
}

export interface RetentionResult {
  /** Bookings with time < cutoff are past the period. */
  cutoff: number;
  /** Bookings (and conflict records) past the period. */
  matched: number;
  /** 0 on a dry run. */
  deleted: number;
}

export interface NewBadge {
  badge: string;
  employeeId: string;
  validFrom: number;
  validTo?: number | null;
}

/** Who did it and when: every administrative change carries one and writes an audit entry in its transaction. */
export interface Actor {
  actor: string;
  now: number;
}

export class LedgerStoreError extends Error {
  override name = 'LedgerStoreError';
}

export interface LedgerStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores what is new, counts the rest; one transaction. Resolves only after the commit. */
  insertBatch(batch: IncomingBatch): Promise<BatchResult>;
  ackedThrough(terminal: string): Promise<number>;
  terminals(): Promise<TerminalState[]>;
  /**
   * An administrator accepts that a terminal's sequences up to `through` will never arrive (its outbox was lost):
   * they no longer hold ackedThrough back. Audited. Returns the new ackedThrough.
   */
  skipThrough(terminal: string, through: number, reason: string, by: Actor): Promise<number>;
  /** Bookings with from <= time < to, with their employee; only that employee's when employeeId is given. */
  bookingsBetween(from: number, to: number, employeeId?: string): Promise<ExportBooking[]>;
  conflictCount(): Promise<number>;

  addEmployee(employee: { id: string; name: string; greeting?: string | null }, by: Actor): Promise<Employee>;
  employee(id: string): Promise<Employee | undefined>;
  employees(): Promise<Employee[]>;
  /** Refuses (LedgerStoreError) an overlap with another mapping of the same pseudonym. */
  addBadge(badge: NewBadge, by: Actor): Promise<BadgeMapping>;
  /** Revokes the pseudonym's mappings valid at by.now; returns how many. */
  revokeBadge(badge: string, by: Actor): Promise<number>;
  badges(): Promise<BadgeMapping[]>;
  /** A number that only grows: the BadgeListMessage version. */
  nextBadgeListVersion(): Promise<number>;

  /** Writes an audit entry of its own (export runs, listings). */
  audit(action: AuditAction, details: Record<string, unknown>, by: Actor): Promise<void>;
  auditLog(): Promise<AuditEntry[]>;
  /** Refuses retentionDays < MIN_RETENTION_DAYS. Audited (dry run included). */
  retention(retentionDays: number, apply: boolean, by: Actor): Promise<RetentionResult>;

  close(): Promise<void>;
}
