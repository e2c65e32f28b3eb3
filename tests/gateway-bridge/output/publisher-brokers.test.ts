import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../../gateway-bridge/src/broker/embedded-broker.ts';
import { explainConnectionError } from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import type { BridgeEvent } from '../../../gateway-bridge/src/types.ts';
import { startAedes } from '../../support/aedes.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { sampleEvent } from '../outbox/sample-events.ts';
import { connectionConfig, GATEWAY_ID, record, startBridge, tempDir, waitFor, type Bridge, type Recorder } from './publisher-harness.ts';

let temp: ReturnType<typeof tempDir>;
const bridges: Bridge[] = [];
const recorders: Recorder[] = [];

beforeEach(() => {
  temp = tempDir();
});
afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
  for (const recorder of recorders.splice(0)) await recorder.close();
  temp.cleanup();
});

function bridge(...args: Parameters<typeof startBridge> extends [string, ...infer Rest] ? Rest : never): Bridge {
  const b = startBridge(join(temp.dir, 'bridge.sqlite'), ...args);
  bridges.push(b);
  return b;
}

const USERS = { bridge: 'Brücke-geheim-42', reader: 'lesen' };

/** Adds three events and waits until the recorder has them. */
async function roundTrip(b: Bridge, sub: Recorder): Promise<void> {
  for (let n = 0; n < 3; n++) b.outbox.add(sampleEvent(n), 'up');
  await waitFor('three events', () => sub.on('stadtsensor/road-3/up').length === 3);
  expect(sub.json<BridgeEvent>('stadtsensor/road-3/up').map((e) => e.fCnt)).toEqual([0, 1, 2]);
}

describe('TLS with a private CA and a password (Mosquitto)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: true, users: USERS });
  });
  afterAll(async () => {
    await broker.close();
  });

  const tlsConfig = (overrides = {}) =>
    connectionConfig(broker.tlsUrl ?? '', { username: 'bridge', password: USERS.bridge, ca: broker.certs?.caFile, ...overrides });

  it('publishes over mqtts:// with the private CA, user name and password', async () => {
    const sub = await record(broker.tlsUrl ?? '', ['stadtsensor/#'], {
      ca: readFileSync(broker.certs?.caFile ?? ''),
      username: 'reader',
      password: USERS.reader,
    });
    recorders.push(sub);
    const b = bridge(tlsConfig());
    await roundTrip(b, sub);
    expect(b.errors).toEqual([]);
  });

  it('refuses a broker whose certificate another CA signed, with a clear error', async () => {
    const config = tlsConfig({ ca: broker.certs?.otherCaFile });
    const b = bridge(config);
    await waitFor('a TLS error', () => b.errors.length > 0);
    expect(b.client.connected).toBe(false);
    const explained = explainConnectionError(b.errors[0]?.error as Error, config);
    expect(explained).toMatch(/not signed by a trusted CA: set mqtt.ca/);
    expect(explained).toContain(broker.tlsUrl ?? '');
    expect(explained).not.toContain(USERS.bridge);
  });

  it('says so when the password is wrong, and keeps trying', async () => {
    const config = tlsConfig({ password: 'falsch' });
    const b = bridge(config);
    await waitFor('two refusals', () => b.errors.length >= 2);
    expect(explainConnectionError(b.errors[0]?.error as Error, config)).toMatch(/refused the connection: not authorized|bad user name or password/);
    expect(b.client.connected).toBe(false);
  });

  it('refuses an anonymous client on the plain listener too', async () => {
    const b = bridge(connectionConfig(broker.url));
    await waitFor('a refusal', () => b.errors.length > 0);
    expect(b.client.connected).toBe(false);
  });
});

describe('TLS with a client certificate (Mosquitto, require_certificate)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: { requireClientCertificate: true } });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('publishes with the client certificate and key', async () => {
    const certs = broker.certs;
    const sub = await record(broker.url, ['stadtsensor/#']);
    recorders.push(sub);
    const b = bridge(connectionConfig(broker.tlsUrl ?? '', { ca: certs?.caFile, cert: certs?.clientCertFile, key: certs?.clientKeyFile }));
    await roundTrip(b, sub);
  });

  it('is refused without one, and says what is missing', async () => {
    const config = connectionConfig(broker.tlsUrl ?? '', { ca: broker.certs?.caFile });
    const b = bridge(config);
    await waitFor('an error', () => b.errors.length > 0);
    expect(b.client.connected).toBe(false);
    expect(explainConnectionError(b.errors[0]?.error as Error, config)).toMatch(/requires a client certificate: set mqtt.cert and mqtt.key/);
  });
});

describe('aedes', () => {
  it('works in-process over TCP: events, status and last will', async () => {
    const broker = await startAedes();
    try {
      const sub = await record(broker.url, ['stadtsensor/#']);
      recorders.push(sub);
      const b = bridge(connectionConfig(broker.url));
      await roundTrip(b, sub);
      const status = `stadtsensor/gateway/${GATEWAY_ID}/status`;
      await waitFor('online', () => sub.json<{ state: string }>(status).some((s) => s.state === 'online'));
      b.client.stream.destroy();
      await waitFor('the last will', () => sub.json<{ state: string }>(status).some((s) => s.state === 'offline'));
    } finally {
      for (const b of bridges.splice(0)) await b.close();
      for (const r of recorders.splice(0)) await r.close();
      await broker.close();
    }
  });

  it('deletes a row only after its PUBACK, and keeps at most maxInFlight rows unacknowledged', async () => {
    const broker = await startAedes();
    // the broker holds its PUBACKs for the bridge's up messages until the test releases them
    const held: Array<() => void> = [];
    broker.broker.authorizePublish = (client, packet, callback) => {
      if (client?.id.startsWith('stadtsensor-bridge') && packet.topic.endsWith('/up')) held.push(() => callback(null));
      else callback(null);
    };
    try {
      const b = bridge(connectionConfig(broker.url), { maxInFlight: 5 });
      for (let n = 0; n < 12; n++) b.outbox.add(sampleEvent(n), 'up');
      await waitFor('five held publishes', () => held.length === 5);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(held).toHaveLength(5);
      expect(b.publisher.inFlight).toBe(5);
      expect(b.outbox.stats().pending).toBe(12);
      held.splice(0, 2).forEach((release) => release());
      await waitFor('two rows deleted', () => b.outbox.stats().pending === 10);
      expect(b.outbox.nextBatch(1).rows[0]?.id).toBe(sampleEvent(2).id);
      while (b.outbox.stats().pending > 0) {
        held.splice(0).forEach((release) => release());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(b.publisher.counts.up).toBe(12);
    } finally {
      for (const b of bridges.splice(0)) await b.close();
      await broker.close();
    }
  });

  it('works over MQTT on WebSocket (ws://) with the embedded broker', async () => {
    const broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    try {
      const sub = await record(broker.url, ['stadtsensor/#']);
      recorders.push(sub);
      const b = bridge(connectionConfig(`ws://127.0.0.1:${broker.wsPort}/mqtt`));
      await roundTrip(b, sub);
    } finally {
      for (const b of bridges.splice(0)) await b.close();
      for (const r of recorders.splice(0)) await r.close();
      await broker.close();
    }
  });
});
