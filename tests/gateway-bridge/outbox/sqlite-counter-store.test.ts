import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openBridgeDatabase, type BridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import { SqliteCounterStore } from '../../../gateway-bridge/src/outbox/sqlite-counter-store.ts';
import { SqliteOutbox } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import { sampleEvent } from './sample-events.ts';

let dir: string;
let file: string;
const dbs: BridgeDatabase[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-counters-'));
  file = join(dir, 'bridge.sqlite');
});
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function openDb(): BridgeDatabase {
  const db = openBridgeDatabase(file);
  dbs.push(db);
  return db;
}

it('knows nothing of a device it never stored', () => {
  expect(new SqliteCounterStore(openDb()).get('70b3d57ed005a1b2')).toBeUndefined();
});

it('keeps counters and startup MICs across a restart of the bridge', () => {
  const db = openDb();
  const store = new SqliteCounterStore(db);
  store.set('70b3d57ed005a1b2', { fCnt: 41, startupMics: [] });
  store.set('70b3d57ed005a1b2', { fCnt: 0x1_0002, startupMics: ['a1b2c3d4', '0badcafe'] });
  store.set('70b3d57ed005ffff', { fCnt: 7, startupMics: [] });
  db.close();
  const reopened = new SqliteCounterStore(openDb());
  expect(reopened.get('70b3d57ed005a1b2')).toEqual({ fCnt: 0x1_0002, startupMics: ['a1b2c3d4', '0badcafe'] });
  expect(reopened.get('70b3d57ed005ffff')).toEqual({ fCnt: 7, startupMics: [] });
});

it('hands out copies: changing a returned state changes nothing stored', () => {
  const store = new SqliteCounterStore(openDb());
  store.set('70b3d57ed005a1b2', { fCnt: 3, startupMics: ['a1b2c3d4'] });
  const state = store.get('70b3d57ed005a1b2');
  state?.startupMics.push('ffffffff');
  expect(store.get('70b3d57ed005a1b2')).toEqual({ fCnt: 3, startupMics: ['a1b2c3d4'] });
});

it('refuses a counter that is not a 32-bit unsigned integer', () => {
  const store = new SqliteCounterStore(openDb());
  expect(() => store.set('70b3d57ed005a1b2', { fCnt: 2 ** 32, startupMics: [] })).toThrow(/32-bit/);
  expect(() => store.set('70b3d57ed005a1b2', { fCnt: -1, startupMics: [] })).toThrow(/32-bit/);
});

it('commits or rolls back together with the outbox row of the same frame', () => {
  const db = openDb();
  const outbox = new SqliteOutbox(db);
  const counters = new SqliteCounterStore(db);
  outbox.transaction(() => {
    counters.set('70b3d57ed005a1b2', { fCnt: 1, startupMics: [] });
    outbox.add(sampleEvent(1), 'up');
  });
  expect(() =>
    outbox.transaction(() => {
      counters.set('70b3d57ed005a1b2', { fCnt: 2, startupMics: [] });
      outbox.add(sampleEvent(2), 'up');
      throw new Error('decode failed after the counter moved');
    }),
  ).toThrow();
  expect(counters.get('70b3d57ed005a1b2')?.fCnt).toBe(1);
  expect(outbox.stats().pending).toBe(1);
});
