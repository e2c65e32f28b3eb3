/**
 * Stores for the ledger tests: a SQLite file in a temp dir, or a PostgreSQL schema with a random name on the local
 * server (127.0.0.1:5432, trust auth). cleanup() closes whatever is open and drops the schema / removes the dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type StoreConfig } from '../../ledger/src/store/open-store.ts';
import type { LedgerStore } from '../../ledger/src/store/types.ts';

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

export const POSTGRES_URL = process.env.LEDGER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStoreHandle {
  config: StoreConfig;
  /** Opens another store on the same data (a restart, or a second process). */
  open(): Promise<LedgerStore>;
  cleanup(): Promise<void>;
}

export function testStoreConfig(backend: Backend): TestStoreHandle {
  const opened: LedgerStore[] = [];
  let config: StoreConfig;
  let dropIt: () => Promise<void>;
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-ledger-'));
    config = { kind: 'sqlite', path: join(dir, 'ledger.db') };
    dropIt = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `ledger_test_${randomBytes(6).toString('hex')}`;
    config = { kind: 'postgres', url: POSTGRES_URL, schema };
    dropIt = async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    };
  }
  return {
    config,
    async open() {
      const store = await openStore(config);
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened.splice(0)) await store.close().catch(() => undefined);
      await dropIt();
    },
  };
}

/** PostgreSQL schemas whose name starts with the prefix (to check that cleanup dropped them). */
export async function postgresSchemas(prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const result = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [`${prefix}%`]);
    return result.rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}
