/**
 * Downlink frame counters (FCntDown) per device in the bridge database: a node refuses a downlink whose counter
 * it has already seen, so a restarted bridge must go on counting where it stopped.
 */
import type { BridgeDatabase } from '../outbox/database.ts';

export class SqliteDownlinkCounter {
  readonly #select;
  readonly #upsert;

  constructor(db: BridgeDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS downlink_counters (dev_eui TEXT PRIMARY KEY, next_f_cnt INTEGER NOT NULL)');
    this.#select = db.prepare('SELECT next_f_cnt FROM downlink_counters WHERE dev_eui = ?');
    this.#upsert = db.prepare(
      'INSERT INTO downlink_counters (dev_eui, next_f_cnt) VALUES (?, ?) ON CONFLICT (dev_eui) DO UPDATE SET next_f_cnt = excluded.next_f_cnt',
    );
  }

  /** The counter for the device's next downlink, reserved (stored as used) before it is returned. */
  take(devEui: string): number {
    const row = this.#select.get(devEui) as { next_f_cnt: number } | undefined;
    const fCnt = row?.next_f_cnt ?? 0;
    this.#upsert.run(devEui, fCnt + 1);
    return fCnt;
  }
}
