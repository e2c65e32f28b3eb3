/**
 * The real road-climate bundle in LoRaWAN mode (OTAA through the modem) through a frost night: the simulated
 * RAK3172 joins the simulated network server, and the uplinks the server decodes (its frames are the simplified
 * ones of tools/simulator/radio/lorawan-frames.ts, without LoRaWAN crypto) are decoded with payload-schema.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { iceRisk } from '../../firmware/apps/road-climate/climate-logic.ts';
import { MTYPE, mtypeOf } from '../../tools/simulator/radio/lorawan-frames.ts';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { createClimateWorld, DEMO_LORAWAN_KEYS, NODE_ID, type ClimateWorld } from '../../tools/simulator/world/index.ts';
import { climateBundle } from './climate-bundle.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Climate = { air: { temperature: number; relativeHumidity: number }; surface: { temperature: number }; iceRisk: string };

describe('road-climate node over LoRaWAN through a frost night', () => {
  let w: ClimateWorld;
  beforeAll(async () => {
    w = createClimateWorld({ bundle: await climateBundle('mdbt42q-rak3172', 'lorawan'), boardId: 'mdbt42q-rak3172', scenario: loadWeatherScenario('frost-night'), seed: 41, keys: DEMO_LORAWAN_KEYS });
    w.run(2 * HOUR);
    w.sendDownlink(3, { sendInterval: 600, road: { iceMargin: 2.5 } });
    w.run(22 * HOUR);
  }, 60_000);

  it('joins once with OTAA and sends under the session the network assigned', () => {
    const network = w.network!;
    expect(network.counters.joinAccepts).toBe(1);
    const joins = w.medium.framesFrom(NODE_ID).filter((f) => mtypeOf(f.payload) === MTYPE.joinRequest);
    expect(joins.length).toBe(1);
    expect(joins[0]!.startMs).toBeLessThan(10_000);
    const devAddr = network.devAddrOf(DEMO_LORAWAN_KEYS.devEui)!;
    expect(w.uplinks.every((u) => u.devAddr === devAddr && !u.rejected && u.error === undefined)).toBe(true);
    // the modem's frame counter: one per uplink, no gaps, no repeats
    expect(w.uplinks.map((u) => u.fCnt)).toEqual(w.uplinks.map((_, i) => i));
    expect(w.consoleErrors()).toEqual([]);
  });

  it('starts with a status and a configuration report, then sends readings within quantization of the truth', () => {
    expect(w.uplinks[0]).toMatchObject({ fPort: 1, data: { event: 'startup', deviceType: 'roadClimate', resetReason: 'powerOn' } });
    expect(w.uplinks[1]).toMatchObject({ fPort: 2, data: { sendInterval: 900, road: { iceMargin: 2 } } });
    const climate = w.uplinks.filter((u) => u.fPort === 20);
    expect(climate.length).toBeGreaterThanOrEqual(24 * 4);
    for (const u of climate) {
      const data = u.data as Climate;
      const truth = w.truthAt(u.timeMs);
      expect(Math.abs(data.air.temperature - truth.air)).toBeLessThan(0.2);
      expect(Math.abs(data.air.relativeHumidity - truth.humidity)).toBeLessThan(0.5);
      expect(Math.abs(data.surface.temperature - truth.surface)).toBeLessThan(0.2);
    }
  });

  it('applies a configuration downlink from the network and reports it', () => {
    const reports = w.uplinks.filter((u) => u.fPort === 2);
    expect(reports.length).toBe(2);
    expect(reports[1]!.timeMs).toBeGreaterThan(2 * HOUR);
    expect(reports[1]!.timeMs).toBeLessThan(2 * HOUR + 20 * MINUTE);
    expect(reports[1]!.data).toMatchObject({ sendInterval: 600, road: { iceMargin: 2.5 } });
  });

  it('sends the ice risk within one cycle of it becoming true, and again when it clears', () => {
    const climate = w.uplinks.filter((u) => u.fPort === 20);
    const truthRisk = (t: number): string => {
      const x = w.truthAt(t);
      return iceRisk(x.surface, x.air, x.humidity, 2.5);
    };
    let riskStart = -1;
    let riskEnd = -1;
    for (let t = 3 * HOUR; t < 24 * HOUR; t += 10_000) {
      const r = truthRisk(t);
      if (r === 'risk' && riskStart < 0) riskStart = t;
      if (r !== 'risk' && riskStart >= 0 && riskEnd < 0) riskEnd = t;
    }
    expect(riskEnd).toBeGreaterThan(riskStart);
    const firstRisk = climate.find((u) => (u.data as Climate).iceRisk === 'risk')!;
    const cleared = climate.find((u) => u.timeMs > firstRisk.timeMs && (u.data as Climate).iceRisk !== 'risk')!;
    // a 5-minute sample, a heating of the air sensor before it (40 s), and the way through the modem
    const cycle = 5 * MINUTE + 40_000 + 30_000;
    expect(Math.abs(firstRisk.timeMs - riskStart)).toBeLessThan(cycle);
    expect(Math.abs(cleared.timeMs - riskEnd)).toBeLessThan(cycle);
  });

  it('stays within 30 s of airtime a day and the duty cycle', () => {
    expect(Math.max(...w.medium.dailyAirtime(NODE_ID))).toBeLessThanOrEqual(30_000);
    expect(w.medium.offTimeViolations()).toEqual([]);
    expect(w.medium.dutyCycleViolations()).toEqual([]);
  });
});
