/**
 * The outbox in SQLite (better-sqlite3, synchronous): see README.md in this folder for the row lifecycle, the
 * policy when full, disk use and measured speed.
 */
import { randomUUID } from 'node:crypto';
import { LORAWAN_DEFAULTS, OUTBOX_DEFAULTS } from '../config/defaults.ts';
import type { BridgeEvent, Rejection, RxInfo } from '../types.ts';
import { openBridgeDatabase, type BridgeDatabase, type OpenDatabaseOptions, type Statement } from './database.ts';
import { mergeRxLists } from './merge-rx.ts';
import type {
  AddResult,
  DropInfo,
  NextBatchOptions,
  Outbox,
  OutboxBatch,
  OutboxKind,
  OutboxRow,
  OutboxStats,
  WhenFull,
} from './outbox.ts';

export interface SqliteOutboxOptions {
  /** Upper bound on rows (pending, published-kept and failed). Default OUTBOX_DEFAULTS.maxRows. */
  maxRows?: number;
  /** Default OUTBOX_DEFAULTS.whenFull. */
  whenFull?: WhenFull;
  /**
   * How long a published row's id is kept so that a late duplicate (the same frame from TTN seconds after the
   * serial module, or heard again after a bridge restart) is still recognised. 0 deletes at once.
   * Default LORAWAN_DEFAULTS.dedupWindowMs.
   */
  keepPublishedMs?: number;
  /** Told about every row lost to a full outbox (for the metrics). */
  onDrop?: (info: DropInfo) => void;
  /** Clock, ms since the epoch (tests). */
  now?: () => number;
}

const PENDING = 0;
const PUBLISHED = 1;
const FAILED = 2;

/** Pruning of published rows and incremental vacuum run at most this often. */
const PRUNE_INTERVAL_MS = 1_000;
const VACUUM_INTERVAL_MS = 60_000;
/** Pages freed per incremental_vacuum call (4 KiB each: 8 MiB), so one call never blocks for long. */
const VACUUM_PAGES = 2_048;

interface StoredRow {
  seq: number;
  id: string;
  kind: OutboxKind;
  added_at: number;
  body: string;
}

interface Counts {
  pendingUp: number;
  pendingRejected: number;
  published: number;
  failed: number;
}

export class SqliteOutbox implements Outbox {
  readonly #db: BridgeDatabase;
  readonly #ownsDb: boolean;
  readonly #maxRows: number;
  readonly #whenFull: WhenFull;
  readonly #keepPublishedMs: number;
  readonly #onDrop: ((info: DropInfo) => void) | undefined;
  readonly #now: () => number;
  readonly #listeners = new Set<(row: { id: string; kind: OutboxKind; addedAt: number }) => void>();
  readonly #dropped: Record<OutboxKind, number> = { up: 0, rejected: 0 };
  #counts: Counts = { pendingUp: 0, pendingRejected: 0, published: 0, failed: 0 };
  #lastPrune = 0;
  #lastVacuum = 0;
  readonly #stmt: ReturnType<typeof prepare>;

  /** Opens its own database file (closed by close()). */
  static open(path: string, options: SqliteOutboxOptions & OpenDatabaseOptions = {}): SqliteOutbox {
    return new SqliteOutbox(openBridgeDatabase(path, options), options, true);
  }

  /** Uses a database opened with openBridgeDatabase(), e.g. shared with SqliteCounterStore. */
  constructor(db: BridgeDatabase, options: SqliteOutboxOptions = {}, ownsDb = false) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    this.#maxRows = options.maxRows ?? OUTBOX_DEFAULTS.maxRows;
    if (!Number.isInteger(this.#maxRows) || this.#maxRows < 1) throw new Error(`outbox maxRows must be a positive integer, got ${this.#maxRows}`);
    this.#whenFull = options.whenFull ?? OUTBOX_DEFAULTS.whenFull;
    this.#keepPublishedMs = options.keepPublishedMs ?? LORAWAN_DEFAULTS.dedupWindowMs;
    this.#onDrop = options.onDrop;
    this.#now = options.now ?? Date.now;
    this.#stmt = prepare(db);
    this.#reloadCounts();
  }

  get database(): BridgeDatabase {
    return this.#db;
  }

  add(item: BridgeEvent, kind: 'up'): AddResult;
  add(item: Rejection, kind: 'rejected'): AddResult;
  add(item: BridgeEvent | Rejection, kind: OutboxKind): AddResult {
    const id = kind === 'up' ? (item as BridgeEvent).id : randomUUID();
    if (kind === 'up' && (typeof id !== 'string' || id === '')) throw new Error('outbox: an event needs a non-empty id');
    const addedAt = this.#now();
    const result = this.#transaction(() => this.#add(id, kind, addedAt, JSON.stringify(item)));
    if (result.status === 'added') for (const listener of this.#listeners) listener({ id, kind, addedAt });
    return result;
  }

  mergeRx(eventId: string, rx: RxInfo | readonly RxInfo[]): boolean {
    const extra = Array.isArray(rx) ? (rx as readonly RxInfo[]) : [rx as RxInfo];
    return this.#transaction(() => {
      const row = this.#stmt.pendingUpBody.get(eventId) as { body: string } | undefined;
      if (row === undefined) return false;
      const event = JSON.parse(row.body) as BridgeEvent;
      event.rx = mergeRxLists(event.rx, extra);
      const best = event.rx[0];
      if (best !== undefined) event.receivedAt = best.receivedAt;
      this.#stmt.updateBody.run(JSON.stringify(event), eventId);
      return true;
    });
  }

  nextBatch(limit: number, options: NextBatchOptions = {}): OutboxBatch {
    const holdMs = options.holdMs ?? 0;
    const now = this.#now();
    const stored = this.#stmt.batch.all(options.afterSeq ?? 0, limit) as StoredRow[];
    const rows: OutboxRow[] = [];
    for (const row of stored) {
      const dueAt = row.added_at + holdMs;
      // a row added "in the future" means the clock went back: do not hold it for that long
      if (holdMs > 0 && dueAt > now && row.added_at <= now) return { rows, heldUntil: dueAt };
      let parsed: OutboxRow;
      try {
        parsed = toOutboxRow(row);
      } catch (error) {
        // a body that is not JSON (the file was edited by hand) must not block the rows behind it
        this.markFailed(row.id, `stored body is not JSON: ${(error as Error).message}`);
        continue;
      }
      rows.push(parsed);
    }
    return { rows };
  }

  markPublished(ids: readonly string[], stateEvents: readonly BridgeEvent[] = []): void {
    const now = this.#now();
    this.#transaction(() => {
      const mark = this.#keepPublishedMs > 0 ? this.#stmt.markPublished : this.#stmt.deletePending;
      for (const id of ids) {
        const row = (this.#keepPublishedMs > 0 ? mark.get(now, id) : mark.get(id)) as { kind: OutboxKind } | undefined;
        if (row === undefined) continue;
        this.#countPending(row.kind, -1);
        if (this.#keepPublishedMs > 0) this.#counts.published++;
      }
      for (const event of stateEvents) {
        const receivedAt = Date.parse(event.receivedAt);
        if (Number.isNaN(receivedAt)) continue;
        this.#stmt.upsertState.run(event.device.id, event.message, receivedAt, event.fCnt, JSON.stringify(event));
      }
      if (now - this.#lastPrune >= PRUNE_INTERVAL_MS) {
        this.#lastPrune = now;
        this.#counts.published -= this.#stmt.prunePublished.run(now - this.#keepPublishedMs).changes;
      }
    });
    if (now - this.#lastVacuum >= VACUUM_INTERVAL_MS) {
      this.#lastVacuum = now;
      this.#db.pragma(`incremental_vacuum(${VACUUM_PAGES})`);
    }
  }

  markFailed(id: string, error: string): void {
    this.#transaction(() => {
      const row = this.#stmt.markFailed.get(this.#now(), error, id) as { kind: OutboxKind } | undefined;
      if (row === undefined) return;
      this.#countPending(row.kind, -1);
      this.#counts.failed++;
    });
  }

  deviceStates(): Map<string, Map<string, BridgeEvent>> {
    const states = new Map<string, Map<string, BridgeEvent>>();
    for (const row of this.#stmt.states.all() as { device: string; message: string; body: string }[]) {
      let event: BridgeEvent;
      try {
        event = JSON.parse(row.body) as BridgeEvent;
      } catch {
        continue; // edited by hand: that message's next event fills its place again
      }
      const state = states.get(row.device) ?? new Map<string, BridgeEvent>();
      states.set(row.device, state.set(row.message, event));
    }
    return states;
  }

  stats(): OutboxStats {
    const c = this.#counts;
    const oldest = this.#stmt.oldestPending.get() as { added_at: number } | undefined;
    return {
      pending: c.pendingUp + c.pendingRejected,
      pendingUp: c.pendingUp,
      pendingRejected: c.pendingRejected,
      published: c.published,
      failed: c.failed,
      rows: this.#rows(),
      maxRows: this.#maxRows,
      oldestPendingAgeMs: oldest === undefined ? 0 : Math.max(0, this.#now() - oldest.added_at),
      dropped: { ...this.#dropped },
    };
  }

  onAdded(listener: (row: { id: string; kind: OutboxKind; addedAt: number }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs fn in one transaction (one fsync), e.g. a frame's counter update and its add(); nested calls become
   * savepoints. The in-memory counts are reloaded when fn throws, since the rollback undid what they counted.
   * Listeners of onAdded are called inside it, before the commit.
   */
  transaction<T>(fn: () => T): T {
    return this.#transaction(fn);
  }

  close(): void {
    this.#listeners.clear();
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }

  #transaction<T>(fn: () => T): T {
    try {
      return this.#db.transaction(fn)();
    } catch (error) {
      // this connection sees its own uncommitted rows, so this is right inside an outer transaction too
      if (this.#db.open) this.#reloadCounts();
      throw error;
    }
  }

  #add(id: string, kind: OutboxKind, addedAt: number, body: string): AddResult {
    if (this.#rows() >= this.#maxRows) {
      if (this.#stmt.exists.get(id) !== undefined) return { status: 'duplicate', id };
      if (!this.#makeRoom(kind, id)) return { status: 'refused', id };
    }
    const info = this.#stmt.insert.run(id, kind, addedAt, body);
    if (info.changes === 0) return { status: 'duplicate', id };
    this.#countPending(kind, +1);
    return { status: 'added', id };
  }

  /** Frees one row for a new one of this kind; false when the policy says the new one is refused. */
  #makeRoom(kind: OutboxKind, newId: string): boolean {
    if (this.#counts.published > 0) {
      // published rows are done: only the duplicate window is lost
      this.#counts.published -= this.#stmt.deleteAllPublished.run().changes;
      if (this.#rows() < this.#maxRows) return true;
    }
    if (this.#counts.failed > 0) {
      this.#deleteOldest(this.#stmt.oldestFailed, () => this.#counts.failed--);
      if (this.#rows() < this.#maxRows) return true;
    }
    if (this.#counts.pendingRejected > 0) {
      const id = this.#deleteOldest(this.#stmt.oldestPendingRejected, () => this.#counts.pendingRejected--);
      if (id !== undefined) this.#drop({ kind: 'rejected', reason: 'outbox-full', action: 'evicted', id });
      if (this.#rows() < this.#maxRows) return true;
    }
    if (kind === 'up' && this.#whenFull === 'drop-oldest' && this.#counts.pendingUp > 0) {
      const id = this.#deleteOldest(this.#stmt.oldestPendingUp, () => this.#counts.pendingUp--);
      if (id !== undefined) this.#drop({ kind: 'up', reason: 'outbox-full', action: 'evicted', id });
      if (this.#rows() < this.#maxRows) return true;
    }
    this.#drop({ kind, reason: 'outbox-full', action: 'refused', id: newId });
    return false;
  }

  #deleteOldest(select: Statement, uncount: () => void): string | undefined {
    const row = select.get() as { seq: number; id: string } | undefined;
    if (row === undefined) return undefined;
    this.#stmt.deleteSeq.run(row.seq);
    uncount();
    return row.id;
  }

  #drop(info: DropInfo): void {
    this.#dropped[info.kind]++;
    this.#onDrop?.(info);
  }

  #countPending(kind: OutboxKind, delta: number): void {
    if (kind === 'up') this.#counts.pendingUp += delta;
    else this.#counts.pendingRejected += delta;
  }

  #rows(): number {
    const c = this.#counts;
    return c.pendingUp + c.pendingRejected + c.published + c.failed;
  }

  #reloadCounts(): void {
    const counts: Counts = { pendingUp: 0, pendingRejected: 0, published: 0, failed: 0 };
    for (const row of this.#stmt.counts.all() as { kind: OutboxKind; status: number; n: number }[]) {
      if (row.status === PENDING) counts[row.kind === 'up' ? 'pendingUp' : 'pendingRejected'] += row.n;
      else if (row.status === PUBLISHED) counts.published += row.n;
      else counts.failed += row.n;
    }
    this.#counts = counts;
  }
}

function toOutboxRow(row: StoredRow): OutboxRow {
  const base = { seq: row.seq, id: row.id, addedAt: row.added_at };
  return row.kind === 'up'
    ? { ...base, kind: 'up', event: JSON.parse(row.body) as BridgeEvent }
    : { ...base, kind: 'rejected', rejection: JSON.parse(row.body) as Rejection };
}

function prepare(db: BridgeDatabase) {
  return {
    insert: db.prepare('INSERT OR IGNORE INTO outbox (id, kind, added_at, body) VALUES (?, ?, ?, ?)'),
    exists: db.prepare('SELECT 1 FROM outbox WHERE id = ?'),
    batch: db.prepare(`SELECT seq, id, kind, added_at, body FROM outbox WHERE seq > ? AND status = ${PENDING} ORDER BY seq LIMIT ?`),
    pendingUpBody: db.prepare(`SELECT body FROM outbox WHERE id = ? AND status = ${PENDING} AND kind = 'up'`),
    updateBody: db.prepare('UPDATE outbox SET body = ? WHERE id = ?'),
    markPublished: db.prepare(`UPDATE outbox SET status = ${PUBLISHED}, done_at = ? WHERE id = ? AND status = ${PENDING} RETURNING kind`),
    deletePending: db.prepare(`DELETE FROM outbox WHERE id = ? AND status = ${PENDING} RETURNING kind`),
    markFailed: db.prepare(`UPDATE outbox SET status = ${FAILED}, done_at = ?, error = ? WHERE id = ? AND status = ${PENDING} RETURNING kind`),
    prunePublished: db.prepare(`DELETE FROM outbox WHERE status = ${PUBLISHED} AND done_at < ?`),
    deleteAllPublished: db.prepare(`DELETE FROM outbox WHERE status = ${PUBLISHED}`),
    deleteSeq: db.prepare('DELETE FROM outbox WHERE seq = ?'),
    oldestFailed: db.prepare(`SELECT seq, id FROM outbox WHERE status = ${FAILED} ORDER BY seq LIMIT 1`),
    oldestPendingRejected: db.prepare(`SELECT seq, id FROM outbox WHERE status = ${PENDING} AND kind = 'rejected' ORDER BY seq LIMIT 1`),
    oldestPendingUp: db.prepare(`SELECT seq, id FROM outbox WHERE status = ${PENDING} AND kind = 'up' ORDER BY seq LIMIT 1`),
    oldestPending: db.prepare(`SELECT added_at FROM outbox WHERE status = ${PENDING} ORDER BY seq LIMIT 1`),
    counts: db.prepare('SELECT kind, status, COUNT(*) AS n FROM outbox GROUP BY kind, status'),
    states: db.prepare('SELECT device, message, body FROM device_state'),
    // a late acknowledgement of an older event never replaces a newer one
    upsertState: db.prepare(
      'INSERT INTO device_state (device, message, received_at, f_cnt, body) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (device, message) DO UPDATE SET received_at = excluded.received_at, f_cnt = excluded.f_cnt, body = excluded.body ' +
        'WHERE excluded.received_at > device_state.received_at ' +
        'OR (excluded.received_at = device_state.received_at AND excluded.f_cnt >= device_state.f_cnt)',
    ),
  };
}
