/**
 * The scenarios of `stadtsensor simulate` that are not weather: one per node app besides road-climate. Each builds
 * its app for the board (minified, as flashed), runs it in its world and returns the report as text.
 */
import { buildMinifiedBundle } from './build-bundle.ts';
import { simulateGarageDay } from './garage-world.ts';
import { formatStreetReport, simulateStreet } from './parking-world.ts';
import { floodScenario } from './river-scenario.ts';
import { simulateRiver } from './river-world.ts';

export interface AppScenarioOptions {
  board: string;
  seed: number;
  /** Simulated hours where the scenario has a length to choose; default its own. */
  hours?: number;
  /** Progress lines for people (stderr). */
  progress?: (line: string) => void;
}

export interface AppScenario {
  name: string;
  app: string;
  description: string;
  run(options: AppScenarioOptions): Promise<string>;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function dailyAirtime(perDayMs: readonly number[]): string {
  return perDayMs.map((ms, day) => `day ${day + 1}: ${seconds(ms)}`).join(', ');
}

const street: AppScenario = {
  name: 'street-busy',
  app: 'parking-bay',
  description: 'bays of a busy street: cars, vans and buses arrive and leave, neighbours disturb the field, the ground warms',
  async run({ board, seed, progress }) {
    const report = await simulateStreet({
      board,
      seed,
      onBay: (bay) => progress?.(`bay ${bay.index + 1}: ${bay.changes.length} changes, ${bay.uplinks} uplinks`),
    });
    return formatStreetReport(report);
  },
};

const river: AppScenario = {
  name: 'river-flood',
  app: 'water-level',
  description: 'a flood on a river gauge: base flow, a rise through warning stages 1-3 to the crest, and back',
  async run({ board, seed, hours }) {
    const scenario = floodScenario(hours === undefined ? {} : { durationHours: hours });
    const bundle = await buildMinifiedBundle('water-level', board);
    const result = simulateRiver({ bundle, boardId: board, seed, scenario, hours: scenario.durationHours });
    const errors = result.readings
      .filter((r) => r.level !== null)
      .map((r) => Math.abs(r.level! - result.world.truthAt(r.timeMs).level));
    const stages: string[] = [];
    let last: number | undefined;
    for (const r of result.readings) {
      if (r.stage === last) continue;
      stages.push(`stage ${r.stage} at ${(r.uplinkMs / 3_600_000).toFixed(2)} h`);
      last = r.stage;
    }
    const missing = result.readings.length - errors.length;
    return [
      `${scenario.name}: water-level on ${board}, ${scenario.durationHours} h, seed ${seed}; ${scenario.description}`,
      `readings: ${result.readings.length} (${missing} without a level), worst error against the true level ${errors.length ? Math.max(...errors).toFixed(1) : '-'} cm`,
      `stages reported: ${stages.join(', ') || 'none'}`,
      `uplinks: ${result.world.uplinks.filter((u) => !u.rejected).length}, rejected ${result.world.uplinks.filter((u) => u.rejected).length}`,
      `airtime per day: ${dailyAirtime(result.airtimePerDayMs)} (TTN fair use: 30 s)`,
      `console errors: ${result.world.consoleErrors().length}`,
    ].join('\n');
  },
};

const garage: AppScenario = {
  name: 'garage-day',
  app: 'garage-counter',
  description: 'a day in a public garage: morning inflow, evening outflow, aborted and simultaneous passages, pedestrians',
  async run({ board, seed }) {
    const result = await simulateGarageDay({ boardId: board, seed });
    const { reported, truth } = result.final;
    const kinds = Object.entries(result.movements).map(([kind, n]) => `${kind} ${n}`);
    const outside = result.reports.filter((r) => r.freeSpaces < 0 || r.freeSpaces > result.day.capacity).length;
    return [
      `garage-day: garage-counter on ${board}, capacity ${result.day.capacity}, seed ${seed}`,
      `movements: ${kinds.join(', ')}; ${result.simultaneousPairs} entry/exit pairs overlapping in time`,
      `reports: ${result.reports.length}, free spaces outside [0, capacity]: ${outside}`,
      `end of day: reported ${reported ? `${reported.freeSpaces} free` : 'nothing'}, truth ${truth.freeSpaces} free (${truth.entries} in, ${truth.exits} out)`,
      `airtime per day: ${dailyAirtime(result.airtimePerDayMs)} (TTN fair use: 30 s)`,
      `console errors: ${result.world.consoleErrors().length}`,
    ].join('\n');
  },
};

export const APP_SCENARIOS: readonly AppScenario[] = [street, river, garage];

export function appScenario(name: string): AppScenario | undefined {
  return APP_SCENARIOS.find((s) => s.name === name);
}
