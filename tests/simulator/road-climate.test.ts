/**
 * The real road-climate bundle in the simulated world: simulated SHT3x sensors following a frost night, the
 * simulated RAK3172 in LoRa P2P mode, the air, and a gateway module; uplinks verified with lora-packet and decoded
 * with payload-schema.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { iceRisk } from '../../firmware/apps/road-climate/climate-logic.ts';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { createClimateWorld, DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS, NODE_ID, type ClimateWorld } from '../../tools/simulator/world/index.ts';
import { climateBuild, climateBundle } from './climate-bundle.ts';
import { appConfig } from '../../tools/firmware-build/app-config.ts';

const HOUR = 3_600_000;
let bundle = '';

beforeAll(async () => {
  bundle = await climateBundle(); // what a maker flashes: the plain bundle does not fit an MDBT42Q's Storage
}, 60_000);

it('builds a bundle that passes the compatibility check and fits its size budget, for every board', async () => {
  for (const board of ['mdbt42q-rak3172', 'pico-rak3172']) {
    for (const radio of ['p2p', 'lorawan'] as const) {
      const build = await climateBuild(board, radio);
      expect(build.problems).toEqual([]);
      expect(build.minifiedBytes).toBeLessThanOrEqual(appConfig('road-climate').maxMinifiedBytes);
    }
  }
}, 240_000);

it('says so and stays off the air when its keys are for the radio mode it was not built for', () => {
  // the P2P bundle (the default) has no OTAA join: LoRaWAN keys must not make it send anything
  const w = createClimateWorld({ bundle, boardId: 'mdbt42q-rak3172', scenario: loadWeatherScenario('warm-day'), seed: 3, keys: DEMO_LORAWAN_KEYS });
  w.run(HOUR);
  expect(w.consoleErrors().map((l) => l.text)).toEqual(['error no lorawan in this build (stadtsensor build --radio)']);
  expect(w.medium.framesFrom(NODE_ID)).toEqual([]);
  expect(w.board.uncaughtErrors).toBe(0);
});

function world(seed = 7): ClimateWorld {
  return createClimateWorld({ bundle, boardId: 'mdbt42q-rak3172', scenario: loadWeatherScenario('frost-night'), seed, keys: DEMO_P2P_KEYS });
}

type Climate = { air: { temperature: number; relativeHumidity: number }; surface: { temperature: number }; iceRisk: string };

describe('road-climate node through a frost night', () => {
  let w: ClimateWorld;
  beforeAll(() => {
    w = world();
    w.run(24 * HOUR);
  }, 60_000);

  it('starts with a status message and a configuration report, then sends readings', () => {
    const accepted = w.uplinks.filter((u) => !u.rejected);
    expect(w.uplinks.filter((u) => u.rejected)).toEqual([]);
    expect(accepted[0]).toMatchObject({ fPort: 1, data: { event: 'startup', deviceType: 'roadClimate', resetReason: 'powerOn' } });
    expect(accepted[1]).toMatchObject({ fPort: 2, data: { sendInterval: 900, road: { iceMargin: 2 } } });
    const climate = accepted.filter((u) => u.fPort === 20);
    // every 10 to 15 minutes, plus risk changes
    expect(climate.length).toBeGreaterThanOrEqual(24 * 4);
    expect(climate.length).toBeLessThanOrEqual(24 * 6 + 10);
    expect(w.consoleErrors()).toEqual([]);
  });

  it('reports readings within the sensor quantization and noise of the truth', () => {
    for (const u of w.uplinks.filter((x) => x.fPort === 20)) {
      const data = u.data as Climate;
      const truth = w.truthAt(u.timeMs);
      expect(Math.abs(data.air.temperature - truth.air)).toBeLessThan(0.2);
      expect(Math.abs(data.air.relativeHumidity - truth.humidity)).toBeLessThan(0.5);
      expect(Math.abs(data.surface.temperature - truth.surface)).toBeLessThan(0.2);
    }
  });

  it('sends the ice risk within one cycle of it becoming true, and again when it clears', () => {
    const climate = w.uplinks.filter((u) => u.fPort === 20);
    const truthRisk = (t: number): string => {
      const x = w.truthAt(t);
      return iceRisk(x.surface, x.air, x.humidity, 2);
    };
    let riskStart = -1;
    let riskEnd = -1;
    for (let t = 0; t < 24 * HOUR; t += 10_000) {
      const r = truthRisk(t);
      if (r === 'risk' && riskStart < 0) riskStart = t;
      if (r !== 'risk' && riskStart >= 0 && riskEnd < 0) riskEnd = t;
    }
    expect(riskStart).toBeGreaterThan(0);
    expect(riskEnd).toBeGreaterThan(riskStart);
    const firstRisk = climate.find((u) => (u.data as Climate).iceRisk === 'risk')!;
    const cleared = climate.find((u) => u.timeMs > firstRisk.timeMs && (u.data as Climate).iceRisk !== 'risk')!;
    const cycle = 5 * 60_000 + 30_000; // the 5-minute sample plus the time to get on the air
    expect(firstRisk.timeMs - riskStart).toBeLessThan(cycle);
    expect(cleared.timeMs - riskEnd).toBeLessThan(cycle);
    expect(cleared.timeMs).toBeGreaterThan(riskEnd - cycle);
  });

  it('stays within 30 s of airtime per day', () => {
    const perDay = w.medium.dailyAirtime('node');
    expect(perDay[0]).toBeGreaterThan(0);
    expect(Math.max(...perDay)).toBeLessThanOrEqual(30_000);
  });
});

describe('road-climate node faults', () => {
  it('keeps its frame counter across a power cycle', () => {
    const w = world(11);
    w.run(2 * HOUR);
    const before = Math.max(...w.uplinks.map((u) => u.fCnt));
    w.powerCycle();
    w.run(HOUR);
    const after = w.uplinks.filter((u) => u.timeMs > 2 * HOUR);
    expect(after.length).toBeGreaterThan(2);
    expect(after.every((u) => !u.rejected && u.micOk)).toBe(true);
    expect(Math.min(...after.map((u) => u.fCnt))).toBeGreaterThan(before);
  }, 60_000);

  it('sends null readings with an error flag when the air sensor NACKs or fails its CRC', () => {
    const w = world(12);
    w.run(HOUR);
    w.sensors.air.setFault('nack');
    w.run(HOUR);
    w.sensors.air.clearFault();
    w.sensors.surface.setFault('crc');
    w.run(HOUR);
    const climate = w.uplinks.filter((u) => u.fPort === 20);
    const nack = climate.filter((u) => u.timeMs > HOUR + 60_000 && u.timeMs < 2 * HOUR);
    expect(nack.length).toBeGreaterThan(0);
    for (const u of nack) {
      expect(u.data).toMatchObject({ air: { temperature: null, relativeHumidity: null }, iceRisk: 'unknown', status: { airSensorFailed: true } });
    }
    const crc = climate.filter((u) => u.timeMs > 2 * HOUR + 60_000);
    expect(crc.length).toBeGreaterThan(0);
    for (const u of crc) expect(u.data).toMatchObject({ surface: { temperature: null }, status: { surfaceSensorFailed: true } });
  }, 60_000);

  it('runs on the Pico board as well (whose watchdog allows at most 26 s)', async () => {
    const pico = createClimateWorld({
      bundle: await climateBundle('pico-rak3172'),
      boardId: 'pico-rak3172',
      scenario: loadWeatherScenario('frost-night'),
      seed: 14,
      keys: DEMO_P2P_KEYS,
    });
    pico.run(2 * HOUR);
    expect(pico.board.watchdog).toMatchObject({ timeoutMs: 25_000, auto: false });
    expect(pico.consoleErrors()).toEqual([]);
    expect(pico.firmwareStarts).toBe(1);
    expect(pico.uplinks.filter((u) => u.fPort === 20 && !u.rejected).length).toBeGreaterThanOrEqual(8);
  }, 60_000);

  it('applies a configuration downlink and reports the new settings', () => {
    const w = world(13);
    w.run(HOUR);
    w.sendDownlink(3, { sendInterval: 1800, road: { iceMargin: 3.5 } });
    w.run(2 * HOUR);
    const reports = w.uplinks.filter((u) => u.fPort === 2);
    expect(reports[reports.length - 1]!.data).toMatchObject({ sendInterval: 1800, road: { iceMargin: 3.5 } });
  }, 60_000);
});
