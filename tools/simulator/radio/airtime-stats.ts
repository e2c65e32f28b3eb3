/**
 * Airtime statistics over recorded frames: per transmitter, per day, per EU868 sub-band, and the two duty-cycle
 * checks a regulator or a network operator would make.
 *
 * - ETSI EN 300 220 counts the duty cycle over an observation period of one hour: `dutyCycleViolations` looks
 *   for the busiest `windowMs` window (default 1 h) of every transmitter in every sub-band.
 * - LoRaMac-node enforces it frame by frame: after a frame of T ms the sub-band is closed for T/dc - T
 *   (`offTimeAfter`). `offTimeViolations` lists frames sent into a closed sub-band, i.e. a device that ignored
 *   `Restricted_Wait`. It is the stricter check: a device that passes it passes the hourly one.
 * - The Things Network's fair use policy allows about 30 s of uplink airtime per device per day: `dailyAirtime`.
 */
import { EU868_SUB_BANDS, offTimeAfter, subBandIndex } from '../../../firmware/core/airtime.ts';
import type { RadioFrame } from '../contracts.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** Name of the EU868 sub-band of a frequency, or 'outside'. */
export function subBandName(freqHz: number): string {
  const i = subBandIndex(freqHz);
  return i < 0 ? 'outside' : EU868_SUB_BANDS[i]!.name;
}

/** Airtime of each transmitter within [fromMs, toMs); frames crossing an edge count with the part inside. */
export function airtimeByTransmitter(frames: readonly RadioFrame[], fromMs = -Infinity, toMs = Infinity): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of frames) {
    const end = f.startMs + f.airtimeMs;
    const inside = f.startMs >= fromMs && end <= toMs ? f.airtimeMs : Math.min(end, toMs) - Math.max(f.startMs, fromMs);
    if (inside > 0) out[f.from] = (out[f.from] ?? 0) + inside;
  }
  return out;
}

/** Airtime of one transmitter per simulated day (index 0 = the first 24 h), by frame start. */
export function dailyAirtime(frames: readonly RadioFrame[], from: string): number[] {
  const days: number[] = [];
  for (const f of frames) {
    if (f.from !== from) continue;
    const day = Math.floor(f.startMs / DAY_MS);
    while (days.length <= day) days.push(0);
    days[day] = days[day]! + f.airtimeMs;
  }
  return days;
}

/** Airtime per sub-band name, of one transmitter or of all. */
export function airtimeBySubBand(frames: readonly RadioFrame[], from?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of frames) {
    if (from !== undefined && f.from !== from) continue;
    const name = subBandName(f.freqHz);
    out[name] = (out[name] ?? 0) + f.airtimeMs;
  }
  return out;
}

function byTransmitterAndBand(frames: readonly RadioFrame[]): Map<string, { from: string; band: number; frames: RadioFrame[] }> {
  const groups = new Map<string, { from: string; band: number; frames: RadioFrame[] }>();
  for (const f of frames) {
    const band = subBandIndex(f.freqHz);
    if (band < 0) continue;
    const key = `${f.from}\u0000${band}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { from: f.from, band, frames: [] }));
    group.frames.push(f);
  }
  for (const g of groups.values()) g.frames.sort((a, b) => a.startMs - b.startMs);
  return groups;
}

/** The largest share of any `windowMs` window that frames (sorted by start) occupy. */
function busiestWindowShare(sorted: readonly RadioFrame[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < sorted.length; i++) {
    const windowEnd = sorted[i]!.startMs + windowMs;
    let busy = 0;
    for (let j = i; j < sorted.length && sorted[j]!.startMs < windowEnd; j++) {
      const f = sorted[j]!;
      busy += Math.min(f.startMs + f.airtimeMs, windowEnd) - f.startMs;
    }
    best = Math.max(best, busy / windowMs);
  }
  return best;
}

export interface DutyCycleUsage {
  from: string;
  subBand: string;
  /** Highest share of a window spent transmitting in the sub-band. */
  usage: number;
  limit: number;
}

/** Busiest-window usage of every transmitter in every sub-band it used. */
export function dutyCycleUsage(frames: readonly RadioFrame[], windowMs = HOUR_MS): DutyCycleUsage[] {
  const out: DutyCycleUsage[] = [];
  for (const g of byTransmitterAndBand(frames).values()) {
    const band = EU868_SUB_BANDS[g.band]!;
    out.push({ from: g.from, subBand: band.name, usage: busiestWindowShare(g.frames, windowMs), limit: band.dutyCycle });
  }
  return out;
}

export function dutyCycleViolations(frames: readonly RadioFrame[], windowMs = HOUR_MS): DutyCycleUsage[] {
  return dutyCycleUsage(frames, windowMs).filter((u) => u.usage > u.limit + 1e-12);
}

export interface OffTimeViolation {
  from: string;
  subBand: string;
  startMs: number;
  /** When the sub-band reopened after the transmitter's previous frame. */
  allowedFromMs: number;
}

/** Frames a transmitter started while its previous frame's off time in that sub-band was still running. */
export function offTimeViolations(frames: readonly RadioFrame[]): OffTimeViolation[] {
  const out: OffTimeViolation[] = [];
  for (const g of byTransmitterAndBand(frames).values()) {
    const band = EU868_SUB_BANDS[g.band]!;
    let allowedFromMs = -Infinity;
    for (const f of g.frames) {
      if (f.startMs < allowedFromMs - 1e-6) out.push({ from: g.from, subBand: band.name, startMs: f.startMs, allowedFromMs });
      const end = f.startMs + f.airtimeMs;
      allowedFromMs = Math.max(allowedFromMs, end + offTimeAfter(f.airtimeMs, band.dutyCycle));
    }
  }
  return out;
}
