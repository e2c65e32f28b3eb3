import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import type { BridgeEvent } from '../../../gateway-bridge/src/types.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { sampleEvent } from '../outbox/sample-events.ts';
import { connectionConfig, record, retained, startBridge, tempDir, waitFor, type Bridge, type Recorder } from './publisher-harness.ts';

let broker: Mosquitto | undefined;
let bridge: Bridge | undefined;
let sub: Recorder | undefined;
let temp: ReturnType<typeof tempDir>;

beforeEach(() => {
  temp = tempDir();
});
afterEach(async () => {
  await bridge?.close();
  await sub?.close();
  await broker?.close();
  bridge = sub = broker = undefined;
  temp.cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

it('delivers every event of a stream while the broker is stopped and restarted 5 times', async () => {
  // persistence keeps the subscriber's session and its queued messages across the restarts
  broker = await startMosquitto({ persistence: true, maxQueuedMessages: 0 });
  const b = (bridge = startBridge(join(temp.dir, 'bridge.sqlite'), connectionConfig(broker.url)));
  sub = await record(broker.url, ['stadtsensor/road-3/up'], { clientId: 'recorder-restarts', clean: false });
  const total = 2_000;
  const events = Array.from({ length: total }, (_, n) => sampleEvent(n));

  const produce = (async () => {
    for (let n = 0; n < total; n += 4) {
      for (const e of events.slice(n, n + 4)) expect(b.outbox.add(e, 'up').status).toBe('added');
      await sleep(5);
    }
  })();
  const restarts = (async () => {
    for (let i = 0; i < 5; i++) {
      await sleep(250);
      await broker?.stop();
      await sleep(150);
      await broker?.restart();
    }
  })();
  await Promise.all([produce, restarts]);

  const wanted = new Set(events.map((e) => e.id));
  const got = new Set<string>();
  await waitFor(
    `all ${total} events at the subscriber`,
    () => {
      for (const m of sub?.messages.splice(0) ?? []) got.add((JSON.parse(m.payload.toString()) as BridgeEvent).id);
      return got.size >= total;
    },
    20_000,
  );
  expect([...wanted].filter((id) => !got.has(id))).toEqual([]);
  await waitFor('an empty outbox', () => b.outbox.stats().pending === 0);
  const state = JSON.parse((await retained(broker.url, 'stadtsensor/road-3/state'))?.toString() ?? '{}') as BridgeEvent;
  expect(state.fCnt).toBe(total - 1);
}, 30_000);

it('drains the outbox completely after the broker was killed (SIGKILL) three times', async () => {
  broker = await startMosquitto();
  const b = (bridge = startBridge(join(temp.dir, 'bridge.sqlite'), connectionConfig(broker.url)));
  const total = 600;
  const produce = (async () => {
    for (let n = 0; n < total; n += 4) {
      for (let k = n; k < n + 4; k++) b.outbox.add(sampleEvent(k), 'up');
      await sleep(5);
    }
  })();
  const kills = (async () => {
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      await broker?.kill();
      await sleep(100);
      await broker?.restart();
    }
  })();
  await Promise.all([produce, kills]);
  await waitFor('an empty outbox', () => b.outbox.stats().pending === 0, 15_000);
  expect(b.publisher.counts.up).toBeGreaterThanOrEqual(total);
  expect(b.outbox.stats().failed).toBe(0);
}, 30_000);

it('measures QoS 1 publish throughput to Mosquitto', async () => {
  // set_tcp_nodelay as recommended for the gateway's Mosquitto: without it Nagle's algorithm delays PUBACKs
  broker = await startMosquitto({ tcpNoDelay: true });
  const file = join(temp.dir, 'bridge.sqlite');
  const total = 10_000;
  const filled = SqliteOutbox.open(file);
  filled.transaction(() => {
    for (let n = 0; n < total; n++) filled.add(sampleEvent(n), 'up');
  });
  filled.close();
  sub = await record(broker.url, ['stadtsensor/road-3/up']);
  const started = performance.now();
  const b = (bridge = startBridge(file, connectionConfig(broker.url)));
  await waitFor('the outbox drained', () => b.outbox.stats().pending === 0, 20_000);
  const seconds = (performance.now() - started) / 1000;
  await waitFor('the subscriber has them all', () => (sub?.messages.length ?? 0) >= total);
  const rate = Math.round(total / seconds);
  console.log(`publisher: ${total} events (up + retained state: ${2 * total} QoS 1 messages) in ${seconds.toFixed(2)} s = ${rate} events/s`);
  // about 8,000-10,000/s on an idle 2-core machine; the bound leaves room for a loaded CI machine
  expect(rate).toBeGreaterThan(1_000);
}, 30_000);
