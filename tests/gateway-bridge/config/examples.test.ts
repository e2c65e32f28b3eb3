import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_P2P_KEYS } from '../../../tools/simulator/world/keys.ts';
import { knownKeysAt } from '../../../gateway-bridge/src/config/errors.ts';
import { ConfigError, loadConfig } from '../../../gateway-bridge/src/config/load.ts';
import { bridgeConfigFileSchema, deviceSchema } from '../../../gateway-bridge/src/config/schema.ts';

const EXAMPLES = join(import.meta.dirname, '../../../examples/bridge');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-examples-'));
  for (const name of readdirSync(EXAMPLES)) {
    copyFileSync(join(EXAMPLES, name), join(dir, name));
    chmodSync(join(dir, name), 0o640);
  }
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('example configurations', () => {
  it('minimal.yaml loads: one module, one node with the demo keys, defaults for the rest', () => {
    const config = loadConfig(join(dir, 'minimal.yaml'), { hostname: 'gw', env: {}, uid: 1000, cwd: dir });
    expect(config.serial).toHaveLength(1);
    expect(config.serial[0]!.path).toMatch(/^\/dev\/serial\/by-id\//);
    expect(config.devices).toEqual([
      {
        id: 'road-1',
        name: 'road-1',
        devEui: 'ac1f09fffe000001',
        devAddr: DEMO_P2P_KEYS.devAddr.toLowerCase(),
        nwkSKey: DEMO_P2P_KEYS.nwkSKey.toLowerCase(),
        appSKey: DEMO_P2P_KEYS.appSKey.toLowerCase(),
        type: 'roadClimate',
      },
    ]);
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(config.source.warnings).toEqual([]);
  });

  it('bridge.yaml loads and says what the defaults say', () => {
    const config = loadConfig(join(dir, 'bridge.yaml'));
    expect(config.gateway.id).toBe('rathaus-pi');
    expect(config.serial[0]).toMatchObject({ id: 'rathaus-pi-1', module: 'rui3', p2p: { frequencyHz: 868100000, spreadingFactor: 9 } });
    expect(config.network).toMatchObject([{ kind: 'chirpstack', id: 'chirpstack-1', topic: 'application/+/device/+/event/up' }]);
    expect(config.devices.map((d) => [d.id, d.type, d.devAddr !== undefined])).toEqual([
      ['road-1', 'roadClimate', true],
      ['level-7', 'waterLevel', false],
    ]);
    expect(config.outbox.path).toBe('/var/lib/stadtsensor/bridge.sqlite');
    expect(config.source.warnings).toEqual([]);
  });

  it('bridge.yaml mentions every setting there is', () => {
    const text = readFileSync(join(EXAMPLES, 'bridge.yaml'), 'utf8');
    const objectPaths: string[][] = [[], ['gateway'], ['serial', '0'], ['serial', '0', 'p2p'], ['network', '0'], ['mqtt'], ['homeAssistant'], ['outbox'], ['lorawan'], ['metrics'], ['log']];
    const keys = new Set(objectPaths.flatMap((path) => knownKeysAt(bridgeConfigFileSchema, path.map((p) => (/^\d+$/.test(p) ? Number(p) : p)))));
    for (const key of knownKeysAt(deviceSchema, [])) keys.add(key);
    expect(keys.size).toBeGreaterThan(50);
    const missing = [...keys].filter((key) => !new RegExp(`^[\\s#-]*${key}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });

  it('tls.yaml loads with its CA, client certificate, password files and devices file', () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=Test CA', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'town-ca.pem')], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=bridge', '-keyout', join(dir, 'bridge.key'), '-out', join(dir, 'bridge.csr')], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'bridge.csr'), '-CA', join(dir, 'town-ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-out', join(dir, 'bridge.crt')], { stdio: 'ignore' });
    writeFileSync(join(dir, 'mqtt-password'), 'broker-secret\n', { mode: 0o640 });
    writeFileSync(join(dir, 'ttn-api-key'), 'NNSXS.EXAMPLE.KEY\n', { mode: 0o640 });
    chmodSync(join(dir, 'bridge.key'), 0o640);

    const config = loadConfig(join(dir, 'tls.yaml'));
    expect(config.mqtt).toMatchObject({
      url: 'mqtts://broker.stadt.example:8883',
      ca: join(dir, 'town-ca.pem'),
      cert: join(dir, 'bridge.crt'),
      key: join(dir, 'bridge.key'),
      username: 'bridge-wasserwerk',
      password: 'broker-secret',
    });
    expect(config.network).toMatchObject([{ kind: 'ttn', username: 'stadtsensor-town@ttn', password: 'NNSXS.EXAMPLE.KEY', topic: 'v3/+/devices/+/up' }]);
    expect(config.devices.map((d) => d.id)).toEqual(['pump-3']);
    expect(config.serial[0]!.path).toBe('/dev/serial0');

    chmodSync(join(dir, 'bridge.key'), 0o644);
    expect(() => loadConfig(join(dir, 'tls.yaml'))).toThrow(/bridge\.key: holds a private key and is readable by others \(mode 644\): run chmod 640/);
  });

  it('is refused with key material readable by others, as a fresh checkout would have it', () => {
    for (const name of ['minimal.yaml', 'bridge.yaml']) {
      chmodSync(join(dir, name), 0o644);
      try {
        loadConfig(join(dir, name));
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toBe(
          `${join(dir, name)}: holds session keys of 1 device and is readable by others (mode 644): run chmod 640 ${join(dir, name)}`,
        );
      }
    }
  });
});
