/**
 * The garage counter node in its world: a NodeWorld with a light-barrier pair per lane on the profile's `barriers`
 * pins (hardware/garage-node.md), driven by cars and pedestrians moving through the lanes (scenarios/garage-day.ts).
 * The barriers power up with the node: their outputs settle right after the firmware's start.
 *
 * `simulateGarageDay()` runs a whole day: it provisions the capacity and resyncs the free spaces to the overnight
 * count with one configuration downlink at the start (as the operator does at installation), plays the day's
 * movements, and compares every garageCounter report with the truth.
 */
import { SimulatedLightBarrier } from '../devices/light-barrier.ts';
import { beamIntervals, DAY_MS, generateGarageDay, type GarageDay, type GarageDayOptions, type Movement } from '../scenarios/garage-day.ts';
import { DEMO_P2P_KEYS } from './keys.ts';
import { NODE_ID, NodeWorld, type NodeWorldOptions } from './node-world.ts';
import { buildMinifiedBundle } from './build-bundle.ts';

export const PORT_GARAGE_COUNTER = 11;
export const PORT_CONFIG = 3;

export type GarageWorldOptions = Omit<NodeWorldOptions, 'i2cDevices'>;

export interface GarageReport {
  timeMs: number;
  freeSpaces: number;
  capacity: number;
  entries: number;
  exits: number;
  faults: { sensorA?: boolean; sensorB?: boolean; beamBlocked?: boolean; countClamped?: boolean };
}

export interface GarageWorld extends NodeWorld {
  /** Per lane: barrier `a` (outside) and `b` (inside). */
  readonly barriers: readonly { a: SimulatedLightBarrier; b: SimulatedLightBarrier }[];
  /** Schedules the movement's beam interruptions on the world's clock (its times are virtual times). */
  play(movement: Movement, spacingM: number): void;
  /** Every accepted garageCounter uplink, decoded. */
  reports(): GarageReport[];
}

export function createGarageWorld(options: GarageWorldOptions): GarageWorld {
  const world = new NodeWorld(options);
  const wiring = world.profile.barriers;
  if (!wiring) throw new Error(`board ${world.profile.id} has no barrier wiring (hardware/boards/${world.profile.id}.json)`);
  const make = (pin: string): SimulatedLightBarrier => new SimulatedLightBarrier({ board: world.board, pin, scheduler: world.scheduler });
  const barriers = wiring.lanes.map((lane) => ({ a: make(lane.a), b: make(lane.b) }));

  function play(movement: Movement, spacingM: number): void {
    const lane = barriers[movement.lane];
    if (!lane) throw new Error(`lane ${movement.lane}: the board has ${barriers.length}`);
    const beams: [SimulatedLightBarrier, number][] = [
      [lane.a, 0],
      [lane.b, spacingM],
    ];
    for (const [barrier, x] of beams) {
      for (const iv of beamIntervals(movement, x)) {
        world.scheduler.at(iv.from, () => barrier.setBlocked(true));
        world.scheduler.at(iv.to, () => barrier.setBlocked(false));
      }
    }
  }

  function reports(): GarageReport[] {
    return world.uplinks
      .filter((u) => !u.rejected && u.fPort === PORT_GARAGE_COUNTER && u.data)
      .map((u) => ({ timeMs: u.timeMs, ...(u.data as unknown as Omit<GarageReport, 'timeMs'>) }));
  }

  return Object.assign(world, { barriers, play, reports });
}

export interface GarageDayRunOptions {
  /** The bundle to run; built (minified, as flashed) when left out. */
  bundle?: string;
  /** Default mdbt42q-rak3172. */
  boardId?: string;
  seed?: number;
  day?: GarageDayOptions;
  /** Send the overnight count as a resync at the start. Default true. */
  resync?: boolean;
  /** Virtual time to run; default: until an hour after the last movement. */
  runMs?: number;
}

export interface GarageDayResult {
  world: GarageWorld;
  day: GarageDay;
  reports: GarageReport[];
  /** The last report, and the truth at the end of the run. */
  final: { reported: GarageReport | undefined; truth: { entries: number; exits: number; occupied: number; freeSpaces: number } };
  movements: Record<string, number>;
  /** Entries and exits in different lanes whose beam interruptions overlap in time. */
  simultaneousPairs: number;
  /** The node's airtime per day (index 0: the first 24 h). */
  airtimePerDayMs: number[];
}

function countSimultaneous(movements: readonly Movement[]): number {
  const moving = movements.filter((m) => m.kind === 'entry' || m.kind === 'exit');
  let pairs = 0;
  for (let i = 0; i < moving.length; i++) {
    const m = moving[i]!;
    for (let j = i + 1; j < moving.length && moving[j]!.path[0]!.t < m.endMs; j++) {
      const o = moving[j]!;
      if (o.lane !== m.lane && o.kind !== m.kind) pairs++;
    }
  }
  return pairs;
}

/** A garage day on the simulated node: see the module comment. */
export async function simulateGarageDay(options: GarageDayRunOptions = {}): Promise<GarageDayResult> {
  const boardId = options.boardId ?? 'mdbt42q-rak3172';
  const bundle = options.bundle ?? (await buildMinifiedBundle('garage-counter', boardId));
  const world = createGarageWorld({ bundle, boardId, seed: options.seed ?? 1, keys: DEMO_P2P_KEYS });
  const day = generateGarageDay({ seed: options.seed ?? 1, lanes: world.barriers.length, ...options.day });
  const garage: Record<string, number> = { capacity: day.capacity };
  if (options.resync ?? true) garage.freeSpaces = day.capacity - day.startOccupied;
  world.sendDownlink(PORT_CONFIG, { garage });
  for (const m of day.movements) world.play(m, day.spacingM);
  const lastEnd = Math.max(...day.movements.map((m) => m.endMs));
  world.run(options.runMs ?? Math.max(DAY_MS, lastEnd + 3_600_000) - world.scheduler.now());
  const reports = world.reports();
  const end = world.scheduler.now();
  const truth = day.truthAt(end);
  const movements: Record<string, number> = {};
  for (const m of day.movements) movements[m.kind] = (movements[m.kind] ?? 0) + 1;
  return {
    world,
    day,
    reports,
    final: { reported: reports[reports.length - 1], truth: { ...truth, freeSpaces: day.capacity - truth.occupied } },
    movements,
    simultaneousPairs: countSimultaneous(day.movements),
    airtimePerDayMs: world.medium.dailyAirtime(NODE_ID),
  };
}
