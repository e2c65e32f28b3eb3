/**
 * The Pi terminal's configuration: defaults, the pseudonym key file and its permissions, MQTT credentials, the reader
 * and kiosk sections, and examples/timeclock/terminal.yaml.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { knownKeysAt } from '../../../gateway-bridge/src/config/errors.ts';
import { CORE_DEFAULTS } from '../../../firmware/timeclock/core/defaults.ts';
import {
  ConfigError,
  defaultTerminalId,
  defaultTerminalOutboxPath,
  loadTerminalConfig,
  terminalConfigFileSchema,
  terminalConfigFromObject,
} from '../../../firmware/timeclock/terminal/config.ts';
import { TEST_KEY_HEX, tempDir, writeKeyFile } from './support.ts';

let temp: ReturnType<typeof tempDir>;
beforeEach(() => {
  temp = tempDir();
});
afterEach(() => temp.remove());

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('terminal configuration', () => {
  it('fills the defaults and reads the key', () => {
    writeKeyFile(temp.dir);
    const config = terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key' }, { baseDir: temp.dir, hostname: 'Zeit-EG-1.rathaus.lan', env: {}, uid: 1000, cwd: temp.dir });
    expect(config.terminal.id).toBe('zeit-eg-1');
    expect(config.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', clientId: 'stadtsensor-terminal-zeit-eg-1', rejectUnauthorized: true });
    expect(Buffer.from(config.pseudonymKey).toString('hex')).toBe(TEST_KEY_HEX);
    expect(config.outbox.path).toBe(join(temp.dir, 'data', 'timeclock.sqlite'));
    expect(config.core).toEqual(CORE_DEFAULTS);
    expect(config.clock.trustWithoutTimesyncd).toBe(false);
    expect(config.reader).toEqual({ type: 'stdin', format: 'auto', byteOrder: 'as-typed' });
    expect(config.kiosk).toEqual({ host: '127.0.0.1', port: 8470 });
  });

  it('turns seconds into the core settings', () => {
    writeKeyFile(temp.dir);
    const config = terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key', booking: { debounceS: 2.5, ackTimeoutS: 5, goFromHour: 13 }, clock: { serverToleranceS: 30 } }, { baseDir: temp.dir });
    expect(config.core).toMatchObject({ debounceMs: 2500, ackTimeoutMs: 5000, goFromHour: 13, serverToleranceS: 30 });
  });

  it('refuses a pseudonym key file others may read, with the chmod that fixes it', () => {
    const file = writeKeyFile(temp.dir, 0o644);
    chmodSync(file, 0o644);
    const error = errorOf(() => terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key' }, { baseDir: temp.dir }));
    expect(error.message).toContain('holds the pseudonym key and is readable by others (mode 644): run chmod 640');
    expect(error.message).not.toContain(TEST_KEY_HEX);
  });

  it('refuses a short, malformed or missing key without repeating it', () => {
    writeKeyFile(temp.dir, 0o600, 'abcd\n');
    expect(errorOf(() => terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key' }, { baseDir: temp.dir })).message).toMatch(/expected 32 to 128 hex digits, got 4/);
    writeFileSync(join(temp.dir, 'bad.key'), 'zz' + TEST_KEY_HEX.slice(2), { mode: 0o600 });
    const bad = errorOf(() => terminalConfigFromObject({ pseudonymKeyFile: 'bad.key' }, { baseDir: temp.dir }));
    expect(bad.message).toMatch(/hex digits on the first line/);
    expect(bad.message).not.toContain(TEST_KEY_HEX.slice(2));
    expect(errorOf(() => terminalConfigFromObject({ pseudonymKeyFile: 'none.key' }, { baseDir: temp.dir })).message).toMatch(/cannot read .*none.key: no such file/);
    expect(errorOf(() => terminalConfigFromObject({}, { baseDir: temp.dir })).message).toMatch(/pseudonymKeyFile: required/);
  });

  it('reads the MQTT password file and checks its permissions too', () => {
    writeKeyFile(temp.dir);
    writeFileSync(join(temp.dir, 'mqtt.password'), 's3cret\n', { mode: 0o600 });
    const config = terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key', mqtt: { username: 'eg-1', passwordFile: 'mqtt.password' } }, { baseDir: temp.dir });
    expect(config.mqtt?.password).toBe('s3cret');
    chmodSync(join(temp.dir, 'mqtt.password'), 0o604);
    expect(errorOf(() => terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key', mqtt: { username: 'eg-1', passwordFile: 'mqtt.password' } }, { baseDir: temp.dir })).message).toMatch(/holds a password and is readable by others/);
  });

  it('names the line of a mistake in a YAML file and suggests the key meant', () => {
    writeKeyFile(temp.dir);
    const file = join(temp.dir, 'terminal.yaml');
    writeFileSync(file, 'terminal:\n  id: eg-1\npseudonymKeyFile: pseudonym.key\nbooking:\n  debounce: 3\nmqtt:\n  url: http://broker\n');
    const error = errorOf(() => loadTerminalConfig(file));
    expect(error.message).toContain('terminal.yaml:5:3: booking.debounce: unknown key "debounce"; did you mean "debounceS"?');
    expect(error.message).toMatch(/mqtt\.url: expected an mqtt:\/\//);
  });

  it('derives ids and outbox paths like the bridge does', () => {
    expect(defaultTerminalId('...')).toBe('terminal');
    expect(defaultTerminalOutboxPath({ STATE_DIRECTORY: '/var/lib/stadtsensor-terminal:/x' }, 1000, '/w')).toBe('/var/lib/stadtsensor-terminal/timeclock.sqlite');
    expect(defaultTerminalOutboxPath({}, 0, '/w')).toBe('/var/lib/stadtsensor/timeclock.sqlite');
  });
});

describe('reader and kiosk sections', () => {
  const load = (extra: Record<string, unknown>) => {
    writeKeyFile(temp.dir);
    return terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key', ...extra }, { baseDir: temp.dir });
  };

  it('takes an evtest reader with its device (relative to the file) and the card-number settings', () => {
    expect(load({ reader: { type: 'evtest', device: '/dev/input/badge-reader', format: 'hex', byteOrder: 'reversed' } }).reader).toEqual({
      type: 'evtest',
      device: '/dev/input/badge-reader',
      format: 'hex',
      byteOrder: 'reversed',
    });
    expect(load({ reader: { type: 'evtest', device: 'event3' } }).reader).toMatchObject({ device: join(temp.dir, 'event3'), format: 'auto', byteOrder: 'as-typed' });
  });

  it('takes the kiosk host, port and time zone', () => {
    expect(load({ kiosk: { host: '::1', port: 0, timeZone: 'Europe/Berlin' } }).kiosk).toEqual({ host: '::1', port: 0, timeZone: 'Europe/Berlin' });
  });

  it('names the path of every mistake', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ reader: { type: 'evtest' } }, /^reader\.device: required with type evtest/],
      [{ reader: { device: '/dev/input/event3' } }, /^reader\.device: only for type evtest/],
      [{ reader: { type: 'serial' } }, /^reader\.type: expected one of "evtest", "stdin", "mfrc522", got "serial"$/],
      [{ reader: { type: 'stdin', format: 'octal' } }, /^reader\.format: expected one of "auto", "decimal", "hex", got "octal"$/],
      [{ reader: { type: 'stdin', byteOrder: 'little' } }, /^reader\.byteOrder: expected one of "as-typed", "reversed"/],
      [{ reader: { type: 'stdin', grab: true } }, /^reader\.grab: unknown key "grab"/],
      [{ kiosk: { port: 70000 } }, /^kiosk\.port: expected at most 65535, got number 70000$/],
      [{ kiosk: { port: '8470' } }, /^kiosk\.port: expected a number/],
      [{ kiosk: { timeZone: 'Europe/Bielefeld' } }, /^kiosk\.timeZone: expected an IANA time zone/],
      [{ kiosk: { host: '' } }, /^kiosk\.host: expected a non-empty string$/],
      [{ kiosk: { portt: 1 } }, /^kiosk\.portt: unknown key "portt"; did you mean "port"\?$/],
    ];
    for (const [extra, message] of cases) expect(errorOf(() => load(extra)).message, JSON.stringify(extra)).toMatch(message);
  });
});

describe('examples/timeclock/terminal.yaml', () => {
  const example = join(import.meta.dirname, '../../../examples/timeclock/terminal.yaml');

  /** The example with the files it names: key, MQTT password, CA certificate. */
  function exampleInTemp(): string {
    const file = join(temp.dir, 'terminal.yaml');
    copyFileSync(example, file);
    writeKeyFile(temp.dir);
    writeFileSync(join(temp.dir, 'terminal.password'), 'broker-secret\n', { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=Test CA', '-keyout', join(temp.dir, 'ca.key'), '-out', join(temp.dir, 'ca.crt')], { stdio: 'ignore' });
    return file;
  }

  it('loads as the setup guide describes it, and its values are the defaults', () => {
    const config = loadTerminalConfig(exampleInTemp());
    expect(config.terminal.id).toBe('zeit-eg-1');
    expect(config.mqtt).toMatchObject({ url: 'mqtts://broker.rathaus.lan:8883', username: 'zeit-eg-1', password: 'broker-secret', ca: join(temp.dir, 'ca.crt'), clientId: 'stadtsensor-terminal-zeit-eg-1', keepaliveS: 30 });
    expect(config.pseudonymKeyFile).toBe(join(temp.dir, 'pseudonym.key'));
    expect(config.outbox.path).toBe('/var/lib/stadtsensor/timeclock.sqlite');
    expect(config.reader).toEqual({ type: 'evtest', device: '/dev/input/badge-reader', format: 'auto', byteOrder: 'as-typed' });
    expect(config.kiosk).toEqual({ host: '127.0.0.1', port: 8470 });
    expect(config.core).toEqual(CORE_DEFAULTS);
    expect(config.clock.trustWithoutTimesyncd).toBe(false);
  });

  it('agrees with the configuration in the setup guide', () => {
    const guide = readFileSync(join(import.meta.dirname, '../../../hardware/timeclock/terminal-setup.md'), 'utf8');
    const block = /```yaml\n# \/etc\/stadtsensor\/terminal\.yaml\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(block).toBeDefined();
    const file = exampleInTemp();
    writeFileSync(file, block!);
    const fromGuide = loadTerminalConfig(file, { env: {}, uid: 1000 });
    const fromExample = loadTerminalConfig(exampleInTemp(), { env: {}, uid: 1000 });
    expect({ ...fromGuide, outbox: null, source: null }).toEqual({ ...fromExample, outbox: null, source: null });
  });

  it('mentions every setting there is', () => {
    const text = readFileSync(example, 'utf8');
    const sections = ['', 'terminal', 'mqtt', 'outbox', 'reader', 'kiosk', 'gpio', 'gpio.buttons', 'clock', 'booking'];
    const keys = new Set(sections.flatMap((section) => knownKeysAt(terminalConfigFileSchema, section === '' ? [] : section.split('.'))));
    expect(keys.size).toBeGreaterThan(25);
    expect([...keys].filter((key) => !new RegExp(`^[\\s#-]*${key}:`, 'm').test(text))).toEqual([]);
  });

  it('is refused while the key file is readable by others', () => {
    const file = exampleInTemp();
    chmodSync(join(temp.dir, 'pseudonym.key'), 0o644);
    expect(errorOf(() => loadTerminalConfig(file)).message).toMatch(/pseudonym\.key: holds the pseudonym key and is readable by others \(mode 644\)/);
  });
});

describe('transport: mqtt or lora', () => {
  const LORA = { path: '/dev/serial/by-id/usb-rak', devAddr: '26011be0', nwkSKey: '5A3C9E17B2D04F6A8C1E7B35D9F20A64', appSKey: 'C2E8174A9F3B6D05E1A7C4B2908F3D6E' };
  const load = (extra: Record<string, unknown>) => {
    writeKeyFile(temp.dir);
    return terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key', ...extra }, { baseDir: temp.dir });
  };

  it('takes a lora section instead of mqtt, with the bridge\'s p2p defaults and an ack timeout the link can keep', () => {
    const config = load({ lora: LORA });
    expect(config.mqtt).toBeUndefined();
    expect(config.lora).toEqual({
      path: '/dev/serial/by-id/usb-rak',
      baudRate: 115200,
      p2p: { freqHz: 868100000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 },
      keys: { devAddr: '26011BE0', nwkSKey: LORA.nwkSKey, appSKey: LORA.appSKey },
      batchSize: 6,
      uplinkSpacingMs: null,
      receiveWindowMs: 2000,
    });
    // SF9/125 kHz, 62-byte frame: 369.664 ms on air (Semtech AN1200.13), 1 % duty cycle: 99 x that after it;
    // 2 x (369.664 + 36596.736 + 2000) = 77932.8 ms, rounded up to whole seconds
    expect(config.core.ackTimeoutMs).toBe(78_000);
    expect(load({ lora: { ...LORA, uplinkSpacingS: 0.3, batchSize: 2 } }).core.ackTimeoutMs).toBe(CORE_DEFAULTS.ackTimeoutMs);
    expect(load({}).mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883' });
    expect(load({}).lora).toBeUndefined();
  });

  it('names the path of every mistake, the ack timeout rule included', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ mqtt: { url: 'mqtt://broker' }, lora: LORA }, /^lora: give either mqtt or lora, not both/],
      [{ lora: { ...LORA, nwkSKey: 'abc' } }, /^lora\.nwkSKey: expected 32 hex digits$/],
      [{ lora: { ...LORA, path: undefined } }, /^lora\.path: required/],
      [{ lora: { ...LORA, batchSize: 7 } }, /^lora\.batchSize: expected at most 6/],
      [{ lora: { ...LORA, baudRate: 1234 } }, /^lora\.baudRate: /],
      [{ lora: { ...LORA, p2p: { sf: 13 } } }, /^lora\.p2p\.sf: unknown key "sf"/],
      [
        { lora: { ...LORA, uplinkSpacingS: 10, receiveWindowS: 2 }, booking: { ackTimeoutS: 20 } },
        /^booking\.ackTimeoutS: with lora at least 25 s: 2 x \(airtime 370 ms \+ uplink spacing 10000 ms \+ receive window 2000 ms\)/,
      ],
    ];
    for (const [extra, message] of cases) expect(errorOf(() => load(extra)).message, JSON.stringify(extra)).toMatch(message);
    expect(load({ lora: { ...LORA, uplinkSpacingS: 10 }, booking: { ackTimeoutS: 24.8 } }).core.ackTimeoutMs).toBe(24_800);
  });

  it('refuses a file holding LoRa keys that others can read', () => {
    writeKeyFile(temp.dir);
    const file = join(temp.dir, 'terminal.yaml');
    writeFileSync(file, stringify({ pseudonymKeyFile: 'pseudonym.key', lora: LORA }), { mode: 0o644 });
    chmodSync(file, 0o644);
    const error = errorOf(() => loadTerminalConfig(file));
    expect(error.message).toBe(`${file}: holds LoRa session keys (lora.nwkSKey, lora.appSKey) and is readable by others (mode 644): run chmod 640 ${file}`);
    expect(error.message).not.toContain(LORA.nwkSKey);
    chmodSync(file, 0o640);
    expect(loadTerminalConfig(file).lora?.keys.devAddr).toBe('26011BE0');
  });
});

describe('reader types, GPIO and the badge list file', () => {
  const load = (extra: Record<string, unknown>) => {
    writeKeyFile(temp.dir);
    return terminalConfigFromObject({ pseudonymKeyFile: 'pseudonym.key', ...extra }, { baseDir: temp.dir });
  };

  it('takes an MFRC522 reader with its SPI settings and defaults', () => {
    expect(load({ reader: { type: 'mfrc522' } }).reader).toEqual({ type: 'mfrc522', spiBus: 0, spiDevice: 0, speedHz: 1_000_000, pollMs: 100 });
    expect(load({ reader: { type: 'mfrc522', spiDevice: 1, speedHz: 4_000_000, resetLine: 25, pollMs: 50 } }).reader).toEqual({ type: 'mfrc522', spiBus: 0, spiDevice: 1, speedHz: 4_000_000, resetLine: 25, pollMs: 50 });
    expect(errorOf(() => load({ reader: { type: 'mfrc522', format: 'hex' } })).message).toMatch(/^reader\.format: only for type evtest or stdin$/);
    expect(errorOf(() => load({ reader: { type: 'evtest', device: '/dev/input/event3', spiBus: 0 } })).message).toMatch(/^reader\.spiBus: only for type mfrc522$/);
    expect(errorOf(() => load({ reader: { type: 'mfrc522', speedHz: 20_000_000 } })).message).toMatch(/^reader\.speedHz: expected at most 10000000/);
  });

  it('takes GPIO outputs and buttons, and refuses a line used twice', () => {
    expect(load({ gpio: { buzzer: 17, greenLed: 27, buttons: { lines: { come: 5, errand: 26 } } } }).gpio).toEqual({
      chip: 'gpiochip0',
      outputs: { buzzer: 17, greenLed: 27 },
      outputsActiveLow: false,
      buttons: { lines: { come: 5, errand: 26 }, activeLow: true, bias: 'pull-up', debounceMs: 50 },
    });
    expect(load({}).gpio).toBeUndefined();
    expect(errorOf(() => load({ gpio: { buzzer: 17, buttons: { lines: { go: 17 } } } })).message).toMatch(/^gpio\.buttons\.lines\.go: line 17 is already used by buzzer$/);
    expect(errorOf(() => load({ reader: { type: 'mfrc522', resetLine: 22 }, gpio: { redLed: 22 } })).message).toMatch(/^reader\.resetLine: line 22 is already used by gpio\.redLed$/);
    expect(errorOf(() => load({ gpio: { buttons: { lines: { lunch: 5 } } } })).message).toMatch(/^gpio\.buttons\.lines\.lunch: unknown key "lunch"/);
    expect(errorOf(() => load({ gpio: { buttons: { lines: {}, bias: 'up' } } })).message).toMatch(/^gpio\.buttons\.bias: expected one of "as-is", "disable", "pull-down", "pull-up"/);
  });

  it('takes a badge list file relative to the configuration, and says when it cannot be read', () => {
    writeFileSync(join(temp.dir, 'badges.json'), '{"version":1,"badges":[],"revoked":[]}');
    expect(load({ badgeListFile: 'badges.json' }).badgeListFile).toBe(join(temp.dir, 'badges.json'));
    expect(errorOf(() => load({ badgeListFile: 'none.json' })).message).toMatch(/^badgeListFile: cannot read .*none\.json: no such file/);
  });
});

describe('examples/timeclock/terminal-lora.yaml', () => {
  const example = join(import.meta.dirname, '../../../examples/timeclock/terminal-lora.yaml');

  it('loads (key file, badge list, mode 600) and names every lora and gpio setting', () => {
    const file = join(temp.dir, 'terminal.yaml');
    copyFileSync(example, file);
    chmodSync(file, 0o600);
    writeKeyFile(temp.dir);
    writeFileSync(join(temp.dir, 'badges.json'), '{"version":1,"badges":[],"revoked":[]}');
    const config = loadTerminalConfig(file);
    expect(config.terminal.id).toBe('zeit-bauhof-1');
    expect(config.mqtt).toBeUndefined();
    expect(config.lora).toMatchObject({ baudRate: 115200, batchSize: 6, uplinkSpacingMs: null, receiveWindowMs: 2000, keys: { devAddr: '26011BE0' } });
    expect(config.core.ackTimeoutMs).toBe(78_000);
    expect(config.gpio?.buttons?.lines).toEqual({ come: 5, go: 6, breakStart: 13, breakEnd: 19, errand: 26 });
    const text = readFileSync(example, 'utf8');
    const keys = ['lora', 'lora.p2p', 'gpio', 'gpio.buttons'].flatMap((section) => knownKeysAt(terminalConfigFileSchema, section.split('.')));
    expect(keys.filter((key) => !new RegExp(`^[\\s#-]*${key}:`, 'm').test(text))).toEqual([]);
    chmodSync(file, 0o644);
    expect(errorOf(() => loadTerminalConfig(file)).message).toMatch(/holds LoRa session keys/);
  });
});
