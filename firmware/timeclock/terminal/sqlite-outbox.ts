/**
 * The Pi terminal's outbox (BookingOutbox) and badge-list keeper (BadgeListStore) in one SQLite file.
 *
 * WAL with synchronous=FULL: append() returns only after its commit is in the WAL on disk, so a booking the core
 * confirmed survives a SIGKILL of the process and a power cut of the Pi. The sequence counter lives in the same
 * transaction as the row, so a sequence is never given out twice and never skipped.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
// better-sqlite3's API as the bridge types it (the repo has no @types/better-sqlite3)
import type { BridgeDatabase as Database, Statement } from '../../../gateway-bridge/src/outbox/database.ts';
import { badgeListProblem } from '../core/badge-directory.ts';
import type { BadgeListMessage, Booking, BookingKind } from '../core/contracts.ts';
import type { BadgeListStore, BookingOutbox, NewBooking } from '../core/ports.ts';

const openDatabase = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Database;

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bookings (
  sequence       INTEGER PRIMARY KEY,
  badge          TEXT    NOT NULL,
  kind           TEXT    NOT NULL CHECK (kind IN ('come', 'go', 'breakStart', 'breakEnd', 'errand')),
  time           INTEGER NOT NULL,
  clock_unsynced INTEGER NOT NULL CHECK (clock_unsynced IN (0, 1))
);
CREATE TABLE IF NOT EXISTS terminal_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT OR IGNORE INTO terminal_state (key, value) VALUES ('next_sequence', '1');
`;

export interface SqliteOutboxOptions {
  /** 'FULL' (default): a confirmed booking survives a power cut. 'NORMAL' only a crash (for benchmarks). */
  synchronous?: 'FULL' | 'NORMAL';
}

interface BookingRow {
  sequence: number;
  badge: string;
  kind: BookingKind;
  time: number;
  clock_unsynced: number;
}

export class SqliteOutbox implements BookingOutbox, BadgeListStore {
  readonly path: string;
  private readonly db: Database;
  private readonly statements: Record<'getState' | 'setState' | 'insert' | 'pending' | 'remove' | 'count', Statement>;
  private readonly appendTx: (booking: NewBooking) => Booking;

  constructor(path: string, options: SqliteOutboxOptions = {}) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new openDatabase(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`${path} has schema version ${version}; this terminal knows up to ${SCHEMA_VERSION} (a newer terminal wrote it)`);
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.statements = {
      getState: db.prepare('SELECT value FROM terminal_state WHERE key = ?'),
      setState: db.prepare('INSERT INTO terminal_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      insert: db.prepare('INSERT INTO bookings (sequence, badge, kind, time, clock_unsynced) VALUES (?, ?, ?, ?, ?)'),
      pending: db.prepare('SELECT sequence, badge, kind, time, clock_unsynced FROM bookings ORDER BY sequence LIMIT ?'),
      remove: db.prepare('DELETE FROM bookings WHERE sequence <= ?'),
      count: db.prepare('SELECT COUNT(*) AS n FROM bookings'),
    };
    this.appendTx = db.transaction((booking: NewBooking): Booking => {
      const sequence = this.nextSequence();
      this.statements.insert.run(sequence, booking.badge, booking.kind, booking.time, booking.clockUnsynced ? 1 : 0);
      this.statements.setState.run('next_sequence', String(sequence + 1));
      return { sequence, badge: booking.badge, kind: booking.kind, time: booking.time, clockUnsynced: booking.clockUnsynced };
    });
  }

  append(booking: NewBooking): Booking {
    return this.appendTx(booking);
  }

  unacknowledged(limit: number): Booking[] {
    return (this.statements.pending.all(limit) as BookingRow[]).map((row) => ({
      sequence: row.sequence,
      badge: row.badge,
      kind: row.kind,
      time: row.time,
      clockUnsynced: row.clock_unsynced === 1,
    }));
  }

  acknowledge(throughSequence: number): number {
    return this.statements.remove.run(throughSequence).changes;
  }

  pendingCount(): number {
    return (this.statements.count.get() as { n: number }).n;
  }

  nextSequence(): number {
    const row = this.statements.getState.get('next_sequence') as { value: string } | undefined;
    return row === undefined ? 1 : Number(row.value);
  }

  setNextSequence(next: number): void {
    if (next > this.nextSequence()) this.statements.setState.run('next_sequence', String(next));
  }

  load(): BadgeListMessage | null {
    const row = this.statements.getState.get('badge_list') as { value: string } | undefined;
    if (row === undefined) return null;
    const list = JSON.parse(row.value) as unknown;
    return badgeListProblem(list) === null ? (list as BadgeListMessage) : null;
  }

  save(list: BadgeListMessage): void {
    this.statements.setState.run('badge_list', JSON.stringify(list));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
