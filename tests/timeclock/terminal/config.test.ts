/** The Pi terminal's configuration: defaults, the pseudonym key file and its permissions, MQTT credentials. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CORE_DEFAULTS } from '../../../firmware/timeclock/core/defaults.ts';
import { ConfigError, defaultTerminalId, defaultTerminalOutboxPath, loadTerminalConfig, terminalConfigFromObject } from '../../../firmware/timeclock/terminal/config.ts';
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
