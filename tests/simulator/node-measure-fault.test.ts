/**
 * The node core keeps measuring when an app's reading throws or never calls back (a driver's bug, a hardware error no
 * driver expected): the watchdog is kicked apart from the readings, so without this a node would send only
 * heartbeats from then on. Test apps built with the real firmware build and run on the simulated board and modem.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { buildFirmware } from '../../tools/firmware-build/index.ts';
import { createNodeWorld, DEMO_P2P_KEYS, type NodeWorld } from '../../tools/simulator/world/index.ts';
import { tempApps } from '../firmware-build/support.ts';

const HOUR = 3_600_000;
const path = (relative: string): string => JSON.stringify(fileURLToPath(new URL(relative, import.meta.url)));

/** A test app whose `measure` logs `reading <n>` and then runs `body`; `fields` adds to the NodeApp. */
function testApp(body: string, fields = ''): string {
  return `
import type { NodeApp } from ${path('../../firmware/core/node.ts')};
import { createConsoleLogger } from ${path('../../firmware/platform/log.ts')};
import { bootNode } from ${path('../../firmware/platform/boot-node.ts')};
import { modemUart } from ${path('../../firmware/platform/modem-uart.ts')};

let readings = 0;
const app: NodeApp = {
  deviceType: 'roadClimate',
  firmware: { major: 0, minor: 0, patch: 1 },
  defaults: {},
  ${fields}
  measure(node, done) {
    readings++;
    console.log('reading ' + readings);
    ${body}
  },
};
bootNode(app, createConsoleLogger('info').log, modemUart());
`;
}

/** Builds the app, runs it for an hour, and returns the world, the times of its readings and its error lines. */
async function runForAnHour(name: string, source: string): Promise<{ world: NodeWorld; readings: number[]; errors: string[] }> {
  const build = await buildFirmware({ app: name, board: 'mdbt42q-rak3172', minify: true, ...tempApps({ [name]: source }) });
  expect(build.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
  const world = createNodeWorld({ bundle: build.minifiedCode!, boardId: 'mdbt42q-rak3172', keys: DEMO_P2P_KEYS, seed: 5 });
  world.run(HOUR);
  const readings = world.console.filter((l) => l.text.startsWith('reading ')).map((l) => l.timeMs);
  const errors = world.consoleErrors().map((l) => l.text);
  expect(errors.filter((t) => t.startsWith('Uncaught'))).toEqual([]);
  return { world, readings, errors };
}

const gapsOf = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);

/** The heartbeats of the next day carry the flag (statuses: startup first, then heartbeats). */
function expectSensorFailedReported(world: NodeWorld): void {
  world.run(24 * HOUR);
  const statuses = world.uplinks.filter((u) => u.message === 'deviceStatus').map((u) => u.data as { event: string; errors: Record<string, boolean> });
  expect(statuses.some((s) => s.event === 'heartbeat' && s.errors.sensorFailed === true)).toBe(true);
}

it('goes on measuring after a reading threw, and says so in its next status', async () => {
  // readings 2 and 3 throw; every reading asks for the next one a minute later
  const app = testApp(`if (readings === 2 || readings === 3) throw new Error('driver bug in reading ' + readings);
    done(null, 60);`);
  const { world, readings, errors } = await runForAnHour('throwing-reading', app);
  // a minute apart, and the two that threw waited at least a minute as well: about 60 in the hour, none lost
  expect(readings.length).toBeGreaterThanOrEqual(55);
  expect(errors.filter((t) => t.includes('measure failed: Error: driver bug in reading'))).toHaveLength(2);
  expect(Math.min(...gapsOf(readings))).toBeGreaterThanOrEqual(59_000);
  expectSensorFailedReported(world);
}, 60_000);

it('goes on measuring after a reading never called back within measureTimeoutS, and ignores its late answer', async () => {
  // readings 2 and 3 never call back within the app's 30 s; reading 3 does after 100 s, when it no longer counts
  const app = testApp(
    `if (readings === 2) return;
    if (readings === 3) {
      setTimeout(() => done(null, 5), 100000);
      return;
    }
    done(null, 60);`,
    'measureTimeoutS: 30,',
  );
  const { world, readings, errors } = await runForAnHour('stalling-reading', app);
  expect(readings.length).toBeGreaterThanOrEqual(50);
  expect(errors.filter((t) => t.includes('measure timed out'))).toHaveLength(2);
  // the stalled ones were followed 30 s + 60 s later, which said so; the late done(null, 5) of reading 3 did nothing
  const gaps = gapsOf(readings);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(59_000);
  expect(gaps[1]).toBeGreaterThanOrEqual(90_000);
  expectSensorFailedReported(world);
}, 60_000);
