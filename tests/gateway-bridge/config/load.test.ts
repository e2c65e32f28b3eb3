import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_P2P_KEYS } from '../../../tools/simulator/world/keys.ts';
import { defaultGatewayId, defaultOutboxPath, P2P_DEFAULTS } from '../../../gateway-bridge/src/config/defaults.ts';
import { ConfigError, configFromObject, loadConfig, type ConfigIssue } from '../../../gateway-bridge/src/config/load.ts';
import { collectSecrets } from '../../../gateway-bridge/src/config/secrets.ts';

const NWK = '3B7E151628AED2A6ABF7158809CF4F3C';
const APP = '4B7E151628AED2A6ABF7158809CF4F3C';
const device = (n: number, extra: Record<string, unknown> = {}) => ({
  id: `node-${n}`,
  devEui: `ac1f09fffe00000${n}`,
  devAddr: `2601000${n}`,
  nwkSKey: `${NWK.slice(0, 30)}0${n}`,
  appSKey: `${APP.slice(0, 30)}0${n}`,
  type: 'roadClimate',
  ...extra,
});
const withSerial = (rest: Record<string, unknown> = {}) => ({ serial: [{ path: '/dev/ttyUSB0' }], ...rest });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('fills every section from defaults.ts', () => {
    const config = configFromObject(withSerial(), { hostname: 'Rathaus-Pi.stadt.example', env: {}, uid: 1000, cwd: dir });
    expect(config.gateway.id).toBe('rathaus-pi');
    expect(config.serial).toEqual([{ id: 'rathaus-pi-1', path: '/dev/ttyUSB0', baudRate: 115200, module: 'rui3', p2p: { ...P2P_DEFAULTS } }]);
    expect(config.mqtt).toEqual({
      url: 'mqtt://127.0.0.1:1883',
      rejectUnauthorized: true,
      clientId: 'stadtsensor-bridge-rathaus-pi',
      keepaliveS: 30,
      topicPrefix: 'stadtsensor',
      format: 'json',
    });
    expect(config.homeAssistant).toEqual({ enabled: true, prefix: 'homeassistant' });
    expect(config.outbox).toEqual({ path: join(dir, 'data', 'bridge.sqlite'), maxRows: 1_000_000, whenFull: 'drop-oldest' });
    expect(config.lorawan).toEqual({ maxFCntGap: 16384, dedupWindowMs: 60000, counterReset: 'startup-status', resetWindow: 16 });
    expect(config.metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 9464 });
    expect(config.log).toEqual({ level: 'info', pretty: false });
    expect(config.statsIntervalS).toBe(60);
    expect(config.devices).toEqual([]);
    expect(config.network).toEqual([]);
  });

  it('uses the radio settings of the firmware and the simulator', () => {
    const p = DEMO_P2P_KEYS.p2p;
    expect({ frequencyHz: p.freqHz, spreadingFactor: p.sf, bandwidthKhz: p.bwKhz, codingRate: p.cr, preamble: p.preamble, txPowerDbm: p.txPowerDbm }).toEqual(P2P_DEFAULTS);
  });

  it('derives a topic-safe gateway id from the host name', () => {
    expect(defaultGatewayId('Gateway Pi.local')).toBe('gateway-pi');
    expect(defaultGatewayId('raspberrypi')).toBe('raspberrypi');
    expect(defaultGatewayId('--.x')).toBe('gateway');
    expect(defaultGatewayId('ÄÖÜ')).toBe('gateway');
  });

  it('puts the outbox in systemd\'s state directory, /var/lib as root, ./data otherwise', () => {
    expect(defaultOutboxPath({ STATE_DIRECTORY: '/var/lib/stadtsensor:/var/lib/other' }, 999, '/x')).toBe('/var/lib/stadtsensor/bridge.sqlite');
    expect(defaultOutboxPath({}, 0, '/x')).toBe('/var/lib/stadtsensor/bridge.sqlite');
    expect(defaultOutboxPath({}, 1000, '/home/a')).toBe('/home/a/data/bridge.sqlite');
  });

  it('names inputs and client ids after the gateway, and network topics after their kind', () => {
    const config = configFromObject({
      gateway: { id: 'gw' },
      serial: [{ path: '/dev/a' }, { path: '/dev/b', id: 'roof' }],
      network: [{ kind: 'ttn', url: 'mqtts://eu1.cloud.thethings.network:8883' }, { kind: 'chirpstack', url: 'mqtt://cs:1883', topic: 'application/7/device/+/event/up' }],
    });
    expect(config.serial.map((s) => s.id)).toEqual(['gw-1', 'roof']);
    expect(config.network.map((n) => [n.id, n.topic, n.clientId])).toEqual([
      ['ttn-1', 'v3/+/devices/+/up', 'stadtsensor-bridge-gw-ttn-1'],
      ['chirpstack-2', 'application/7/device/+/event/up', 'stadtsensor-bridge-gw-chirpstack-2'],
    ]);
  });
});

describe('devices', () => {
  it('normalises hex to lower case, accepts byte separators, and defaults id and name', () => {
    const config = configFromObject(
      withSerial({ devices: [{ devEui: 'AC:1F:09:FF:FE:0A:1B:2C', devAddr: '0x26011BDA', nwkSKey: '3b 7e 15 16 28 ae d2 a6 ab f7 15 88 09 cf 4f 3c', appSKey: APP }] }),
    );
    expect(config.devices).toEqual([
      { id: 'ac1f09fffe0a1b2c', name: 'ac1f09fffe0a1b2c', devEui: 'ac1f09fffe0a1b2c', devAddr: '26011bda', nwkSKey: NWK.toLowerCase(), appSKey: APP.toLowerCase(), type: 'unknown' },
    ]);
  });

  it('names the path and the expected value, never the key', () => {
    const short = `${NWK.slice(0, 30)}`;
    const issues = issuesOf(() => configFromObject(withSerial({ devices: [device(1), device(2), device(3, { nwkSKey: short, appSKey: `${APP.slice(0, 31)}g` })] })));
    expect(issues).toEqual([
      { path: 'devices[2].nwkSKey', message: 'expected 32 hex digits, got 30 characters' },
      { path: 'devices[2].appSKey', message: 'expected 32 hex digits, got a character that is not a hex digit at position 32' },
    ]);
    expect(JSON.stringify(issues)).not.toContain(short);
  });

  it('does not repeat a key written as a JSON number', () => {
    const issues = issuesOf(() => configFromObject(withSerial({ devices: [device(1, { nwkSKey: 1234567890 })] })));
    expect(issues).toEqual([{ path: 'devices[0].nwkSKey', message: 'expected 32 hex digits as text (in quotes in JSON), got a number' }]);
  });

  it('requires all three of devAddr, nwkSKey and appSKey, or none', () => {
    const { nwkSKey: _n, appSKey: _a, ...abpWithoutKeys } = device(1);
    expect(issuesOf(() => configFromObject(withSerial({ devices: [abpWithoutKeys] }))).map((i) => i.path)).toEqual(['devices[0].nwkSKey', 'devices[0].appSKey']);
    const networkOnly = configFromObject(withSerial({ devices: [{ devEui: '70b3d57ed0000007', type: 'waterLevel' }] }));
    expect(networkOnly.devices[0]).toEqual({ id: '70b3d57ed0000007', name: '70b3d57ed0000007', devEui: '70b3d57ed0000007', type: 'waterLevel' });
  });

  it('refuses duplicate ids, DevEUIs and DevAddrs, naming the first use', () => {
    const issues = issuesOf(() =>
      configFromObject(withSerial({ devices: [device(1), device(2, { id: 'node-1' }), device(3, { devEui: 'AC1F09FFFE000001' }), device(4, { devAddr: '26010001' })] })),
    );
    expect(issues).toEqual([
      { path: 'devices[1].id', message: 'id node-1 is already used by devices[0]' },
      { path: 'devices[2].devEui', message: 'devEui ac1f09fffe000001 is already used by devices[0]' },
      { path: 'devices[3].devAddr', message: 'devAddr 26010001 is already used by devices[0]' },
    ]);
  });

  it('checks ids, types, locations and intervals', () => {
    const issues = issuesOf(() =>
      configFromObject(withSerial({ devices: [device(1, { id: 'Road 1', type: 'roadClimat', location: { latitude: 91, longitude: 0 }, sendIntervalS: '60' })] })),
    );
    expect(issues.map((i) => i.path)).toEqual(['devices[0].id', 'devices[0].type', 'devices[0].location.latitude', 'devices[0].sendIntervalS']);
    expect(issues[0]!.message).toMatch(/^expected a topic-safe id/);
    expect(issues[1]!.message).toBe('expected one of "parkingBay", "garageCounter", "roadClimate", "waterLevel", "timeClock", "unknown", got "roadClimat"');
    expect(issues[2]!.message).toBe('expected at most 90, got number 91');
    expect(issues[3]!.message).toBe('expected a number, got "60"');
  });

  it('adds the devices of a devicesFile (a list or a map with devices), checked across both', () => {
    write('list.yaml', `- ${JSON.stringify(device(2))}\n`);
    write('wrapped.json', JSON.stringify({ devices: [device(3)] }));
    const fromList = configFromObject(withSerial({ devices: [device(1)], devicesFile: 'list.yaml' }), { baseDir: dir });
    expect(fromList.devices.map((d) => d.id)).toEqual(['node-1', 'node-2']);
    expect(fromList.source.devicesFile).toBe(join(dir, 'list.yaml'));
    expect(configFromObject(withSerial({ devicesFile: 'wrapped.json' }), { baseDir: dir }).devices.map((d) => d.id)).toEqual(['node-3']);

    write('dup.yaml', 'devices:\n  - id: other\n    devEui: AC1F09FFFE000001\n');
    const issues = issuesOf(() => configFromObject(withSerial({ devices: [device(1)], devicesFile: 'dup.yaml' }), { baseDir: dir }));
    expect(issues).toEqual([{ file: join(dir, 'dup.yaml'), line: 3, column: 5, path: 'devices[0].devEui', message: 'devEui ac1f09fffe000001 is already used by devices[0]' }]);
    // from a file, the message names the file of the first use
    const main = write('main.yaml', `serial: [{ path: /dev/a }]\ndevices:\n  - ${JSON.stringify(device(1))}\ndevicesFile: dup.yaml\n`);
    expect(issuesOf(() => loadConfig(main))).toEqual([
      { file: join(dir, 'dup.yaml'), line: 3, column: 5, path: 'devices[0].devEui', message: 'devEui ac1f09fffe000001 is already used by devices[0] in main.yaml' },
    ]);
  });

  it('reports problems inside a devicesFile with its own paths and lines', () => {
    write('devices.yaml', `- id: a\n  devEui: AC1F09FFFE000001\n- id: b\n  devEui: AC1F09FFFE00002\n  colour: red\n`);
    const issues = issuesOf(() => configFromObject(withSerial({ devicesFile: 'devices.yaml' }), { baseDir: dir }));
    expect(issues).toEqual([
      { file: join(dir, 'devices.yaml'), line: 4, column: 3, path: '[1].devEui', message: 'expected 16 hex digits, got 15 characters' },
      { file: join(dir, 'devices.yaml'), line: 5, column: 3, path: '[1].colour', message: expect.stringMatching(/^unknown key "colour"/) as string },
    ]);
    write('odd.yaml', 'devices: []\nmore: []\n');
    expect(issuesOf(() => configFromObject(withSerial({ devicesFile: 'odd.yaml' }), { baseDir: dir }))[0]).toMatchObject({ path: 'more', line: 2 });
    expect(issuesOf(() => configFromObject(withSerial({ devicesFile: 'missing.yaml' }), { baseDir: dir }))[0]!.message).toBe('cannot read the file: no such file');
  });
});

describe('mqtt and network', () => {
  it('accepts only mqtt, mqtts, ws and wss URLs, without credentials', () => {
    const message = (url: string) => issuesOf(() => configFromObject(withSerial({ mqtt: { url } })))[0];
    expect(message('http://broker')).toEqual({ path: 'mqtt.url', message: 'expected mqtt://, mqtts://, ws:// or wss:// URL, got http://' });
    expect(message('broker:1883')!.message).toMatch(/^expected mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ URL/);
    expect(message('mqtt://user:secret@broker')!.message).toMatch(/not in the URL/);
    expect(message('mqtt://user:secret@broker')!.message).not.toContain('secret');
    for (const url of ['mqtt://b', 'mqtts://b:8883', 'ws://b/mqtt', 'wss://b:443/mqtt']) expect(configFromObject(withSerial({ mqtt: { url } })).mqtt.url).toBe(url);
  });

  it('reads passwordFile, and refuses a password with passwordFile or without username', () => {
    write('pw', 'hunter2-long\nignored second line\n');
    const config = configFromObject(withSerial({ mqtt: { username: 'bridge', passwordFile: 'pw' } }), { baseDir: dir });
    expect(config.mqtt.password).toBe('hunter2-long');
    expect(config.mqtt.passwordFile).toBe(join(dir, 'pw'));
    expect(issuesOf(() => configFromObject(withSerial({ mqtt: { username: 'u', password: 'p', passwordFile: 'pw' } }), { baseDir: dir }))).toEqual([
      { path: 'mqtt.passwordFile', message: 'give either password or passwordFile, not both' },
    ]);
    expect(issuesOf(() => configFromObject(withSerial({ network: [{ kind: 'ttn', url: 'mqtts://x', password: 'p' }] })))[0]!.path).toBe('network[0].username');
    write('empty', '\n');
    expect(issuesOf(() => configFromObject(withSerial({ mqtt: { username: 'u', passwordFile: 'empty' } }), { baseDir: dir }))[0]!.message).toMatch(/is empty/);
  });

  it('checks that TLS files exist and are PEM, and that a client certificate comes with its key', () => {
    write('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 0o644);
    write('not-pem.crt', 'hello', 0o644);
    write('client.key', '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n', 0o600);
    const config = configFromObject(withSerial({ mqtt: { url: 'mqtts://b:8883', ca: 'ca.pem', cert: 'ca.pem', key: 'client.key' } }), { baseDir: dir });
    expect([config.mqtt.ca, config.mqtt.key]).toEqual([join(dir, 'ca.pem'), join(dir, 'client.key')]);
    const issues = issuesOf(() => configFromObject(withSerial({ mqtt: { ca: 'missing.pem', cert: 'not-pem.crt', key: 'client.key' } }), { baseDir: dir }));
    expect(issues).toEqual([
      { path: 'mqtt.ca', message: `cannot read ${join(dir, 'missing.pem')}: no such file` },
      { path: 'mqtt.cert', message: `${join(dir, 'not-pem.crt')} is not a PEM file (expected a "-----BEGIN ..." line)` },
    ]);
    expect(issuesOf(() => configFromObject(withSerial({ mqtt: { cert: 'ca.pem' } }), { baseDir: dir }))).toEqual([{ path: 'mqtt.key', message: 'a client certificate needs both cert and key' }]);
  });

  it('checks topic prefixes, formats and the keepalive', () => {
    const paths = issuesOf(() =>
      configFromObject(withSerial({ mqtt: { topicPrefix: 'town/#', format: 'xml', keepaliveS: -1 }, homeAssistant: { prefix: 'ha//x' } })),
    ).map((i) => `${i.path}: ${i.message}`);
    expect(paths).toEqual([
      'mqtt.keepaliveS: expected at least 0, got number -1',
      'mqtt.topicPrefix: expected an MQTT topic without wildcards (+, #), spaces or a leading "/" or "$"',
      'mqtt.format: expected one of "json", "senml-json", "senml-cbor", got "xml"',
      'homeAssistant.prefix: expected an MQTT topic without empty levels (no "//" or trailing "/")',
    ]);
  });

  it('holds a RAK811 to what its lorap2p command takes (20 dBm, SF 6..12); RUI3 takes 22 dBm and SF 5', () => {
    const serial = (module: string, p2p: Record<string, unknown>) => ({ serial: [{ path: '/dev/a', module, p2p }] });
    expect(issuesOf(() => configFromObject(serial('rak811', { txPowerDbm: 22, spreadingFactor: 5 }))).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'serial[0].p2p.txPowerDbm: a RAK811 sends with at most 20 dBm',
      'serial[0].p2p.spreadingFactor: a RAK811 takes spreading factors 6 to 12',
    ]);
    expect(configFromObject(serial('rak811', { txPowerDbm: 20, spreadingFactor: 6 })).serial[0]!.p2p).toMatchObject({ txPowerDbm: 20, spreadingFactor: 6 });
    expect(configFromObject(serial('rui3', { txPowerDbm: 22, spreadingFactor: 5 })).serial[0]!.p2p).toMatchObject({ txPowerDbm: 22, spreadingFactor: 5 });
  });

  it('refuses a bridge without inputs, and duplicate input ids', () => {
    expect(issuesOf(() => configFromObject({}))).toEqual([{ path: '', message: 'no inputs: add a serial module under "serial:" or a network server under "network:"' }]);
    expect(issuesOf(() => configFromObject({ serial: [{ path: '/dev/a', id: 'ttn-1' }], network: [{ kind: 'ttn', url: 'mqtts://x' }] }))).toEqual([
      { path: 'network[0].id', message: 'input id ttn-1 is already used by serial[0]' },
    ]);
  });

  it('warns about what is allowed but probably wrong', () => {
    const config = configFromObject({
      serial: [{ path: '/dev/a' }],
      mqtt: { url: 'mqtt://broker.example', username: 'u', password: 'plain-text', rejectUnauthorized: false },
    });
    expect(config.source.warnings).toEqual([
      expect.stringMatching(/no device has devAddr/) as string,
      "mqtt.rejectUnauthorized is false: the broker's certificate is not checked",
      'mqtt: the password goes unencrypted over mqtt:// to broker.example; use mqtts://',
    ]);
    const shared = configFromObject(withSerial({ devices: [device(1), device(2, { nwkSKey: device(1).nwkSKey, appSKey: device(1).appSKey })] }));
    expect(shared.source.warnings).toEqual(['devices node-1 and node-2 share a session key: give every node its own keys']);
    expect(configFromObject(withSerial({ devices: [device(1)], mqtt: { username: 'u', password: 'local-only' } })).source.warnings).toEqual([]);
  });
});

describe('files', () => {
  const validYaml = `serial:\n  - path: /dev/ttyUSB0\ndevices:\n  - id: node-1\n    devEui: AC1F09FFFE000001\n    devAddr: 26011234\n    nwkSKey: ${NWK}\n    appSKey: ${APP}\n`;

  it('loads YAML, keeping hex that looks like a number as written', () => {
    const file = write('bridge.yaml', `${validYaml}  - devEui: 0000000000000002\n    devAddr: 26E11234\n    nwkSKey: 11111111111111111111111111111111\n    appSKey: 2222222222222222222222222222222E\n`);
    const config = loadConfig(file);
    expect(config.devices.map((d) => [d.devEui, d.devAddr, d.nwkSKey, d.appSKey])).toEqual([
      ['ac1f09fffe000001', '26011234', NWK.toLowerCase(), APP.toLowerCase()],
      ['0000000000000002', '26e11234', '11111111111111111111111111111111', '2222222222222222222222222222222e'],
    ]);
    expect(config.source.file).toBe(file);
  });

  it('loads JSON by its extension', () => {
    const file = write('bridge.json', JSON.stringify(withSerial({ gateway: { id: 'json-gw' }, devices: [device(1)] }), null, 2));
    expect(loadConfig(file).gateway.id).toBe('json-gw');
  });

  it('reports YAML and JSON syntax errors with line and column', () => {
    const yamlFile = write('broken.yaml', 'serial:\n  - path: /dev/a\nmqtt: { url: mqtt://a\n');
    const [yamlIssue] = issuesOf(() => loadConfig(yamlFile));
    expect(yamlIssue).toMatchObject({ file: yamlFile, line: 4, column: 1, path: '' });
    expect(yamlIssue!.message).toMatch(/^YAML syntax: Flow map .*end with a }$/);

    const dupFile = write('dup.yaml', 'serial: []\nserial: []\n');
    expect(issuesOf(() => loadConfig(dupFile))[0]).toMatchObject({ line: 2, column: 1, message: expect.stringMatching(/YAML syntax: Map keys must be unique/) as string });

    const jsonFile = write('broken.json', '{\n  "serial": [],\n}\n');
    expect(issuesOf(() => loadConfig(jsonFile))).toEqual([
      { file: jsonFile, line: 3, column: 1, path: '', message: 'JSON syntax: Expected double-quoted property name' },
    ]);
  });

  it('locates validation errors and suggests the key that was meant', () => {
    const file = write('typo.yaml', `serial:\n  - path: /dev/a\n    p2p:\n      spreadingfactor: 9\n      bandwith: 125\nmqtt:\n  usrname: bob\n  colour: blue\nmetric:\n  port: 1\n`);
    expect(messageOf(() => loadConfig(file)).split('\n')).toEqual([
      '5 problems in the configuration:',
      `  ${file}:4:7: serial[0].p2p.spreadingfactor: unknown key "spreadingfactor"; did you mean "spreadingFactor"?`,
      `  ${file}:5:7: serial[0].p2p.bandwith: unknown key "bandwith"; did you mean "bandwidthKhz"?`,
      `  ${file}:7:3: mqtt.usrname: unknown key "usrname"; did you mean "username"?`,
      `  ${file}:8:3: mqtt.colour: unknown key "colour" (known here: url, username, password, passwordFile, ca, cert, key, rejectUnauthorized, clientId, keepaliveS, topicPrefix, format)`,
      `  ${file}:9:1: metric: unknown key "metric"; did you mean "metrics"?`,
    ]);
  });

  it('points at the enclosing entry when a required key is missing', () => {
    const file = write('missing.yaml', 'serial:\n  - baudRate: 115200\n');
    expect(issuesOf(() => loadConfig(file))).toEqual([{ file, line: 2, column: 5, path: 'serial[0].path', message: 'required' }]);
  });

  it('wants a map at the top, and takes an empty file for all defaults', () => {
    const list = write('list.yaml', '- serial: []\n');
    expect(issuesOf(() => loadConfig(list))).toEqual([{ file: list, line: 1, column: 1, path: '', message: 'expected a map, got a list' }]);
    const empty = write('empty.yaml', '# nothing yet\n');
    expect(issuesOf(() => loadConfig(empty))).toEqual([{ file: empty, path: '', message: 'no inputs: add a serial module under "serial:" or a network server under "network:"' }]);
  });

  it('reports a missing file', () => {
    expect(issuesOf(() => loadConfig(join(dir, 'nope.yaml')))).toEqual([{ file: join(dir, 'nope.yaml'), path: '', message: 'cannot read the file: no such file' }]);
  });

  it('resolves relative paths against the configuration file', () => {
    const file = write('bridge.yaml', `${validYaml}outbox:\n  path: state/outbox.sqlite\n`);
    expect(loadConfig(file).outbox.path).toBe(join(dir, 'state', 'outbox.sqlite'));
  });
});

describe('file permissions', () => {
  const keyYaml = `serial:\n  - path: /dev/a\ndevices:\n  - ${JSON.stringify(device(1))}\n`;

  it('refuses key material readable by others and says which chmod to run', () => {
    const file = write('bridge.yaml', keyYaml, 0o644);
    expect(issuesOf(() => loadConfig(file))).toEqual([
      { file, path: '', message: `holds session keys of 1 device and is readable by others (mode 644): run chmod 640 ${file}` },
    ]);
    chmodSync(file, 0o640);
    expect(loadConfig(file).devices).toHaveLength(1);
  });

  it('refuses a world-writable file holding a password', () => {
    const file = write('bridge.yaml', 'serial: [{ path: /dev/a }]\nmqtt: { username: u, password: sesame-open }\n', 0o662);
    expect(issuesOf(() => loadConfig(file))[0]!.message).toBe(`holds mqtt.password and is writable by others (mode 662): run chmod 660 ${file}`);
  });

  it('accepts a world-readable file without key material', () => {
    const file = write('bridge.yaml', 'serial: [{ path: /dev/a }]\n', 0o644);
    expect(loadConfig(file).serial).toHaveLength(1);
  });

  it('checks the referenced devicesFile, passwordFile and TLS key too', () => {
    write('devices.yaml', `- ${JSON.stringify(device(1))}\n`, 0o604);
    write('pw', 'sesame-open\n', 0o644);
    write('client.key', '-----BEGIN PRIVATE KEY-----\n', 0o644);
    write('client.crt', '-----BEGIN CERTIFICATE-----\n', 0o644);
    const file = write('bridge.yaml', 'serial: [{ path: /dev/a }]\ndevicesFile: devices.yaml\nmqtt: { username: u, passwordFile: pw, cert: client.crt, key: client.key }\n', 0o644);
    expect(issuesOf(() => loadConfig(file)).map((i) => `${i.file}: ${i.message}`)).toEqual([
      `${join(dir, 'devices.yaml')}: holds session keys of 1 device and is readable by others (mode 604): run chmod 600 ${join(dir, 'devices.yaml')}`,
      `${join(dir, 'pw')}: holds a password and is readable by others (mode 644): run chmod 640 ${join(dir, 'pw')}`,
      `${join(dir, 'client.key')}: holds a private key and is readable by others (mode 644): run chmod 640 ${join(dir, 'client.key')}`,
    ]);
    expect(loadConfig(file, { checkPermissions: false }).mqtt.password).toBe('sesame-open');
  });
});

describe('collectSecrets', () => {
  it('lists the session keys and passwords of a configuration', () => {
    write('pw', 'from-a-file\n');
    const config = configFromObject(
      withSerial({ devices: [device(1)], mqtt: { username: 'u', passwordFile: 'pw' }, network: [{ kind: 'ttn', url: 'mqtts://x', username: 'a@ttn', password: 'NNSXS.KEY' }] }),
      { baseDir: dir },
    );
    expect(collectSecrets(config).sort()).toEqual([device(1).nwkSKey.toLowerCase(), device(1).appSKey.toLowerCase(), 'from-a-file', 'NNSXS.KEY'].sort());
  });
});
