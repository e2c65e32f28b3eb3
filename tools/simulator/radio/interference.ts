/**
 * When two LoRa frames on the air at the same time spoil each other.
 *
 * Rule (per pair, at one receiver): frames interfere only when they overlap in time and their channels overlap in
 * frequency. A frame survives an interferer when its power exceeds the interferer's by at least the isolation
 * threshold for the two spreading factors:
 * - same SF: 6 dB (the capture effect; the weaker one is lost, and with less than 6 dB between them both are),
 * - different SFs (quasi-orthogonal): the thresholds of Goursaud and Gorce, "Dedicated networks for IoT: PHY/MAC
 *   state of the art and challenges" (2015), as the ns-3 lorawan module uses them (lora-interference-helper.cc):
 *   a frame on SF7 survives an SF12 interferer up to 20 dB stronger, an SF12 frame an SF7 interferer up to 36 dB.
 *   Pairs outside SF7..SF12 (SF5/SF6, P2P only) or with different bandwidths use 16 dB, the smallest of those.
 * Simplifications: thresholds apply per interferer, not to the summed interference energy, and the arrival order
 * does not matter (a later, stronger frame captures the receiver as an earlier one would).
 */
import type { RadioFrame } from '../contracts.ts';

/** Same-SF capture threshold in dB. */
export const CAPTURE_THRESHOLD_DB = 6;

/** Goursaud isolation in dB, rows: the wanted frame's SF 7..12, columns: the interferer's SF 7..12. */
const GOURSAUD_ISOLATION_DB: number[][] = [
  [6, -16, -18, -19, -19, -20],
  [-24, 6, -20, -22, -22, -22],
  [-27, -27, 6, -23, -25, -25],
  [-30, -30, -30, 6, -26, -28],
  [-33, -33, -33, -33, 6, -29],
  [-36, -36, -36, -36, -36, 6],
];

const DEFAULT_CROSS_ISOLATION_DB = -16;

/** The power margin (wanted minus interferer, dB) a frame needs to survive the interferer. */
export function isolationThresholdDb(wanted: RadioFrame, interferer: RadioFrame): number {
  if (wanted.sf === interferer.sf && wanted.bwHz === interferer.bwHz) return CAPTURE_THRESHOLD_DB;
  const row = GOURSAUD_ISOLATION_DB[wanted.sf - 7];
  const value = wanted.bwHz === interferer.bwHz && row ? row[interferer.sf - 7] : undefined;
  return value !== undefined ? value : DEFAULT_CROSS_ISOLATION_DB;
}

export function overlapInTime(a: RadioFrame, b: RadioFrame): boolean {
  return a.startMs < b.startMs + b.airtimeMs && b.startMs < a.startMs + a.airtimeMs;
}

/** Whether the two channels share spectrum: centres closer than half the sum of the bandwidths. */
export function overlapInFrequency(a: RadioFrame, b: RadioFrame): boolean {
  return Math.abs(a.freqHz - b.freqHz) < (a.bwHz + b.bwHz) / 2;
}

/** Whether `wanted`, received at `wantedDbm`, survives `interferer` received at `interfererDbm`. */
export function survives(wanted: RadioFrame, wantedDbm: number, interferer: RadioFrame, interfererDbm: number): boolean {
  if (!overlapInTime(wanted, interferer) || !overlapInFrequency(wanted, interferer)) return true;
  return wantedDbm - interfererDbm >= isolationThresholdDb(wanted, interferer);
}
