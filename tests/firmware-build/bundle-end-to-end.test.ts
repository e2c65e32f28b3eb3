/**
 * The minified road-climate bundle (`var` for `let`/`const`, arrows, log calls compiled out, the compact payload
 * codec, the board's branch only) on every board in the simulated world, in both radio modes (`--radio`): LoRaWAN through
 * the simulated network server, P2P through the gateway module. tests/simulator covers the MDBT42Q bundle in depth;
 * this covers every combination the build produces, so that no size measure breaks a path those tests do not run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFirmware, listBoards } from '../../tools/firmware-build/index.ts';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS, createClimateWorld } from '../../tools/simulator/world/index.ts';

const HOUR = 3_600_000;
const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-e2e-dist-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.each(listBoards().flatMap((board) => [[board, 'lorawan'] as const, [board, 'p2p'] as const]))('minified road-climate on %s, %s', (board, network) => {
  it('reports, measures, takes a configuration downlink and says nothing on the error log', async () => {
    const build = await buildFirmware({ app: 'road-climate', board, radio: network, minify: true, outDir });
    expect(build.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
    const w = createClimateWorld({
      bundle: build.minifiedCode!,
      boardId: board,
      scenario: loadWeatherScenario('frost-night'),
      seed: 5,
      keys: network === 'lorawan' ? DEMO_LORAWAN_KEYS : DEMO_P2P_KEYS,
    });
    w.run(HOUR);
    w.sendDownlink(3, { sendInterval: 1200, road: { iceMargin: 3 } });
    w.run(2 * HOUR);
    const accepted = w.uplinks.filter((u) => !u.rejected && u.error === undefined);
    expect(accepted.length).toBe(w.uplinks.length);
    expect(accepted[0]).toMatchObject({ fPort: 1, data: { event: 'startup', deviceType: 'roadClimate' } });
    expect(accepted[1]).toMatchObject({ fPort: 2, data: { sendInterval: 900, road: { iceMargin: 2 } } });
    const climate = accepted.filter((u) => u.fPort === 20);
    expect(climate.length).toBeGreaterThanOrEqual(8);
    for (const u of climate) {
      const truth = w.truthAt(u.timeMs);
      const data = u.data as { air: { temperature: number }; surface: { temperature: number } };
      expect(Math.abs(data.air.temperature - truth.air)).toBeLessThan(0.3);
      expect(Math.abs(data.surface.temperature - truth.surface)).toBeLessThan(0.3);
    }
    const reports = accepted.filter((u) => u.fPort === 2);
    expect(reports[reports.length - 1]!.data).toMatchObject({ sendInterval: 1200, road: { iceMargin: 3 } });
    expect(w.consoleErrors()).toEqual([]);
  }, 60_000);
});
