/**
 * Vehicle detection from magnetometer samples, as commercial bay sensors do it (shared/reference/sensors.md):
 * a baseline B0 taken while the bay is empty (per-axis median of CALIBRATION_SAMPLES), tracked slowly only while the
 * bay is vacant and quiet, and the deviation |B - B0| (vector difference, µT) compared with an enter and a lower
 * exit threshold (hysteresis); a new state counts once it held for `dwellS` (consecutive samples spanning it).
 * Pure logic: no timers, no hardware; the app feeds it samples and persists `snapshot()`.
 */

export const CALIBRATION_SAMPLES = 9;
/** Time constant of the drift tracking (an exponential average of the quiet, vacant samples). */
export const DRIFT_TAU_S = 1800;

export interface DetectorSettings {
  enterUt: number;
  exitUt: number;
  dwellS: number;
  /** Seconds between samples. */
  sampleS: number;
}

/** What survives a power cycle. */
export interface DetectorSnapshot {
  baseline: number[];
  occupied: boolean;
  changes: number;
}

export type DetectorEvent = 'calibrated' | 'occupied' | 'vacant' | null;

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Samples in a row that span at least `dwellS`: the first one plus one per sample period. */
export function dwellSamples(dwellS: number, sampleS: number): number {
  return Math.max(1, Math.ceil(dwellS / sampleS - 1e-9) + 1);
}

export class BayDetector {
  /** Null until calibrated. */
  baseline: number[] | null = null;
  occupied = false;
  /** State changes since the node was installed (the app wraps it for the uplink). */
  changes = 0;
  /** |B - B0| of the last sample, µT (0 before calibration). */
  deviation = 0;
  private calibration: number[][] = [];
  /** Samples in a row on the other side of the relevant threshold. */
  private run = 0;

  constructor(snapshot?: DetectorSnapshot | null) {
    if (snapshot && snapshot.baseline && snapshot.baseline.length === 3) {
      this.baseline = snapshot.baseline.slice();
      this.occupied = !!snapshot.occupied;
      this.changes = snapshot.changes | 0;
    }
  }

  get calibrating(): boolean {
    return this.baseline === null;
  }

  /** Forget the baseline and take a new one from the next samples; the bay must be empty meanwhile. */
  recalibrate(): void {
    this.baseline = null;
    this.calibration = [];
    this.run = 0;
  }

  snapshot(): DetectorSnapshot {
    return { baseline: this.baseline ? this.baseline.slice() : [], occupied: this.occupied, changes: this.changes };
  }

  /** One field sample in µT. Returns what it changed. */
  sample(x: number, y: number, z: number, settings: DetectorSettings): DetectorEvent {
    if (!this.baseline) return this.calibrate(x, y, z);
    const b = this.baseline;
    const dx = x - b[0]!;
    const dy = y - b[1]!;
    const dz = z - b[2]!;
    this.deviation = Math.sqrt(dx * dx + dy * dy + dz * dz);
    const beyond = this.occupied ? this.deviation <= settings.exitUt : this.deviation >= settings.enterUt;
    this.run = beyond ? this.run + 1 : 0;
    if (this.run >= dwellSamples(settings.dwellS, settings.sampleS)) {
      this.run = 0;
      this.occupied = !this.occupied;
      this.changes++;
      return this.occupied ? 'occupied' : 'vacant';
    }
    if (!this.occupied && this.run === 0 && this.deviation < settings.exitUt) {
      const a = Math.min(1, settings.sampleS / DRIFT_TAU_S);
      b[0] = b[0]! + dx * a;
      b[1] = b[1]! + dy * a;
      b[2] = b[2]! + dz * a;
    }
    return null;
  }

  private calibrate(x: number, y: number, z: number): DetectorEvent {
    this.calibration.push([x, y, z]);
    if (this.calibration.length < CALIBRATION_SAMPLES) return null;
    const c = this.calibration;
    this.baseline = [0, 1, 2].map((axis) => median(c.map((s) => s[axis]!)));
    this.calibration = [];
    this.deviation = 0;
    this.run = 0;
    if (this.occupied) {
      // calibrated on an empty bay by definition: a bay that was occupied is now vacant
      this.occupied = false;
      this.changes++;
      return 'vacant';
    }
    return 'calibrated';
  }
}
