import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFromObject } from '../../../gateway-bridge/src/config/load.ts';
import type { BridgeConfig } from '../../../gateway-bridge/src/config/schema.ts';
import { createBridgeLogger, createLogger, createSecretScrubber, formatPlainLine, REDACTED } from '../../../gateway-bridge/src/ops/logger.ts';

const NWK = '9F21C84A0D3B5E7614A2C0FF38D19B62';
const APP = '1C7DE0935B4AF26880C3D91E5A0F7B34';
const MQTT_PASSWORD = 'correct-horse "battery" staple';
const TTN_KEY = 'NNSXS.ABCDEFGHIJKLMNOPQRSTUVWXYZ.0123456789';

let dir: string;
let config: BridgeConfig;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-logger-'));
  writeFileSync(join(dir, 'ttn-key'), `${TTN_KEY}\n`, { mode: 0o600 });
  config = configFromObject(
    {
      gateway: { id: 'gw-test' },
      serial: [{ path: '/dev/ttyUSB0' }],
      network: [{ kind: 'ttn', url: 'mqtts://eu1.cloud.thethings.network:8883', username: 'app@ttn', passwordFile: 'ttn-key' }],
      mqtt: { username: 'bridge', password: MQTT_PASSWORD },
      devices: [{ id: 'road-1', devEui: 'AC1F09FFFE000001', devAddr: '26011BDA', nwkSKey: NWK, appSKey: APP, type: 'roadClimate' }],
      log: { level: 'info' },
    },
    { baseDir: dir },
  );
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { lines: string[]; text: () => string; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, text: () => lines.join(''), write: (line) => void lines.push(line) };
}

function expectNoSecrets(text: string): void {
  for (const secret of [NWK, APP, TTN_KEY, MQTT_PASSWORD, 'battery']) {
    expect(text).not.toContain(secret);
    expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
  }
}

describe('bridge logger', () => {
  it('logs a whole configuration without a key or password in the output', () => {
    const out = capture();
    const log = createBridgeLogger(config, out);
    log.info({ config }, 'configuration loaded');
    log.child({ connection: config.network[0] }).warn('connecting to TTN');
    log.info({ devices: config.devices }, 'devices');
    const text = out.text();
    expectNoSecrets(text);
    const record = JSON.parse(out.lines[0]!) as { level: string; time: string; gateway: string; msg: string; config: BridgeConfig };
    expect(record).toMatchObject({ level: 'info', gateway: 'gw-test', msg: 'configuration loaded' });
    expect(new Date(record.time).toISOString()).toBe(record.time);
    // the rest of the configuration is still there
    expect(record.config.devices[0]).toMatchObject({ id: 'road-1', devEui: 'ac1f09fffe000001', devAddr: '26011bda', nwkSKey: REDACTED, appSKey: REDACTED });
    expect(record.config.mqtt).toMatchObject({ username: 'bridge', password: REDACTED, url: 'mqtt://127.0.0.1:1883' });
    expect(record.config.network[0]).toMatchObject({ passwordFile: join(dir, 'ttn-key'), password: REDACTED });
    expect(JSON.parse(out.lines[1]!)).toMatchObject({ connection: { password: REDACTED, username: 'app@ttn' } });
  });

  it('scrubs the configured secrets wherever they appear: messages, errors, hex runs, other case', () => {
    const out = capture();
    const log = createBridgeLogger(config, out);
    log.error({ err: new Error(`MIC check with ${NWK} failed`) }, 'decode failed');
    log.warn(`frame with key %s`, APP.toLowerCase());
    log.info({ frame: `40DA1B0126${NWK.toLowerCase()}00FF` }, 'raw frame');
    log.info({ note: `password was ${MQTT_PASSWORD}` }, `ttn api key ${TTN_KEY}`);
    log.info({ some: { deep: { nested: { list: [{ appSKey: 'not-in-config' }] } } } }, 'deep');
    const text = out.text();
    expectNoSecrets(text);
    expect(text).not.toContain('not-in-config');
    expect(text.split(REDACTED).length - 1).toBeGreaterThanOrEqual(6);
    // the error is still useful
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ err: { type: 'Error', message: `MIC check with ${REDACTED} failed` } });
    // unrelated hex stays
    log.info({ devEui: 'ac1f09fffe000001', payload: '0123456789abcdef0123456789abcdef00' }, 'ok');
    expect(out.lines.at(-1)).toContain('0123456789abcdef0123456789abcdef00');
  });

  it('honours the configured level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', destination: out });
    log.info('quiet');
    log.debug('quieter');
    log.warn('loud');
    expect(out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['loud']);
    const debug = capture();
    createLogger({ level: 'debug', destination: debug }).debug('shown');
    expect(debug.lines).toHaveLength(1);
  });

  it('redacts key-named fields even without a list of secrets', () => {
    const out = capture();
    createLogger({ destination: out }).info({ device: { nwkSKey: 'aa'.repeat(16), key: '/etc/k.pem', keepaliveS: 30, token: 't', passwordFile: '/etc/pw' } });
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ device: { nwkSKey: REDACTED, key: REDACTED, token: REDACTED, keepaliveS: 30, passwordFile: '/etc/pw' } });
    const childOut = capture();
    createLogger({ destination: childOut }).child({ password: 'bound-secret' }).info('x');
    expect(childOut.text()).not.toContain('bound-secret');
  });

  it('prints plain lines when pretty, still scrubbed', () => {
    const out = capture();
    const log = createBridgeLogger({ ...config, log: { level: 'info', pretty: true } }, out);
    log.info({ device: 'road-1', rssi: -97, detail: 'two words' }, 'reading published');
    log.error({ err: new Error(`boom ${NWK}`) }, 'failed');
    const [first, second] = out.lines;
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}reading published gateway=gw-test device=road-1 rssi=-97 detail="two words"\n$/);
    expect(second).toMatch(/^\S+ ERROR failed gateway=gw-test\n {2}Error: boom \[redacted\]\n {6}at /);
    expectNoSecrets(out.text());
  });
});

describe('secret scrubber', () => {
  it('finds hex keys in any case inside longer hex runs, and other secrets with their JSON escapes', () => {
    const scrub = createSecretScrubber([NWK.toLowerCase(), 'p"ss\\word', 'abc']);
    expect(scrub(`x ${NWK} y`)).toBe(`x ${REDACTED} y`);
    expect(scrub(`ff${NWK.toLowerCase()}00`)).toBe(REDACTED);
    expect(scrub(JSON.stringify({ a: 'p"ss\\word' }))).toBe(`{"a":"${REDACTED}"}`);
    // secrets shorter than 4 characters would redact ordinary text
    expect(scrub('abc')).toBe('abc');
    expect(scrub('00112233445566778899aabbccddeeff')).toBe('00112233445566778899aabbccddeeff');
  });

  it('leaves a line that is not JSON alone when formatting', () => {
    expect(formatPlainLine('not json\n')).toBe('not json\n');
  });
});
