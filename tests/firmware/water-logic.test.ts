/**
 * The water-level decisions: distance from raw readings (median, outliers, speed of sound), level, stage with
 * hysteresis, trend, and the cadence that keeps the airtime budget. Expected values are worked out here by hand or
 * by brute force, not with the functions under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  levelCm,
  MAX_BATCH,
  payloadBytes,
  planCadence,
  reduceReadings,
  speedOfSound,
  stageFor,
  STAGE_HYSTERESIS_CM,
  trendOf,
} from '../../firmware/apps/water-level/water-logic.ts';
import { uplinkAirtime } from '../../firmware/core/airtime.ts';
import { encodeWaterLevel, encodeWaterLevelBatch } from '../../payload-schema/generated/firmware/payload.js';

describe('distance from one cycle of readings', () => {
  it('takes the mean of the readings near the median and drops outliers', () => {
    const d = reduceReadings({ ok: [2001, 1999, 2000, 2002, 350, 1998, 6100, 2000, 2000], noTarget: 0, tooClose: 0 }, 1);
    expect(d.mm).toBeCloseTo(2000, 6);
    expect(d.quality).toEqual({ outliersRejected: true });
    expect(reduceReadings({ ok: [1000, 1001, 999], noTarget: 0, tooClose: 0 }, 1)).toEqual({ mm: 1000, quality: {} });
  });

  it('needs distances from at least half the readings, else says why there is none', () => {
    expect(reduceReadings({ ok: [2000, 2001, 2002, 2003], noTarget: 5, tooClose: 0 }, 1)).toEqual({ mm: null, quality: { noTarget: true } });
    expect(reduceReadings({ ok: [300], noTarget: 1, tooClose: 7 }, 1)).toEqual({ mm: null, quality: { outOfRange: true } });
    expect(reduceReadings({ ok: [], noTarget: 0, tooClose: 0 }, 1).mm).toBeNull();
    expect(reduceReadings({ ok: [2000, 2000, 2000, 2000, 2000], noTarget: 4, tooClose: 0 }, 1)).toEqual({ mm: 2000, quality: { outliersRejected: true } });
  });

  it('survives any 4 wild readings out of 9 within a millimetre', () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 7000 }), fc.array(fc.integer({ min: 280, max: 9000 }), { minLength: 4, maxLength: 4 }), (true_, wild) => {
        const ok = [true_, true_ + 1, true_ - 1, true_, true_ + 1, ...wild.filter((w) => Math.abs(w - true_) > 40)];
        const d = reduceReadings({ ok, noTarget: 9 - ok.length, tooClose: 0 }, 1);
        expect(Math.abs(d.mm! - true_)).toBeLessThan(1);
      }),
    );
  });

  it('rescales a part that assumes 343 m/s by c(T) / 343 with c = 331.6 + 0.6 T', () => {
    expect(speedOfSound(0)).toBe(331.6);
    expect(speedOfSound(20)).toBeCloseTo(343.6, 10);
    // at -10 degC sound is slower: the part (343 m/s) reads long; 2000 mm reported is 2000 * 325.6 / 343 real
    const d = reduceReadings({ ok: [2000, 2000, 2000], noTarget: 0, tooClose: 0 }, speedOfSound(-10) / 343);
    expect(d.mm).toBeCloseTo((2000 * 325.6) / 343, 6);
  });
});

describe('level above gauge zero', () => {
  it('is the mounting height minus the distance, in whole cm, null outside the message range', () => {
    expect(levelCm(450, 1204)).toBe(330); // 329.6
    expect(levelCm(450, 1206)).toBe(329); // 329.4
    expect(levelCm(300, 3950)).toBe(-95);
    expect(levelCm(300, 4050)).toBeNull(); // -105 cm: below what the message carries
    expect(levelCm(4000, 50)).toBeNull(); // 3995 cm
  });
});

describe('warning stage', () => {
  const th = [200, 260, 310];

  it('rises at each threshold and falls only STAGE_HYSTERESIS_CM below it', () => {
    expect(stageFor(199, th, 0)).toBe(0);
    expect(stageFor(200, th, 0)).toBe(1);
    expect(stageFor(311, th, 0)).toBe(3);
    expect(stageFor(309, th, 3)).toBe(3);
    expect(stageFor(310 - STAGE_HYSTERESIS_CM - 1, th, 3)).toBe(2);
    expect(stageFor(150, th, 3)).toBe(0);
    expect(stageFor(null, th, 2)).toBe(2);
  });

  it('matches a brute-force walk with hysteresis over any level series', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 150, max: 350 }), { maxLength: 40 }), (levels) => {
        let s = 0;
        for (const level of levels) {
          // expected: step down while below the current stage's threshold - hysteresis; up to every threshold reached
          let expected = s;
          while (expected > 0 && level < th[expected - 1]! - STAGE_HYSTERESIS_CM) expected--;
          expected = Math.max(expected, th.filter((t) => level >= t).length);
          s = stageFor(level, th, s);
          expect(s).toBe(expected);
        }
      }),
    );
  });
});

describe('trend', () => {
  it('compares with the oldest reading of the last hour that is at least 30 minutes old', () => {
    expect(trendOf([])).toBe('unknown');
    expect(trendOf([[0, 100], [900, 101]])).toBe('unknown');
    expect(trendOf([[0, 100], [1800, 102]])).toBe('rising');
    expect(trendOf([[0, 100], [1800, 101]])).toBe('steady');
    expect(trendOf([[0, 200], [600, 100], [2400, 97]])).toBe('falling');
    expect(trendOf([[0, 300], [4000, 100]])).toBe('unknown');
  });
});

describe('cadence within the airtime budget', () => {
  it('knows the encoded sizes of a reading and of batches', () => {
    expect(payloadBytes(1)).toBe(encodeWaterLevel({ level: 1, distance: 1, stage: 0, trend: 'steady', quality: {}, battery: 3 }).length);
    for (let n = 2; n <= MAX_BATCH; n++) {
      const readings = Array.from({ length: n }, () => ({ age: 1, level: 1, quality: {} }));
      expect(payloadBytes(n)).toBe(encodeWaterLevelBatch({ stage: 0, trend: 'steady', battery: 3, readings }).length);
    }
  });

  it('sends single readings every 15 minutes at DR3 and batches the fast cadence', () => {
    expect(planCadence(900, 3, 22000)).toEqual({ batch: 1, intervalS: 900 });
    const fast = planCadence(300, 3, 22000);
    expect(fast.intervalS).toBe(300);
    expect(fast.batch).toBeGreaterThan(1);
  });

  it('never plans more than the budget, at any data rate and interval, and uses the smallest batch that fits', () => {
    for (let dr = 0; dr <= 5; dr++) {
      for (const interval of [10, 60, 120, 300, 600, 900, 3600]) {
        const plan = planCadence(interval, dr, 22000);
        const perDay = (86400 / (plan.batch * plan.intervalS)) * uplinkAirtime(payloadBytes(plan.batch) + 13, dr);
        expect(perDay, `DR${dr} ${interval} s`).toBeLessThanOrEqual(22000 * 1.01);
        expect(plan.intervalS).toBeGreaterThanOrEqual(interval);
        if (plan.batch > 1 && plan.intervalS === interval) {
          const smaller = (86400 / ((plan.batch - 1) * interval)) * uplinkAirtime(payloadBytes(plan.batch - 1) + 13, dr);
          expect(smaller).toBeGreaterThan(22000);
        }
      }
    }
  });
});
