/**
 * `stadtsensor ledger badge export-list`: the badge list for terminals without MQTT, through the CLI's own commander
 * program against a real SQLite ledger store. Checked against the store's own mappings: what may book now, what was
 * revoked, greetings only (no employee ids, no names unless set as a greeting), a version from the same counter as the
 * MQTT list, the audit log entry, and a file the terminal's reader of such files accepts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readBadgeListFile } from '../../../firmware/timeclock/terminal/badge-list-file.ts';
import type { BadgeListMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { openStore } from '../../../ledger/src/store/open-store.ts';
import { runLedgerCli } from '../../ledger/run-ledger-cli.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-badge-export-'));
  writeFileSync(join(dir, 'ledger.yaml'), 'store: { kind: sqlite, path: ledger.db }\nmqtt: { url: "mqtt://127.0.0.1:1" }\ndefaultGreeting: Guten Tag\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]): Promise<string> => runLedgerCli(join(dir, 'ledger.yaml'), args);

it('writes the pseudonyms that may book and the revoked ones, with a new version each time, and audits it', async () => {
  await cli('employee', 'add', 'e1', '--name', 'Erika Muster');
  await cli('employee', 'add', 'e2', '--name', 'Karl Beispiel', '--greeting', 'Moin Karl');
  await cli('badge', 'add', '--badge', 'aa11bb22', '--employee', 'e1', '--from', '2026-01-01');
  await cli('badge', 'add', '--badge', 'cc33dd44', '--employee', 'e2', '--from', '2026-01-01');
  await cli('badge', 'add', '--badge', '0e0e0e0e', '--employee', 'e2', '--from', '2026-01-01');
  await cli('badge', 'revoke', '--badge', '0e0e0e0e');

  const first = JSON.parse(await cli('badge', 'export-list')) as BadgeListMessage;
  expect(first.badges).toEqual([
    { badge: 'aa11bb22', greeting: 'Guten Tag' },
    { badge: 'cc33dd44', greeting: 'Moin Karl' },
  ]);
  expect(first.revoked).toEqual(['0e0e0e0e']);

  const out = join(dir, 'badges.json');
  expect(await cli('badge', 'export-list', '--out', out)).toBe(`badge list version ${first.version + 1}: 2 badges, 1 revoked -> ${out}`);
  expect(statSync(out).mode & 0o777).toBe(0o600);
  const text = readFileSync(out, 'utf8');
  for (const personal of ['e1', 'e2', 'Erika', 'Muster', 'Beispiel']) expect(text).not.toContain(personal);
  expect(readBadgeListFile(out)).toEqual({ list: { ...first, version: first.version + 1 } });

  const store = await openStore({ kind: 'sqlite', path: join(dir, 'ledger.db') });
  try {
    const exports = (await store.auditLog()).filter((entry) => entry.action === 'export');
    expect(exports.map((entry) => [entry.actor, entry.details])).toEqual([
      ['hr-admin', { kind: 'badge-list', version: first.version, badges: 2, revoked: 1, out: 'stdout' }],
      ['hr-admin', { kind: 'badge-list', version: first.version + 1, badges: 2, revoked: 1, out }],
    ]);
    // the MQTT list continues from the same counter
    expect(await store.nextBadgeListVersion()).toBe(first.version + 2);
  } finally {
    await store.close();
  }
});
