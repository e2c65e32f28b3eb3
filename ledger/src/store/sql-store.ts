/**
 * The LedgerStore in SQL both SQLite and PostgreSQL run, over a SqlDriver. Every change is one transaction; every
 * administrative change writes its audit entry in that same transaction, so there is no change without its entry.
 */
import { MIN_RETENTION_DAYS, type Booking, type BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { Row, SqlDriver, SqlTx, SqlValue } from './driver.ts';
import {
  LedgerStoreError,
  type Actor,
  type AuditAction,
  type AuditEntry,
  type BadgeMapping,
  type BatchResult,
  type Employee,
  type ExportBooking,
  type IncomingBatch,
  type LedgerStore,
  type NewBadge,
  type RetentionResult,
  type TerminalState,
  type Via,
} from './types.ts';

const DAY_S = 86_400;
/** SQLite allows 32766 parameters; 8 per booking row keeps a batch of MAX_BOOKINGS_PER_MESSAGE far below. */
const BOOKING_COLUMNS = 'terminal, sequence, badge, kind, time, clock_unsynced, via, received_at';

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function sameBooking(stored: Row, booking: Booking): boolean {
  return stored.badge === booking.badge && stored.kind === booking.kind && num(stored.time) === booking.time && num(stored.clock_unsynced) === (booking.clockUnsynced ? 1 : 0);
}

function bookingValues(terminal: string, b: Booking, via: Via, receivedAt: number): SqlValue[] {
  return [terminal, b.sequence, b.badge, b.kind, b.time, b.clockUnsynced ? 1 : 0, via, receivedAt];
}

function toEmployee(row: Row): Employee {
  return { id: String(row.id), name: String(row.name), greeting: row.greeting === null ? null : String(row.greeting), createdAt: num(row.created_at) };
}

function toBadge(row: Row): BadgeMapping {
  return {
    id: num(row.id),
    badge: String(row.badge),
    employeeId: String(row.employee_id),
    validFrom: num(row.valid_from),
    validTo: numOrNull(row.valid_to),
    revokedAt: numOrNull(row.revoked_at),
    createdAt: num(row.created_at),
  };
}

/** The end of a mapping's validity: the earlier of valid_to and revoked_at; null when open. */
export function mappingEnd(m: Pick<BadgeMapping, 'validTo' | 'revokedAt'>): number | null {
  if (m.validTo === null) return m.revokedAt;
  if (m.revokedAt === null) return m.validTo;
  return Math.min(m.validTo, m.revokedAt);
}

function overlaps(aFrom: number, aTo: number | null, bFrom: number, bTo: number | null): boolean {
  return (aTo === null || bFrom < aTo) && (bTo === null || aFrom < bTo);
}

export class SqlLedgerStore implements LedgerStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly #db: SqlDriver;

  private constructor(db: SqlDriver) {
    this.#db = db;
    this.kind = db.dialect;
  }

  static async open(db: SqlDriver): Promise<SqlLedgerStore> {
    try {
      await db.migrate();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    return new SqlLedgerStore(db);
  }

  async insertBatch(batch: IncomingBatch): Promise<BatchResult> {
    const { terminal, bookings, via, receivedAt } = batch;
    return this.#db.transaction(async (tx) => {
      const acked = await this.#lockTerminal(tx, terminal);
      let inserted = 0;
      let duplicates = 0;
      let conflicts = 0;
      if (bookings.length > 0) {
        const rows = bookings.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
        const values = bookings.flatMap((b) => bookingValues(terminal, b, via, receivedAt));
        const stored = await tx.all(`INSERT INTO bookings (${BOOKING_COLUMNS}) VALUES ${rows} ON CONFLICT (terminal, sequence) DO NOTHING RETURNING sequence`, values);
        const insertedSequences = new Set(stored.map((r) => num(r.sequence)));
        inserted = insertedSequences.size;
        const others = bookings.filter((b) => !insertedSequences.has(b.sequence));
        if (others.length > 0) {
          const existing = await tx.all(
            `SELECT sequence, badge, kind, time, clock_unsynced FROM bookings WHERE terminal = ? AND sequence IN (${others.map(() => '?').join(', ')})`,
            [terminal, ...others.map((b) => b.sequence)],
          );
          const bySequence = new Map(existing.map((r) => [num(r.sequence), r]));
          for (const booking of others) {
            const row = bySequence.get(booking.sequence);
            if (row !== undefined && sameBooking(row, booking)) {
              duplicates++;
              continue;
            }
            conflicts++;
            await tx.run(`INSERT INTO booking_conflicts (${BOOKING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, bookingValues(terminal, booking, via, receivedAt));
          }
        }
      }
      const ackedThrough = inserted > 0 ? await this.#advance(tx, terminal, acked) : acked;
      await tx.run('UPDATE terminals SET acked_through = ?, last_batch_at = ? WHERE terminal = ?', [ackedThrough, receivedAt, terminal]);
      return { inserted, duplicates, conflicts, ackedThrough };
    });
  }

  /** Creates the terminal's row on first contact and locks it: batches of one terminal commit one after the other. */
  async #lockTerminal(tx: SqlTx, terminal: string): Promise<number> {
    await tx.run('INSERT INTO terminals (terminal) VALUES (?) ON CONFLICT (terminal) DO NOTHING', [terminal]);
    const rows = await tx.all(`SELECT acked_through FROM terminals WHERE terminal = ?${this.#db.forUpdate}`, [terminal]);
    return num(rows[0]!.acked_through);
  }

  /** The end of the unbroken run of stored sequences that starts right after `acked`. */
  async #advance(tx: SqlTx, terminal: string, acked: number): Promise<number> {
    const rows = await tx.all(
      `SELECT MIN(b.sequence) AS last FROM bookings b
       WHERE b.terminal = ? AND b.sequence > ?
         AND EXISTS (SELECT 1 FROM bookings f WHERE f.terminal = ? AND f.sequence = ?)
         AND NOT EXISTS (SELECT 1 FROM bookings c WHERE c.terminal = b.terminal AND c.sequence = b.sequence + 1)`,
      [terminal, acked, terminal, acked + 1],
    );
    const last = numOrNull(rows[0]?.last);
    return last === null ? acked : last;
  }

  async ackedThrough(terminal: string): Promise<number> {
    const rows = await this.#db.all('SELECT acked_through FROM terminals WHERE terminal = ?', [terminal]);
    return rows.length === 0 ? 0 : num(rows[0]!.acked_through);
  }

  async terminals(): Promise<TerminalState[]> {
    const rows = await this.#db.all(
      `SELECT t.terminal, t.first_sequence, t.acked_through, t.last_batch_at,
              (SELECT MAX(sequence) FROM bookings b WHERE b.terminal = t.terminal) AS highest
       FROM terminals t ORDER BY t.terminal`,
    );
    return rows.map((r) => ({
      terminal: String(r.terminal),
      firstSequence: num(r.first_sequence),
      ackedThrough: num(r.acked_through),
      highestSequence: numOrNull(r.highest),
      lastBatchAt: numOrNull(r.last_batch_at),
    }));
  }

  async skipThrough(terminal: string, through: number, reason: string, by: Actor): Promise<number> {
    if (!Number.isSafeInteger(through) || through < 1) throw new LedgerStoreError(`not a sequence number: ${through}`);
    return this.#db.transaction(async (tx) => {
      const before = await this.#lockTerminal(tx, terminal);
      if (through <= before) throw new LedgerStoreError(`terminal ${terminal} is already acknowledged through ${before}`);
      const after = await this.#advance(tx, terminal, through);
      await tx.run('UPDATE terminals SET first_sequence = ?, acked_through = ? WHERE terminal = ?', [through + 1, after, terminal]);
      await this.#auditIn(tx, 'terminal.skip', { terminal, ackedBefore: before, skippedThrough: through, ackedAfter: after, reason }, by);
      return after;
    });
  }

  async bookingsBetween(from: number, to: number, employeeId?: string): Promise<ExportBooking[]> {
    const params: SqlValue[] = [from, to];
    let filter = '';
    if (employeeId !== undefined) {
      filter = ' AND m.employee_id = ?';
      params.push(employeeId);
    }
    const rows = await this.#db.all(
      `SELECT b.terminal, b.sequence, b.badge, b.kind, b.time, b.clock_unsynced, b.via, b.received_at, m.employee_id, e.name
       FROM bookings b
       LEFT JOIN badges m ON m.badge = b.badge AND m.valid_from <= b.time
            AND (m.valid_to IS NULL OR b.time < m.valid_to) AND (m.revoked_at IS NULL OR b.time < m.revoked_at)
       LEFT JOIN employees e ON e.id = m.employee_id
       WHERE b.time >= ? AND b.time < ?${filter}
       ORDER BY m.employee_id IS NULL, m.employee_id, b.time, b.terminal, b.sequence`,
      params,
    );
    return rows.map((r) => ({
      terminal: String(r.terminal),
      sequence: num(r.sequence),
      badge: String(r.badge),
      kind: String(r.kind) as BookingKind,
      time: num(r.time),
      clockUnsynced: num(r.clock_unsynced) === 1,
      via: String(r.via) as Via,
      receivedAt: num(r.received_at),
      employeeId: r.employee_id === null ? null : String(r.employee_id),
      employeeName: r.name === null ? null : String(r.name),
    }));
  }

  async conflictCount(): Promise<number> {
    const rows = await this.#db.all('SELECT COUNT(*) AS n FROM booking_conflicts');
    return num(rows[0]!.n);
  }

  async addEmployee(employee: { id: string; name: string; greeting?: string | null }, by: Actor): Promise<Employee> {
    return this.#db.transaction(async (tx) => {
      const existing = await tx.all('SELECT id FROM employees WHERE id = ?', [employee.id]);
      if (existing.length > 0) throw new LedgerStoreError(`employee ${employee.id} exists already`);
      await tx.run('INSERT INTO employees (id, name, greeting, created_at) VALUES (?, ?, ?, ?)', [employee.id, employee.name, employee.greeting ?? null, by.now]);
      await this.#bumpBadgeListVersion(tx);
      await this.#auditIn(tx, 'employee.add', { employee: employee.id, greeting: employee.greeting != null }, by);
      return { id: employee.id, name: employee.name, greeting: employee.greeting ?? null, createdAt: by.now };
    });
  }

  async employee(id: string): Promise<Employee | undefined> {
    const rows = await this.#db.all('SELECT * FROM employees WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : toEmployee(rows[0]);
  }

  async employees(): Promise<Employee[]> {
    return (await this.#db.all('SELECT * FROM employees ORDER BY id')).map(toEmployee);
  }

  async addBadge(badge: NewBadge, by: Actor): Promise<BadgeMapping> {
    const validTo = badge.validTo ?? null;
    if (validTo !== null && validTo <= badge.validFrom) throw new LedgerStoreError('valid to must be after valid from');
    return this.#db.transaction(async (tx) => {
      // the version row's lock serialises every badge change (PostgreSQL: two admins adding the same pseudonym)
      await this.#bumpBadgeListVersion(tx);
      const employee = await tx.all('SELECT id FROM employees WHERE id = ?', [badge.employeeId]);
      if (employee.length === 0) throw new LedgerStoreError(`no employee ${badge.employeeId}: add the employee first`);
      const existing = (await tx.all('SELECT * FROM badges WHERE badge = ?', [badge.badge])).map(toBadge);
      for (const other of existing) {
        if (!overlaps(badge.validFrom, validTo, other.validFrom, mappingEnd(other))) continue;
        if (other.employeeId === badge.employeeId) {
          throw new LedgerStoreError(`badge ${badge.badge} is already mapped to ${badge.employeeId} in that period`);
        }
        throw new LedgerStoreError(
          `badge ${badge.badge} collides with a badge of another employee (${other.employeeId}) valid in that period: revoke that one first, or the two cards share a pseudonym — issue another card`,
        );
      }
      const rows = await tx.all(
        'INSERT INTO badges (badge, employee_id, valid_from, valid_to, revoked_at, created_at) VALUES (?, ?, ?, ?, NULL, ?) RETURNING *',
        [badge.badge, badge.employeeId, badge.validFrom, validTo, by.now],
      );
      await this.#auditIn(tx, 'badge.add', { badge: badge.badge, employee: badge.employeeId, validFrom: badge.validFrom, validTo }, by);
      return toBadge(rows[0]!);
    });
  }

  async revokeBadge(badge: string, by: Actor): Promise<number> {
    return this.#db.transaction(async (tx) => {
      await this.#bumpBadgeListVersion(tx);
      const active = (await tx.all('SELECT * FROM badges WHERE badge = ? AND revoked_at IS NULL', [badge]))
        .map(toBadge)
        .filter((m) => m.validTo === null || m.validTo > by.now);
      for (const mapping of active) await tx.run('UPDATE badges SET revoked_at = ? WHERE id = ?', [by.now, mapping.id]);
      await this.#auditIn(tx, 'badge.revoke', { badge, employees: active.map((m) => m.employeeId), revoked: active.length }, by);
      return active.length;
    });
  }

  async badges(): Promise<BadgeMapping[]> {
    return (await this.#db.all('SELECT * FROM badges ORDER BY badge, valid_from, id')).map(toBadge);
  }

  async nextBadgeListVersion(): Promise<number> {
    return this.#db.transaction((tx) => this.#bumpBadgeListVersion(tx));
  }

  async #bumpBadgeListVersion(tx: SqlTx): Promise<number> {
    await tx.run("UPDATE meta SET value = value + 1 WHERE key = 'badge_list_version'");
    const rows = await tx.all("SELECT value FROM meta WHERE key = 'badge_list_version'");
    return num(rows[0]!.value);
  }

  async audit(action: AuditAction, details: Record<string, unknown>, by: Actor): Promise<void> {
    await this.#db.transaction((tx) => this.#auditIn(tx, action, details, by));
  }

  async #auditIn(tx: SqlTx, action: AuditAction, details: Record<string, unknown>, by: Actor): Promise<void> {
    await tx.run('INSERT INTO audit_log (at, actor, action, details) VALUES (?, ?, ?, ?)', [by.now, by.actor, action, JSON.stringify(details)]);
  }

  async auditLog(): Promise<AuditEntry[]> {
    const rows = await this.#db.all('SELECT * FROM audit_log ORDER BY id');
    return rows.map((r) => ({
      id: num(r.id),
      at: num(r.at),
      actor: String(r.actor),
      action: String(r.action) as AuditAction,
      details: JSON.parse(String(r.details)) as Record<string, unknown>,
    }));
  }

  async retention(retentionDays: number, apply: boolean, by: Actor): Promise<RetentionResult> {
    if (!Number.isInteger(retentionDays) || retentionDays < MIN_RETENTION_DAYS) {
      throw new LedgerStoreError(
        `retention of ${retentionDays} days refused: working-time records are kept at least ${MIN_RETENTION_DAYS} days (ArbZG §16(2))`,
      );
    }
    const cutoff = by.now - retentionDays * DAY_S;
    return this.#db.transaction(async (tx) => {
      const counted = await tx.all(
        'SELECT (SELECT COUNT(*) FROM bookings WHERE time < ?) + (SELECT COUNT(*) FROM booking_conflicts WHERE time < ?) AS n',
        [cutoff, cutoff],
      );
      const matched = num(counted[0]!.n);
      let deleted = 0;
      if (apply) {
        deleted += await tx.run('DELETE FROM bookings WHERE time < ?', [cutoff]);
        deleted += await tx.run('DELETE FROM booking_conflicts WHERE time < ?', [cutoff]);
      }
      await this.#auditIn(tx, apply ? 'retention.apply' : 'retention.dry-run', { retentionDays, cutoff, matched, deleted }, by);
      return { cutoff, matched, deleted };
    });
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
