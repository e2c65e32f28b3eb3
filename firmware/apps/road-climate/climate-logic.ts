/** The road-climate decisions, free of hardware: ice risk and measurement cadence. */
import { dewPoint } from '../../../payload-schema/src/derived-functions.js';

export type IceRisk = 'clear' | 'watch' | 'risk' | 'unknown';

/**
 * risk: the surface is at or below 0 degC and at or below the dew point + margin (moisture can freeze on it);
 * watch: not yet, but the surface is within the margin of freezing and either at or below the dew point + margin
 * or already at or below 0 degC; unknown: a reading is missing.
 */
export function iceRisk(surface: number | null, air: number | null, humidity: number | null, marginK: number): IceRisk {
  if (surface === null || air === null || humidity === null) return 'unknown';
  const td = dewPoint(air, humidity);
  const wet = td !== null && surface <= td + marginK;
  const frozen = surface <= 0;
  if (frozen && wet) return 'risk';
  if (frozen || (wet && surface <= marginK)) return 'watch';
  return 'clear';
}

/** Within this many kelvin of 0 degC (surface or air) the cadence tightens. */
export const NEAR_FREEZING_K = 3;

/** Seconds to the next reading: the configured interval, tightened to `fastS` near freezing. */
export function nextIntervalS(surface: number | null, air: number | null, normalS: number, fastS: number): number {
  const near = (t: number | null): boolean => t !== null && t <= NEAR_FREEZING_K;
  return near(surface) || near(air) ? Math.min(normalS, fastS) : normalS;
}
