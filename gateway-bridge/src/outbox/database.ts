/**
 * The bridge's SQLite file: the outbox, the devices' retained states and the frame counters live in one database so
 * that one transaction (and one fsync) can cover a frame's counter update and its outbox row.
 *
 * WAL with synchronous=FULL: a commit returns only after the WAL is on disk, so a row the outbox reported as added
 * survives a power cut of the Pi, not only a crash of the process. auto_vacuum=INCREMENTAL lets the file shrink
 * again after a long outage filled it (SqliteOutbox calls incremental_vacuum while pruning).
 *
 * Schema versions (user_version): 1 kept one state mark per device (`state_marks`: time, fCnt and id of the event
 * last published as its state); 2 keeps the newest event of every message of a device (`device_state`). Opening a
 * version 1 file migrates it: a mark whose event is still in the outbox becomes that message's row, the rest are
 * dropped (their events' bodies are gone; the next event of each message fills the state again). 3 remembers, per
 * DevEUI, the device id and type the bridge announced (`announced_devices`: discovery and state topics), so that a
 * device removed from the configuration, or given a new id, can be cleared from the broker; a version 1 or 2 file
 * gets one row for every device it kept a state of (from the newest saved event of the device).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/*
 * The part of better-sqlite3's API the bridge uses, typed here because the repo has no @types/better-sqlite3
 * (loaded through require so that installing those types later cannot clash with these).
 */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}
export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
export interface BridgeDatabase {
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  exec(sql: string): BridgeDatabase;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps fn in BEGIN/COMMIT (a SAVEPOINT when nested); rolls back when fn throws. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): BridgeDatabase;
}
type DatabaseConstructor = new (path: string) => BridgeDatabase;

const Database = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;

const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order, never reused
  id       TEXT    NOT NULL UNIQUE,
  kind     TEXT    NOT NULL CHECK (kind IN ('up', 'rejected')),
  status   INTEGER NOT NULL DEFAULT 0,        -- 0 pending, 1 published, 2 failed
  added_at INTEGER NOT NULL,                  -- ms since the epoch
  done_at  INTEGER,                           -- ms: published or failed at
  body     TEXT    NOT NULL,                  -- JSON: BridgeEvent or Rejection
  error    TEXT
);
CREATE INDEX IF NOT EXISTS outbox_rejected_pending ON outbox (seq) WHERE status = 0 AND kind = 'rejected';
CREATE INDEX IF NOT EXISTS outbox_published ON outbox (done_at) WHERE status = 1;
CREATE TABLE IF NOT EXISTS device_state (
  device      TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  received_at INTEGER NOT NULL,                -- ms since the epoch
  f_cnt       INTEGER NOT NULL,
  body        TEXT    NOT NULL,                -- JSON: the BridgeEvent
  PRIMARY KEY (device, message)
);
CREATE TABLE IF NOT EXISTS frame_counters (
  dev_eui      TEXT    PRIMARY KEY,
  f_cnt        INTEGER NOT NULL,
  startup_mics TEXT    NOT NULL,                -- JSON array of 8-hex-digit MICs
  updated_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS announced_devices (
  dev_eui      TEXT    PRIMARY KEY,             -- 16 hex digits, lower case
  device       TEXT    NOT NULL,                -- the device id its state topic and discovery were published under
  type         TEXT    NOT NULL,                -- its device type then (which discovery entities it had)
  announced_at INTEGER NOT NULL                 -- ms since the epoch
);
`;

/** Version 1 to 2: the state marks whose event is still in the outbox become device_state rows. */
const STATE_MARKS_TO_DEVICE_STATE = `
INSERT OR IGNORE INTO device_state (device, message, received_at, f_cnt, body)
  SELECT device, message, received_at, f_cnt, body FROM (
    SELECT m.device, m.received_at, m.f_cnt, o.body,
           CASE WHEN json_valid(o.body) THEN json_extract(o.body, '$.message') END AS message
    FROM state_marks m JOIN outbox o ON o.id = m.event_id AND o.kind = 'up'
  ) WHERE typeof(message) = 'text';
DROP TABLE state_marks;
`;

/** Version 1 or 2 to 3: every device with a saved state was announced (the newest saved event names it). */
const DEVICE_STATE_TO_ANNOUNCED = `
INSERT OR IGNORE INTO announced_devices (dev_eui, device, type, announced_at)
  SELECT lower(dev_eui), device, type, received_at FROM (
    SELECT device, received_at,
           CASE WHEN json_valid(body) THEN json_extract(body, '$.device.devEui') END AS dev_eui,
           CASE WHEN json_valid(body) THEN json_extract(body, '$.device.type') END AS type
    FROM device_state
  ) WHERE typeof(dev_eui) = 'text' AND typeof(type) = 'text'
  ORDER BY received_at DESC;
`;

export interface OpenDatabaseOptions {
  /** 'FULL' (default) survives power loss; 'NORMAL' may lose the last commits on power loss (not on a crash). */
  synchronous?: 'FULL' | 'NORMAL';
}

/** Opens (creating the file and its directory if needed) and migrates the bridge database. */
export function openBridgeDatabase(path: string, options: OpenDatabaseOptions = {}): BridgeDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // auto_vacuum only takes effect before the first table exists
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    // keep the WAL file from staying huge after a burst
    db.pragma('journal_size_limit = 67108864');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${path} has schema version ${version}; this bridge knows up to ${SCHEMA_VERSION} (a newer bridge wrote it)`);
    }
    db.transaction(() => {
      db.exec(SCHEMA);
      if (version < 2 && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'state_marks'").get() !== undefined) {
        db.exec(STATE_MARKS_TO_DEVICE_STATE);
      }
      if (version < 3) db.exec(DEVICE_STATE_TO_ANNOUNCED);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
