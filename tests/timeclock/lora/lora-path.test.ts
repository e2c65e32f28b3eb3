/**
 * The LoRa booking path end to end, with real parts: the booking core with its SQLite outbox and the LoRa transport
 * (firmware RUI3 driver on a real pty) -> a simulated RAK3172 -> a shared simulated radio medium -> the gateway's
 * simulated RAK3172 -> the real gateway bridge (its own pty) -> aedes -> the real ledger (SQLite) -> ack as a
 * downlink request -> bridge -> ABP downlink in the terminal's receive window -> the outbox empties.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TIMECLOCK_TOPICS, type BadgeListMessage, type BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { ClockSource } from '../../../firmware/timeclock/core/ports.ts';
import { createTerminal, type TimeClockTerminal } from '../../../firmware/timeclock/core/terminal-core.ts';
import { createLoraTransport, type LoraTransport } from '../../../firmware/timeclock/terminal/lora-transport.ts';
import { nodeTimers } from '../../../firmware/timeclock/terminal/node-platform.ts';
import { SqliteOutbox } from '../../../firmware/timeclock/terminal/sqlite-outbox.ts';
import { ledgerConfigFromObject } from '../../../ledger/src/config.ts';
import { Ledger } from '../../../ledger/src/ledger.ts';
import { DEMO_P2P_KEYS } from '../../../tools/simulator/world/keys.ts';
import { record, startBroker, tempDir, testDevices, waitFor, type BrokerUnderTest, type Recorder } from '../../gateway-bridge/e2e/stack.ts';
import { startLoraRig, type LoraRig } from './lora-rig.ts';
import { pseudonymOf, RecordingDisplay, testHmac } from '../core/fakes.ts';

const TERMINAL = 'tc-lora-01';
const device = { ...testDevices(1, 'timeClock')[0]!, id: TERMINAL, name: 'LoRa time clock' };
const UIDS = Array.from({ length: 8 }, (_, i) => new Uint8Array([0x04, 0xa0 + i, 0x11, 0x22, 0x33, 0x44, 0x55]));
/** Inside the core's plausible range (after its build floor); the clock and the ledger move on with real time. */
const T0 = 1_800_000_000;
const started = Date.now();
const testNow = (): number => T0 + (Date.now() - started) / 1000;

let temp: ReturnType<typeof tempDir>;
let broker: BrokerUnderTest;
let rig: LoraRig | undefined;
let ledger: Ledger | undefined;
let badges: Recorder | undefined;
let outbox: SqliteOutbox | undefined;
let transport: LoraTransport | undefined;
let terminal: TimeClockTerminal | undefined;

beforeAll(async () => {
  temp = tempDir('stadtsensor-lora-path-');
  broker = await startBroker('aedes');
  rig = await startLoraRig({ brokerUrl: broker.url, outbox: `${temp.dir}/bridge.sqlite`, device, distanceM: 400 });

  ledger = await Ledger.start({
    config: {
      ...ledgerConfigFromObject({ mqtt: { url: broker.url, clientId: `ledger-lora-${process.pid}` }, badgeListIntervalS: 0.1, log: { level: 'silent' } }, temp.dir),
      store: { kind: 'sqlite', path: `${temp.dir}/ledger.db` },
    },
    now: () => Math.floor(testNow()),
  });
  await ledger.ready();
  const by = { actor: 'test', now: Math.floor(testNow()) };
  for (const [i, uid] of UIDS.entries()) {
    await ledger.store.addEmployee({ id: `e${i}`, name: `Employee ${i}` }, by);
    await ledger.store.addBadge({ badge: pseudonymOf(uid), employeeId: `e${i}`, validFrom: by.now - 60 }, by);
  }
  // a LoRa terminal gets no badge list over the air: it keeps the last one it was given (here: the ledger's)
  badges = await record(broker.url, [TIMECLOCK_TOPICS.badges]);
  await waitFor('the badge list with 8 badges', () => badges!.json<BadgeListMessage>(() => true).some((l) => l.badges.length === 8));
  outbox = new SqliteOutbox(`${temp.dir}/terminal.sqlite`);
  outbox.save(badges.json<BadgeListMessage>(() => true).find((l) => l.badges.length === 8)!);
}, 30_000);

afterAll(async () => {
  terminal?.stop();
  await transport?.close();
  outbox?.close();
  await rig?.close();
  await ledger?.stop();
  await badges?.close();
  await broker?.close();
  temp?.cleanup();
});

it('carries 8 bookings as two LoRa batches to the ledger and empties the outbox with the acks sent as downlinks', async () => {
  const clock: ClockSource = { now: testNow, synchronised: () => true };
  transport = createLoraTransport({
    path: rig!.terminalPath,
    p2p: DEMO_P2P_KEYS.p2p,
    keys: { devAddr: device.devAddr, nwkSKey: device.nwkSKey, appSKey: device.appSKey },
    statePath: `${temp.dir}/terminal.sqlite`,
    // the 1 % duty cycle would space SF9 uplinks by ~30 s: shortened for the test
    settings: { uplinkSpacingMs: 300, receiveWindowMs: 2000 },
  });
  const display = new RecordingDisplay([]);
  const t0 = performance.now();
  terminal = createTerminal({
    outbox: outbox!,
    badgeStore: outbox!,
    clock,
    hmac: testHmac(),
    transport,
    display,
    timers: nodeTimers,
    // longer than the link needs: the acks must come through the link's own repeat, not the core's resend
    settings: { ackTimeoutMs: 30_000 },
  });
  // the taps come while the module is still being configured: they wait in the outbox
  const kinds: BookingKind[] = ['come', 'come', 'go', 'come', 'breakStart', 'come', 'go', 'breakEnd'];
  for (const [i, uid] of UIDS.entries()) {
    terminal.selectKind(kinds[i]!);
    const outcome = terminal.tap(uid);
    expect(outcome.result).toBe('booked');
  }
  expect(outbox!.pendingCount()).toBe(8);

  await waitFor('the ledger to hold all 8 bookings', () => (ledger!.stats().inserted ?? 0) >= 8, 30_000);
  const tLedger = performance.now();
  await waitFor('the outbox to empty', () => outbox!.pendingCount() === 0, 30_000);
  const tEmpty = performance.now();

  const stored = (await ledger!.store.bookingsBetween(T0 - 3600, T0 + 3600)).filter((b) => b.terminal === TERMINAL);
  expect(stored.map((b) => [b.sequence, b.badge, b.kind, b.via])).toEqual(UIDS.map((uid, i) => [i + 1, pseudonymOf(uid), kinds[i], 'lora']));
  expect(ledger!.stats()).toMatchObject({ inserted: 8, conflicts: 0 });
  expect(await ledger!.store.ackedThrough(TERMINAL)).toBe(8);

  const link = transport.stats();
  const terminalFrames = rig!.terminalModule.transmitted.length;
  const gatewayFrames = rig!.gatewayModule.transmitted.length;
  // two batches (1..6, 7..8); every frame the terminal module sent was an uplink, every gateway frame a downlink
  expect(terminalFrames).toBe(link.uplinks);
  expect(gatewayFrames).toBe(rig!.bridge.counts.downlinksSent);
  expect(link.acks).toBeGreaterThanOrEqual(2);
  expect(link.downlinksRejected).toBe(0);
  expect(terminal.counters().resend ?? 0).toBe(0);
  expect(rig!.bridge.counts.accepted).toBe(link.uplinks);
  expect(display.lastStatus().pending).toBe(0);

  console.log(
    `LoRa path: 8 bookings in the ledger after ${Math.round(tLedger - t0)} ms, outbox empty after ${Math.round(tEmpty - t0)} ms; ` +
      `${link.uplinks} uplinks (${link.repeats} repeats to fetch an ack), ${gatewayFrames} downlinks, ${link.acks} acks ` +
      `(${link.staleServerTimes} serverTimes withheld as possibly stale); ledger batches ${ledger!.stats().batches}`,
  );
}, 60_000);
