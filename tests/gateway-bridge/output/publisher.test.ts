import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventToJson, type StateJson } from '../../../gateway-bridge/src/output/formats.ts';
import type { BridgeEvent, Rejection } from '../../../gateway-bridge/src/types.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { sampleEvent, sampleRejection, sampleRx } from '../outbox/sample-events.ts';
import { connectionConfig, GATEWAY_ID, record, retained, startBridge, tempDir, waitFor, type Bridge, type Recorder } from './publisher-harness.ts';
import { stateFCnts, statusEvent } from './state-samples.ts';

let broker: Mosquitto;
let temp: ReturnType<typeof tempDir>;
let file: string;
const bridges: Bridge[] = [];
const recorders: Recorder[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.close();
});
beforeEach(() => {
  temp = tempDir();
  file = join(temp.dir, 'bridge.sqlite');
});
afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
  for (const recorder of recorders.splice(0)) await recorder.close();
  temp.cleanup();
});

// each test uses its own prefix of device ids and a fresh gateway status, so retained messages do not leak between tests
let testNo = 0;
let device = '';
beforeEach(() => {
  device = `dev-${++testNo}`;
});

function bridge(options: Parameters<typeof startBridge>[2] = {}): Bridge {
  const b = startBridge(file, connectionConfig(broker.url), options);
  bridges.push(b);
  return b;
}

async function recorder(filters: string[]): Promise<Recorder> {
  const r = await record(broker.url, filters);
  recorders.push(r);
  return r;
}

const event = (n: number, extra: Parameters<typeof sampleEvent>[1] = {}): BridgeEvent => sampleEvent(n, { device, ...extra });
const status = (n: number): BridgeEvent => statusEvent(n, { device });
const retainedState = async (): Promise<StateJson> =>
  JSON.parse((await retained(broker.url, `stadtsensor/${device}/state`))?.toString() ?? '{"messages":{}}') as StateJson;
const statusTopic = `stadtsensor/gateway/${GATEWAY_ID}/status`;

describe('Publisher against Mosquitto', () => {
  it('publishes every event and rejection in order with QoS 1, then deletes the rows', async () => {
    const sub = await recorder([`stadtsensor/${device}/up`, `stadtsensor/gateway/${GATEWAY_ID}/rejected`]);
    const b = bridge();
    const rejectionIds: string[] = [];
    for (let n = 0; n < 300; n++) {
      b.outbox.add(event(n), 'up');
      if (n % 100 === 0) rejectionIds.push(b.outbox.add(sampleRejection(n), 'rejected').id);
    }
    const upTopic = `stadtsensor/${device}/up`;
    await waitFor('300 events', () => sub.on(upTopic).length >= 300 && sub.on(b.topics.rejected).length >= 3);
    const ups = sub.json<BridgeEvent>(upTopic);
    expect(ups.map((e) => e.fCnt)).toEqual([...Array(300).keys()]);
    expect(ups[7]).toEqual(event(7));
    const rejections = sub.json<Rejection & { id: string }>(b.topics.rejected);
    expect(rejections.map((r) => r.id)).toEqual(rejectionIds);
    expect(rejections[1]).toEqual({ id: rejectionIds[1], ...sampleRejection(100) });
    await waitFor('an empty outbox', () => b.outbox.stats().pending === 0);
    expect(b.publisher.counts).toMatchObject({ up: 300, rejected: 3, errors: 0 });
    expect(b.publisher.inFlight).toBe(0);
  });

  it('uses the injected serializers', async () => {
    const sub = await recorder([`stadtsensor/${device}/#`]);
    bridge({
      serialize: (e) => Buffer.from(`up:${e.fCnt}`),
      serializeState: (state) => `state:${[...state.values()].map((e) => e.fCnt).join()}`,
    }).outbox.add(event(42), 'up');
    await waitFor('up and state', () => sub.messages.length >= 2);
    expect(sub.on(`stadtsensor/${device}/up`)[0]?.payload.toString()).toBe('up:42');
    expect(sub.on(`stadtsensor/${device}/state`)[0]?.payload.toString()).toBe('state:42');
  });

  it('publishes a device that keeps no state (removed from the configuration) on up only', async () => {
    const sub = await recorder([`stadtsensor/${device}/#`]);
    const b = bridge({ keepsState: (id) => id !== device });
    b.outbox.add(event(1), 'up');
    await waitFor('the row acknowledged and the event received', () => b.outbox.stats().pending === 0 && sub.on(`stadtsensor/${device}/up`).length > 0);
    expect(sub.json<BridgeEvent>(`stadtsensor/${device}/up`).map((e) => e.fCnt)).toEqual([1]);
    expect(sub.on(`stadtsensor/${device}/state`)).toEqual([]);
    expect(await retained(broker.url, `stadtsensor/${device}/state`)).toBeUndefined();
    expect(b.publisher.counts).toMatchObject({ up: 1, state: 0 });
  });

  it('keeps the retained state at the newest event even when an older one is drained after it', async () => {
    const b = bridge();
    const sub = await recorder([`stadtsensor/${device}/state`]);
    b.outbox.add(event(5), 'up');
    // a late delivery: older receive time, drained after the newer one
    b.outbox.add(event(3), 'up');
    await waitFor('both published', () => b.publisher.counts.up === 2);
    expect(sub.json<StateJson>(`stadtsensor/${device}/state`).map(stateFCnts)).toEqual([{ roadClimate: 5 }]);
    expect(stateFCnts(await retainedState())).toEqual({ roadClimate: 5 });
    // the same receive time with a higher counter wins; a newer one always does
    b.outbox.add(event(5, { fCnt: 6 }), 'up');
    b.outbox.add(event(7), 'up');
    await waitFor('states 6 and 7', () => sub.messages.length === 3);
    expect(sub.json<StateJson>(`stadtsensor/${device}/state`).map(stateFCnts)).toEqual([{ roadClimate: 5 }, { roadClimate: 6 }, { roadClimate: 7 }]);
  });

  it('keeps the newest event of every message in the state: a heartbeat does not hide the last reading', async () => {
    const b = bridge();
    const topic = `stadtsensor/${device}/state`;
    const sub = await recorder([topic]);
    b.outbox.add(event(10), 'up');
    b.outbox.add(status(20), 'up');
    await waitFor('two states', () => sub.messages.length === 2);
    const state = await retainedState();
    expect(state).toEqual({
      device: JSON.parse(JSON.stringify(status(20).device)),
      updatedAt: status(20).receivedAt,
      messages: { deviceStatus: status(20), roadClimate: event(10) },
    });
    // exactly the up topic's JSON per message, messages in name order
    expect(sub.on(topic).at(-1)?.payload.toString()).toBe(
      `{"device":${JSON.stringify(state.device)},"updatedAt":"${status(20).receivedAt}","messages":{"deviceStatus":${eventToJson(status(20))},"roadClimate":${eventToJson(event(10))}}}`,
    );
    // an older reading drained late changes nothing; an older heartbeat neither
    b.outbox.add(event(5), 'up');
    b.outbox.add(status(15), 'up');
    await waitFor('all published', () => b.publisher.counts.up === 4);
    // a reading older than the heartbeat but newer than the last reading replaces that reading only
    b.outbox.add(event(12), 'up');
    await waitFor('the third state', () => sub.messages.length === 3);
    expect(sub.json<StateJson>(topic).map(stateFCnts)).toEqual([{ roadClimate: 10 }, { roadClimate: 10, deviceStatus: 20 }, { roadClimate: 12, deviceStatus: 20 }]);
    expect(await retainedState()).toMatchObject({ updatedAt: status(20).receivedAt, messages: { roadClimate: { fCnt: 12 }, deviceStatus: { fCnt: 20 } } });
    expect(b.publisher.counts).toMatchObject({ up: 5, state: 3 });
  });

  it('remembers the newest state across a restart of the bridge', async () => {
    const first = bridge();
    first.outbox.add(event(10), 'up');
    await waitFor('published', () => first.outbox.stats().pending === 0);
    await first.close();
    const sub = await recorder([`stadtsensor/${device}/#`]);
    const second = bridge();
    second.outbox.add(event(4), 'up');
    await waitFor('the old event', () => sub.on(`stadtsensor/${device}/up`).length === 1 && second.outbox.stats().pending === 0);
    expect(sub.on(`stadtsensor/${device}/state`).filter((m) => !m.retain)).toHaveLength(0);
    expect(stateFCnts(await retainedState())).toEqual({ roadClimate: 10 });
  });

  it('says online (retained) on connect and offline with final stats on close', async () => {
    const sub = await recorder([statusTopic]);
    const b = bridge({ counters: () => ({ received: 1 }) });
    await waitFor('online', () => sub.json<{ state: string }>(statusTopic).some((s) => s.state === 'online'));
    const online = JSON.parse((await retained(broker.url, statusTopic))?.toString() ?? '{}') as Record<string, unknown>;
    expect(online).toMatchObject({ state: 'online', gatewayId: GATEWAY_ID, stats: { received: 1 } });
    for (let n = 0; n < 50; n++) b.outbox.add(event(n), 'up');
    await b.close();
    // close drained the outbox before it said offline
    expect(sub.on(statusTopic).length).toBeGreaterThanOrEqual(2);
    const offline = JSON.parse((await retained(broker.url, statusTopic))?.toString() ?? '{}') as Record<string, unknown>;
    expect(offline).toMatchObject({ state: 'offline', cause: 'shutdown', stats: { published: { up: 50 }, queued: 0 } });
  });

  it('leaves the last will offline when the connection dies, and comes back online', async () => {
    const b = bridge();
    await waitFor('connected', () => b.client.connected);
    const sub = await recorder([statusTopic]);
    await waitFor('retained online', () => sub.messages.length >= 1);
    b.client.stream.destroy();
    await waitFor('offline then online', () => {
      const states = sub.json<{ state: string }>(statusTopic).map((s) => s.state);
      return states.includes('offline') && states.lastIndexOf('online') > states.indexOf('offline');
    });
    const will = sub.json<Record<string, unknown>>(statusTopic).find((s) => s.state === 'offline');
    expect(will).toEqual({ state: 'offline', gatewayId: GATEWAY_ID, cause: 'last-will' });
  });

  it('deletes nothing while the broker is away and publishes it all when it is back', async () => {
    const b = bridge();
    await waitFor('connected', () => b.client.connected);
    await broker.stop();
    for (let n = 0; n < 50; n++) b.outbox.add(event(n), 'up');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.outbox.stats().pending).toBe(50);
    expect(b.publisher.counts.up).toBe(0);
    await broker.restart();
    const sub = await recorder([`stadtsensor/${device}/up`]);
    await waitFor('all 50 after the restart', () => b.outbox.stats().pending === 0);
    // the subscriber came after the restart: what it got was published after it subscribed, the rest before
    expect(b.publisher.counts.up).toBeGreaterThanOrEqual(50);
    expect(sub.messages.length).toBeLessThanOrEqual(50);
  });

  it('publishes discovery on connect and again when Home Assistant says online', async () => {
    const haStatus = `ha-${device}/status`;
    const sub = await recorder([`ha-${device}/sensor/+/config`]);
    const b = bridge({
      discovery: {
        statusTopic: haStatus,
        messages: () => [
          { topic: `ha-${device}/sensor/${device}_temperature/config`, payload: '{"name":"Temperatur"}' },
          { topic: `ha-${device}/sensor/${device}_battery/config`, payload: '{"name":"Batterie"}' },
        ],
      },
    });
    await waitFor('first discovery', () => sub.messages.length === 2);
    expect(sub.messages.every((m) => m.payload.toString().startsWith('{"name":'))).toBe(true);
    await sub.client.publishAsync(haStatus, 'offline', { qos: 1 });
    await sub.client.publishAsync(haStatus, 'online', { qos: 1 });
    await waitFor('discovery again', () => sub.messages.length === 4 && b.publisher.counts.discovery === 4);
    const config = await retained(broker.url, `ha-${device}/sensor/${device}_battery/config`);
    expect(config?.toString()).toBe('{"name":"Batterie"}');
  });

  it('republishes the status with stats periodically', async () => {
    const sub = await recorder([statusTopic]);
    const b = bridge({ statsIntervalMs: 100, counters: () => ({ received: 12, rejected: { 'mic-mismatch': 2 } }) });
    b.outbox.add(event(1), 'up');
    b.outbox.add(sampleRejection(1), 'rejected');
    await waitFor('stats after publishing', () =>
      sub.json<{ stats?: { published?: { up: number; rejected: number } } }>(statusTopic).some((s) => s.stats?.published?.rejected === 1),
    );
    const last = sub.json<{ state: string; stats: Record<string, unknown> }>(statusTopic).at(-1);
    expect(last?.state).toBe('online');
    expect(last?.stats).toMatchObject({ received: 12, rejected: { 'mic-mismatch': 2 }, published: { up: 1, rejected: 1 }, queued: 0, dropped: { up: 0, rejected: 0 } });
    expect(typeof last?.stats.uptimeS).toBe('number');
  });

  it('sets aside a row it cannot publish and goes on with the others', async () => {
    const sub = await recorder([`stadtsensor/${device}/up`]);
    const b = bridge();
    b.outbox.add(sampleEvent(1, { device: 'bad/id' }), 'up');
    b.outbox.add(event(2), 'up');
    await waitFor('the good one', () => sub.messages.length === 1 && b.outbox.stats().pending === 0);
    expect(b.outbox.stats()).toMatchObject({ pending: 0, failed: 1 });
    expect(b.errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/device id "bad\/id" must not contain "\/"/)]);
  });

  it('holds rows for holdMs so a second receiver merges into the event before it goes out', async () => {
    const sub = await recorder([`stadtsensor/${device}/up`]);
    const b = bridge({ holdMs: 300 });
    const e = event(1);
    b.outbox.add(e, 'up');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.outbox.mergeRx(e.id, sampleRx({ gatewayId: 'pi-markt-2', snr: 9, rssi: -70 }))).toBe(true);
    await waitFor('the event', () => sub.messages.length === 1);
    expect(sub.json<BridgeEvent>(`stadtsensor/${device}/up`)[0]?.rx.map((rx) => rx.gatewayId)).toEqual(['pi-markt-2', 'pi-rathaus-1']);
  });

  it('reports PUBACKs to onPublished with the row', async () => {
    const published: Array<{ id: string; latency: number }> = [];
    const b = bridge({ onPublished: (row, ackedAt) => published.push({ id: row.id, latency: ackedAt - row.addedAt }) });
    b.outbox.add(event(1), 'up');
    await waitFor('acked', () => published.length === 1);
    expect(published[0]?.id).toBe(event(1).id);
    expect(published[0]?.latency).toBeGreaterThanOrEqual(0);
    expect(published[0]?.latency).toBeLessThan(5_000);
  });
});
