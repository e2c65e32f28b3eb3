/**
 * The LoRa session's counters in the terminal's SQLite file (table lora_state, next to the outbox's tables): the
 * uplink counter's reservations (firmware/core/frame-counter.ts CounterStorage) and the next acceptable downlink
 * counter. A repeated uplink counter would be dropped by the bridge as a replay, so writes are synchronous (FULL).
 */
import { createRequire } from 'node:module';
import type { BridgeDatabase as Database, Statement } from '../../../../gateway-bridge/src/outbox/database.ts';
import type { CounterStorage } from '../../../core/frame-counter.ts';

const openDatabase = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Database;

const DOWNLINK_KEY = 'lora.fCntDownExpected';

export class SqliteLoraState implements CounterStorage {
  private readonly db: Database;
  private readonly get: Statement;
  private readonly set: Statement;

  constructor(path: string) {
    const db = new openDatabase(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec('CREATE TABLE IF NOT EXISTS lora_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.get = db.prepare('SELECT value FROM lora_state WHERE key = ?');
    this.set = db.prepare('INSERT INTO lora_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  read(name: string): string | undefined {
    return (this.get.get(name) as { value: string } | undefined)?.value;
  }

  write(name: string, value: string): boolean {
    this.set.run(name, value);
    return true;
  }

  /** The lowest downlink counter still acceptable (0 in a new session). */
  downlinkCounter(): number {
    const text = this.read(DOWNLINK_KEY);
    return text !== undefined && /^[0-9]{1,10}$/.test(text) ? Number(text) : 0;
  }

  setDownlinkCounter(expected: number): void {
    this.write(DOWNLINK_KEY, String(expected));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
