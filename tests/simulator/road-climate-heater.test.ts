/**
 * The air sensor's heater in the real road-climate bundle: after an hour of fog (>= 95 %RH) it dries the sensor for a
 * few seconds, the next reading waits until the element has cooled, and status.heaterOn tells the truth.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { createClimateWorld, DEMO_P2P_KEYS, type ClimateWorld, type WorldUplink } from '../../tools/simulator/world/index.ts';
import { climateBundle } from './climate-bundle.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Climate = { air: { temperature: number; relativeHumidity: number }; status: { heaterOn: boolean } };

function day(scenario: string, bundle: string): ClimateWorld {
  const w = createClimateWorld({ bundle, boardId: 'mdbt42q-rak3172', scenario: loadWeatherScenario(scenario), seed: 31, keys: DEMO_P2P_KEYS });
  w.run(24 * HOUR);
  return w;
}

describe('a foggy frost night', () => {
  let w: ClimateWorld;
  let climate: WorldUplink[];
  beforeAll(async () => {
    w = day('frost-night', await climateBundle());
    climate = w.uplinks.filter((u) => u.fPort === 20);
  }, 60_000);

  it('heats the air sensor for 10 s after an hour at or above 95 %RH, at most once an hour', () => {
    const switches = w.sensors.air.heaterSwitches;
    expect(switches.length).toBeGreaterThanOrEqual(4);
    expect(switches.map((s) => s.on)).toEqual(switches.map((_, i) => i % 2 === 0));
    const ons = switches.filter((s) => s.on).map((s) => s.timeMs);
    for (let i = 0; i < switches.length; i += 2) {
      expect(switches[i + 1]!.timeMs - switches[i]!.timeMs).toBeCloseTo(10_000, -2);
    }
    for (const t of ons) {
      // the twelve 5-minute samples before were foggy
      for (let back = 5 * MINUTE; back <= 55 * MINUTE; back += 5 * MINUTE) expect(w.truthAt(t - back).humidity).toBeGreaterThan(94.8);
    }
    for (let i = 1; i < ons.length; i++) expect(ons[i]! - ons[i - 1]!).toBeGreaterThanOrEqual(HOUR);
    expect(w.sensors.air.heaterOn).toBe(false);
    expect(w.sensors.surface.heaterSwitches).toEqual([]);
  });

  it('reports heaterOn exactly on the readings after a heating', () => {
    const ons = w.sensors.air.heaterSwitches.filter((s) => s.on).map((s) => s.timeMs);
    let previous = 0;
    for (const u of climate) {
      const heated = ons.some((t) => t > previous && t < u.timeMs);
      expect((u.data as Climate).status.heaterOn).toBe(heated);
      previous = u.timeMs;
    }
    expect(climate.filter((u) => (u.data as Climate).status.heaterOn).length).toBe(ons.length);
  });

  it('takes those readings once the sensor has cooled: within quantization and noise of the truth', () => {
    const heated = climate.filter((u) => (u.data as Climate).status.heaterOn);
    expect(heated.length).toBeGreaterThan(0);
    for (const u of heated) {
      const data = u.data as Climate;
      const truth = w.truthAt(u.timeMs);
      expect(Math.abs(data.air.temperature - truth.air)).toBeLessThan(0.2);
      expect(Math.abs(data.air.relativeHumidity - truth.humidity)).toBeLessThan(0.5);
    }
  });
});

it('never heats on a dry day', async () => {
  const w = day('warm-day', await climateBundle());
  expect(w.sensors.air.heaterSwitches).toEqual([]);
  expect(w.uplinks.filter((u) => u.fPort === 20).every((u) => !(u.data as Climate).status.heaterOn)).toBe(true);
}, 60_000);
