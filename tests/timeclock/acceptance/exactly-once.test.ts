/**
 * Acceptance (issue 6): with simulated readers over 10,000 bookings, every booking confirmed on a screen reaches the
 * ledger exactly once through a day-long broker outage, a terminal process SIGKILLed right after confirmations,
 * duplicate deliveries and ledger restarts; against SQLite and PostgreSQL.
 *
 * The parts are the real ones: Debian's Mosquitto (persistent), the ledger service on the store under test, four
 * terminals in this process (startTerminal: SQLite outbox, MQTT transport) and one in a child process on its own
 * outbox, which is SIGKILLed right after every n-th confirmation and started again. 240 employees are enrolled
 * through the ledger's store API with the pseudonyms the ledger computes from the installation key. One simulated
 * clock drives the ledger and every terminal.
 *
 * The day: a morning with everything up (a ledger restart, down longer than the terminals' ack timeout; stale copies
 * of old batches); the broker killed right after a commit, then the clock moves through a whole day while the
 * terminals book offline (the ledger restarted meanwhile); the broker back and the backlog drained (measured); an
 * afternoon with a ledger crash right after a commit, a broker restart and another ledger restart. 5 % of all booking
 * messages are delivered twice on top of the terminals' own resends.
 * At the end the ledger's bookings are exactly the confirmed ones, field for field, and every outbox is empty.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../firmware/timeclock/terminal/sqlite-outbox.ts';
import { ledgerConfigFromObject } from '../../../ledger/src/config.ts';
import { mulberry32 } from '../../../tools/simulator/scheduler.ts';
import { BACKENDS, testStoreConfig } from '../../ledger/support.ts';
import { startMosquitto } from '../../support/mosquitto.ts';
import { TEST_KEY_HEX, tempDir, testTerminalConfig, writeKeyFile } from '../terminal/support.ts';
import { BookingRun, type PhaseReport } from '../support/booking-run.ts';
import { confirmationKey, ConfirmationLog } from '../support/confirmation-log.ts';
import { DuplicateDeliverer } from '../support/duplicate-deliverer.ts';
import { LedgerRunner } from '../support/ledger-runner.ts';
import { SimClock } from '../support/sim-clock.ts';
import { InProcessTerminal } from '../support/simulated-terminal.ts';
import { TerminalProcess } from '../support/terminal-process.ts';
import { serialised, until } from '../support/wait.ts';
import { createWorkforce, enrol } from '../support/workforce.ts';

const KEY = new Uint8Array(Buffer.from(TEST_KEY_HEX, 'hex'));
const DAY_S = 86_400;
/** Tuesday 2 March 2027, 06:00 UTC: 07:00 at the town hall. */
const START_S = Date.UTC(2027, 2, 2, 6) / 1000;
const PHASES = { morning: 3_000, outage: 4_000, afternoon: 3_000 };
const TOTAL = PHASES.morning + PHASES.outage + PHASES.afternoon;
const STAFF = 240;
const IN_PROCESS_TERMINALS = 4;
const CHILD_ID = 'og-1';
const TUNING = { reconnectPeriodMs: 200, connectTimeoutMs: 2000 };
/** No debounce: the simulated people tap far faster than real ones; an ack timeout of 1 s makes resends frequent. */
const BOOKING = { debounceS: 0, ackTimeoutS: 1 };

describe.each(BACKENDS)('every booking confirmed on a screen reaches the %s ledger exactly once', (backend) => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
  });

  it(`${TOTAL} bookings through a day without broker, SIGKILLed terminals, duplicate deliveries and ledger restarts`, async () => {
    const testStarted = performance.now();
    const random = mulberry32(backend === 'sqlite' ? 6 : 66);
    const broker = await startMosquitto({ persistence: true });
    cleanups.push(() => broker.close());
    const store = testStoreConfig(backend);
    cleanups.push(() => store.cleanup());
    const dir = tempDir();
    cleanups.push(() => dir.remove());

    // the personnel office enrols the staff; the checker connection reads the ledger's tables at the end
    const checker = await store.open();
    const workforce = createWorkforce(STAFF, KEY, random);
    await enrol(checker, workforce, START_S - 30 * DAY_S, START_S - DAY_S);

    const clock = new SimClock(START_S);
    const ledgerConfig = ledgerConfigFromObject({ mqtt: { url: broker.url, clientId: `acceptance-ledger-${backend}-${process.pid}` }, log: { level: 'silent' } }, process.cwd());
    const runner = new LedgerRunner({ config: { ...ledgerConfig, store: store.config }, now: () => clock.nowS(), tuning: TUNING });
    cleanups.push(() => runner.stop());
    // overlapping events must not start and stop the ledger at the same time
    const ledgerOp = serialised();
    const restartLedger = (gapMs: number, waitReady = true): Promise<void> =>
      ledgerOp(async () => {
        await runner.stop();
        await sleep(gapMs);
        await runner.start(waitReady);
      });
    const crashLedger = (): Promise<void> =>
      ledgerOp(async () => {
        await runner.crashAfterNextCommit();
        await sleep(300);
        await runner.start();
      });
    await runner.start();
    const deliverer = await DuplicateDeliverer.connect(broker.url, 0.05, random);
    cleanups.push(() => deliverer.close());

    const inProcess: InProcessTerminal[] = [];
    const outboxes = new Map<string, string>();
    for (let i = 1; i <= IN_PROCESS_TERMINALS; i++) {
      const terminalDir = join(dir.dir, `eg-${i}`);
      mkdirSync(terminalDir);
      const config = testTerminalConfig(terminalDir, { terminal: { id: `eg-${i}` }, mqtt: { url: broker.url }, booking: BOOKING });
      const terminal = new InProcessTerminal(config, { clock: clock.source(), mqttTuning: TUNING });
      cleanups.push(() => terminal.close());
      inProcess.push(terminal);
      outboxes.set(terminal.id, config.outbox.path);
    }
    const childDir = join(dir.dir, CHILD_ID);
    mkdirSync(childDir);
    writeKeyFile(childDir);
    const childConfig = join(childDir, 'terminal.json');
    writeFileSync(
      childConfig,
      JSON.stringify({ terminal: { id: CHILD_ID }, mqtt: { url: broker.url }, pseudonymKeyFile: 'pseudonym.key', outbox: { path: 'outbox.sqlite' }, booking: BOOKING }),
    );
    outboxes.set(CHILD_ID, join(childDir, 'outbox.sqlite'));
    const child = new TerminalProcess(CHILD_ID, childConfig, clock);
    cleanups.push(() => child.kill());
    await child.start();
    const ids = [...outboxes.keys()];

    const everyScreen = async (test: (s: { online: boolean; pending: number; badgeListVersion: number | null }) => boolean): Promise<boolean> => {
      for (const terminal of [...inProcess, child]) if (!test(await terminal.status())) return false;
      return true;
    };
    const statuses = async (): Promise<string> => JSON.stringify(await Promise.all([...inProcess, child].map(async (t) => ({ id: t.id, ...(await t.status()) }))));
    await until('every terminal online with the badge list', () => everyScreen((s) => s.online && s.badgeListVersion !== null), 20_000, statuses);

    const log = new ConfirmationLog();
    const run = new BookingRun({ inProcess, child, childShare: 0.08, killEvery: [60, 160], refusalShare: 0.004, workforce, log, clock, random });
    const reports: PhaseReport[] = [];

    // morning: everything up
    reports.push(
      await run.phase({
        name: 'morning',
        bookings: PHASES.morning,
        spanS: 0,
        events: [
          { at: 0.3, name: 'ledger restart', run: () => restartLedger(1_200) },
          { at: 0.6, name: '30 stale copies', run: async () => deliverer.replayOld(30) },
        ],
      }),
    );

    // the broker goes down for a simulated day: the terminals book offline into their outboxes. It dies in the middle
    // of the traffic, right after a commit, as the ledger publishes that batch's ack (old copies make sure of traffic)
    const bookedBefore = new Map(ids.map((id) => [id, log.countOn(id)]));
    await new Promise<void>((resolve, reject) => {
      const off = runner.current!.onBatch(() => {
        off();
        broker.kill().then(resolve, reject);
      });
      deliverer.replayOld(3);
    });
    await until('every screen offline', () => everyScreen((s) => !s.online), 10_000, statuses);
    reports.push(
      await run.phase({
        name: 'broker down for a day',
        bookings: PHASES.outage,
        spanS: DAY_S,
        events: [{ at: 0.5, name: 'ledger restart without broker', run: () => restartLedger(0, false) }],
      }),
    );
    expect(clock.now() - START_S).toBeGreaterThan(DAY_S);
    for (const terminal of [...inProcess, child]) {
      const status = await terminal.status();
      expect(status.online).toBe(false);
      // nothing booked during the day can have been acknowledged
      expect(status.pending).toBeGreaterThanOrEqual(log.countOn(terminal.id) - bookedBefore.get(terminal.id)!);
    }

    // the broker is back: everything drains
    await child.syncClock();
    const ledger = runner.current!;
    const insertedBefore = ledger.stats().inserted;
    const commits: number[] = [];
    const stopWatching = ledger.onBatch(() => void commits.push(performance.now()));
    const drainStarted = performance.now();
    await broker.restart();
    await until(
      'the backlog in the ledger',
      async () => {
        for (const id of ids) if ((await checker.ackedThrough(id)) < log.highest(id)) return false;
        return true;
      },
      60_000,
      statuses,
    );
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    stopWatching();
    const drained = ledger.stats().inserted - insertedBefore;
    const commitSeconds = ((commits.at(-1) ?? 0) - (commits[0] ?? 0)) / 1000;

    // afternoon: a ledger crash right after a commit, a broker restart, another ledger restart
    reports.push(
      await run.phase({
        name: 'afternoon',
        bookings: PHASES.afternoon,
        spanS: 0,
        events: [
          { at: 0.15, name: 'ledger crash after a commit', run: crashLedger },
          { at: 0.4, name: 'broker restart', run: () => broker.restart() },
          { at: 0.6, name: '50 stale copies', run: async () => deliverer.replayOld(50) },
          { at: 0.8, name: 'ledger restart', run: () => restartLedger(0) },
        ],
      }),
    );
    await until('every outbox acknowledged', () => everyScreen((s) => s.online && s.pending === 0), 30_000, statuses);
    const terminalCounters = [...inProcess.map((t) => t.running.counters()), await child.counters()];

    await child.stop();
    for (const terminal of inProcess) await terminal.close();
    await ledgerOp(() => runner.stop());
    const seconds = (performance.now() - testStarted) / 1000;
    const totals = runner.totals();
    const resends = terminalCounters.reduce((n, c) => n + (c.resend ?? 0), 0);
    const flagged = [...log.booked.values()].filter((c) => c.clockUnsynced).length;
    // printed before the checks, so that a failing run shows what happened
    console.log(
      [
        `acceptance with ${backend}: ${TOTAL} bookings confirmed on ${ids.length} terminals, all in the ledger exactly once; ${seconds.toFixed(1)} s in all`,
        ...reports.map((r) => `  ${r.name}: ${r.bookings} bookings (${r.childBookings} on the child process, SIGKILLed ${r.childKills}x), ${r.refusedTaps} refused taps, ${r.seconds.toFixed(1)} s; ${r.events.join(', ') || 'no events'}`),
        `  drain after the outage: ${drained} bookings in ${drainSeconds.toFixed(2)} s from the broker's restart = ${Math.round(drained / drainSeconds)} bookings/s; the ledger committed them in ${commits.length} batches over ${commitSeconds.toFixed(2)} s = ${Math.round(drained / commitSeconds)} bookings/s`,
        `  ledger: ${totals.runs} runs (${totals.crashes} crash), ${totals.batches} batches, ${totals.inserted} inserted, ${totals.duplicates} duplicates; ${deliverer.published} copies published by the test, ${resends} resends by the terminals (counters of the last child run); ${flagged} bookings flagged clockUnsynced`,
      ].join('\n'),
    );

    // the ledger's bookings are exactly the confirmed ones
    const rows = await checker.bookingsBetween(0, 2 ** 32);
    const stored = new Map(rows.map((row) => [confirmationKey(row.terminal, row.sequence), row]));
    const missing = [...log.booked.keys()].filter((key) => !stored.has(key));
    const extra = [...stored.keys()].filter((key) => !log.booked.has(key));
    const differing = [...log.booked.entries()]
      .filter(([key, c]) => {
        const row = stored.get(key);
        return row !== undefined && (row.badge !== c.badge || row.kind !== c.kind || row.time !== c.time || row.clockUnsynced !== c.clockUnsynced || row.employeeId !== c.employeeId || row.via !== 'lan');
      })
      .map(([key, c]) => ({ confirmed: c, stored: stored.get(key) }));
    expect(log.anomalies).toEqual([]);
    expect(log.booked.size).toBe(TOTAL);
    expect({ rows: rows.length, missing: missing.slice(0, 10), extra: extra.slice(0, 10), differing: differing.slice(0, 3) }).toEqual({ rows: TOTAL, missing: [], extra: [], differing: [] });
    expect(await checker.conflictCount()).toBe(0);
    expect((await checker.terminals()).map(({ terminal, firstSequence, ackedThrough, highestSequence }) => ({ terminal, firstSequence, ackedThrough, highestSequence }))).toEqual(
      ids.sort().map((id) => ({ terminal: id, firstSequence: 1, ackedThrough: log.highest(id), highestSequence: log.highest(id) })),
    );
    // refused badges booked nothing
    const refusedBadges = new Set([workforce.revoked.badge, ...workforce.unknown.map((b) => b.badge)]);
    expect(rows.filter((row) => refusedBadges.has(row.badge))).toEqual([]);
    expect(log.refused.revokedBadge).toBeGreaterThan(0);
    expect(log.refused.unknownBadge).toBeGreaterThan(0);

    // every outbox empty, and it never gave out a sequence nobody saw confirmed
    for (const [id, path] of outboxes) {
      const outbox = new SqliteOutbox(path);
      try {
        expect({ id, pending: outbox.pendingCount(), next: outbox.nextSequence() }).toEqual({ id, pending: 0, next: log.highest(id) + 1 });
      } finally {
        outbox.close();
      }
    }

    // the clocks were right all along: no booking may be flagged (a stale ack's serverTime would do that)
    expect(flagged).toBe(0);

    // the faults happened
    expect(totals).toMatchObject({ inserted: TOTAL, conflicts: 0, storeErrors: 0, rejected: 0, crashes: 1 });
    expect(totals.duplicates).toBeGreaterThan(0);
    expect(totals.runs).toBe(5);
    expect(child.kills).toBeGreaterThanOrEqual(5);
    expect(deliverer.published).toBeGreaterThan(0);
    expect(drained).toBeGreaterThanOrEqual(PHASES.outage);

  }, 120_000);
});
