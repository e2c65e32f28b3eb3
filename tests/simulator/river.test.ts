/**
 * The real water-level bundle in the simulated world: a river flood (rise, crest, fall) under a bridge, a simulated
 * ranger on the MDBT42Q's one UART (shared with the RAK3172 by pin) or the Pico's second UART, an SHT3x for the air
 * temperature, the simulated RAK3172 in LoRa P2P mode and a gateway; uplinks checked with lora-packet and decoded
 * with payload-schema. The acceptance: the level within +-1 cm of the truth with 5 % of readings outliers
 * or no-target, stage changes within one cycle, at most 30 s of airtime a day even at the fastest cadence.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { READINGS, STAGE_HYSTERESIS_CM } from '../../firmware/apps/water-level/water-logic.ts';
import { appConfig } from '../../tools/firmware-build/app-config.ts';
import { distanceAtAssumedSpeed } from '../../tools/simulator/devices/ranger/sound.ts';
import { floodScenario } from '../../tools/simulator/world/river-scenario.ts';
import { readingsOf, simulateRiver, type RiverReading, type RiverReport, type RiverWorld } from '../../tools/simulator/world/river-world.ts';
import { DEMO_LORAWAN_KEYS } from '../../tools/simulator/world/keys.ts';
import { waterBuild, waterBundle } from './water-bundle.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** 3 % false echoes + 2 % no echo, plus 1 % of frames damaged on the wire. */
const FAULTY = { outlierRate: 0.03, noTargetRate: 0.02, corruptRate: 0.01 };
const bundles: Record<string, string> = {};

beforeAll(async () => {
  const [mdbt, pico, lorawan] = await Promise.all([waterBundle('mdbt42q-rak3172'), waterBundle('pico-rak3172'), waterBundle('mdbt42q-rak3172', 'lorawan')]);
  bundles.mdbt = mdbt;
  bundles.pico = pico;
  bundles.lorawan = lorawan;
}, 180_000);

it('builds a bundle that passes the compatibility check and fits its size budget, for every board', async () => {
  for (const board of ['mdbt42q-rak3172', 'pico-rak3172']) {
    const build = await waterBuild(board);
    expect(build.problems).toEqual([]);
    expect(build.minifiedBytes).toBeLessThanOrEqual(appConfig('water-level').maxMinifiedBytes);
  }
});

/** The readings after the installer's configuration was in force. */
function configured(report: RiverReport): RiverReading[] {
  return report.readings.filter((r) => r.uplinkMs > report.configuredAtMs);
}

/**
 * The largest distance between a reported level and the truth at the time it was taken. The message gives a
 * reading's age in whole minutes, so the time is known to +-30 s; a single reading went out within seconds.
 */
function worstError(world: RiverWorld, readings: RiverReading[]): number {
  let worst = 0;
  for (const r of readings) {
    expect(r.level, `reading at ${(r.timeMs / HOUR).toFixed(2)} h`).not.toBeNull();
    let best = Infinity;
    for (let t = r.timeMs - 90_000; t <= r.timeMs + 30_000; t += 5000) best = Math.min(best, Math.abs(r.level! - world.truthAt(t).level));
    worst = Math.max(worst, best);
  }
  return worst;
}

describe.each([
  ['MaxBotix MB7389 sharing the MDBT42Q UART with the modem', 'maxbotix', 'mdbt'],
  ['A01NYUB (343 m/s, compensated by the app) sharing the MDBT42Q UART', 'a01nyub', 'mdbt'],
  ['A01NYUB on the Pico\'s own UART', 'a01nyub', 'pico'],
] as const)('a 48 h flood, %s', (_name, ranger, board) => {
  let report: RiverReport;
  beforeAll(() => {
    report = simulateRiver({ bundle: bundles[board]!, boardId: board === 'mdbt' ? 'mdbt42q-rak3172' : 'pico-rak3172', ranger, rangerOptions: FAULTY, seed: 3 });
  }, 60_000);

  it('reports the level within +-1 cm of the truth throughout, with 5 % of readings outliers or no-target', () => {
    const w = report.world;
    expect(w.consoleErrors()).toEqual([]);
    expect(w.uplinks.filter((u) => u.rejected)).toEqual([]);
    const stats = w.ranger.stats;
    expect((stats.outliers + stats.noTargets) / stats.frames).toBeGreaterThan(0.04);
    const readings = configured(report);
    // 15-minute readings at stage 0, 5-minute readings from stage 1: ~10 h of the 48 above 200 cm
    expect(readings.length).toBeGreaterThan(38 * 4 + 10 * 12 - 10);
    expect(worstError(w, readings)).toBeLessThanOrEqual(1);
    // the readings had outliers to reject
    expect(readings.filter((r) => r.quality.outliersRejected).length).toBeGreaterThan(readings.length / 5);
    // no gap in the record longer than a normal cycle
    const times = readings.map((r) => r.timeMs).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(15 * MINUTE + 2 * MINUTE);
    if (ranger === 'a01nyub') {
      // the test can fail: without the speed-of-sound correction the coldest readings would be off by far more
      const coldest = Math.min(...readings.map((r) => w.truthAt(r.timeMs).air));
      const d = w.truthAt(0).distanceM;
      expect((distanceAtAssumedSpeed(d, coldest, 343) - d) * 100).toBeGreaterThan(5);
    }
  });

  it('reports each stage change in the first uplink after it, within one cycle', () => {
    const w = report.world;
    const [s1, s2, s3] = w.scenario.stagesCm;
    const thresholds = [s1, s2, s3];
    const stageUplinks = w.uplinks.filter((u) => u.fPort === 30 || u.fPort === 31).filter((u) => u.timeMs > report.configuredAtMs);
    // the truth's crossings, measured within +-1 cm: at the earliest when the truth comes within 1 cm of the
    // threshold (down: threshold - hysteresis), at the latest when it is 1 cm beyond it
    const crossings = (margin: number): { timeMs: number; stage: number }[] => {
      let stage = 0;
      const out: { timeMs: number; stage: number }[] = [];
      for (let t = report.configuredAtMs; t < 48 * HOUR; t += 10_000) {
        const level = w.truthAt(t).level;
        if (stage < 3 && level >= thresholds[stage]! + margin) out.push({ timeMs: t, stage: ++stage });
        else if (stage > 0 && level < thresholds[stage - 1]! - STAGE_HYSTERESIS_CM - margin) out.push({ timeMs: t, stage: --stage });
      }
      return out;
    };
    const early = crossings(-1);
    const late = crossings(1);
    expect(late.map((c) => c.stage)).toEqual([1, 2, 3, 2, 1, 0]);
    expect(early.map((c) => c.stage)).toEqual([1, 2, 3, 2, 1, 0]);
    late.forEach((c, i) => {
      const cycle = (c.stage === 1 && c.timeMs < 16 * HOUR ? 15 : 5) * MINUTE;
      const first = stageUplinks.find((u) => u.timeMs >= early[i]!.timeMs && (u.data as { stage: number }).stage === c.stage);
      const what = `stage ${c.stage} at ${(c.timeMs / HOUR).toFixed(2)} h`;
      expect(first, what).toBeDefined();
      expect(first!.timeMs - c.timeMs, what).toBeLessThanOrEqual(cycle + 30_000);
      // and nothing reported the new stage before the truth was near it
      const before = stageUplinks.filter((u) => u.timeMs < early[i]!.timeMs && u.timeMs > (early[i - 1]?.timeMs ?? 0));
      expect(before.every((u) => (u.data as { stage: number }).stage !== c.stage), what).toBe(true);
    });
  });

  it('stays within 30 s of airtime per day and sends trends that follow the water', () => {
    for (const day of report.airtimePerDayMs) expect(day).toBeLessThanOrEqual(30_000);
    const w = report.world;
    const r = configured(report);
    const at = (h: number): RiverReading => r.find((x) => x.uplinkMs >= h * HOUR)!;
    expect(at(11).trend).toBe('rising');
    expect(at(24).trend).toBe('falling');
    expect(at(46).trend).toBe('steady');
    expect(w.uplinks.some((u) => u.fPort === 31)).toBe(true);
  });
});

describe('through a LoRaWAN network (OTAA, the modem\'s own stack) instead of P2P', () => {
  it('joins, is configured by a downlink in RX1, and reports the rising river within +-1 cm and 30 s of airtime', () => {
    const report = simulateRiver({ bundle: bundles.lorawan!, keys: DEMO_LORAWAN_KEYS, rangerOptions: FAULTY, hours: 24 });
    const w = report.world;
    expect(w.consoleErrors()).toEqual([]);
    expect(report.configuredAtMs).toBeLessThan(5 * MINUTE);
    const readings = configured(report);
    expect(readings.length).toBeGreaterThan(14 * 4 + 10 * 12 - 10);
    expect(worstError(w, readings)).toBeLessThanOrEqual(1);
    expect(report.airtimePerDayMs[0]).toBeLessThanOrEqual(30_000);
  });
});

describe('the modem taking the shared UART back in the middle of a ranger cycle', () => {
  it('cuts the cycle short and tries again: no reading comes out wrong, the heartbeats go out', () => {
    // a heartbeat every minute and a reading every 47 s: now and then the heartbeat's AT commands fall into a cycle
    const scenario = floodScenario({ baseCm: 120, crestCm: 120, durationHours: 2 });
    const report = simulateRiver({ bundle: bundles.mdbt!, scenario, config: { heartbeatInterval: 1, sendInterval: 47 }, hours: 2 });
    const w = report.world;
    expect(w.consoleErrors()).toEqual([]);
    const cut = w.rangerSessions.filter((frames) => frames < READINGS);
    expect(cut.length).toBeGreaterThan(0);
    const readings = configured(report);
    expect(readings.length).toBeGreaterThan(30);
    for (const r of readings) expect(r.level).toBe(120);
    expect(w.uplinks.filter((u) => u.fPort === 1).length).toBeGreaterThan(30);
  });
});

describe('without the SHT3x', () => {
  it('corrects an A01NYUB with the chip\'s temperature instead (20 degC on the simulated board)', () => {
    const report = simulateRiver({ bundle: bundles.mdbt!, ranger: 'a01nyub', airSensor: false, hours: 12 });
    const w = report.world;
    expect(w.board.evaluate('E.getTemperature()')).toBe(20);
    const readings = configured(report);
    expect(readings.length).toBeGreaterThan(40);
    for (const r of readings) {
      const truth = w.truthAt(r.timeMs);
      // what the part reports, rescaled at 20 degC instead of the air's temperature
      const expected = w.scenario.mountHeightCm - distanceAtAssumedSpeed(truth.distanceM, truth.air, 343) * ((331.6 + 0.6 * 20) / 343) * 100;
      expect(Math.abs(r.level! - expected)).toBeLessThanOrEqual(1);
    }
  });
});

describe('the fastest cadence the schema allows (a reading every 10 s above stage 1, all day)', () => {
  it('stretches and batches so that a day stays within 30 s of airtime', () => {
    const scenario = floodScenario({ baseCm: 250, crestCm: 300, durationHours: 26, stagesCm: [100, 3000, 3500] });
    const report = simulateRiver({ bundle: bundles.mdbt!, scenario, rangerOptions: FAULTY, config: { water: { fastInterval: 10 } }, hours: 26 });
    const w = report.world;
    expect(report.airtimePerDayMs[0]).toBeLessThanOrEqual(30_000);
    expect(report.airtimePerDayMs[0]).toBeGreaterThan(15_000);
    const batches = w.uplinks.filter((u) => u.fPort === 31);
    expect(batches.length).toBeGreaterThan(20);
    expect(batches.every((u) => (u.data as { readings: unknown[] }).readings.length === 15)).toBe(true);
    const readings = configured(report);
    // more readings than the 15-minute cadence, all within a centimetre
    expect(readings.length).toBeGreaterThan(3 * 96);
    expect(worstError(w, readings)).toBeLessThanOrEqual(1);
    const statuses = w.uplinks.filter((u) => u.fPort === 1).map((u) => u.data as { errors: Record<string, boolean> });
    expect(statuses.some((s) => s.errors.airtimeExhausted)).toBe(false);
  });
});

describe('configuration by downlink and a ranger that stops answering', () => {
  it('applies a new mounting height and interval, reports them, and sends null with sensorFailed while the ranger is silent', () => {
    const scenario = floodScenario({ baseCm: 120, crestCm: 120, durationHours: 8 });
    const report = simulateRiver({ bundle: bundles.mdbt!, scenario, config: { heartbeatInterval: 60 }, hours: 0.5 });
    const w = report.world;
    expect(w.uplinks.find((u) => u.fPort === 2 && u.timeMs === report.configuredAtMs)!.data).toMatchObject({
      heartbeatInterval: 60,
      water: { mountHeight: 450, stage1: 200, stage2: 260, stage3: 310, fastInterval: 300 },
    });
    // the sensor was surveyed 10 cm too low: the installer corrects it, and asks for 10-minute readings
    w.sendDownlink(3, { sendInterval: 600, water: { mountHeight: 460 } });
    w.run(2 * HOUR);
    const report2 = w.uplinks.filter((u) => u.fPort === 2).at(-1)!;
    expect(report2.data).toMatchObject({ sendInterval: 600, water: { mountHeight: 460 } });
    const after = readingsOf(w).filter((r) => r.uplinkMs > report2.timeMs);
    expect(after.length).toBeGreaterThanOrEqual(11);
    for (const r of after) expect(r.level).toBe(130);
    const gaps = after.slice(1).map((r, i) => r.timeMs - after[i]!.timeMs);
    for (const g of gaps) {
      expect(g).toBeGreaterThan(590_000);
      expect(g).toBeLessThan(620_000);
    }

    // the cable is cut
    w.ranger.alive = false;
    const cutAt = w.scheduler.now();
    w.run(2 * HOUR);
    const silent = readingsOf(w).filter((r) => r.uplinkMs > cutAt + 700_000);
    expect(silent.length).toBeGreaterThan(5);
    for (const r of silent) expect(r.level).toBeNull();
    const status = w.uplinks.filter((u) => u.fPort === 1 && u.timeMs > cutAt + 700_000);
    expect(status.length).toBeGreaterThan(0);
    expect((status[0]!.data as { errors: Record<string, boolean> }).errors.sensorFailed).toBe(true);
    // and repaired
    w.ranger.alive = true;
    const fixedAt = w.scheduler.now();
    w.run(HOUR);
    const back = readingsOf(w).filter((r) => r.uplinkMs > fixedAt + 700_000);
    expect(back.length).toBeGreaterThan(0);
    for (const r of back) expect(r.level).toBe(130);
    expect(w.consoleErrors()).toEqual([]);
  });
});
