/**
 * Where the frame processor keeps each device's counter state. Synchronous on purpose: the processor checks and
 * advances a counter in one step per frame, and the persistent implementation (SQLite through better-sqlite3) is
 * synchronous too. Only the in-memory store lives here.
 */

/** What must survive a bridge restart for one device. */
export interface CounterState {
  /** The last accepted 32-bit uplink counter. */
  fCnt: number;
  /**
   * MICs (8 hex digits) of accepted deviceStatus frames at a counter below the reset window, newest last and
   * capped: a replay of one of them must not restart the counter again (docs/gateway-bridge/frame-counters.md).
   */
  startupMics: string[];
}

export interface CounterStore {
  /** The state of a device by DevEUI (lower-case hex), or undefined when none was ever stored. */
  get(devEui: string): CounterState | undefined;
  set(devEui: string, state: CounterState): void;
}

const copy = (state: CounterState): CounterState => ({ fCnt: state.fCnt, startupMics: [...state.startupMics] });

/** Counter state in memory only: lost on restart (the first frame after it is accepted as a new start). */
export class MemoryCounterStore implements CounterStore {
  readonly #states = new Map<string, CounterState>();

  get(devEui: string): CounterState | undefined {
    const state = this.#states.get(devEui);
    return state && copy(state);
  }

  set(devEui: string, state: CounterState): void {
    this.#states.set(devEui, copy(state));
  }
}
