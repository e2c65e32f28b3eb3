/**
 * Part of the acceptance mix "ledger restarts" x "broker down": the ledger service must stop (systemctl stop, a
 * restart) while its broker is away. Found by exactly-once.test.ts, whose ledger restart during the outage hung.
 */
import mqtt from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { TIMECLOCK_TOPICS, type BookingBatchMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { ledgerConfigFromObject } from '../../../ledger/src/config.ts';
import { Ledger } from '../../../ledger/src/ledger.ts';
import { testStoreConfig } from '../../ledger/support.ts';
import { startMosquitto } from '../../support/mosquitto.ts';
import { until } from '../support/wait.ts';

it('stops while the broker is gone, also with an acknowledgement the broker never confirmed', async () => {
  const broker = await startMosquitto();
  const store = testStoreConfig('sqlite');
  const config = { ...ledgerConfigFromObject({ mqtt: { url: broker.url, clientId: `ledger-stop-${process.pid}` }, log: { level: 'silent' } }, process.cwd()), store: store.config };
  const ledger = await Ledger.start({ config, tuning: { reconnectPeriodMs: 200, connectTimeoutMs: 2000 } });
  const terminal = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  terminal.on('error', () => {});
  let stopped = false;
  try {
    await ledger.ready();
    // the broker dies right after the commit, as the ledger publishes the acknowledgement: no PUBACK will come for it
    ledger.onBatch(() => void broker.kill());
    const batch: BookingBatchMessage = { terminal: 'tc-1', bookings: [{ sequence: 1, badge: 'a1b2c3d4', kind: 'come', time: 1_800_000_000, clockUnsynced: false }] };
    terminal.publish(TIMECLOCK_TOPICS.bookings('tc-1'), JSON.stringify(batch), { qos: 1 });
    await until('the commit and the broker gone', () => ledger.stats().inserted === 1 && !broker.running, 10_000);

    const outcome = await Promise.race([ledger.stop().then(() => 'stopped'), sleep(5_000).then(() => 'still stopping after 5 s')]);
    stopped = outcome === 'stopped';
    expect(outcome).toBe('stopped');
    // the commit is durable whatever became of the acknowledgement
    const reopened = await store.open();
    expect(await reopened.ackedThrough('tc-1')).toBe(1);
  } finally {
    if (!stopped) {
      await ledger.stop({ force: true });
      await ledger.store.close();
    }
    await terminal.endAsync(true);
    await broker.close();
    await store.cleanup();
  }
});
