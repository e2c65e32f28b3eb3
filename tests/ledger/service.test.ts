import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TIMECLOCK_TOPICS, type BadgeListMessage, type Booking, type BookingKind } from '../../firmware/timeclock/core/contracts.ts';
import { parseDownlinkRequest } from '../../gateway-bridge/src/downlink/downlink-request.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import { ledgerConfigFromObject, type LedgerConfig } from '../../ledger/src/config.ts';
import { Ledger } from '../../ledger/src/ledger.ts';
import type { LedgerStore } from '../../ledger/src/store/types.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeTerminal } from './fake-terminal.ts';
import { BACKENDS, testStoreConfig, type TestStoreHandle } from './support.ts';

const KINDS: BookingKind[] = ['come', 'breakStart', 'breakEnd', 'go'];
const T0 = 1_790_000_000;
const bookingsFrom = (first: number, count: number, badge = 'a1b2c3d4'): Booking[] =>
  Array.from({ length: count }, (_, i) => ({ sequence: first + i, badge, kind: KINDS[(first + i) % 4]!, time: T0 + (first + i) * 600, clockUnsynced: (first + i) % 5 === 0 }));

/** The previous test's ledger left its badge list retained on the shared broker. */
async function clearRetainedBadgeList(url: string): Promise<void> {
  const client = await mqtt.connectAsync(url);
  await client.publishAsync(TIMECLOCK_TOPICS.badges, '', { qos: 1, retain: true });
  await client.endAsync();
}

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.close();
});

describe.each(BACKENDS)('ledger service with a %s store and a real Mosquitto', (backend) => {
  let handle: TestStoreHandle;
  let config: LedgerConfig;
  let terminal: FakeTerminal;
  const running: Ledger[] = [];
  let clientCounter = 0;

  async function startLedger(store?: LedgerStore): Promise<Ledger> {
    const ledger = await Ledger.start({ config, ...(store ? { store } : {}) });
    running.push(ledger);
    await ledger.ready();
    return ledger;
  }
  async function stopLedger(ledger: Ledger): Promise<void> {
    running.splice(running.indexOf(ledger), 1);
    await ledger.stop();
  }

  beforeEach(async () => {
    handle = testStoreConfig(backend);
    config = {
      ...ledgerConfigFromObject(
        { mqtt: { url: broker.url, clientId: `ledger-test-${process.pid}-${backend}-${++clientCounter}` }, badgeListIntervalS: 0.1, log: { level: 'silent' } },
        process.cwd(),
      ),
      store: handle.config,
    };
    await clearRetainedBadgeList(broker.url);
    terminal = await FakeTerminal.connect(broker.url, ['stadtsensor/timeclock/+/ack', 'stadtsensor/+/down', TIMECLOCK_TOPICS.badges]);
  });
  afterEach(async () => {
    for (const ledger of running.splice(0)) await ledger.stop();
    await terminal.close();
    await handle.cleanup();
  });

  it('acknowledges a LAN batch after committing it', async () => {
    const ledger = await startLedger();
    const before = Math.floor(Date.now() / 1000);
    await terminal.sendLan('tc-01', bookingsFrom(1, 3));
    const [ack] = await terminal.waitFor('the ack', () => {
      const acks = terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'));
      return acks.length > 0 && acks;
    });
    expect(ack).toMatchObject({ ackedThrough: 3 });
    const serverTime = (ack as { serverTime: number }).serverTime;
    expect(serverTime).toBeGreaterThanOrEqual(before);
    expect(serverTime).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const stored = await ledger.store.bookingsBetween(0, 2 ** 32);
    expect(stored.map(({ terminal: t, sequence, badge, kind, time, clockUnsynced, via }) => ({ t, sequence, badge, kind, time, clockUnsynced, via }))).toEqual(
      bookingsFrom(1, 3).map((b) => ({ t: 'tc-01', ...b, via: 'lan' })),
    );
  });

  it('answers a bridge up event with a bookingAck downlink request the bridge can encode', async () => {
    const ledger = await startLedger();
    await terminal.sendLoraUp('tc-lora-7', bookingsFrom(1, 6), 12);
    await terminal.sendLoraUp('tc-lora-7', bookingsFrom(7, 2), 13);
    const downs = await terminal.waitFor('two downlink requests', () => {
      const bodies = terminal.bodies('stadtsensor/tc-lora-7/down');
      return bodies.length >= 2 && bodies;
    });
    expect(downs.map((d) => (d as { bookingAck: { ackedThrough: number } }).bookingAck.ackedThrough)).toEqual([6, 8]);
    const request = parseDownlinkRequest('tc-lora-7', Buffer.from(JSON.stringify(downs[1])));
    if (!request.ok) throw new Error(request.error);
    expect(request.request.port).toBe(41);
    const decoded = codec.decodeDownlink(41, request.request.payload);
    expect(decoded.ok && decoded.data).toEqual({ bookingAck: { ackedThrough: 8, serverTime: (downs[1] as { bookingAck: { serverTime: number } }).bookingAck.serverTime } });
    const stored = await ledger.store.bookingsBetween(0, 2 ** 32);
    expect(stored.map((b) => [b.terminal, b.sequence, b.time, b.kind, b.clockUnsynced, b.via])).toEqual(
      bookingsFrom(1, 8).map((b) => ['tc-lora-7', b.sequence, b.time, b.kind, b.clockUnsynced, 'lora']),
    );
    // other devices' uplinks on the same subscription are ignored, not refused
    await terminal.sendRaw('stadtsensor/road-3/up', JSON.stringify({ message: 'roadClimate', device: { id: 'road-3' }, data: {} }));
    await terminal.waitFor('the ignored uplink', () => ledger.stats().ignored === 1);
    expect(ledger.stats().rejected).toEqual({});
  });

  it('stores no duplicate across a restart, repeats the ack, and takes what was queued while it was away', async () => {
    const first = await startLedger();
    await terminal.sendLan('tc-01', bookingsFrom(1, 5));
    await terminal.waitFor('ack 5', () => terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01')).length === 1);
    await stopLedger(first);

    // the terminal did not see the ack (say) and sends again, and books more, while the ledger is down
    await terminal.sendLan('tc-01', bookingsFrom(1, 5));
    await terminal.sendLan('tc-01', bookingsFrom(6, 3));
    const second = await startLedger();
    const acks = await terminal.waitFor('acks after the restart', () => {
      const bodies = terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'));
      return bodies.length >= 3 && bodies;
    });
    expect(acks.map((a) => (a as { ackedThrough: number }).ackedThrough)).toEqual([5, 5, 8]);
    expect(second.stats()).toMatchObject({ batches: 2, inserted: 3, duplicates: 5, conflicts: 0 });

    // and once more after the restart: the same ack again, nothing new
    await terminal.sendLan('tc-01', bookingsFrom(4, 5));
    await terminal.waitFor('the repeated ack', () => terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01')).length === 4);
    expect(terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'))[3]).toMatchObject({ ackedThrough: 8 });
    const stored = await second.store.bookingsBetween(0, 2 ** 32);
    expect(stored.map((b) => b.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('sends the PUBACK only after the commit: a ledger dropped mid-commit gets the message again at its next start', async () => {
    const store = await handle.open();
    let called = 0;
    const hanging: LedgerStore = Object.create(store, {
      insertBatch: {
        value: () => {
          called++;
          return new Promise(() => undefined);
        },
      },
    }) as LedgerStore;
    const first = await startLedger(hanging);
    await terminal.sendLan('tc-01', bookingsFrom(1, 2));
    await terminal.waitFor('the commit to start', () => called === 1);
    running.splice(running.indexOf(first), 1);
    await first.stop({ force: true });
    expect(terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'))).toEqual([]);

    const second = await startLedger(store);
    await terminal.waitFor('the ack from the redelivered message', () => terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01')).length === 1);
    expect(terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'))[0]).toMatchObject({ ackedThrough: 2 });
    expect(second.stats()).toMatchObject({ batches: 1, inserted: 2 });
  });

  it('counts malformed messages, acknowledges none of them and keeps working', async () => {
    const ledger = await startLedger();
    await terminal.sendRaw(TIMECLOCK_TOPICS.bookings('tc-01'), '{not json');
    await terminal.sendRaw(TIMECLOCK_TOPICS.bookings('tc-01'), JSON.stringify({ terminal: 'tc-01', bookings: [{ sequence: 0, badge: 'A1', kind: 'lunch', time: -1 }] }));
    await terminal.sendRaw(TIMECLOCK_TOPICS.bookings('tc-01'), JSON.stringify({ terminal: 'tc-02', bookings: bookingsFrom(1, 1) }));
    await terminal.sendRaw(TIMECLOCK_TOPICS.bookings('tc-01'), JSON.stringify({ terminal: 'tc-01', bookings: [...bookingsFrom(1, 1), ...bookingsFrom(1, 1)] }));
    await terminal.sendRaw('stadtsensor/tc-lora/up', JSON.stringify({ message: 'bookingBatch', device: { id: 'tc-lora' }, data: { sequence: 1 } }));
    await terminal.sendLan('tc-01', bookingsFrom(1, 1));
    await terminal.waitFor('the good ack', () => terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01')).length > 0);
    expect(ledger.stats().rejected).toEqual({ 'not-json': 1, invalid: 2, 'terminal-mismatch': 1, 'duplicate-sequence': 1 });
    expect(terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'))).toEqual([expect.objectContaining({ ackedThrough: 1 })]);
    expect(terminal.bodies('stadtsensor/tc-lora/down')).toEqual([]);
    expect((await ledger.store.bookingsBetween(0, 2 ** 32)).length).toBe(1);
  });

  it('sends no ack when the commit fails, and acks the resent batch once the store works again', async () => {
    const store = await handle.open();
    let failNext = true;
    const flaky: LedgerStore = Object.create(store, {
      insertBatch: {
        value: async (...args: Parameters<LedgerStore['insertBatch']>) => {
          if (failNext) {
            failNext = false;
            throw new Error('disk full');
          }
          return store.insertBatch(...args);
        },
      },
    }) as LedgerStore;
    const ledger = await startLedger(flaky);
    await terminal.sendLan('tc-01', bookingsFrom(1, 2));
    await terminal.waitFor('the store error', () => ledger.stats().storeErrors === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'))).toEqual([]);
    await terminal.sendLan('tc-01', bookingsFrom(1, 2));
    await terminal.waitFor('the ack', () => terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01')).length === 1);
    expect(terminal.bodies(TIMECLOCK_TOPICS.ack('tc-01'))[0]).toMatchObject({ ackedThrough: 2 });
  });

  it('publishes the badge list retained at start and again, with a higher version, when badges change', async () => {
    const store = await handle.open();
    const by = { actor: 'test', now: Math.floor(Date.now() / 1000) };
    await store.addEmployee({ id: 'e1', name: 'Erika Muster' }, by);
    await store.addEmployee({ id: 'e2', name: 'Max Mustermann', greeting: 'Moin Max' }, by);
    await store.addBadge({ badge: 'a1b2c3d4', employeeId: 'e1', validFrom: by.now - 10 }, by);
    await startLedger(store);
    const lists = (): BadgeListMessage[] => terminal.bodies(TIMECLOCK_TOPICS.badges) as BadgeListMessage[];
    const first = await terminal.waitFor('the first list', () => lists()[0]);
    expect(first).toMatchObject({ badges: [{ badge: 'a1b2c3d4', greeting: 'Guten Tag' }], revoked: [] });
    expect(JSON.stringify(first)).not.toContain('Erika');

    await store.addBadge({ badge: '0badc0de', employeeId: 'e2', validFrom: by.now - 10 }, by);
    await store.revokeBadge('a1b2c3d4', by);
    const latest = await terminal.waitFor('the changed list', () => lists().find((l) => l.revoked.length > 0));
    expect(latest).toMatchObject({ badges: [{ badge: '0badc0de', greeting: 'Moin Max' }], revoked: ['a1b2c3d4'] });
    expect(latest.version).toBeGreaterThan(first.version);

    // a terminal connecting later gets the newest list, retained
    const late = await FakeTerminal.connect(broker.url, [TIMECLOCK_TOPICS.badges]);
    try {
      const retained = await late.waitFor('the retained list', () => late.received[0]);
      expect(retained).toMatchObject({ retain: true, body: { version: latest.version } });
    } finally {
      await late.close();
    }
  });
});
