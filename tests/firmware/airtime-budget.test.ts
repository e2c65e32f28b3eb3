import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EU868_SUB_BANDS, LORAWAN_OVERHEAD_BYTES, subBandIndex, uplinkAirtime } from '../../firmware/core/airtime.ts';
import { createAirtimeBudget, type AirtimeBudget } from '../../firmware/core/airtime-budget.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Sent {
  at: number;
  airtime: number;
  /** usedToday() as the frame ends. */
  reported: number;
}

/** Sends as fast as the budget allows from 0 to `untilMs`, each frame with the next payload size and DR. */
function sendGreedily(
  budget: AirtimeBudget,
  freqHz: number,
  frames: { payloadBytes: number; dr: number }[],
  untilMs: number,
): Sent[] {
  const sent: Sent[] = [];
  let now = 0;
  let largestRecheck = 0;
  for (let i = 0; now < untilMs; i++) {
    const frame = frames[i % frames.length]!;
    const wait = budget.canSend(now, frame.payloadBytes, frame.dr);
    // Waiting exactly as long as told must be enough (up to float rounding).
    if (wait > 0) {
      now += wait;
      if (now >= untilMs) break;
      largestRecheck = Math.max(largestRecheck, budget.canSend(now, frame.payloadBytes, frame.dr));
    }
    const airtime = uplinkAirtime(frame.payloadBytes + LORAWAN_OVERHEAD_BYTES, frame.dr);
    budget.record(now, airtime, freqHz);
    sent.push({ at: now, airtime, reported: budget.usedToday(now + airtime) });
    now += airtime; // the radio is busy while it sends
  }
  expect(largestRecheck).toBeLessThan(1e-6);
  return sent;
}

const frameArb = fc.record({ payloadBytes: fc.integer({ min: 1, max: 51 }), dr: fc.integer({ min: 0, max: 5 }) });

describe('createAirtimeBudget', () => {
  it('closes a 1 % sub-band for 99 times a frame: 11 bytes at SF9 (DR3) is 205.824 ms (lorawan.md)', () => {
    const airtime = uplinkAirtime(11 + 13, 3);
    expect(airtime).toBeCloseTo(205.824, 6);
    expect(uplinkAirtime(10 + 13, 3)).toBeCloseTo(205.824, 6); // same symbol count
    const budget = createAirtimeBudget({ frequenciesHz: [868_100_000], dailyBudgetMs: Infinity });
    expect(budget.canSend(0, 11, 3)).toBe(0);
    budget.record(0, airtime, 868_100_000);
    // Off for T/0.01 - T after the frame ends at T.
    expect(budget.canSend(airtime, 11, 3)).toBeCloseTo(airtime / 0.01 - airtime, 6);
    expect(budget.canSend(airtime / 0.01, 11, 3)).toBe(0);
  });

  it('never exceeds a sub-band duty cycle over a day of sends as fast as allowed, and uses it', () => {
    const freqs = [868_100_000, 868_500_000, 868_800_000, 869_525_000, 867_100_000];
    fc.assert(
      fc.property(fc.constantFrom(...freqs), fc.array(frameArb, { minLength: 1, maxLength: 8 }), (freq, frames) => {
        const dutyCycle = EU868_SUB_BANDS[subBandIndex(freq)]!.dutyCycle;
        const budget = createAirtimeBudget({ frequenciesHz: [freq], dailyBudgetMs: Infinity });
        const sent = sendGreedily(budget, freq, frames, DAY);
        for (let i = 1; i < sent.length; i++) {
          const previous = sent[i - 1]!;
          const offTime = previous.airtime / dutyCycle - previous.airtime;
          expect(sent[i]!.at - (previous.at + previous.airtime)).toBeGreaterThanOrEqual(offTime - 1e-6);
        }
        const total = sent.reduce((sum, s) => sum + s.airtime, 0);
        // a reduce, not Math.max(...): a 10 % sub-band allows hundreds of thousands of frames a day
        const longest = sent.reduce((max, s) => Math.max(max, s.airtime), 0);
        expect(total).toBeLessThanOrEqual(dutyCycle * (DAY + longest / dutyCycle) + 1e-6);
        expect(total).toBeGreaterThan(dutyCycle * DAY - longest); // as fast as allowed, not slower
      }),
      { numRuns: 8 },
    );
  });

  it('keeps every sliding 24 h within the daily budget, and lets the budget be used', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3_000, max: 60_000 }), // DR0 with 51 bytes takes 2.8 s
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        (dailyBudgetMs, frames) => {
          const budget = createAirtimeBudget({ frequenciesHz: [869_525_000], dailyBudgetMs });
          const sent = sendGreedily(budget, 869_525_000, frames, 4 * DAY);
          let first = 0;
          let inWindow = 0;
          for (const s of sent) {
            inWindow += s.airtime;
            while (sent[first]!.at <= s.at - DAY) inWindow -= sent[first++]!.airtime;
            expect(inWindow).toBeLessThanOrEqual(dailyBudgetMs + 1e-6);
            // What the budget reports covers at least the exact window.
            expect(s.reported).toBeGreaterThanOrEqual(inWindow - 1e-6);
          }
          // a reduce, not Math.max(...): a 10 % sub-band allows hundreds of thousands of frames a day
        const longest = sent.reduce((max, s) => Math.max(max, s.airtime), 0);
          const firstDay = sent.filter((s) => s.at < DAY).reduce((sum, s) => sum + s.airtime, 0);
          expect(firstDay).toBeGreaterThan(dailyBudgetMs - longest);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('defaults to 30 s a day (TTN fair use)', () => {
    const budget = createAirtimeBudget({ frequenciesHz: [869_525_000] });
    const sent = sendGreedily(budget, 869_525_000, [{ payloadBytes: 51, dr: 0 }], DAY);
    const used = sent.reduce((sum, s) => sum + s.airtime, 0);
    expect(used).toBeLessThanOrEqual(30_000);
    expect(used).toBeGreaterThan(30_000 - sent[0]!.airtime);
    expect(budget.usedToday(DAY - 1)).toBeCloseTo(used, 6);
  });

  it('counts a frame until its half hour has left the window: at most 30 min longer than exact', () => {
    const MIN = 60_000;
    const g3 = 869_525_000;
    const budget = createAirtimeBudget({ frequenciesHz: [g3], dailyBudgetMs: 1_000 });
    budget.record(10 * MIN, 600, g3); // slot 0:00-0:30
    budget.record(40 * MIN, 300, g3); // slot 0:30-1:00
    budget.record(120 * MIN, 200, g3);
    const now = DAY + 15 * MIN; // exact: the 0:10 frame left at 24:10; counted here until 24:30
    expect(budget.usedToday(now)).toBe(1_100);
    expect(budget.canSend(now, 1, 5)).toBe(15 * MIN);
    expect(budget.usedToday(DAY + 30 * MIN)).toBe(500);
    expect(budget.canSend(DAY + 30 * MIN, 1, 5)).toBe(0);
  });

  it("honours the modem's Restricted_Wait", () => {
    const budget = createAirtimeBudget({ frequenciesHz: [868_100_000] });
    budget.restrict(1_000, 5_000);
    expect(budget.canSend(1_000, 11, 5)).toBe(5_000);
    expect(budget.canSend(4_000, 11, 5)).toBe(2_000);
    expect(budget.canSend(6_000, 11, 5)).toBe(0);
  });

  it('is free when any configured channel is, and never for a frame beyond the budget or an unknown DR', () => {
    const budget = createAirtimeBudget({ frequenciesHz: [868_100_000, 869_525_000], dailyBudgetMs: 1_000 });
    budget.record(0, 100, 868_100_000);
    expect(budget.canSend(100, 1, 5)).toBe(0); // g3 is still free
    budget.record(100, 100, 869_525_000);
    expect(budget.canSend(200, 1, 5)).toBeCloseTo(Math.min(100 / 0.01, 100 + 100 / 0.1) - 200, 6);
    expect(budget.canSend(0, 51, 0)).toBe(Infinity); // 2.8 s at SF12 > 1 s a day
    expect(budget.canSend(0, 11, 9)).toBe(Infinity);
  });

  it('treats a frequency outside the EU868 sub-bands with the strictest duty cycle (0.1 %)', () => {
    const budget = createAirtimeBudget({ frequenciesHz: [870_500_000], dailyBudgetMs: Infinity });
    budget.record(0, 100, 870_500_000);
    expect(budget.canSend(100, 11, 5)).toBeCloseTo(100 / 0.001 - 100, 6);
  });
});
