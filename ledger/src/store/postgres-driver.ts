/**
 * PostgreSQL through a pg Pool. Placeholders `?` become `$1..$n`; BIGINT columns come back as numbers (every value
 * the ledger stores is far below 2^53). A transaction holds one pooled client from BEGIN to COMMIT.
 */
import pg from 'pg';
import { schemaStatements, type Row, type SqlDriver, type SqlTx, type SqlValue } from './driver.ts';

const INT8_OID = 20;

export interface PostgresOptions {
  /** postgres://user@host:port/database; the password from PGPASSWORD, ~/.pgpass or `password`. */
  url: string;
  password?: string;
  /** Tables live in this schema (created if missing); default: the server's search_path (public). */
  schema?: string;
  /** Pool size; default 4. */
  max?: number;
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;

  constructor(options: PostgresOptions) {
    this.#schema = options.schema;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      ...(options.password !== undefined ? { password: options.password } : {}),
      max: options.max ?? 4,
      types,
      ...(options.schema !== undefined ? { options: `-c search_path=${quoteIdentifier(options.schema)}` } : {}),
    });
    // an idle client losing its connection (server restart) must not crash the process; the next query reconnects
    this.#pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    if (this.#schema !== undefined) await this.#pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.#schema)}`);
    await this.transaction(async (tx) => {
      // two ledgers starting at once must not race on CREATE TABLE
      await tx.all('SELECT pg_advisory_xact_lock(472361)');
      for (const statement of schemaStatements('BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY')) await tx.run(statement);
    });
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const tx: SqlTx = {
      all: async (sql, params = []) => (await client.query(numbered(sql), params as SqlValue[])).rows as Row[],
      run: async (sql, params = []) => (await client.query(numbered(sql), params as SqlValue[])).rowCount ?? 0,
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await this.#pool.query(numbered(sql), params as SqlValue[])).rows as Row[];
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
