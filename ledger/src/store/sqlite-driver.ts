/**
 * SQLite through better-sqlite3: WAL and synchronous=FULL, so a COMMIT is on disk (WAL fsynced) before it returns
 * and the ledger acknowledges nothing a power cut could take back. Calls are synchronous; transactions are queued
 * so that an async transaction body never interleaves with another.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { BridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import { schemaStatements, type Row, type SqlDriver, type SqlTx, type SqlValue } from './driver.ts';

// the bridge types the part of better-sqlite3 it uses (the repo has no @types/better-sqlite3); the ledger uses the same
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BridgeDatabase;

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly forUpdate = '';
  readonly #db: BridgeDatabase;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
  }

  async migrate(): Promise<void> {
    await this.transaction(async (tx) => {
      for (const statement of schemaStatements('INTEGER PRIMARY KEY AUTOINCREMENT')) await tx.run(statement);
    });
  }

  #tx: SqlTx = {
    all: async (sql, params = []) => this.#db.prepare(sql).all(...params) as Row[],
    run: async (sql, params = []) => this.#db.prepare(sql).run(...params).changes,
  };

  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      // IMMEDIATE: take the write lock now, so a CLI process and the service never deadlock on an upgrade
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    await this.#queue;
    return this.#db.prepare(sql).all(...params) as Row[];
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#db.open) this.#db.close();
  }
}
