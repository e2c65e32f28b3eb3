import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Booking, BookingKind } from '../../firmware/timeclock/core/contracts.ts';
import { berlinMonth, berlinTime } from '../../ledger/src/export/berlin-time.ts';
import { BOOKING_COLUMNS, bookingsCsv, csvField } from '../../ledger/src/export/csv.ts';
import { summarize, summaryCsv, SUMMARY_COLUMNS } from '../../ledger/src/export/summary.ts';
import type { ExportBooking, LedgerStore } from '../../ledger/src/store/types.ts';
import { parseCsv } from './csv-parse.ts';
import { testStoreConfig, type TestStoreHandle } from './support.ts';

const utc = (iso: string): number => Date.parse(iso) / 1000;

describe('Europe/Berlin time', () => {
  it('gives local date and time in winter and summer time', () => {
    expect(berlinTime(utc('2026-01-15T07:00:00Z'))).toEqual({ date: '2026-01-15', time: '08:00:00' });
    expect(berlinTime(utc('2026-07-01T06:00:00Z'))).toEqual({ date: '2026-07-01', time: '08:00:00' });
    expect(berlinTime(utc('2026-10-31T23:30:00Z'))).toEqual({ date: '2026-11-01', time: '00:30:00' });
  });

  it('bounds a month at local midnight, across the clock changes', () => {
    // summer time ends on 25 October 2026: October starts at UTC+2 and November at UTC+1
    expect(berlinMonth('2026-10')).toEqual({ from: utc('2026-09-30T22:00:00Z'), to: utc('2026-10-31T23:00:00Z') });
    expect(berlinMonth('2026-12')).toEqual({ from: utc('2026-11-30T23:00:00Z'), to: utc('2026-12-31T23:00:00Z') });
    expect(() => berlinMonth('2026-13')).toThrow(/not a month/);
  });
});

describe('csv fields', () => {
  it('quotes only what RFC 4180 asks for', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('Muster, Erika')).toBe('"Muster, Erika"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
  });
});

describe('payroll export from a store', () => {
  let handle: TestStoreHandle;
  let store: LedgerStore;
  const by = { actor: 'hr', now: utc('2026-10-01T00:00:00Z') };

  beforeEach(async () => {
    handle = testStoreConfig('sqlite');
    store = await handle.open();
    await store.addEmployee({ id: 'e1', name: 'Muster, Erika "Eri"' }, by);
    await store.addEmployee({ id: 'e2', name: 'Jörg\nÖzdemir' }, by);
    await store.addBadge({ badge: 'a1b2c3d4', employeeId: 'e1', validFrom: by.now }, by);
    await store.addBadge({ badge: '0badc0de', employeeId: 'e2', validFrom: by.now }, by);
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  function bookings(terminal: string, first: number, list: Array<[string, BookingKind, string, boolean?]>): Booking[] {
    return list.map(([badge, kind, iso, unsynced], i) => ({ sequence: first + i, badge, kind, time: utc(iso), clockUnsynced: unsynced === true }));
  }

  it('reproduces every booking of the month, parsed back, and nothing outside it', async () => {
    const november = bookings('tc-01', 1, [
      ['a1b2c3d4', 'come', '2026-10-31T23:30:00Z'], // 00:30 on 1 November local: in November
      ['a1b2c3d4', 'go', '2026-11-01T07:00:00Z'],
      ['0badc0de', 'come', '2026-11-02T06:58:12Z', true],
      ['0badc0de', 'breakStart', '2026-11-02T11:00:00Z'],
      ['0badc0de', 'breakEnd', '2026-11-02T11:30:00Z'],
      ['0badc0de', 'errand', '2026-11-02T13:00:00Z'],
      ['0badc0de', 'go', '2026-11-02T15:30:00Z'],
      ['ffffffff', 'come', '2026-11-03T07:00:00Z'],
      ['a1b2c3d4', 'come', '2026-11-30T22:59:59Z'], // 23:59:59 on 30 November local
    ]);
    const outside = bookings('tc-01', 10, [
      ['a1b2c3d4', 'go', '2026-10-31T22:59:59Z'], // 23:59:59 on 31 October local
      ['a1b2c3d4', 'go', '2026-11-30T23:00:00Z'], // 00:00 on 1 December local
    ]);
    await store.insertBatch({ terminal: 'tc-01', bookings: [...november.slice(0, 5)], via: 'lan', receivedAt: by.now });
    await store.insertBatch({ terminal: 'tc-02', bookings: [...november.slice(5)].map((b, i) => ({ ...b, sequence: i + 1 })), via: 'lora', receivedAt: by.now });
    await store.insertBatch({ terminal: 'tc-01', bookings: outside, via: 'lan', receivedAt: by.now });

    const { from, to } = berlinMonth('2026-11');
    const rows = parseCsv(bookingsCsv(await store.bookingsBetween(from, to)));
    expect(rows[0]).toEqual([...BOOKING_COLUMNS]);
    const records = rows.slice(1).map((r) => Object.fromEntries(BOOKING_COLUMNS.map((c, i) => [c, r[i]!])));
    expect(records).toHaveLength(november.length);
    const byUtc = new Map(records.map((r) => [r.utc, r]));
    for (const b of november) {
      const iso = new Date(b.time * 1000).toISOString().replace('.000Z', 'Z');
      const record = byUtc.get(iso);
      expect(record, iso).toBeDefined();
      const local = berlinTime(b.time);
      const employee = b.badge === 'a1b2c3d4' ? ['e1', 'Muster, Erika "Eri"'] : b.badge === '0badc0de' ? ['e2', 'Jörg\nÖzdemir'] : ['', ''];
      expect([record!.employee_id, record!.name, record!.date, record!.time, record!.kind, record!.clock_unsynced]).toEqual([
        ...employee,
        local.date,
        local.time,
        b.kind,
        String(b.clockUnsynced),
      ]);
    }
    expect(records.map((r) => `${r.terminal}#${r.sequence}`).sort()).toEqual(['tc-01#1', 'tc-01#2', 'tc-01#3', 'tc-01#4', 'tc-01#5', 'tc-02#1', 'tc-02#2', 'tc-02#3', 'tc-02#4'].sort());
    expect(records.find((r) => r.date === '2026-11-01')?.time).toBe('00:30:00');

    const e1Only = parseCsv(bookingsCsv(await store.bookingsBetween(from, to, 'e1')));
    expect(e1Only.slice(1).map((r) => r[0])).toEqual(['e1', 'e1', 'e1']);
  });

  it('sums worked time per day from come/go minus breaks, and names what does not add up', () => {
    const b = (kind: BookingKind, iso: string, employeeId = 'e2'): ExportBooking => ({
      terminal: 'tc-01',
      sequence: 0,
      badge: '0badc0de',
      kind,
      time: utc(iso),
      clockUnsynced: false,
      via: 'lan',
      receivedAt: 0,
      employeeId,
      employeeName: 'Jörg',
    });
    const days = summarize([
      b('come', '2026-11-02T07:00:00Z'),
      b('breakStart', '2026-11-02T11:00:00Z'),
      b('errand', '2026-11-02T11:10:00Z'),
      b('breakEnd', '2026-11-02T11:45:00Z'),
      b('go', '2026-11-02T15:30:00Z'),
      b('go', '2026-11-03T15:30:00Z'),
      b('come', '2026-11-04T07:00:00Z'),
    ]);
    expect(days.map((d) => [d.date, d.workedS, d.breaksS, d.firstCome, d.lastGo, d.issues])).toEqual([
      ['2026-11-02', 7.75 * 3600, 45 * 60, '08:00:00', '16:30:00', []],
      ['2026-11-03', 0, 0, null, null, ['go at 16:30:00 without come']],
      ['2026-11-04', 0, 0, '08:00:00', null, ['no go after 08:00:00: time since not counted']],
    ]);
    const rows = parseCsv(summaryCsv(days));
    expect(rows[0]).toEqual([...SUMMARY_COLUMNS]);
    expect(rows[1]).toEqual(['e2', 'Jörg', '2026-11-02', '08:00:00', '16:30:00', '7:45', '0:45', '5', '0', '']);
  });
});
