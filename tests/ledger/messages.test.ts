import { describe, expect, it } from 'vitest';
import { badgeListContent } from '../../ledger/src/badge-list.ts';
import { parseBridgeUp, parseLanBatch } from '../../ledger/src/messages.ts';
import type { BadgeMapping, Employee } from '../../ledger/src/store/types.ts';
import { bridgeUpEvent } from './fake-terminal.ts';

const body = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('incoming messages', () => {
  it('turns a bridge bookingBatch event into bookings with sequence + i and baseTime + offset', () => {
    const bookings = [
      { sequence: 41, badge: 'a1b2c3d4', kind: 'come' as const, time: 1_790_000_000, clockUnsynced: false },
      { sequence: 42, badge: '0badc0de', kind: 'errand' as const, time: 1_790_003_600, clockUnsynced: true },
    ];
    const parsed = parseBridgeUp('tc-9', body(bridgeUpEvent('tc-9', bookings, 3)), 5);
    expect(parsed).toEqual({ kind: 'batch', batch: { terminal: 'tc-9', bookings, via: 'lora', receivedAt: 5 } });
    expect(parseBridgeUp('tc-8', body(bridgeUpEvent('tc-9', bookings, 3)), 5)).toMatchObject({ kind: 'rejected', reason: 'terminal-mismatch' });
  });

  it('refuses what a terminal must not send, with a reason', () => {
    const good = { sequence: 1, badge: 'a1b2c3d4', kind: 'come', time: 1_790_000_000, clockUnsynced: false };
    expect(parseLanBatch('t', body({ terminal: 't', bookings: [good] }), 0).kind).toBe('batch');
    const cases: Array<[unknown, string]> = [
      ['[', 'not-json'],
      [{ terminal: 't', bookings: [] }, 'invalid'],
      [{ terminal: 't', bookings: [{ ...good, sequence: 0 }] }, 'invalid'],
      [{ terminal: 't', bookings: [{ ...good, badge: 'A1B2C3D4' }] }, 'invalid'],
      [{ terminal: 't', bookings: [{ ...good, uid: '04a1b2c3' }] }, 'invalid'],
      [{ terminal: 't', bookings: Array.from({ length: 51 }, (_, i) => ({ ...good, sequence: i + 1 })) }, 'invalid'],
      [{ terminal: 'u', bookings: [good] }, 'terminal-mismatch'],
      [{ terminal: 't', bookings: [good, good] }, 'duplicate-sequence'],
      ['x'.repeat(70_000), 'too-large'],
    ];
    for (const [value, reason] of cases) expect(parseLanBatch('t', body(value), 0), JSON.stringify(value).slice(0, 80)).toMatchObject({ kind: 'rejected', reason });
  });
});

describe('badge list content', () => {
  const m = (badge: string, employeeId: string, validFrom: number, validTo: number | null, revokedAt: number | null): BadgeMapping => ({ id: 0, badge, employeeId, validFrom, validTo, revokedAt, createdAt: 0 });
  const employees: Employee[] = [
    { id: 'e1', name: 'Erika', greeting: null, createdAt: 0 },
    { id: 'e2', name: 'Max', greeting: 'Moin Max', createdAt: 0 },
  ];

  it('lists badges valid now, and revoked or expired ones without a valid mapping', () => {
    const content = badgeListContent(
      [
        m('00000001', 'e1', 0, null, null),
        m('00000002', 'e2', 0, null, 50),
        m('00000003', 'e1', 200, null, null), // not yet valid
        m('00000004', 'e1', 0, 100, null), // expired at 100
        m('00000005', 'e1', 0, 80, null), // expired, then handed to e2
        m('00000005', 'e2', 80, null, null),
      ],
      employees,
      100,
      'Guten Tag',
    );
    expect(content).toEqual({
      badges: [
        { badge: '00000001', greeting: 'Guten Tag' },
        { badge: '00000005', greeting: 'Moin Max' },
      ],
      revoked: ['00000002', '00000004'],
    });
  });
});
