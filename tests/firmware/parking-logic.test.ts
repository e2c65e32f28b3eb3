/** The parking bay's detection and reporting logic, fed with samples computed here. */
import { describe, expect, it } from 'vitest';
import { BayDetector, CALIBRATION_SAMPLES, dwellSamples, type DetectorSettings } from '../../firmware/apps/parking-bay/bay-detector.ts';
import { FAULT_SAMPLES, ReportPolicy } from '../../firmware/apps/parking-bay/report-policy.ts';

const S: DetectorSettings = { enterUt: 22, exitUt: 16, dwellS: 4, sampleS: 2 };
const EARTH = [17, -9, -45];

function calibrated(): BayDetector {
  const d = new BayDetector();
  for (let i = 0; i < CALIBRATION_SAMPLES; i++) {
    // one wild sample (a passing truck) does not move the median
    const wild = i === 3 ? 80 : 0;
    expect(d.sample(EARTH[0]! + wild + (i % 3) - 1, EARTH[1]!, EARTH[2]!, S)).toBe(i === CALIBRATION_SAMPLES - 1 ? 'calibrated' : null);
  }
  return d;
}

function feed(d: BayDetector, offset: number[], n: number): (string | null)[] {
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) out.push(d.sample(EARTH[0]! + offset[0]!, EARTH[1]! + offset[1]!, EARTH[2]! + offset[2]!, S));
  return out;
}

describe('BayDetector', () => {
  it('takes the per-axis median of the calibration samples', () => {
    expect(calibrated().baseline).toEqual(EARTH);
  });

  it('needs the dwell in consecutive samples, with hysteresis between enter and exit', () => {
    expect(dwellSamples(4, 2)).toBe(3);
    expect(dwellSamples(0, 2)).toBe(1);
    expect(dwellSamples(5, 2)).toBe(4);
    const d = calibrated();
    // 30 µT: above enter; two samples, a dip, then three
    expect(feed(d, [30, 0, 0], 2)).toEqual([null, null]);
    expect(feed(d, [10, 0, 0], 1)).toEqual([null]);
    expect(feed(d, [0, 30, 0], 3)).toEqual([null, null, 'occupied']);
    expect(d.changes).toBe(1);
    // between exit and enter: still occupied
    expect(feed(d, [0, 0, 20], 10).every((e) => e === null)).toBe(true);
    expect(d.occupied).toBe(true);
    expect(feed(d, [0, 0, 15], 3)).toEqual([null, null, 'vacant']);
    expect(d.deviation).toBeCloseTo(15, 3);
    expect(d.changes).toBe(2);
  });

  it('tracks drift only while vacant and quiet', () => {
    const d = calibrated();
    // 10 µT of drift while vacant is followed with the 30-minute time constant
    feed(d, [10, 0, 0], 1800);
    expect(d.baseline![0]! - EARTH[0]!).toBeGreaterThan(8.5);
    const before = d.baseline!.slice();
    feed(d, [60, 0, 0], 3);
    expect(d.occupied).toBe(true);
    feed(d, [60, 0, 0], 500);
    expect(d.baseline).toEqual(before);
  });

  it('restores a snapshot and recalibrates on demand (an occupied bay becomes vacant)', () => {
    const d = calibrated();
    feed(d, [40, 0, 0], 3);
    const again = new BayDetector(JSON.parse(JSON.stringify(d.snapshot())));
    expect(again).toMatchObject({ occupied: true, changes: 1, calibrating: false });
    again.recalibrate();
    expect(again.calibrating).toBe(true);
    const events = feed(again, [40, 0, 0], CALIBRATION_SAMPLES);
    expect(events.at(-1)).toBe('vacant');
    expect(again.changes).toBe(2);
    expect(feed(again, [40, 0, 0], 5).every((e) => e === null)).toBe(true);
    expect(new BayDetector({ baseline: [], occupied: true, changes: 3 }).calibrating).toBe(true);
  });
});

describe('ReportPolicy', () => {
  it('reports changes and calibrations at once, a fault once, and a heartbeat after the interval', () => {
    const p = new ReportPolicy();
    expect(p.afterSample(true, null, 2, 100)).toBeNull();
    expect(p.afterSample(true, 'occupied', 2, 100)).toBe('change');
    expect(p.afterSample(true, 'calibrated', 2, 100)).toBe('calibrated');
    const faults = [];
    for (let i = 0; i < FAULT_SAMPLES + 3; i++) faults.push(p.afterSample(false, null, 2, 1000));
    expect(faults.filter((r) => r === 'fault')).toHaveLength(1);
    expect(p.faulty).toBe(true);
    expect(p.afterSample(true, null, 2, 1000)).toBeNull();
    expect(p.faulty).toBe(false);
    let beats = 0;
    for (let i = 0; i < 200; i++) if (p.afterSample(true, null, 2, 100) === 'heartbeat') beats++;
    expect(beats).toBe(4);
    p.dueNow();
    expect(p.afterSample(true, null, 2, 100)).toBe('heartbeat');
  });
});
