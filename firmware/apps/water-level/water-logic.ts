/**
 * The water-level decisions, free of hardware: from raw ranger readings to a distance (median, outlier rejection,
 * speed of sound), the level above gauge zero, the warning stage, the trend, and how many readings go in one uplink
 * so that the airtime budget holds (shared/reference/sensors.md, "Ultrasonic level sensors").
 */
import { LORAWAN_OVERHEAD_BYTES, uplinkAirtime } from '../../core/airtime.ts';

export interface Quality {
  noTarget?: boolean;
  outOfRange?: boolean;
  outliersRejected?: boolean;
}

/** What one measurement cycle collected: distances (mm, as the part reported them) and the cycles without one. */
export interface RawReadings {
  ok: number[];
  noTarget: number;
  tooClose: number;
}

export interface Distance {
  mm: number | null;
  quality: Quality;
}

/** Readings per cycle (shared/reference/sensors.md: a median of 5-11). */
export const READINGS = 9;

/** Speed of sound in air, m/s (shared/reference/sensors.md). */
export function speedOfSound(temperatureC: number): number {
  return 331.6 + 0.6 * temperatureC;
}

/** A reading farther than this from the median is an outlier: 15 mm, or 0.5 % on long paths. */
function toleranceMm(medianMm: number): number {
  return Math.max(15, medianMm * 0.005);
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/**
 * The distance of one cycle: needs distances from at least half the readings; the median, then the mean of the
 * readings within the tolerance of it (outliers dropped). `scale` turns the part's millimetres into real ones
 * (c(T) / assumed speed for a part without temperature compensation, else 1).
 */
export function reduceReadings(raw: RawReadings, scale: number): Distance {
  const total = raw.ok.length + raw.noTarget + raw.tooClose;
  if (total === 0 || raw.ok.length * 2 < total) {
    return { mm: null, quality: raw.tooClose > raw.noTarget ? { outOfRange: true } : { noTarget: true } };
  }
  const sorted = raw.ok.slice().sort((a, b) => a - b);
  const m = median(sorted);
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (Math.abs(sorted[i]! - m) <= toleranceMm(m)) {
      sum += sorted[i]!;
      kept++;
    }
  }
  return { mm: (sum / kept) * scale, quality: kept < total ? { outliersRejected: true } : {} };
}

/** Level above gauge zero in whole cm (the message's grid), or null outside what the message can carry (-100..3994). */
export function levelCm(mountHeightCm: number, distanceMm: number): number | null {
  const level = Math.round(mountHeightCm - distanceMm / 10);
  return level >= -100 && level <= 3994 ? level : null;
}

/** A stage is left downwards only this far below its threshold, so a level at a threshold does not flap. */
export const STAGE_HYSTERESIS_CM = 2;

/** Warning stage 0-3 from the thresholds (stage 1, 2, 3 begin at them), with hysteresis on the way down. */
export function stageFor(level: number | null, thresholds: number[], previous: number): number {
  if (level === null) return previous;
  let up = 0;
  let down = 0;
  for (let i = 0; i < thresholds.length; i++) {
    if (level >= thresholds[i]!) up = i + 1;
    if (level >= thresholds[i]! - STAGE_HYSTERESIS_CM) down = i + 1;
  }
  return Math.max(up, Math.min(previous, down));
}

export type Trend = 'steady' | 'rising' | 'falling' | 'unknown';

/** A change of at least this much over the comparison window is a trend. */
export const TREND_CM = 2;

/**
 * Trend from a history of [seconds, level] (oldest first, ending with the current reading): compared with the
 * oldest reading of the last hour, if that one is at least 30 minutes old (PEGELONLINE's -1/0/1 over its readings).
 */
export function trendOf(history: number[][]): Trend {
  const now = history[history.length - 1];
  if (!now) return 'unknown';
  for (let i = 0; i < history.length - 1; i++) {
    const age = now[0]! - history[i]![0]!;
    if (age <= 3600 && age >= 1800) {
      const d = now[1]! - history[i]![1]!;
      return d >= TREND_CM ? 'rising' : d <= -TREND_CM ? 'falling' : 'steady';
    }
  }
  return 'unknown';
}

/** Application payload bytes of one reading (FPort 30) and of a batch of n (FPort 31): see the message catalog. */
export function payloadBytes(n: number): number {
  return n === 1 ? 6 : Math.ceil((16 + 25 * n) / 8);
}

export const MAX_BATCH = 15;
const DAY_S = 86400;

/**
 * The cadence that fits `budgetMs` of reading uplinks a day at data rate `dr`: a reading every `intervalS`, sent
 * `batch` at a time (the fewest that fit). When even full batches do not fit, the interval is stretched.
 */
export function planCadence(intervalS: number, dr: number, budgetMs: number): { batch: number; intervalS: number } {
  for (let n = 1; n <= MAX_BATCH; n++) {
    if ((DAY_S / (n * intervalS)) * uplinkAirtime(payloadBytes(n) + LORAWAN_OVERHEAD_BYTES, dr) <= budgetMs) {
      return { batch: n, intervalS: intervalS };
    }
  }
  const full = uplinkAirtime(payloadBytes(MAX_BATCH) + LORAWAN_OVERHEAD_BYTES, dr);
  return { batch: MAX_BATCH, intervalS: Math.ceil((DAY_S * full) / (budgetMs * MAX_BATCH)) };
}
