/**
 * The Pi terminal's configuration: defaults, the pseudonym key file and its permissions, MQTT credentials, the reader
 * and kiosk sections, and examples/timeclock/terminal.yaml.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    expect(config.mqtt.password).toBe('s3cret');
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
      [{ reader: { type: 'serial' } }, /^reader\.type: expected one of "evtest", "stdin", got "serial"$/],
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
    const keys = new Set(['', 'terminal', 'mqtt', 'outbox', 'reader', 'kiosk', 'clock', 'booking'].flatMap((section) => knownKeysAt(terminalConfigFileSchema, section === '' ? [] : [section])));
    expect(keys.size).toBeGreaterThan(25);
    expect([...keys].filter((key) => !new RegExp(`^[\\s#-]*${key}:`, 'm').test(text))).toEqual([]);
  });

  it('is refused while the key file is readable by others', () => {
    const file = exampleInTemp();
    chmodSync(join(temp.dir, 'pseudonym.key'), 0o644);
    expect(errorOf(() => loadTerminalConfig(file)).message).toMatch(/pseudonym\.key: holds the pseudonym key and is readable by others \(mode 644\)/);
  });
});
