import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBridgeDatabase, type BridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import type { DropInfo, OutboxRow } from '../../../gateway-bridge/src/outbox/outbox.ts';
import { SqliteCounterStore } from '../../../gateway-bridge/src/outbox/sqlite-counter-store.ts';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import { sampleEvent, sampleRejection, sampleRx } from './sample-events.ts';

let dir: string;
let file: string;
const opened: SqliteOutbox[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-outbox-'));
  file = join(dir, 'state', 'bridge.sqlite');
});
afterEach(() => {
  for (const outbox of opened.splice(0)) outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(options: SqliteOutboxOptions = {}): SqliteOutbox {
  const outbox = SqliteOutbox.open(file, options);
  opened.push(outbox);
  return outbox;
}

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2025, 2, 1, 6)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const ids = (rows: OutboxRow[]): string[] => rows.map((row) => row.id);

describe('SqliteOutbox', () => {
  it('opens the database in WAL mode with synchronous=FULL', () => {
    const outbox = open();
    expect(outbox.database.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL
    expect(outbox.database.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('stores a frame once: the same event id twice is one row', () => {
    const outbox = open();
    const event = sampleEvent(1);
    expect(outbox.add(event, 'up')).toEqual({ status: 'added', id: event.id });
    expect(outbox.add(event, 'up')).toEqual({ status: 'duplicate', id: event.id });
    expect(outbox.stats()).toMatchObject({ pending: 1, pendingUp: 1, rows: 1 });
    const { rows } = outbox.nextBatch(10);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'up', id: event.id, event });
  });

  it('gives rejections their own ids and returns ups and rejections in insertion order', () => {
    const outbox = open();
    const added = [
      outbox.add(sampleEvent(1), 'up'),
      outbox.add(sampleRejection(1), 'rejected'),
      outbox.add(sampleEvent(2), 'up'),
      outbox.add(sampleRejection(1), 'rejected'),
    ];
    expect(added.map((a) => a.status)).toEqual(['added', 'added', 'added', 'added']);
    expect(added[1]?.id).not.toBe(added[3]?.id);
    const { rows } = outbox.nextBatch(10);
    expect(ids(rows)).toEqual(added.map((a) => a.id));
    expect(rows.map((r) => r.kind)).toEqual(['up', 'rejected', 'up', 'rejected']);
    const rejected = rows[1];
    expect(rejected?.kind === 'rejected' && rejected.rejection).toEqual(sampleRejection(1));
    expect(outbox.stats()).toMatchObject({ pendingUp: 2, pendingRejected: 2 });
  });

  it('pages through pending rows with a cursor and a limit', () => {
    const outbox = open();
    for (let n = 0; n < 25; n++) outbox.add(sampleEvent(n), 'up');
    const first = outbox.nextBatch(10).rows;
    const second = outbox.nextBatch(10, { afterSeq: first.at(-1)?.seq }).rows;
    const third = outbox.nextBatch(10, { afterSeq: second.at(-1)?.seq }).rows;
    expect([...first, ...second, ...third].map((r) => (r.kind === 'up' ? r.event.fCnt : -1))).toEqual([...Array(25).keys()]);
    expect(third).toHaveLength(5);
  });

  it('holds rows younger than holdMs and says when the first held one is due', () => {
    const clock = manualClock();
    const outbox = open({ now: clock.now });
    outbox.add(sampleEvent(1), 'up');
    clock.advance(100);
    outbox.add(sampleEvent(2), 'up');
    clock.advance(150);
    const batch = outbox.nextBatch(10, { holdMs: 200 });
    expect(batch.rows.map((r) => r.id)).toEqual([sampleEvent(1).id]);
    expect(batch.heldUntil).toBe(clock.now() - 150 + 200);
    clock.advance(50);
    const later = outbox.nextBatch(10, { holdMs: 200 });
    expect(later.rows).toHaveLength(2);
    expect(later.heldUntil).toBeUndefined();
  });

  it('merges a second receiver into a pending event, best reception first', () => {
    const outbox = open();
    const event = sampleEvent(1);
    outbox.add(event, 'up');
    const better = sampleRx({ gatewayId: 'pi-markt-2', rssi: -80, snr: 9.5, receivedAt: '2025-03-01T06:00:01.020Z' });
    const worseSame = sampleRx({ rssi: -120, snr: -12 });
    expect(outbox.mergeRx(event.id, [better, worseSame])).toBe(true);
    const row = outbox.nextBatch(1).rows[0];
    if (row?.kind !== 'up') throw new Error('expected an up row');
    expect(row.event.rx.map((rx) => rx.gatewayId)).toEqual(['pi-markt-2', 'pi-rathaus-1']);
    // the original receiver kept its better reading
    expect(row.event.rx[1]?.snr).toBe(6.5);
    expect(row.event.receivedAt).toBe(better.receivedAt);
    expect(outbox.mergeRx('no-such-event', better)).toBe(false);
  });

  it('does not merge into an event that was already published', () => {
    const outbox = open();
    const event = sampleEvent(1);
    outbox.add(event, 'up');
    outbox.markPublished([event.id]);
    expect(outbox.mergeRx(event.id, sampleRx({ gatewayId: 'late' }))).toBe(false);
  });

  it('no longer offers published rows but still knows their ids within the keep window', () => {
    const clock = manualClock();
    const outbox = open({ now: clock.now, keepPublishedMs: 60_000 });
    const [a, b] = [sampleEvent(1), sampleEvent(2)];
    outbox.add(a, 'up');
    outbox.add(b, 'up');
    outbox.markPublished([a.id]);
    expect(ids(outbox.nextBatch(10).rows)).toEqual([b.id]);
    expect(outbox.stats()).toMatchObject({ pending: 1, published: 1, rows: 2 });
    expect(outbox.add(a, 'up').status).toBe('duplicate');
    clock.advance(61_000);
    outbox.markPublished([b.id]);
    // a's window is over: pruned, and the same frame would be a new row
    expect(outbox.stats()).toMatchObject({ pending: 0, published: 1, rows: 1 });
    expect(outbox.add(a, 'up').status).toBe('added');
  });

  it('deletes at once with keepPublishedMs 0, and ignores unknown or repeated ids', () => {
    const outbox = open({ keepPublishedMs: 0 });
    const event = sampleEvent(1);
    outbox.add(event, 'up');
    outbox.markPublished([event.id, event.id, 'unknown']);
    expect(outbox.stats()).toMatchObject({ pending: 0, published: 0, rows: 0 });
    expect(outbox.add(event, 'up').status).toBe('added');
  });

  it('keeps failed rows aside with their error', () => {
    const outbox = open();
    outbox.add(sampleEvent(1), 'up');
    outbox.add(sampleEvent(2), 'up');
    outbox.markFailed(sampleEvent(1).id, 'device id "a/b" is not topic-safe');
    expect(ids(outbox.nextBatch(10).rows)).toEqual([sampleEvent(2).id]);
    expect(outbox.stats()).toMatchObject({ pending: 1, failed: 1, rows: 2 });
    const stored = outbox.database.prepare('SELECT error FROM outbox WHERE id = ?').get(sampleEvent(1).id);
    expect(stored).toEqual({ error: 'device id "a/b" is not topic-safe' });
  });

  it('sets aside a row whose stored body is not JSON instead of failing on it forever', () => {
    const outbox = open();
    outbox.add(sampleEvent(1), 'up');
    outbox.add(sampleEvent(2), 'up');
    outbox.database.prepare('UPDATE outbox SET body = ? WHERE id = ?').run('{"trunc', sampleEvent(1).id);
    expect(ids(outbox.nextBatch(10).rows)).toEqual([sampleEvent(2).id]);
    expect(outbox.stats()).toMatchObject({ pending: 1, failed: 1 });
  });

  it('reports the age of the oldest pending row', () => {
    const clock = manualClock();
    const outbox = open({ now: clock.now });
    expect(outbox.stats().oldestPendingAgeMs).toBe(0);
    outbox.add(sampleEvent(1), 'up');
    clock.advance(5_000);
    outbox.add(sampleEvent(2), 'up');
    clock.advance(1_000);
    expect(outbox.stats().oldestPendingAgeMs).toBe(6_000);
    outbox.markPublished([sampleEvent(1).id]);
    expect(outbox.stats().oldestPendingAgeMs).toBe(1_000);
  });

  it('tells listeners about added rows only', () => {
    const outbox = open();
    const seen: string[] = [];
    const unsubscribe = outbox.onAdded((row) => seen.push(`${row.kind}:${row.id}`));
    outbox.add(sampleEvent(1), 'up');
    outbox.add(sampleEvent(1), 'up');
    const rejection = outbox.add(sampleRejection(1), 'rejected');
    unsubscribe();
    outbox.add(sampleEvent(2), 'up');
    expect(seen).toEqual([`up:${sampleEvent(1).id}`, `rejected:${rejection.id}`]);
  });

  it('keeps rows, order, counts and device states across closing and reopening the file', () => {
    const first = open();
    for (let n = 0; n < 5; n++) first.add(sampleEvent(n), 'up');
    first.add(sampleRejection(9), 'rejected');
    first.markPublished([sampleEvent(0).id], [sampleEvent(0)]);
    first.close();
    const second = open();
    expect(second.stats()).toMatchObject({ pendingUp: 4, pendingRejected: 1, published: 1, rows: 6 });
    second.add(sampleEvent(5), 'up');
    const rows = second.nextBatch(100).rows;
    expect(rows.map((r) => (r.kind === 'up' ? r.event.fCnt : 'rej'))).toEqual([1, 2, 3, 4, 'rej', 5]);
    // seq keeps growing across the reopen: a publisher's cursor never skips a new row
    expect(rows.map((r) => r.seq)).toEqual([...rows.map((r) => r.seq)].sort((x, y) => x - y));
    expect(second.deviceStates()).toEqual(new Map([['road-3', new Map([['roadClimate', sampleEvent(0)]])]]));
    expect(second.add(sampleEvent(0), 'up').status).toBe('duplicate');
  });

  it('never reuses a seq, even after every row was deleted', () => {
    const outbox = open({ keepPublishedMs: 0 });
    outbox.add(sampleEvent(1), 'up');
    const firstSeq = outbox.nextBatch(1).rows[0]?.seq ?? 0;
    outbox.markPublished([sampleEvent(1).id]);
    outbox.add(sampleEvent(2), 'up');
    const rows = outbox.nextBatch(1, { afterSeq: firstSeq }).rows;
    expect(ids(rows)).toEqual([sampleEvent(2).id]);
  });

  it('rolls a shared transaction back as a whole and keeps its counts right', () => {
    const outbox = open();
    expect(() =>
      outbox.transaction(() => {
        outbox.add(sampleEvent(1), 'up');
        throw new Error('frame processing failed');
      }),
    ).toThrow('frame processing failed');
    expect(outbox.stats()).toMatchObject({ pending: 0, rows: 0 });
    expect(outbox.nextBatch(10).rows).toEqual([]);
  });

  it('refuses an event without an id', () => {
    const outbox = open();
    expect(() => outbox.add({ ...sampleEvent(1), id: '' }, 'up')).toThrow(/id/);
  });

  it('saves per device and message the newest state event: an older one acknowledged later does not replace it', () => {
    const outbox = open();
    const status = { ...sampleEvent(20), id: 'status-20', message: 'deviceStatus', port: 1 };
    outbox.markPublished([], [sampleEvent(10), status, sampleEvent(0, { device: 'road-4' })]);
    outbox.markPublished([], [sampleEvent(5), { ...status, id: 'status-older', receivedAt: sampleEvent(19).receivedAt }]);
    const newest = (device: string): Record<string, string> =>
      Object.fromEntries([...(outbox.deviceStates().get(device) ?? [])].map(([message, event]) => [message, event.id]));
    expect(newest('road-3')).toEqual({ roadClimate: sampleEvent(10).id, deviceStatus: 'status-20' });
    expect(newest('road-4')).toEqual({ roadClimate: sampleEvent(0, { device: 'road-4' }).id });
    // the same receive time: the higher frame counter is the newer; a newer time always is
    outbox.markPublished([], [sampleEvent(10, { fCnt: 9 }), { ...status, id: 'status-same', fCnt: 21 }]);
    expect(newest('road-3')).toEqual({ roadClimate: sampleEvent(10).id, deviceStatus: 'status-same' });
    outbox.markPublished([], [sampleEvent(11)]);
    expect(newest('road-3')).toEqual({ roadClimate: sampleEvent(11).id, deviceStatus: 'status-same' });
  });

  it('shares its database file with a second connection (another process reading stats)', () => {
    const outbox = open();
    outbox.add(sampleEvent(1), 'up');
    const reader = openBridgeDatabase(file);
    try {
      expect(reader.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 1 });
    } finally {
      reader.close();
    }
  });
});

describe('SqliteOutbox when full', () => {
  function fill(outbox: SqliteOutbox, from: number, count: number): void {
    for (let n = from; n < from + count; n++) outbox.add(sampleEvent(n), 'up');
  }
  const fCnts = (outbox: SqliteOutbox): (number | string)[] =>
    outbox.nextBatch(1000).rows.map((r) => (r.kind === 'up' ? r.event.fCnt : `rej${r.rejection.fCnt}`));

  it('prunes published rows before anything pending', () => {
    const drops: DropInfo[] = [];
    const outbox = open({ maxRows: 4, onDrop: (d) => drops.push(d) });
    fill(outbox, 0, 4);
    outbox.markPublished([sampleEvent(0).id, sampleEvent(1).id]);
    fill(outbox, 4, 2);
    expect(fCnts(outbox)).toEqual([2, 3, 4, 5]);
    expect(drops).toEqual([]);
  });

  it('drops the oldest pending rejected records first, counted by kind', () => {
    const drops: DropInfo[] = [];
    const outbox = open({ maxRows: 4, whenFull: 'refuse-new', onDrop: (d) => drops.push(d) });
    outbox.add(sampleEvent(0), 'up');
    const r1 = outbox.add(sampleRejection(1), 'rejected');
    outbox.add(sampleRejection(2), 'rejected');
    outbox.add(sampleEvent(3), 'up');
    expect(outbox.add(sampleEvent(4), 'up').status).toBe('added');
    expect(fCnts(outbox)).toEqual([0, 'rej2', 3, 4]);
    expect(drops).toEqual([{ kind: 'rejected', reason: 'outbox-full', action: 'evicted', id: r1.id }]);
    expect(outbox.stats().dropped).toEqual({ up: 0, rejected: 1 });
  });

  it("'refuse-new' keeps the stored events and refuses new ones", () => {
    const drops: DropInfo[] = [];
    const outbox = open({ maxRows: 3, whenFull: 'refuse-new', onDrop: (d) => drops.push(d) });
    fill(outbox, 0, 3);
    expect(outbox.add(sampleEvent(3), 'up').status).toBe('refused');
    // a rejection never displaces an event
    expect(outbox.add(sampleRejection(4), 'rejected').status).toBe('refused');
    expect(fCnts(outbox)).toEqual([0, 1, 2]);
    expect(drops.map((d) => `${d.kind}:${d.action}`)).toEqual(['up:refused', 'rejected:refused']);
    expect(outbox.stats().dropped).toEqual({ up: 1, rejected: 1 });
    // once something is published there is room again
    outbox.markPublished([sampleEvent(0).id]);
    expect(outbox.add(sampleEvent(3), 'up').status).toBe('added');
  });

  it("'drop-oldest' evicts the oldest pending event for a new one", () => {
    const drops: DropInfo[] = [];
    const outbox = open({ maxRows: 3, whenFull: 'drop-oldest', onDrop: (d) => drops.push(d) });
    fill(outbox, 0, 5);
    expect(fCnts(outbox)).toEqual([2, 3, 4]);
    expect(drops.map((d) => `${d.kind}:${d.action}:${d.id}`)).toEqual([
      `up:evicted:${sampleEvent(0).id}`,
      `up:evicted:${sampleEvent(1).id}`,
    ]);
    expect(outbox.stats()).toMatchObject({ rows: 3, dropped: { up: 2, rejected: 0 } });
  });

  it('counts a duplicate as a duplicate even when full', () => {
    const drops: DropInfo[] = [];
    const outbox = open({ maxRows: 2, whenFull: 'drop-oldest', onDrop: (d) => drops.push(d) });
    fill(outbox, 0, 2);
    expect(outbox.add(sampleEvent(0), 'up').status).toBe('duplicate');
    expect(fCnts(outbox)).toEqual([0, 1]);
    expect(drops).toEqual([]);
  });

  it('keeps its bound across a reopen', () => {
    const first = open({ maxRows: 3, whenFull: 'refuse-new' });
    fill(first, 0, 3);
    first.close();
    const second = open({ maxRows: 3, whenFull: 'refuse-new' });
    expect(second.add(sampleEvent(3), 'up').status).toBe('refused');
    expect(second.stats().rows).toBe(3);
  });

  it('rejects a maxRows that is not a positive integer', () => {
    expect(() => open({ maxRows: 0 })).toThrow(/maxRows/);
  });
});

describe('a database file of schema version 1 (state marks)', () => {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BridgeDatabase;

  /** What the bridge with schema version 1 left: rows of every status, marks, a frame counter. */
  function writeVersion1File(): void {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(readFileSync(new URL('./fixtures/schema-v1.sql', import.meta.url), 'utf8'));
    db.pragma('user_version = 1');
    const insert = db.prepare('INSERT INTO outbox (id, kind, status, added_at, done_at, body) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run(sampleEvent(7).id, 'up', 1, 1_000, 2_000, JSON.stringify(sampleEvent(7)));
    insert.run('broken', 'up', 2, 1_000, 2_000, 'not json');
    insert.run(sampleEvent(8).id, 'up', 0, 3_000, null, JSON.stringify(sampleEvent(8)));
    insert.run('rejection-1', 'rejected', 0, 3_000, null, JSON.stringify(sampleRejection(1)));
    const mark = db.prepare('INSERT INTO state_marks (device, received_at, f_cnt, event_id) VALUES (?, ?, ?, ?)');
    mark.run('road-3', Date.parse(sampleEvent(7).receivedAt), 7, sampleEvent(7).id);
    mark.run('pruned', 1_000, 3, 'published-long-ago');
    mark.run('edited', 1_000, 4, 'broken');
    db.prepare('INSERT INTO frame_counters (dev_eui, f_cnt, startup_mics, updated_at) VALUES (?, ?, ?, ?)').run('70b3d57ed005a1b2', 8, '[]', 3_000);
    db.close();
  }

  it('migrates it: every row and counter kept, a mark whose event is still stored becomes its device state', () => {
    writeVersion1File();
    for (let reopen = 0; reopen < 2; reopen++) {
      const outbox = open();
      expect(outbox.database.pragma('user_version', { simple: true })).toBe(3);
      expect(outbox.database.prepare("SELECT name FROM sqlite_master WHERE name = 'state_marks'").get()).toBeUndefined();
      expect(outbox.deviceStates()).toEqual(new Map([['road-3', new Map([['roadClimate', sampleEvent(7)]])]]));
      expect(outbox.stats()).toMatchObject({ pendingUp: 1, pendingRejected: 1, published: 1, failed: 1 });
      expect(ids(outbox.nextBatch(10).rows)).toEqual([sampleEvent(8).id, 'rejection-1']);
      expect(outbox.add(sampleEvent(7), 'up').status).toBe('duplicate');
      expect(new SqliteCounterStore(outbox.database).get('70b3d57ed005a1b2')).toMatchObject({ fCnt: 8 });
      outbox.close();
    }
  });

  it('a migrated file takes new device states', () => {
    writeVersion1File();
    const outbox = open();
    outbox.markPublished([sampleEvent(8).id], [sampleEvent(8)]);
    expect(outbox.deviceStates().get('road-3')?.get('roadClimate')).toEqual(sampleEvent(8));
  });
});
