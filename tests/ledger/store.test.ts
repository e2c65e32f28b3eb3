import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIN_RETENTION_DAYS, type Booking, type BookingKind } from '../../firmware/timeclock/core/contracts.ts';
import type { IncomingBatch, LedgerStore } from '../../ledger/src/store/types.ts';
import { BACKENDS, postgresSchemas, testStoreConfig, type TestStoreHandle } from './support.ts';

const T0 = 1_790_000_000;
const KINDS: BookingKind[] = ['come', 'breakStart', 'breakEnd', 'go', 'errand'];

function booking(sequence: number, badge = 'a1b2c3d4', time = T0 + sequence * 60): Booking {
  return { sequence, badge, kind: KINDS[sequence % KINDS.length]!, time, clockUnsynced: sequence % 7 === 0 };
}

function batch(terminal: string, sequences: number[], via: IncomingBatch['via'] = 'lan'): IncomingBatch {
  return { terminal, bookings: sequences.map((s) => booking(s)), via, receivedAt: T0 + 10_000 };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const admin = (now = T0) => ({ actor: 'alice', now });

describe.each(BACKENDS)('LedgerStore on %s', (backend) => {
  let handle: TestStoreHandle;
  let store: LedgerStore;

  beforeEach(async () => {
    handle = testStoreConfig(backend);
    store = await handle.open();
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  it('stores a batch once when it arrives three times', async () => {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await store.insertBatch(batch('t1', [1, 2, 3])));
    expect(results).toEqual([
      { inserted: 3, duplicates: 0, conflicts: 0, ackedThrough: 3 },
      { inserted: 0, duplicates: 3, conflicts: 0, ackedThrough: 3 },
      { inserted: 0, duplicates: 3, conflicts: 0, ackedThrough: 3 },
    ]);
    const stored = await store.bookingsBetween(0, 2 ** 32);
    expect(stored.map((b) => b.sequence)).toEqual([1, 2, 3]);
    expect(stored.map(({ terminal, sequence, badge, kind, time, clockUnsynced }) => ({ terminal, sequence, badge, kind, time, clockUnsynced }))).toEqual(
      [1, 2, 3].map((s) => ({ terminal: 't1', ...booking(s) })),
    );
  });

  it('stores only the new part of overlapping batches, terminals apart', async () => {
    expect(await store.insertBatch(batch('t1', range(1, 5)))).toMatchObject({ inserted: 5, duplicates: 0 });
    expect(await store.insertBatch(batch('t1', range(3, 8)))).toMatchObject({ inserted: 3, duplicates: 3, ackedThrough: 8 });
    expect(await store.insertBatch(batch('t2', range(1, 2)))).toMatchObject({ inserted: 2, duplicates: 0, ackedThrough: 2 });
    const stored = await store.bookingsBetween(0, 2 ** 32);
    expect(stored.filter((b) => b.terminal === 't1').map((b) => b.sequence)).toEqual(range(1, 8));
    expect(stored.filter((b) => b.terminal === 't2').map((b) => b.sequence)).toEqual([1, 2]);
  });

  it('keeps a different booking under a stored sequence as a conflict, never overwriting the first', async () => {
    await store.insertBatch(batch('t1', [1, 2]));
    const other = { ...booking(2), kind: 'errand' as const, time: T0 + 99 };
    expect(await store.insertBatch({ terminal: 't1', bookings: [booking(1), other], via: 'lan', receivedAt: T0 })).toEqual({
      inserted: 0,
      duplicates: 1,
      conflicts: 1,
      ackedThrough: 2,
    });
    expect(await store.conflictCount()).toBe(1);
    const stored = await store.bookingsBetween(0, 2 ** 32);
    expect(stored.find((b) => b.sequence === 2)).toMatchObject({ kind: booking(2).kind, time: booking(2).time });
  });

  it('acknowledges only up to the first gap, from sequence 1', async () => {
    expect((await store.insertBatch(batch('t1', [1, 2]))).ackedThrough).toBe(2);
    expect((await store.insertBatch(batch('t1', [4, 5]))).ackedThrough).toBe(2);
    expect((await store.insertBatch(batch('t1', [7]))).ackedThrough).toBe(2);
    expect((await store.insertBatch(batch('t1', [3]))).ackedThrough).toBe(5);
    expect((await store.insertBatch(batch('t1', [6]))).ackedThrough).toBe(7);
    expect(await store.ackedThrough('t1')).toBe(7);
    // a terminal whose first booking has not arrived: nothing is acknowledged
    expect((await store.insertBatch(batch('t2', [2, 3]))).ackedThrough).toBe(0);
    expect(await store.ackedThrough('unknown')).toBe(0);
    const states = await store.terminals();
    expect(states).toEqual([
      { terminal: 't1', firstSequence: 1, ackedThrough: 7, highestSequence: 7, lastBatchAt: T0 + 10_000 },
      { terminal: 't2', firstSequence: 1, ackedThrough: 0, highestSequence: 3, lastBatchAt: T0 + 10_000 },
    ]);
  });

  it('lets an administrator skip sequences a terminal lost, audited', async () => {
    await store.insertBatch(batch('t2', [5, 6]));
    expect(await store.ackedThrough('t2')).toBe(0);
    expect(await store.skipThrough('t2', 4, 'outbox lost after SD card failure', admin())).toBe(6);
    await expect(store.skipThrough('t2', 3, 'again', admin())).rejects.toThrow(/already acknowledged through 6/);
    expect((await store.insertBatch(batch('t2', [7]))).ackedThrough).toBe(7);
    expect((await store.terminals())[0]).toMatchObject({ firstSequence: 5 });
    const audit = await store.auditLog();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'alice', action: 'terminal.skip', details: { terminal: 't2', skippedThrough: 4, ackedAfter: 6, ackedBefore: 0 } });
  });

  it('keeps everything across a reopen (a restart)', async () => {
    await store.insertBatch(batch('t1', range(1, 4)));
    await store.close();
    const again = await handle.open();
    expect(await again.ackedThrough('t1')).toBe(4);
    expect(await again.insertBatch(batch('t1', range(3, 6)))).toMatchObject({ inserted: 2, duplicates: 2, ackedThrough: 6 });
    expect((await again.bookingsBetween(0, 2 ** 32)).length).toBe(6);
  });

  it('commits concurrent overlapping batches of one terminal exactly once', async () => {
    const batches = Array.from({ length: 12 }, (_, i) => batch('t1', range(1 + i * 3, 10 + i * 3)));
    const results = await Promise.all(batches.map((b) => store.insertBatch(b)));
    const inserted = results.reduce((n, r) => n + r.inserted, 0);
    const duplicates = results.reduce((n, r) => n + r.duplicates, 0);
    expect(inserted).toBe(43);
    expect(duplicates).toBe(12 * 10 - 43);
    expect(await store.ackedThrough('t1')).toBe(43);
    expect((await store.bookingsBetween(0, 2 ** 32)).map((b) => b.sequence)).toEqual(range(1, 43));
  });

  describe('retention', () => {
    const NOW = T0 + 1000 * 86_400;
    const cutoff = NOW - MIN_RETENTION_DAYS * 86_400;

    it('deletes only bookings past the period: one second outside goes, one second inside stays', async () => {
      const bookings = [
        { ...booking(1), time: cutoff - 1 },
        { ...booking(2), time: cutoff },
        { ...booking(3), time: cutoff + 1 },
      ];
      await store.insertBatch({ terminal: 't1', bookings, via: 'lan', receivedAt: NOW });
      const dry = await store.retention(MIN_RETENTION_DAYS, false, admin(NOW));
      expect(dry).toEqual({ cutoff, matched: 1, deleted: 0 });
      expect((await store.bookingsBetween(0, 2 ** 32)).length).toBe(3);
      const applied = await store.retention(MIN_RETENTION_DAYS, true, admin(NOW));
      expect(applied).toEqual({ cutoff, matched: 1, deleted: 1 });
      expect((await store.bookingsBetween(0, 2 ** 32)).map((b) => b.time)).toEqual([cutoff, cutoff + 1]);
      // ackedThrough does not fall back when old bookings go
      expect(await store.ackedThrough('t1')).toBe(3);
      expect((await store.auditLog()).map((e) => [e.action, e.details.deleted])).toEqual([
        ['retention.dry-run', 0],
        ['retention.apply', 1],
      ]);
    });

    it('refuses a period shorter than the legal minimum', async () => {
      await store.insertBatch({ terminal: 't1', bookings: [{ ...booking(1), time: cutoff + 86_400 }], via: 'lan', receivedAt: NOW });
      await expect(store.retention(MIN_RETENTION_DAYS - 1, true, admin(NOW))).rejects.toThrow(/at least 731 days/);
      expect((await store.bookingsBetween(0, 2 ** 32)).length).toBe(1);
      expect(await store.auditLog()).toEqual([]);
    });

    it('removes conflict records past the period too', async () => {
      await store.insertBatch({ terminal: 't1', bookings: [{ ...booking(1), time: cutoff - 5 }], via: 'lan', receivedAt: NOW });
      await store.insertBatch({ terminal: 't1', bookings: [{ ...booking(1), time: cutoff - 4 }], via: 'lan', receivedAt: NOW });
      expect(await store.conflictCount()).toBe(1);
      expect(await store.retention(MIN_RETENTION_DAYS, true, admin(NOW))).toMatchObject({ matched: 2, deleted: 2 });
      expect(await store.conflictCount()).toBe(0);
    });
  });

  describe('employees, badges and the audit log', () => {
    it('maps bookings to the employee whose badge was valid at the booking time', async () => {
      await store.addEmployee({ id: 'e1', name: 'Erika Muster' }, admin());
      await store.addEmployee({ id: 'e2', name: 'Max Mustermann', greeting: 'Moin Max' }, admin());
      await store.addBadge({ badge: 'a1b2c3d4', employeeId: 'e1', validFrom: T0 }, admin());
      await store.insertBatch({ terminal: 't1', bookings: [booking(1, 'a1b2c3d4', T0 + 10), booking(2, 'a1b2c3d4', T0 + 20)], via: 'lan', receivedAt: T0 });
      // the card goes to e2 after e1 left
      expect(await store.revokeBadge('a1b2c3d4', admin(T0 + 15))).toBe(1);
      await store.addBadge({ badge: 'a1b2c3d4', employeeId: 'e2', validFrom: T0 + 18 }, admin(T0 + 18));
      await store.insertBatch({ terminal: 't1', bookings: [booking(3, 'a1b2c3d4', T0 + 16), booking(4, 'ffffffff', T0 + 30)], via: 'lan', receivedAt: T0 });
      const all = await store.bookingsBetween(T0, T0 + 100);
      expect(all.map((b) => [b.sequence, b.employeeId, b.employeeName])).toEqual([
        [1, 'e1', 'Erika Muster'],
        [2, 'e2', 'Max Mustermann'],
        [3, null, null],
        [4, null, null],
      ]);
      expect((await store.bookingsBetween(T0, T0 + 100, 'e1')).map((b) => b.sequence)).toEqual([1]);
      expect((await store.bookingsBetween(T0 + 11, T0 + 100, 'e1')).map((b) => b.sequence)).toEqual([]);
      expect(await store.employee('e2')).toMatchObject({ name: 'Max Mustermann', greeting: 'Moin Max' });
    });

    it('refuses a pseudonym another employee holds, and a second employee with the same id', async () => {
      await store.addEmployee({ id: 'e1', name: 'A' }, admin());
      await store.addEmployee({ id: 'e2', name: 'B' }, admin());
      await expect(store.addEmployee({ id: 'e1', name: 'C' }, admin())).rejects.toThrow(/exists already/);
      await store.addBadge({ badge: '0badc0de', employeeId: 'e1', validFrom: T0 }, admin());
      await expect(store.addBadge({ badge: '0badc0de', employeeId: 'e2', validFrom: T0 + 100 }, admin())).rejects.toThrow(/collides with a badge of another employee \(e1\)/);
      await expect(store.addBadge({ badge: '0badc0de', employeeId: 'e1', validFrom: T0 }, admin())).rejects.toThrow(/already mapped/);
      await expect(store.addBadge({ badge: '12345678', employeeId: 'nobody', validFrom: T0 }, admin())).rejects.toThrow(/no employee nobody/);
      // a period that ended before is no collision
      await store.addBadge({ badge: '11111111', employeeId: 'e1', validFrom: T0, validTo: T0 + 50 }, admin());
      await store.addBadge({ badge: '11111111', employeeId: 'e2', validFrom: T0 + 50 }, admin());
      const mappings = await store.badges();
      expect(mappings.map((m) => [m.badge, m.employeeId])).toEqual([
        ['0badc0de', 'e1'],
        ['11111111', 'e1'],
        ['11111111', 'e2'],
      ]);
    });

    it('writes who, when and what for every change, and nothing for a refused one', async () => {
      await store.addEmployee({ id: 'e1', name: 'A' }, { actor: 'alice', now: T0 + 1 });
      await store.addBadge({ badge: 'a1b2c3d4', employeeId: 'e1', validFrom: T0 }, { actor: 'bob', now: T0 + 2 });
      await expect(store.addBadge({ badge: 'a1b2c3d4', employeeId: 'e1', validFrom: T0 }, admin())).rejects.toThrow();
      await store.revokeBadge('a1b2c3d4', { actor: 'carol', now: T0 + 3 });
      await store.audit('export', { month: '2026-11', rows: 3 }, { actor: 'dave', now: T0 + 4 });
      const log = await store.auditLog();
      expect(log.map(({ at, actor, action, details }) => ({ at, actor, action, details }))).toEqual([
        { at: T0 + 1, actor: 'alice', action: 'employee.add', details: { employee: 'e1', greeting: false } },
        { at: T0 + 2, actor: 'bob', action: 'badge.add', details: { badge: 'a1b2c3d4', employee: 'e1', validFrom: T0, validTo: null } },
        { at: T0 + 3, actor: 'carol', action: 'badge.revoke', details: { badge: 'a1b2c3d4', employees: ['e1'], revoked: 1 } },
        { at: T0 + 4, actor: 'dave', action: 'export', details: { month: '2026-11', rows: 3 } },
      ]);
    });

    it('hands out a badge-list version that only grows, also across a reopen', async () => {
      const first = await store.nextBadgeListVersion();
      await store.addEmployee({ id: 'e1', name: 'A' }, admin());
      const second = await store.nextBadgeListVersion();
      expect(second).toBeGreaterThan(first + 1);
      await store.close();
      const again = await handle.open();
      expect(await again.nextBadgeListVersion()).toBe(second + 1);
    });
  });
});

describe('PostgreSQL test schemas', () => {
  const seen: string[] = [];
  afterAll(async () => {
    expect(await postgresSchemas('ledger_test_')).toEqual(expect.not.arrayContaining(seen));
  });

  it('are dropped by cleanup', async () => {
    const handle = testStoreConfig('postgres');
    const store = await handle.open();
    await store.insertBatch(batch('t1', [1]));
    const schema = (handle.config as { schema: string }).schema;
    seen.push(schema);
    expect(await postgresSchemas(schema)).toEqual([schema]);
    await handle.cleanup();
    expect(await postgresSchemas(schema)).toEqual([]);
  });
});
