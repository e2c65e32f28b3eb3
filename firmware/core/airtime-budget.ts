/**
 * Uplink airtime accounting for EU868: the per-sub-band duty cycle (after a frame of T ms a 1 % sub-band is
 * off for T/0.01 - T), a daily airtime budget over a sliding 24 h window (default 30 s, TTN's fair use), and
 * a wait the modem reported itself (RUI3 `Restricted_Wait_<ms>_ms`).
 *
 * The 24 h window is kept as 48 half-hour slots, not a list of frames, so memory stays fixed on a board.
 * A frame counts until its whole slot has left the window: up to 30 min longer than exact, never shorter.
 */
import { EU868_SUB_BANDS, LORAWAN_OVERHEAD_BYTES, offTimeAfter, subBandIndex, uplinkAirtime } from './airtime.ts';

export interface AirtimeBudgetOptions {
  /** Frequencies the node may send on (P2P: the one it is set to; LoRaWAN: its channels). */
  frequenciesHz: number[];
  /** Uplink airtime allowed in any 24 h; default 30,000 ms. */
  dailyBudgetMs?: number;
}

export interface AirtimeBudget {
  /**
   * 0 when a frame with `payloadBytes` of application payload may go out now at EU868 `dr` on one of the
   * frequencies, else the ms to wait (Infinity: never, as the frame is longer than the daily budget or dr unknown).
   */
  canSend(nowMs: number, payloadBytes: number, dr: number): number;
  /** A frame of `airtimeMs` went out at `nowMs` (its start; a later time is safe) on `freqHz`. */
  record(nowMs: number, airtimeMs: number, freqHz: number): void;
  /** The modem refuses to send for `waitMs` (RUI3 `Restricted_Wait_<ms>_ms`). */
  restrict(nowMs: number, waitMs: number): void;
  /** Airtime counted against the daily budget at `nowMs` (at least the last 24 h). */
  usedToday(nowMs: number): number;
}

const DAY_MS = 86_400_000;
const SLOTS = 48;
const SLOT_MS = DAY_MS / SLOTS;
const RING = SLOTS + 1;
/** For a frequency outside every known sub-band: the strictest duty cycle of the table (0.1 %). */
const UNKNOWN_BAND_DUTY_CYCLE = 0.001;

function dutyCycleOf(band: number): number {
  return band >= 0 ? EU868_SUB_BANDS[band]!.dutyCycle : UNKNOWN_BAND_DUTY_CYCLE;
}

export function createAirtimeBudget(options: AirtimeBudgetOptions): AirtimeBudget {
  const dailyBudgetMs = options.dailyBudgetMs === undefined ? 30_000 : options.dailyBudgetMs;
  // Airtime per half-hour slot k, kept at ring index k mod RING: the current slot and the SLOTS before it.
  const used = new Float64Array(RING);
  let newestSlot = -1;
  /** When each sub-band may send again, at sub-band index + 1 (0: outside the known sub-bands). */
  const bandFreeAt: number[] = [];
  for (let i = 0; i <= EU868_SUB_BANDS.length; i++) bandFreeAt.push(0);
  let restrictedUntil = 0;

  function ringIndex(k: number): number {
    return ((k % RING) + RING) % RING;
  }

  /** Empties the slots reused since the last call; returns the current slot (never earlier than the newest). */
  function advance(nowMs: number): number {
    const current = Math.floor(nowMs / SLOT_MS);
    if (newestSlot < 0) newestSlot = current;
    for (let k = newestSlot + 1; k <= current && k <= newestSlot + RING; k++) used[ringIndex(k)] = 0;
    if (current > newestSlot) newestSlot = current;
    return newestSlot;
  }

  function total(): number {
    let sum = 0;
    for (let i = 0; i < RING; i++) sum += used[i]!;
    return sum;
  }

  function dailyWait(nowMs: number, airtimeMs: number): number {
    const current = advance(nowMs);
    let excess = total() + airtimeMs - dailyBudgetMs;
    if (excess <= 0) return 0;
    // Oldest slot first: slot k stops counting at (k + 1) * SLOT_MS + DAY_MS.
    for (let k = current - SLOTS; k <= current; k++) {
      excess -= used[ringIndex(k)]!;
      if (excess <= 0) return (k + 1) * SLOT_MS + DAY_MS - nowMs;
    }
    return Infinity; // the frame alone is longer than the budget
  }

  return {
    canSend: function (nowMs: number, payloadBytes: number, dr: number): number {
      const airtimeMs = uplinkAirtime(payloadBytes + LORAWAN_OVERHEAD_BYTES, dr);
      if (!(airtimeMs >= 0)) return Infinity;
      let bandFreeFrom = Infinity;
      for (let i = 0; i < options.frequenciesHz.length; i++) {
        bandFreeFrom = Math.min(bandFreeFrom, bandFreeAt[subBandIndex(options.frequenciesHz[i]!) + 1]!);
      }
      return Math.max(bandFreeFrom - nowMs, dailyWait(nowMs, airtimeMs), restrictedUntil - nowMs, 0);
    },
    record: function (nowMs: number, airtimeMs: number, freqHz: number): void {
      const k = ringIndex(advance(nowMs));
      used[k] = used[k]! + airtimeMs;
      const band = subBandIndex(freqHz);
      const freeAt = nowMs + airtimeMs + offTimeAfter(airtimeMs, dutyCycleOf(band));
      bandFreeAt[band + 1] = Math.max(bandFreeAt[band + 1]!, freeAt);
    },
    restrict: function (nowMs: number, waitMs: number): void {
      restrictedUntil = Math.max(restrictedUntil, nowMs + waitMs);
    },
    usedToday: function (nowMs: number): number {
      advance(nowMs);
      return total();
    },
  };
}
