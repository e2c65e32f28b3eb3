/**
 * Removed and renamed devices, end to end: the bridge runs with devices A, B, C (each heard once, so their states
 * are retained), then again with A, B under a new id and without C. What is retained on a real Mosquitto afterwards
 * is read by a fresh subscriber.
 */
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Bridge } from '../../../gateway-bridge/src/bridge.ts';
import { AnnouncedDevices, type AnnouncedDevice } from '../../../gateway-bridge/src/outbox/announced-devices.ts';
import { openBridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import { createLogger } from '../../../gateway-bridge/src/ops/logger.ts';
import {
  record,
  sleep,
  startBridge,
  startBroker,
  startRadio,
  tempDir,
  testDevices,
  uplink,
  waitConfigured,
  waitFor,
  type BrokerUnderTest,
  type Radio,
  type TestDevice,
} from '../e2e/stack.ts';

const ROAD = { air: { temperature: 1.5, relativeHumidity: 93 }, surface: { temperature: -0.4 }, iceRisk: 'risk', status: { heaterOn: false }, battery: 3.02 };

const [A, B, C] = testDevices(3) as [TestDevice, TestDevice, TestDevice];
const B_RENAMED: TestDevice = { ...B, id: 'node-1-moved' };

let broker: BrokerUnderTest;
let radio: Radio;
let temp: ReturnType<typeof tempDir>;
let file: string;
let logs: string[];
const bridges: Bridge[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  temp = tempDir('stadtsensor-cleanup-');
  file = join(temp.dir, 'bridge.sqlite');
  logs = [];
  // persistence: retained messages survive the broker restart of the no-acknowledgement test
  broker = await startBroker('mosquitto', { persistence: true });
  radio = await startRadio();
});
afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.stop(1_000);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await radio.close();
  await broker.close();
  temp.cleanup();
});

async function runBridge(devices: TestDevice[], brokerUrl = broker.url, extra: Record<string, unknown> = {}): Promise<Bridge> {
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
  const bridge = await startBridge({ brokerUrl, serialPath: radio.path, outbox: file, devices, extra }, { logger });
  bridges.push(bridge);
  await waitConfigured(bridge);
  return bridge;
}

async function stop(bridge: Bridge): Promise<void> {
  bridges.splice(bridges.indexOf(bridge), 1);
  await bridge.stop(1_500);
}

/** The first run: A, B and C each heard once, their states retained. */
async function firstRun(): Promise<Map<string, string>> {
  const sub = await record(broker.url, ['stadtsensor/+/state']);
  const bridge = await runBridge([A, B, C]);
  for (const device of [A, B, C]) expect(radio.module.receive(uplink(device, 1, 20, ROAD), { rssi: -80, snr: 7 })).toBe(true);
  await waitFor('three retained states', () => new Set(sub.messages.map((m) => m.topic)).size === 3 && bridge.pending === 0);
  await sub.close();
  await stop(bridge);
  const before = await retainedNow();
  for (const device of [A, B, C]) {
    expect(before.has(`stadtsensor/${device.id}/state`)).toBe(true);
    expect(configsOf(before, device).size).toBeGreaterThan(5);
  }
  return before;
}

/** Every retained message under the bridge's and Home Assistant's prefixes, as a fresh subscriber gets them. */
async function retainedNow(): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const marker = `test/marker/${randomUUID()}`;
  const got = new Map<string, string>();
  let done = false;
  client.on('message', (topic, payload, packet) => {
    if (topic === marker) done = true;
    else if (packet.retain) got.set(topic, payload.toString());
  });
  try {
    await client.subscribeAsync(['stadtsensor/#', 'homeassistant/#', marker], { qos: 1 });
    // retained messages are sent with the subscription, so they all come before this one
    await client.publishAsync(marker, 'end', { qos: 1 });
    await waitFor('the retained messages', () => done);
    return got;
  } finally {
    await client.endAsync(true);
  }
}

/** The retained discovery configs of a device's DevEUI: topic -> payload. */
function configsOf(retained: Map<string, string>, device: TestDevice): Map<string, string> {
  return new Map([...retained].filter(([topic]) => topic.startsWith('homeassistant/') && topic.includes(`_${device.devEui}_`)));
}

function remembered(): AnnouncedDevice[] {
  const db = openBridgeDatabase(file);
  try {
    return new AnnouncedDevices(db).list();
  } finally {
    db.close();
  }
}

function savedStateDevices(): string[] {
  const db = openBridgeDatabase(file);
  try {
    return (db.prepare('SELECT DISTINCT device FROM device_state ORDER BY device').all() as { device: string }[]).map((row) => row.device);
  } finally {
    db.close();
  }
}

const announced = (device: TestDevice): AnnouncedDevice => ({ devEui: device.devEui, id: device.id, type: device.type });

it("clears a removed device's discovery configs and state and a renamed device's old state, then forgets them", async () => {
  const before = await firstRun();
  expect(remembered()).toEqual([A, B, C].map(announced));

  const second = await runBridge([A, B_RENAMED]);
  await waitFor('B and C cleared and forgotten', () => JSON.stringify(remembered()) === JSON.stringify([announced(A), announced(B_RENAMED)]));
  await stop(second);
  const after = await retainedNow();

  // C: gone from Home Assistant and from the broker; its saved state is gone too
  expect(configsOf(after, C)).toEqual(new Map());
  expect(after.has(`stadtsensor/${C.id}/state`)).toBe(false);
  // B: the old id's state is gone, the configs are there under the same unique ids and point to the new id
  expect(after.has(`stadtsensor/${B.id}/state`)).toBe(false);
  const configsB = configsOf(after, B);
  expect([...configsB.keys()].sort()).toEqual([...configsOf(before, B).keys()].sort());
  for (const [topic, payload] of configsB) {
    const config = JSON.parse(payload) as { unique_id: string; state_topic: string };
    expect(topic).toContain(config.unique_id);
    expect(config.state_topic).toBe(`stadtsensor/${B_RENAMED.id}/state`);
  }
  // B's saved state moved to its new id (the next state of the new id keeps it); C's was dropped
  expect(savedStateDevices()).toEqual([A.id, B_RENAMED.id]);
  // A: untouched
  expect(after.get(`stadtsensor/${A.id}/state`)).toBe(before.get(`stadtsensor/${A.id}/state`));
  expect(configsOf(after, A)).toEqual(configsOf(before, A));

  const cleared = logs.filter((line) => /no longer configured|renamed/.test(line));
  expect(cleared).toHaveLength(2);
  expect(cleared.join('\n')).toContain(C.devEui);
  expect(cleared.join('\n')).toContain(`${B.id} -> ${B_RENAMED.id}`);
  for (const device of [A, B, C]) expect(logs.join('\n')).not.toMatch(new RegExp(`${device.nwkSKey}|${device.appSKey}`, 'i'));

  // a third start publishes nothing more for C or B's old id
  const sub = await record(broker.url, ['stadtsensor/#', 'homeassistant/#']);
  const third = await runBridge([A, B_RENAMED]);
  const live = (): typeof sub.messages => sub.messages.filter((m) => !m.retain);
  await waitFor("A's discovery again", () => live().filter((m) => m.topic.includes(`_${A.devEui}_`)).length === configsOf(before, A).size);
  await sleep(300);
  expect(live().filter((m) => m.topic.includes(C.devEui) || m.topic.startsWith(`stadtsensor/${C.id}/`))).toEqual([]);
  expect(live().filter((m) => m.topic === `stadtsensor/${B.id}/state`)).toEqual([]);
  await sub.close();
  await stop(third);
  expect(logs.filter((line) => /no longer configured|renamed/.test(line))).toHaveLength(2);
}, 30_000);

it('clears the old state topics with Home Assistant discovery disabled', async () => {
  const before = await firstRun();
  const second = await runBridge([A, B_RENAMED], broker.url, { homeAssistant: { enabled: false } });
  await waitFor('B and C forgotten', () => JSON.stringify(remembered()) === JSON.stringify([announced(A), announced(B_RENAMED)]));
  await stop(second);
  const after = await retainedNow();
  expect(after.has(`stadtsensor/${C.id}/state`)).toBe(false);
  expect(after.has(`stadtsensor/${B.id}/state`)).toBe(false);
  expect(after.get(`stadtsensor/${A.id}/state`)).toBe(before.get(`stadtsensor/${A.id}/state`));
  // discovery is not the bridge's business then: whatever is retained there stays as it was
  for (const device of [A, B, C]) expect(configsOf(after, device)).toEqual(configsOf(before, device));
}, 30_000);

it('keeps a removed device remembered while the broker is away, and clears it at the next connect', async () => {
  const before = await firstRun();
  await broker.mosquitto!.stop();

  const second = await runBridge([A]);
  await sleep(1_500);
  expect(second.mqttConnected).toBe(false);
  expect(remembered()).toEqual([A, B, C].map(announced));

  await broker.mosquitto!.restart();
  await waitFor('B and C forgotten after the reconnect', () => JSON.stringify(remembered()) === JSON.stringify([announced(A)]), 15_000);
  await stop(second);
  const after = await retainedNow();
  for (const device of [B, C]) {
    expect(configsOf(after, device)).toEqual(new Map());
    expect(after.has(`stadtsensor/${device.id}/state`)).toBe(false);
  }
  expect(configsOf(after, A)).toEqual(configsOf(before, A));
}, 30_000);

it('keeps a removed device remembered when the broker never acknowledged its clearing, and clears it again next time', async () => {
  await firstRun();
  // between the bridge and the broker: passes the CONNACK, then holds back everything else the broker sends
  const proxy = await holdingProxy(broker.url);
  cleanups.push(() => proxy.close());

  const second = await runBridge([A, B], proxy.url);
  await waitFor("C's empty state topic at the broker", () => proxy.fromClient().includes(`stadtsensor/${C.id}/state`));
  await stop(second);
  expect(remembered()).toEqual([A, B, C].map(announced));
  expect(logs.filter((line) => line.includes('no longer configured'))).toEqual([]);

  const sub = await record(broker.url, [`stadtsensor/${C.id}/state`, 'homeassistant/#']);
  const third = await runBridge([A, B]);
  await waitFor('C forgotten', () => JSON.stringify(remembered()) === JSON.stringify([announced(A), announced(B)]));
  // published again although the broker had already applied the first clearing
  const clearedC = sub.messages.filter((m) => !m.retain && m.payload.length === 0 && (m.topic.includes(C.devEui) || m.topic.includes(`/${C.id}/`)));
  expect(clearedC.length).toBeGreaterThan(5);
  await sub.close();
  await stop(third);
  expect(logs.filter((line) => line.includes('no longer configured'))).toHaveLength(1);
}, 30_000);

/** A TCP proxy to the broker that forwards the client's bytes and, of the broker's, only the first 4 (CONNACK). */
async function holdingProxy(brokerUrl: string): Promise<{ url: string; fromClient(): string; close(): Promise<void> }> {
  const target = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  let sent = '';
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    let passed = 0;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      sent += chunk.toString('latin1');
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const pass = chunk.subarray(0, Math.max(0, 4 - passed));
      passed += pass.length;
      if (pass.length > 0) client.write(pass);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    fromClient: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
