/** Opens the configured store: SQLite at a path (the default) or PostgreSQL at a URL. */
import { PostgresDriver, type PostgresOptions } from './postgres-driver.ts';
import { SqliteDriver } from './sqlite-driver.ts';
import { SqlLedgerStore } from './sql-store.ts';
import type { LedgerStore } from './types.ts';

export type StoreConfig = { kind: 'sqlite'; path: string } | ({ kind: 'postgres' } & PostgresOptions);

export async function openStore(config: StoreConfig): Promise<LedgerStore> {
  if (config.kind === 'sqlite') return SqlLedgerStore.open(new SqliteDriver(config.path));
  const { kind: _kind, ...options } = config;
  return SqlLedgerStore.open(new PostgresDriver(options));
}
