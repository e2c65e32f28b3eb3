import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqliteOutbox } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import type { StateJson } from '../../../gateway-bridge/src/output/formats.ts';
import type { BridgeEvent } from '../../../gateway-bridge/src/types.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { sampleEvent } from '../outbox/sample-events.ts';
import { connectionConfig, record, retained, startBridge, tempDir, waitFor, type Bridge, type Recorder } from './publisher-harness.ts';
import { stateFCnts, statusEvent } from './state-samples.ts';

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

const fixture = fileURLToPath(new URL('./fixtures/publish-until-killed.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
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
  const state = JSON.parse((await retained(broker.url, 'stadtsensor/road-3/state'))?.toString() ?? '{}') as StateJson;
  expect(stateFCnts(state)).toEqual({ roadClimate: total - 1 });
}, 30_000);

const STATE = 'stadtsensor/road-3/state';

it("starts a restarted bridge's state from every message's saved newest event", async () => {
  broker = await startMosquitto();
  const file = join(temp.dir, 'bridge.sqlite');
  const first = startBridge(file, connectionConfig(broker.url));
  first.outbox.add(sampleEvent(10), 'up');
  first.outbox.add(statusEvent(20), 'up');
  await waitFor('published', () => first.outbox.stats().pending === 0);
  await first.close();

  sub = await record(broker.url, [STATE]);
  await waitFor('the retained state', () => sub?.messages.length === 1);
  const b = (bridge = startBridge(file, connectionConfig(broker.url)));
  // a reading older than the saved one (drained late) is no state; a new heartbeat is, with the saved reading
  b.outbox.add(sampleEvent(5), 'up');
  b.outbox.add(statusEvent(30), 'up');
  await waitFor('the new state', () => sub?.messages.length === 2);
  const state = JSON.parse(sub.messages[1]!.payload.toString()) as StateJson;
  expect(stateFCnts(state)).toEqual({ roadClimate: 10, deviceStatus: 30 });
  expect(state.messages.roadClimate).toEqual(sampleEvent(10));
  expect(state.updatedAt).toBe(statusEvent(30).receivedAt);
  await waitFor('drained', () => b.outbox.stats().pending === 0);
  expect(b.publisher.counts).toMatchObject({ up: 2, state: 1 });
});

it('rebuilds the state after a crash between publishing a row and saving its acknowledgement', async () => {
  broker = await startMosquitto();
  const file = join(temp.dir, 'bridge.sqlite');
  const first = startBridge(file, connectionConfig(broker.url));
  first.outbox.add(sampleEvent(10), 'up');
  await waitFor('published', () => first.outbox.stats().pending === 0);
  await first.close();

  sub = await record(broker.url, [STATE]);
  await publishUntilKilled(file, broker.url, 20);
  await waitFor("the killed bridge's state", () => sub?.messages.length === 2);
  expect(stateFCnts(JSON.parse(sub.messages.at(-1)!.payload.toString()) as StateJson)).toEqual({ roadClimate: 10, deviceStatus: 20 });
  const killed = SqliteOutbox.open(file);
  expect(killed.stats().pending).toBe(1);
  expect([...(killed.deviceStates().get('road-3')?.keys() ?? [])]).toEqual(['roadClimate']);
  killed.close();

  const b = (bridge = startBridge(file, connectionConfig(broker.url)));
  const before = sub.messages.length;
  await waitFor('the heartbeat published again', () => (sub?.messages.length ?? 0) > before && b.outbox.stats().pending === 0);
  expect(stateFCnts(JSON.parse(sub.messages.at(-1)!.payload.toString()) as StateJson)).toEqual({ roadClimate: 10, deviceStatus: 20 });
  // and saved this time: a later reading's state still has it
  b.outbox.add(sampleEvent(25), 'up');
  await waitFor('the reading', () => (sub?.messages.length ?? 0) > before + 1);
  expect(stateFCnts(JSON.parse(sub.messages.at(-1)!.payload.toString()) as StateJson)).toEqual({ roadClimate: 25, deviceStatus: 20 });
});

/** Runs fixtures/publish-until-killed.ts and SIGKILLs it once it published heartbeat n (up and state acknowledged). */
async function publishUntilKilled(file: string, url: string, n: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, file, url, String(n)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('published')) child.kill('SIGKILL');
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), 10_000);
  const signal = await exited;
  clearTimeout(timer);
  if (signal !== 'SIGKILL') throw new Error(`publishing child ended by ${signal}: ${stderr}`);
}

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
