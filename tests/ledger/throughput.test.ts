/**
 * Bookings per second the ledger commits and acknowledges, end to end through a real Mosquitto, all sent at once by
 * 4 terminals: 10,000 bookings in batches of 50, each batch twice (a terminal resending after a lost ack), and
 * 2,000 bookings one per message (a terminal sending each booking as it is made). Prints the rates; asserts
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BOOKINGS_PER_MESSAGE, TIMECLOCK_TOPICS, type Booking } from '../../firmware/timeclock/core/contracts.ts';
import { ledgerConfigFromObject } from '../../ledger/src/config.ts';
import { Ledger } from '../../ledger/src/ledger.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeTerminal } from './fake-terminal.ts';
import { BACKENDS, testStoreConfig } from './support.ts';

const TERMINALS = 4;
const SCENARIOS = [
  { perTerminal: 2_500, batch: MAX_BOOKINGS_PER_MESSAGE, copies: 2 },
  { perTerminal: 500, batch: 1, copies: 1 },
];
const T0 = 1_790_000_000;

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ maxQueuedMessages: 0 });
});
afterAll(async () => {
  await broker.close();
});

describe.each(BACKENDS)('ledger throughput with %s', (backend) => {
  it.each(SCENARIOS)('commits and acknowledges 4 x $perTerminal bookings, $batch per message, sent $copies times, exactly once', async ({ perTerminal: PER_TERMINAL, batch, copies }) => {
    const handle = testStoreConfig(backend);
    const config = { ...ledgerConfigFromObject({ mqtt: { url: broker.url, clientId: `ledger-bench-${backend}-${batch}-${process.pid}` }, log: { level: 'silent' } }, process.cwd()), store: handle.config };
    const ledger = await Ledger.start({ config });
    const terminal = await FakeTerminal.connect(broker.url, ['stadtsensor/timeclock/+/ack']);
    try {
      await ledger.ready();
      const ids = Array.from({ length: TERMINALS }, (_, i) => `bench-${i}`);
      const started = performance.now();
      const sends: Promise<void>[] = [];
      for (let first = 1; first <= PER_TERMINAL; first += batch) {
        for (const id of ids) {
          const bookings: Booking[] = Array.from({ length: batch }, (_, i) => ({
            sequence: first + i,
            badge: (0xa0000000 + ((first + i) % 600)).toString(16),
            kind: (first + i) % 2 === 0 ? 'go' : 'come',
            time: T0 + first + i,
            clockUnsynced: false,
          }));
          for (let copy = 0; copy < copies; copy++) sends.push(terminal.sendLan(id, bookings));
        }
      }
      await Promise.all(sends);
      await terminal.waitFor(
        'every ack',
        () =>
          ledger.stats().batches === (copies * TERMINALS * PER_TERMINAL) / batch &&
          ids.every((id) => terminal.bodies(TIMECLOCK_TOPICS.ack(id)).some((a) => (a as { ackedThrough: number }).ackedThrough === PER_TERMINAL)),
        120_000,
      );
      const seconds = (performance.now() - started) / 1000;
      const total = TERMINALS * PER_TERMINAL;
      console.log(
        `ledger throughput (${backend}, ${batch} per message, sent ${copies}x): ${total} bookings committed and acknowledged in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} bookings/s, ${Math.round((copies * total) / batch / seconds)} messages/s`,
      );
      expect(ledger.stats()).toMatchObject({ inserted: total, duplicates: (copies - 1) * total, conflicts: 0, storeErrors: 0 });
      const stored = await ledger.store.bookingsBetween(0, 2 ** 32);
      expect(stored.length).toBe(total);
      expect(new Set(stored.map((b) => `${b.terminal}#${b.sequence}`)).size).toBe(total);
    } finally {
      await terminal.close();
      await ledger.stop();
      await handle.cleanup();
    }
  });
});
