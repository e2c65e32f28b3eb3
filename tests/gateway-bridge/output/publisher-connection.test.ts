import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttConnectionConfig } from '../../../gateway-bridge/src/config/schema.ts';
import {
  buildConnectOptions,
  buildOutputConnectOptions,
  ConnectionConfigError,
  describeConnection,
  explainConnectionError,
} from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import { topicLayout } from '../../../gateway-bridge/src/output/topics.ts';

const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-conn-'));
const pem = (name: string): string => join(dir, name);
beforeAll(() => {
  writeFileSync(pem('ca.pem'), '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
  writeFileSync(pem('client.pem'), '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
  writeFileSync(pem('client.key'), '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base: MqttConnectionConfig = { url: 'mqtt://broker.local:1883', rejectUnauthorized: true, clientId: 'stadtsensor-bridge-gw1', keepaliveS: 30 };

describe('buildConnectOptions', () => {
  it('keeps a persistent session under the stable client id and reconnects every second', () => {
    expect(buildConnectOptions(base)).toMatchObject({
      clientId: 'stadtsensor-bridge-gw1',
      clean: false,
      keepalive: 30,
      reconnectPeriod: 1_000,
      reconnectOnConnackError: true,
      resubscribe: false,
      protocolVersion: 4,
      rejectUnauthorized: true,
    });
  });

  it('takes the tuning', () => {
    expect(buildConnectOptions(base, { clean: true, reconnectPeriodMs: 250, protocolVersion: 5 })).toMatchObject({
      clean: true,
      reconnectPeriod: 250,
      protocolVersion: 5,
    });
  });

  it('reads the private CA, the client certificate and key for mqtts:// and wss://', () => {
    for (const url of ['mqtts://broker.local:8883', 'wss://broker.local/mqtt']) {
      const options = buildConnectOptions({ ...base, url, ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key'), rejectUnauthorized: false });
      expect(options.ca?.toString()).toContain('CA');
      expect(options.cert?.toString()).toContain('CLIENT');
      expect(String(options.key)).toContain('KEY');
      expect(options.rejectUnauthorized).toBe(false);
    }
  });

  it('passes user name and password', () => {
    expect(buildConnectOptions({ ...base, username: 'bridge', password: 's3cret' })).toMatchObject({ username: 'bridge', password: 's3cret' });
  });

  it.each([
    [{ url: 'http://broker.local' }, /mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//],
    [{ url: 'not a url' }, /not a URL/],
    [{ ca: '/etc/ssl/ca.pem' }, /need a TLS url/],
    [{ url: 'mqtts://b', ca: '/nonexistent/ca.pem' }, /mqtt ca: cannot read \/nonexistent\/ca.pem: ENOENT/],
    [{ url: 'mqtts://b', cert: '/x.pem' }, /both cert and key/],
  ])('refuses %j with a clear error', (overrides, message) => {
    expect(() => buildConnectOptions({ ...base, ...overrides })).toThrow(ConnectionConfigError);
    expect(() => buildConnectOptions({ ...base, ...overrides })).toThrow(message);
  });
});

it('sets the last will: offline, retained, QoS 1, on the gateway status topic', () => {
  const options = buildOutputConnectOptions(base, topicLayout({ gatewayId: 'gw1' }));
  expect(options.will).toMatchObject({ topic: 'stadtsensor/gateway/gw1/status', qos: 1, retain: true });
  expect(JSON.parse(String(options.will?.payload))).toEqual({ state: 'offline', gatewayId: 'gw1', cause: 'last-will' });
});

describe('never a secret in what is meant for logs', () => {
  const secret = { ...base, url: 'mqtts://broker.local:8883', username: 'bridge', password: 'Sehr-Geheim-99', ca: pem('ca.pem'), key: pem('client.key'), cert: pem('client.pem') };

  it('describes a connection without its password', () => {
    const line = describeConnection(secret);
    expect(line).toBe(`mqtts://broker.local:8883, client id stadtsensor-bridge-gw1, user bridge with password, CA ${pem('ca.pem')}, client certificate ${pem('client.pem')}`);
    expect(describeConnection({ ...secret, url: 'mqtt://u:Sehr-Geheim-99@b:1883' })).not.toContain('Sehr-Geheim-99');
    expect(describeConnection({ ...base, rejectUnauthorized: false })).toContain('NOT verified');
  });

  it('explains errors without the password, even when the error message carries it', () => {
    const error = Object.assign(new Error('auth Sehr-Geheim-99 rejected'), { code: 'ECONNRESET' });
    const text = explainConnectionError(error, secret);
    expect(text).not.toContain('Sehr-Geheim-99');
    expect(text).toMatch(/^MQTT connection to mqtts:\/\/broker.local:8883 failed: the broker closed the connection/);
  });

  it('names CONNACK refusals of MQTT 3.1.1 and 5', () => {
    expect(explainConnectionError(Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }), secret)).toMatch(
      /refused the connection: bad user name or password \(user bridge\)/,
    );
    expect(explainConnectionError(Object.assign(new Error('Connection refused: Not authorized'), { code: 135 }), secret)).toMatch(/not authorized/);
  });
});
