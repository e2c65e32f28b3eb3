/**
 * Frame counters in the bridge database, so that a restarted bridge still rejects replays and still knows which
 * startup frames already restarted a counter. Implements the frame processor's CounterStore; share the database
 * with the outbox (openBridgeDatabase) so a counter update and the frame's outbox row can commit together.
 */
import type { CounterState, CounterStore } from '../lorawan/counter-store.ts';
import type { BridgeDatabase } from './database.ts';

export class SqliteCounterStore implements CounterStore {
  readonly #select;
  readonly #upsert;
  readonly #now: () => number;

  constructor(db: BridgeDatabase, now: () => number = Date.now) {
    this.#select = db.prepare('SELECT f_cnt, startup_mics FROM frame_counters WHERE dev_eui = ?');
    this.#upsert = db.prepare(
      'INSERT INTO frame_counters (dev_eui, f_cnt, startup_mics, updated_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (dev_eui) DO UPDATE SET f_cnt = excluded.f_cnt, startup_mics = excluded.startup_mics, updated_at = excluded.updated_at',
    );
    this.#now = now;
  }

  get(devEui: string): CounterState | undefined {
    const row = this.#select.get(devEui) as { f_cnt: number; startup_mics: string } | undefined;
    if (row === undefined) return undefined;
    return { fCnt: row.f_cnt, startupMics: JSON.parse(row.startup_mics) as string[] };
  }

  set(devEui: string, state: CounterState): void {
    if (!Number.isInteger(state.fCnt) || state.fCnt < 0 || state.fCnt > 0xffff_ffff) {
      throw new Error(`frame counter of ${devEui} must be a 32-bit unsigned integer, got ${state.fCnt}`);
    }
    this.#upsert.run(devEui, state.fCnt, JSON.stringify(state.startupMics), this.#now());
  }
}
