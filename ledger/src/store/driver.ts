/**
 * The little the SQL store needs from a database: statements with `?` placeholders (the PostgreSQL driver numbers
 * them), rows as plain objects with numbers for integer columns, and transactions that commit or roll back.
 */
export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlTx {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Creates the tables if missing. */
  migrate(): Promise<void>;
  /** Runs fn in one transaction; resolves after COMMIT, rolls back when fn throws. Transactions never interleave. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** A statement outside any explicit transaction (reads). */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** ' FOR UPDATE' where the dialect locks selected rows, '' where a write transaction already excludes others. */
  readonly forUpdate: string;
  close(): Promise<void>;
}

/**
 * The tables, in SQL both dialects accept; `{id}` is the dialect's auto-increment key.
 * bookings: one row per (terminal, sequence), the primary key that makes inserts idempotent.
 * booking_conflicts: a second, different booking under a stored (terminal, sequence); kept, never merged.
 * terminals: per terminal the first sequence (1 unless skipThrough moved it) and the committed ackedThrough.
 * badges: pseudonym -> employee for [valid_from, valid_to), ended early by revoked_at.
 */
export function schemaStatements(id: string): string[] {
  return [
    'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)',
    `CREATE TABLE IF NOT EXISTS terminals (
      terminal TEXT PRIMARY KEY,
      first_sequence BIGINT NOT NULL DEFAULT 1,
      acked_through BIGINT NOT NULL DEFAULT 0,
      last_batch_at BIGINT
    )`,
    `CREATE TABLE IF NOT EXISTS bookings (
      terminal TEXT NOT NULL,
      sequence BIGINT NOT NULL,
      badge TEXT NOT NULL,
      kind TEXT NOT NULL,
      time BIGINT NOT NULL,
      clock_unsynced SMALLINT NOT NULL,
      via TEXT NOT NULL,
      received_at BIGINT NOT NULL,
      PRIMARY KEY (terminal, sequence)
    )`,
    'CREATE INDEX IF NOT EXISTS bookings_time ON bookings (time)',
    `CREATE TABLE IF NOT EXISTS booking_conflicts (
      id ${id},
      terminal TEXT NOT NULL,
      sequence BIGINT NOT NULL,
      badge TEXT NOT NULL,
      kind TEXT NOT NULL,
      time BIGINT NOT NULL,
      clock_unsynced SMALLINT NOT NULL,
      via TEXT NOT NULL,
      received_at BIGINT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS employees (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      greeting TEXT,
      created_at BIGINT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS badges (
      id ${id},
      badge TEXT NOT NULL,
      employee_id TEXT NOT NULL REFERENCES employees (id),
      valid_from BIGINT NOT NULL,
      valid_to BIGINT,
      revoked_at BIGINT,
      created_at BIGINT NOT NULL
    )`,
    'CREATE INDEX IF NOT EXISTS badges_badge ON badges (badge)',
    `CREATE TABLE IF NOT EXISTS audit_log (
      id ${id},
      at BIGINT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      details TEXT NOT NULL
    )`,
    "INSERT INTO meta (key, value) VALUES ('schema_version', 1) ON CONFLICT (key) DO NOTHING",
    "INSERT INTO meta (key, value) VALUES ('badge_list_version', 0) ON CONFLICT (key) DO NOTHING",
  ];
}
