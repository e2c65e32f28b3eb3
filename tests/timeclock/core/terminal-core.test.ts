/**
 * The booking core (firmware/timeclock/core/) with in-memory fakes of every interface, run twice: as TypeScript in
 * Node, and bundled into the Espruino sandbox (only the globals Espruino has), after the bundle passed the Espruino
 * compatibility check.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as core from '../../../firmware/timeclock/core/index.ts';
import type { BadgeListMessage } from '../../../firmware/timeclock/core/contracts.ts';
import type { CoreSettings } from '../../../firmware/timeclock/core/defaults.ts';
import { checkEspruinoCompat, formatProblems } from '../../../tools/espruino-compat/check.ts';
import { loadEspruinoModule } from '../../../tools/espruino-compat/sandbox.ts';
import { bundleFirmwareModule } from '../../support/firmware-module.ts';
import { FakeClock, FakeTransport, ManualReader, ManualTimers, MemoryBadgeStore, MemoryOutbox, pseudonymOf, RecordingDisplay, testHmac, type Journal } from './fakes.ts';

type CoreModule = typeof core;

const bundle = (): Promise<string> => bundleFirmwareModule('firmware/timeclock/core/index.ts');

describe('the booking core bundle', () => {
  it('passes the Espruino compatibility check', async () => {
    const problems = checkEspruinoCompat(await bundle(), { sourceType: 'module' });
    expect(problems, formatProblems(problems, 'timeclock-core.js')).toEqual([]);
  });
});

const IMPLEMENTATIONS: [string, () => Promise<CoreModule>][] = [
  ['TypeScript module in Node', () => Promise.resolve(core)],
  ['bundle in the Espruino sandbox', () => bundle().then((code) => loadEspruinoModule(code, {}, 'timeclock-core.js') as unknown as CoreModule)],
];

/** 2026-11-27 08:00:00 UTC; the tests use UTC hours for the default kind. */
const MORNING = 1795766400;
const ALICE = new Uint8Array([0x04, 0xa1, 0xb2, 0xc3]);
const BOB = new Uint8Array([0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
const CAROL = new Uint8Array([0x04, 0x99, 0x88, 0x77]);
const STRANGER = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);

const LIST: BadgeListMessage = {
  version: 3,
  badges: [
    { badge: pseudonymOf(ALICE), greeting: 'Guten Morgen, Frau Schmidt' },
    { badge: pseudonymOf(BOB), greeting: 'Hallo Herr Weber' },
    { badge: pseudonymOf(CAROL), greeting: 'Hallo Carol' },
  ],
  revoked: [pseudonymOf(CAROL)],
};

describe.each(IMPLEMENTATIONS)('booking core: %s', (_name, load) => {
  let impl: CoreModule;
  beforeAll(async () => {
    impl = await load();
  });

  function setup(options: { maxBatch?: number; maxSpanS?: number | null; settings?: Partial<CoreSettings>; list?: BadgeListMessage | null; synced?: boolean; time?: number } = {}) {
    const journal: Journal = [];
    const clock = new FakeClock(options.time ?? MORNING, options.synced ?? true);
    const timers = new ManualTimers(clock);
    const outbox = new MemoryOutbox(journal);
    const transport = new FakeTransport(options.maxBatch ?? 50, options.maxSpanS ?? null, journal);
    const display = new RecordingDisplay(journal);
    const badgeStore = new MemoryBadgeStore();
    const reader = new ManualReader();
    const logs: string[] = [];
    if (options.list !== null) badgeStore.saved = options.list ?? LIST;
    const terminal = impl.createTerminal({
      outbox,
      badgeStore,
      clock,
      hmac: testHmac(),
      transport,
      display,
      timers,
      reader,
      log: (level, message) => logs.push(`${level} ${message}`),
      settings: options.settings,
      localHour: (t) => new Date(t * 1000).getUTCHours(),
    });
    return { terminal, journal, clock, timers, outbox, transport, display, badgeStore, reader, logs };
  }

  describe('a tap', () => {
    it('stores the booking before it shows the confirmation, with greeting, kind and time', () => {
      const t = setup();
      const outcome = t.terminal.tap(ALICE);
      expect(outcome.result).toBe('booked');
      expect(t.journal).toEqual(['stored 1', 'shown booked 1']);
      expect(t.display.outcomes).toEqual([
        { result: 'booked', greeting: 'Guten Morgen, Frau Schmidt', repeated: false, booking: { sequence: 1, badge: pseudonymOf(ALICE), kind: 'come', time: MORNING, clockUnsynced: false } },
      ]);
      expect(t.outbox.rows).toHaveLength(1);
    });

    it('comes from the reader as well', () => {
      const t = setup();
      t.reader.read(BOB);
      expect(t.outbox.rows.map((b) => b.badge)).toEqual([pseudonymOf(BOB)]);
      expect(t.display.outcomes[0]).toMatchObject({ result: 'booked', greeting: 'Hallo Herr Weber' });
    });

    it('carries the pseudonym, never the UID', () => {
      const t = setup();
      t.terminal.tap(BOB);
      const stored = JSON.stringify(t.outbox.rows);
      expect(stored).toContain(pseudonymOf(BOB));
      expect(stored.toLowerCase()).not.toContain('11223344');
      expect(pseudonymOf(BOB)).toMatch(/^[0-9a-f]{8}$/);
    });

    it('shows an error and no confirmation when the outbox cannot store the booking', () => {
      const t = setup();
      t.transport.online(true);
      t.outbox.failAppend = new Error('SQLITE_FULL: database or disk is full');
      const outcome = t.terminal.tap(ALICE);
      expect(outcome).toMatchObject({ result: 'failed', reason: 'storageFailed' });
      expect(t.display.outcomes.map((o) => o.result)).toEqual(['failed']);
      expect(t.journal.some((e) => e.startsWith('shown booked'))).toBe(false);
      expect(t.transport.sent).toEqual([]);
      expect(t.terminal.counters().storageFailed).toBe(1);
      expect(t.logs.join('\n')).toContain('SQLITE_FULL');
      // the next tap after the disk recovered is booked (not taken for a repeat of a booking that never was)
      t.outbox.failAppend = null;
      expect(t.terminal.tap(ALICE).result).toBe('booked');
    });

    it('refuses an unknown badge with a reason and books nothing', () => {
      const t = setup();
      const outcome = t.terminal.tap(STRANGER);
      expect(outcome).toMatchObject({ result: 'refused', reason: 'unknownBadge', badge: pseudonymOf(STRANGER) });
      expect((outcome as { message: string }).message).toMatch(/not known/);
      expect(t.outbox.rows).toEqual([]);
      expect(t.terminal.counters().unknownBadge).toBe(1);
    });

    it('refuses a revoked badge even when it is also listed', () => {
      const t = setup();
      expect(t.terminal.tap(CAROL)).toMatchObject({ result: 'refused', reason: 'revokedBadge' });
      expect(t.outbox.rows).toEqual([]);
      expect(t.terminal.counters().revokedBadge).toBe(1);
    });

    it('refuses every badge before a badge list arrived, and books once one did', () => {
      const t = setup({ list: null });
      expect(t.terminal.tap(ALICE)).toMatchObject({ result: 'refused', reason: 'noBadgeList' });
      t.transport.badgeList(LIST);
      expect(t.terminal.tap(ALICE).result).toBe('booked');
      expect(t.badgeStore.saved?.version).toBe(3);
    });

    it('refuses an empty or over-long UID', () => {
      const t = setup();
      expect(t.terminal.tap(new Uint8Array(0))).toMatchObject({ result: 'failed', reason: 'badUid' });
      expect(t.terminal.tap(new Uint8Array(11))).toMatchObject({ result: 'failed', reason: 'badUid' });
      expect(t.outbox.rows).toEqual([]);
    });
  });

  describe('the badge list', () => {
    it('keeps only a newer version and ignores a malformed one', () => {
      const t = setup();
      const revokeAlice: BadgeListMessage = { ...LIST, version: 4, revoked: [pseudonymOf(ALICE)] };
      const older: BadgeListMessage = { ...LIST, version: 2, revoked: [] };
      t.transport.badgeList(revokeAlice);
      t.transport.badgeList(older);
      expect(t.terminal.tap(ALICE)).toMatchObject({ reason: 'revokedBadge' });
      expect(t.terminal.tap(CAROL).result).toBe('booked');
      t.transport.badgeList({ version: 9, badges: [{ badge: 'NOT-HEX', greeting: 'x' }], revoked: [] });
      expect(t.terminal.counters().invalidBadgeList).toBe(1);
      expect(t.terminal.status().badgeListVersion).toBe(4);
      expect(t.badgeStore.saved?.version).toBe(4);
    });
  });

  describe('debounce', () => {
    it('takes taps of one badge within the debounce time for one booking and shows it again', () => {
      const t = setup();
      t.terminal.tap(ALICE);
      t.timers.advance(1000);
      const again = t.terminal.tap(ALICE);
      t.timers.advance(3900);
      t.terminal.tap(ALICE);
      expect(again).toMatchObject({ result: 'booked', repeated: true, booking: { sequence: 1 } });
      expect(t.outbox.rows).toHaveLength(1);
      expect(t.terminal.counters().debounced).toBe(2);
      // another badge in between is its own booking
      t.terminal.tap(BOB);
      expect(t.outbox.rows).toHaveLength(2);
    });

    it('books again after the debounce time, or at once after a button was pressed', () => {
      const t = setup();
      t.terminal.tap(ALICE);
      t.timers.advance(5000);
      t.terminal.tap(ALICE);
      expect(t.outbox.rows).toHaveLength(2);
      t.terminal.selectKind('breakStart');
      t.terminal.tap(ALICE);
      expect(t.outbox.rows.map((b) => b.kind)).toEqual(['come', 'come', 'breakStart']);
    });
  });

  describe('the kind', () => {
    it('defaults to come before noon and go from noon (local time)', () => {
      const t = setup({ time: MORNING + 3 * 3600 + 3599 }); // 11:59:59
      t.terminal.tap(ALICE);
      t.clock.time = MORNING + 4 * 3600; // 12:00
      t.terminal.tap(BOB);
      expect(t.outbox.rows.map((b) => b.kind)).toEqual(['come', 'go']);
    });

    it('is the chosen button for the next tap only, and the default again after the selection time', () => {
      const t = setup();
      t.terminal.selectKind('errand');
      expect(t.display.lastStatus()).toMatchObject({ kind: 'errand', kindChosen: true });
      t.terminal.tap(ALICE);
      t.terminal.tap(BOB);
      t.terminal.selectKind('go');
      t.timers.advance(10_000);
      expect(t.display.lastStatus()).toMatchObject({ kind: 'come', kindChosen: false });
      t.timers.advance(5000);
      t.terminal.tap(ALICE);
      expect(t.outbox.rows.map((b) => b.kind)).toEqual(['errand', 'come', 'come']);
    });

    it('ignores a kind that does not exist', () => {
      const t = setup();
      t.terminal.selectKind('lunch' as never);
      t.terminal.tap(ALICE);
      expect(t.outbox.rows[0]!.kind).toBe('come');
      expect(t.terminal.counters().invalidKind).toBe(1);
    });
  });

  describe('delivery', () => {
    function bookMany(t: ReturnType<typeof setup>, n: number): void {
      const uids = [ALICE, BOB];
      for (let i = 0; i < n; i++) {
        expect(t.terminal.tap(uids[i % 2]!).result).toBe('booked');
        t.timers.advance(3000);
      }
    }

    it('sends nothing while offline, then everything in order in batches of the transport size, each after the previous ack', () => {
      const t = setup();
      bookMany(t, 120);
      expect(t.transport.sent).toEqual([]);
      t.transport.online(true);
      expect(t.transport.ranges()).toEqual(['1..50']);
      t.transport.ack(50);
      expect(t.transport.ranges()).toEqual(['1..50', '51..100']);
      t.transport.ack(100);
      t.transport.ack(120);
      expect(t.transport.ranges()).toEqual(['1..50', '51..100', '101..120']);
      expect(t.outbox.rows).toEqual([]);
      expect(t.display.lastStatus()).toMatchObject({ online: true, pending: 0 });
      const delivered = t.transport.sent.flat().map((b) => b.sequence);
      expect(delivered).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    });

    it('uses batches of 6 on a LoRa transport and cuts a batch where the time goes back', () => {
      const t = setup({ maxBatch: 6, maxSpanS: 131071 });
      bookMany(t, 8);
      t.clock.time -= 100; // within the backward tolerance: not flagged, but not after the previous booking
      t.terminal.tap(ALICE);
      t.transport.online(true);
      t.transport.ack(6);
      t.transport.ack(8);
      expect(t.transport.ranges()).toEqual(['1..6', '7..8', '9..9']);
    });

    it('sends a booking made while online at once', () => {
      const t = setup();
      t.transport.online(true);
      t.terminal.tap(ALICE);
      expect(t.journal).toEqual(['stored 1', 'shown booked 1', 'sent 1..1']);
    });

    it('sends an unacknowledged batch again after the ack timeout, and removes only what an ack covers', () => {
      const t = setup();
      bookMany(t, 3);
      t.transport.online(true);
      t.timers.advance(29_999);
      expect(t.transport.ranges()).toEqual(['1..3']);
      t.timers.advance(1);
      expect(t.transport.ranges()).toEqual(['1..3', '1..3']);
      expect(t.outbox.rows).toHaveLength(3);
      expect(t.terminal.counters().resend).toBe(1);
      t.transport.ack(3);
      t.timers.advance(60_000);
      expect(t.transport.ranges()).toEqual(['1..3', '1..3']);
      expect(t.outbox.rows).toHaveLength(0);
    });

    it('takes an acknowledgement as cumulative: a partial one removes its part, the rest is sent again', () => {
      const t = setup();
      bookMany(t, 10);
      t.transport.online(true);
      t.transport.ack(4);
      expect(t.outbox.rows.map((b) => b.sequence)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(t.transport.ranges()).toEqual(['1..10']);
      t.timers.advance(30_000);
      expect(t.transport.ranges()).toEqual(['1..10', '5..10']);
      // a late duplicate of an old ack changes nothing
      t.transport.ack(2);
      expect(t.outbox.rows).toHaveLength(6);
      t.transport.ack(10);
      expect(t.outbox.rows).toHaveLength(0);
    });

    it('sends from the oldest again after a reconnect and not while offline', () => {
      const t = setup();
      bookMany(t, 2);
      t.transport.online(true);
      t.transport.online(false);
      t.timers.advance(120_000);
      expect(t.transport.ranges()).toEqual(['1..2']);
      expect(t.display.lastStatus()).toMatchObject({ online: false, pending: 2 });
      t.transport.online(true);
      expect(t.transport.ranges()).toEqual(['1..2', '1..2']);
    });

    it('keeps the booking when the transport throws, and sends it after the timeout', () => {
      const t = setup();
      t.transport.online(true);
      t.transport.failSend = new Error('socket closed');
      expect(t.terminal.tap(ALICE).result).toBe('booked');
      t.transport.failSend = null;
      t.timers.advance(30_000);
      expect(t.transport.ranges()).toEqual(['1..1']);
      expect(t.terminal.counters().sendFailed).toBe(1);
    });

    it('ignores a malformed acknowledgement', () => {
      const t = setup();
      bookMany(t, 2);
      t.transport.online(true);
      t.transport.events!.ack({ ackedThrough: -1, serverTime: null });
      t.transport.events!.ack({ ackedThrough: '2', serverTime: null } as never);
      expect(t.outbox.rows).toHaveLength(2);
      expect(t.terminal.counters().invalidAck).toBe(2);
    });

    it('moves its next sequence past an acknowledgement beyond what it ever gave out', () => {
      const t = setup();
      t.transport.online(true);
      t.transport.ack(500);
      expect(t.terminal.counters().ackBeyondSequence).toBe(1);
      t.terminal.tap(ALICE);
      expect(t.outbox.rows[0]!.sequence).toBe(501);
    });
  });

  describe('the clock', () => {
    it('flags bookings while the clock source is not synchronised', () => {
      const t = setup({ synced: false });
      t.terminal.tap(ALICE);
      t.clock.synced = true;
      t.terminal.tap(BOB);
      expect(t.outbox.rows.map((b) => b.clockUnsynced)).toEqual([true, false]);
      expect(t.terminal.counters().clockUnsynced).toBe(1);
    });

    it('flags a time before the build date', () => {
      const t = setup({ time: 946684800 }); // 2000-01-01: an RTC that lost its battery
      t.terminal.tap(ALICE);
      expect(t.outbox.rows[0]).toMatchObject({ clockUnsynced: true, time: 946684800 });
      expect(t.terminal.status().clockProblem).toBe('beforeBuildDate');
    });

    it('flags bookings after a backward jump until the clock has caught up again', () => {
      const t = setup();
      t.terminal.tap(ALICE);
      t.clock.time -= 600;
      t.terminal.tap(BOB);
      expect(t.terminal.status().clockProblem).toBe('jumpedBackwards');
      t.timers.advance(601_000);
      t.terminal.tap(ALICE);
      expect(t.outbox.rows.map((b) => b.clockUnsynced)).toEqual([false, true, false]);
    });

    it('flags bookings while the ledger time from an ack is far off, until one agrees', () => {
      const t = setup();
      t.transport.online(true);
      t.transport.ack(0, MORNING + 3600);
      t.terminal.tap(ALICE);
      expect(t.display.lastStatus()).toMatchObject({ clockSynced: false, clockProblem: 'serverDisagrees' });
      t.transport.ack(1, MORNING + 30);
      t.terminal.tap(BOB);
      expect(t.outbox.rows.map((b) => [b.sequence, b.clockUnsynced])).toEqual([[2, false]]);
      expect(t.transport.sent.flat().map((b) => [b.sequence, b.clockUnsynced])).toEqual([
        [1, true],
        [2, false],
      ]);
    });

    it('accepts a backward correction the ledger confirms', () => {
      const t = setup();
      t.terminal.tap(ALICE);
      t.clock.time -= 3600;
      t.transport.online(true);
      t.transport.ack(1, t.clock.time + 5);
      t.terminal.tap(BOB);
      expect(t.outbox.rows.map((b) => b.clockUnsynced)).toEqual([false]);
    });
  });

  it('stops: no timers left, later taps fail, later events are ignored', () => {
    const t = setup();
    t.transport.online(true);
    t.terminal.tap(ALICE);
    t.terminal.selectKind('go');
    t.terminal.stop();
    expect(t.timers.pending()).toBe(0);
    expect(t.terminal.tap(BOB)).toMatchObject({ result: 'failed' });
    t.transport.ack(1);
    expect(t.outbox.rows).toHaveLength(1);
  });

  it('keeps working when the display throws', () => {
    const t = setup();
    t.display.showOutcome = () => {
      throw new Error('page gone');
    };
    expect(t.terminal.tap(ALICE).result).toBe('booked');
    expect(t.outbox.rows).toHaveLength(1);
    expect(t.terminal.counters().displayError).toBe(1);
  });
});
