/**
 * A day of a road-climate node at its default settings in the simulated world, summed up the way `npm run bench`
 * reports it: uplinks, airtime per day against TTN's fair use, the duty cycle against ETSI's 1 %, and the battery
 * estimate from the measured activity on each of the BOM's cells (cells.ts).
 */
import { loadBoard } from '../../firmware-build/index.ts';
import { DAY_MS, dutyCycleUsage, offTimeViolations } from '../radio/airtime-stats.ts';
import { loadWeatherScenario } from '../weather.ts';
import { createClimateWorld, DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS, NODE_ID, type ClimateWorld } from '../world/index.ts';
import { batteryLife, chargePerDay, type BatteryLife, type DailyCharge, type Figure, type NodeActivity, type PowerModel } from './battery-model.ts';
import { CELLS, DEFAULT_WINTER_C, twoAa } from './cells.ts';
import { nodeActivity } from './node-activity.ts';
import { powerModelFor } from './power-profiles.ts';

/** TTN's fair-use uplink airtime per device and day (shared/reference/lorawan.md). */
export const FAIR_USE_MS_PER_DAY = 30_000;

export interface NodeDayOptions {
  bundle: string;
  board: string;
  scenario: string;
  network: 'p2p' | 'lorawan';
  /** Default 1. */
  seed?: number;
  /** Default 24. */
  hours?: number;
  /** The coldest the cells get in the node's last winter; default DEFAULT_WINTER_C. */
  winterC?: Figure;
}

export interface NodeDay {
  board: string;
  scenario: string;
  network: 'p2p' | 'lorawan';
  hours: number;
  /** Frames the network side accepted. */
  uplinks: number;
  /** The node's airtime scaled to 24 h, and the largest airtime of any calendar day of the run. */
  airtimePerDayMs: number;
  maxDailyAirtimeMs: number;
  /** Busiest hour of any sub-band, as a share (0.01 = 1 %), and its limit. */
  busiestHour: number;
  dutyCycleLimit: number;
  /** Frames sent into a sub-band still closed by the previous frame's off time, plus busy hours over the limit. */
  dutyCycleViolations: number;
  consoleErrors: number;
  activity: NodeActivity;
  model: PowerModel;
  charge: DailyCharge;
  /** The charge per day on each of the BOM's cells (2 x AA), Li-FeS2 first. */
  lives: BatteryLife[];
  world: ClimateWorld;
}

const BATTERY_VOLTS = 3.0;

export function simulateNodeDay(options: NodeDayOptions): NodeDay {
  const hours = options.hours ?? 24;
  const world = createClimateWorld({
    bundle: options.bundle,
    boardId: options.board,
    scenario: loadWeatherScenario(options.scenario),
    seed: options.seed ?? 1,
    keys: options.network === 'p2p' ? DEMO_P2P_KEYS : DEMO_LORAWAN_KEYS,
    batteryVolts: BATTERY_VOLTS,
  });
  world.run(hours * 3_600_000 - world.scheduler.now());

  const frames = world.medium.framesFrom(NODE_ID);
  const airtime = frames.reduce((sum, f) => sum + f.airtimeMs, 0);
  const usage = dutyCycleUsage(frames);
  const busiest = usage.reduce((best, u) => (u.usage > best.usage ? u : best), { usage: 0, limit: 0.01 });
  const sensors = [world.sensors.air, world.sensors.surface];
  const activity = nodeActivity(world, sensors);
  const model = powerModelFor(loadBoard(options.board), { sensorCount: sensors.length, batteryVolts: BATTERY_VOLTS });
  const charge = chargePerDay(model, activity);
  const winterC = options.winterC ?? DEFAULT_WINTER_C;
  return {
    board: options.board,
    scenario: options.scenario,
    network: options.network,
    hours,
    uplinks: world.uplinks.filter((u) => !u.rejected).length,
    airtimePerDayMs: (airtime * DAY_MS) / (hours * 3_600_000),
    maxDailyAirtimeMs: Math.max(0, ...world.medium.dailyAirtime(NODE_ID)),
    busiestHour: busiest.usage,
    dutyCycleLimit: busiest.limit,
    dutyCycleViolations: offTimeViolations(frames).length + usage.filter((u) => u.usage > u.limit + 1e-12).length,
    consoleErrors: world.consoleErrors().length,
    activity,
    model,
    charge,
    lives: CELLS.map((cell) => batteryLife(twoAa(cell, winterC), charge.mAhPerDay)),
    world,
  };
}
