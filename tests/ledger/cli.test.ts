import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIN_RETENTION_DAYS } from '../../firmware/timeclock/core/contracts.ts';
import { ConfigError, loadLedgerConfig } from '../../ledger/src/config.ts';
import { openStore } from '../../ledger/src/store/open-store.ts';
import { UsageError } from '../../tools/cli/input.ts';
import { parseCsv } from './csv-parse.ts';
import { runLedgerCli } from './run-ledger-cli.ts';

const KEY = '3f1c9a0b7d2e4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5a7b9d0f2e4c6a8b0d1e';

let dir: string;
let configFile: string;
let dbFile: string;
let keyFile: string;

const run = (...args: string[]): Promise<string> => runLedgerCli(configFile, args);

/** The pseudonym as openssl computes it: an implementation apart from the ledger's. */
function opensslPseudonym(uidHex: string): string {
  const mac = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${KEY}`], { input: Buffer.from(uidHex, 'hex') }).toString();
  return /([0-9a-f]{64})\s*$/.exec(mac)![1]!.slice(0, 8);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-ledger-cli-'));
  dbFile = join(dir, 'ledger.db');
  keyFile = join(dir, 'pseudonym.key');
  writeFileSync(keyFile, KEY + '\n', { mode: 0o600 });
  configFile = join(dir, 'ledger.yaml');
  writeFileSync(configFile, ['store:', '  kind: sqlite', '  path: ledger.db', 'pseudonymKeyFile: pseudonym.key', 'mqtt:', '  url: mqtt://127.0.0.1:1', ''].join('\n'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('stadtsensor ledger (admin commands)', () => {
  it('enrols a badge under its keyed pseudonym and never stores the UID', async () => {
    await run('employee', 'add', 'e1', '--name', 'Erika Muster');
    const uid = '04A1B2C3D4E5F6';
    const out = await run('badge', 'add', '--uid', uid, '--employee', 'e1');
    const pseudonym = opensslPseudonym(uid);
    expect(out).toContain(`badge ${pseudonym} -> e1`);
    const store = await openStore({ kind: 'sqlite', path: dbFile });
    try {
      expect((await store.badges()).map((b) => [b.badge, b.employeeId])).toEqual([[pseudonym, 'e1']]);
    } finally {
      await store.close();
    }
    for (const file of [dbFile, `${dbFile}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        continue;
      }
      expect(bytes.toString('latin1').toLowerCase()).not.toContain(uid.toLowerCase());
      expect(bytes.includes(Buffer.from(uid, 'hex'))).toBe(false);
    }
  });

  it("refuses a badge whose pseudonym another employee's valid badge has", async () => {
    await run('employee', 'add', 'e1', '--name', 'A');
    await run('employee', 'add', 'e2', '--name', 'B');
    await run('badge', 'add', '--uid', '04:A1:B2:C3', '--employee', 'e1');
    await expect(run('badge', 'add', '--uid', '04A1B2C3', '--employee', 'e2')).rejects.toThrow(/collides with a badge of another employee \(e1\)/);
    await run('badge', 'revoke', '--uid', '04a1b2c3');
    // a revoked card may be handed to someone else
    await run('badge', 'add', '--badge', opensslPseudonym('04a1b2c3').toUpperCase(), '--employee', 'e2');
    const list = await run('badge', 'list');
    expect(list.split('\n').filter((l) => l.startsWith(opensslPseudonym('04a1b2c3'))).map((l) => l.split('\t')[1])).toEqual(['e1', 'e2']);
  });

  it('refuses a pseudonym key file others can read', async () => {
    chmodSync(keyFile, 0o644);
    await expect(run('employee', 'list')).rejects.toThrow(/pseudonym key and is readable by others \(mode 644\): run chmod 640/);
  });

  it('refuses a key file that holds no key, without repeating its content', async () => {
    await run('employee', 'add', 'e1', '--name', 'A');
    writeFileSync(keyFile, 'not-a-key-but-a-secret\n', { mode: 0o600 });
    const refused = run('badge', 'add', '--uid', '04a1b2c3', '--employee', 'e1');
    await expect(refused).rejects.toThrow(/expected the key as an even number of hex digits/);
    await expect(refused).rejects.not.toThrow(/not-a-key-but-a-secret/);
  });

  it('exports a month as CSV to a private file and audits every command with its actor', async () => {
    await run('employee', 'add', 'e1', '--name', 'Erika Muster', '--greeting', 'Hallo Erika');
    await run('badge', 'add', '--badge', 'a1b2c3d4', '--employee', 'e1', '--from', '2026-11-01');
    const store = await openStore({ kind: 'sqlite', path: dbFile });
    await store.insertBatch({
      terminal: 'tc-01',
      bookings: [
        { sequence: 1, badge: 'a1b2c3d4', kind: 'come', time: Date.parse('2026-11-02T07:00:00Z') / 1000, clockUnsynced: false },
        { sequence: 2, badge: 'a1b2c3d4', kind: 'go', time: Date.parse('2026-11-02T15:00:00Z') / 1000, clockUnsynced: true },
      ],
      via: 'lan',
      receivedAt: 0,
    });
    await store.close();
    const out = join(dir, 'november.csv');
    await run('export', '--month', '2026-11', '--out', out);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows.slice(1)).toEqual([
      ['e1', 'Erika Muster', '2026-11-02', '08:00:00', '2026-11-02T07:00:00Z', 'come', 'tc-01', '1', 'false'],
      ['e1', 'Erika Muster', '2026-11-02', '16:00:00', '2026-11-02T15:00:00Z', 'go', 'tc-01', '2', 'true'],
    ]);
    const summary = await run('export', '--month', '2026-11', '--employee', 'e1', '--summary');
    expect(parseCsv(summary)[1]?.slice(0, 7)).toEqual(['e1', 'Erika Muster', '2026-11-02', '08:00:00', '16:00:00', '8:00', '0:00']);
    await expect(run('export', '--month', '2026-11', '--employee', 'nobody')).rejects.toThrow(UsageError);
    await run('retention');

    const audit = await openStore({ kind: 'sqlite', path: dbFile });
    try {
      const log = await audit.auditLog();
      expect(log.map((e) => [e.actor, e.action])).toEqual([
        ['hr-admin', 'employee.add'],
        ['hr-admin', 'badge.add'],
        ['hr-admin', 'export'],
        ['hr-admin', 'export'],
        ['hr-admin', 'retention.dry-run'],
      ]);
      expect(log[2]!.details).toEqual({ month: '2026-11', employee: null, kind: 'bookings', rows: 2, out });
      expect(log[3]!.details).toMatchObject({ employee: 'e1', kind: 'summary', rows: 1, out: 'stdout' });
    } finally {
      await audit.close();
    }
  });

  it('checks the configuration and the store with run --check', async () => {
    expect(await run('run', '--check')).toMatch(/: ok\nstore sqlite: 0 terminals; MQTT mqtt:\/\/127\.0\.0\.1:1; retention 731 days/);
  });

  it('deletes past the retention period only with --apply', async () => {
    const store = await openStore({ kind: 'sqlite', path: dbFile });
    const old = Math.floor(Date.now() / 1000) - (MIN_RETENTION_DAYS + 1) * 86_400;
    await store.insertBatch({ terminal: 'tc-01', bookings: [{ sequence: 1, badge: 'a1b2c3d4', kind: 'come', time: old, clockUnsynced: false }, { sequence: 2, badge: 'a1b2c3d4', kind: 'go', time: old + 2 * 86_400, clockUnsynced: false }], via: 'lan', receivedAt: 0 });
    await store.close();
    expect(await run('retention')).toMatch(/would delete 1 \(dry run/);
    expect(await run('retention', '--apply')).toMatch(/deleted 1$/);
    expect(await run('retention', '--apply')).toMatch(/deleted 0$/);
    const after = await openStore({ kind: 'sqlite', path: dbFile });
    try {
      expect((await after.bookingsBetween(0, 2 ** 32)).map((b) => b.sequence)).toEqual([2]);
    } finally {
      await after.close();
    }
  });
});

describe('ledger configuration', () => {
  it('refuses a retention shorter than two years and unknown keys, naming the line', () => {
    writeFileSync(configFile, 'retentionDays: 730\nretentoin: 1\n');
    let error: unknown;
    try {
      loadLedgerConfig(configFile);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toMatch(/ledger\.yaml:1:\d+: retentionDays: expected at least 731 days/);
    expect(text).toMatch(/ledger\.yaml:2:\d+: retentoin: unknown key "retentoin"; did you mean "retentionDays"\?/);
  });

  it('resolves paths against the file and defaults to SQLite, 731 days, a neutral greeting', () => {
    writeFileSync(configFile, 'store: { kind: sqlite, path: data/l.db }\nmqtt: { url: "mqtt://broker.lan:1883", username: ledger, passwordFile: pw }\n');
    writeFileSync(join(dir, 'pw'), 's3cret\n', { mode: 0o600 });
    const config = loadLedgerConfig(configFile, { hostname: 'pi-ledger' });
    expect(config).toMatchObject({
      store: { kind: 'sqlite', path: join(dir, 'data/l.db') },
      mqtt: { url: 'mqtt://broker.lan:1883', username: 'ledger', password: 's3cret', clientId: 'stadtsensor-ledger-pi-ledger' },
      retentionDays: MIN_RETENTION_DAYS,
      defaultGreeting: 'Guten Tag',
      bridgeTopicPrefix: 'stadtsensor',
    });
  });

  it('takes PostgreSQL without a password in the URL', () => {
    writeFileSync(configFile, 'store: { kind: postgres, url: "postgres://ledger:pw@db/ledger" }\n');
    expect(() => loadLedgerConfig(configFile)).toThrow(/put the password in passwordFile/);
    writeFileSync(configFile, 'store: { kind: postgres, url: "postgres://ledger@db/ledger", schema: timeclock }\n');
    expect(loadLedgerConfig(configFile).store).toEqual({ kind: 'postgres', url: 'postgres://ledger@db/ledger', schema: 'timeclock' });
  });
});
