/**
 * The water-level node in its world: a NodeWorld with an ultrasonic ranger (simulated MaxBotix or A01NYUB) on the
 * profile's ranger UART and RX pin, its supply on the profile's power pin, looking down at a river that follows a
 * flood scenario, and an SHT3x at 0x44 measuring the air under the bridge. When the ranger shares the modem's UART
 * (the MDBT42Q), both are wired by pin: each hears the board only while the UART is set up on its pins.
 *
 * `simulateRiver` runs the node through the flood, configured by downlink as an installer would (mounting height and
 * stage thresholds), and returns every reading the network received with its time and the truth at that time.
 */
import { dailyAirtime } from '../radio/airtime-stats.ts';
import { SimulatedSht3x } from '../devices/sht3x.ts';
import { SimulatedA01nyub } from '../devices/ranger/a01nyub.ts';
import { SimulatedMaxbotix, type MaxbotixSimOptions } from '../devices/ranger/maxbotix.ts';
import type { SimulatedRanger } from '../devices/ranger/simulated-ranger.ts';
import { DEMO_P2P_KEYS, type NodeKeys } from './keys.ts';
import { NODE_ID, NodeWorld, type NodeWorldOptions } from './node-world.ts';
import { floodScenario, type RiverScenario } from './river-scenario.ts';

export type RangerKind = 'maxbotix' | 'a01nyub';

export interface RiverWorldOptions extends Omit<NodeWorldOptions, 'i2cDevices'> {
  scenario: RiverScenario;
  /** Default 'maxbotix'. */
  ranger?: RangerKind;
  /** Noise, outliers, no-target and corrupt frames, power-up time (devices/ranger/). */
  rangerOptions?: Omit<MaxbotixSimOptions, 'distanceM' | 'airTemperatureC'>;
  /** Whether the SHT3x for the air temperature is fitted. Default true. */
  airSensor?: boolean;
}

export interface RiverTruth {
  /** Level above gauge zero, cm. */
  level: number;
  air: number;
  /** Sensor face to water, m. */
  distanceM: number;
}

export interface RiverWorld extends NodeWorld {
  readonly scenario: RiverScenario;
  readonly ranger: SimulatedRanger;
  readonly airSensor: SimulatedSht3x | undefined;
  truthAt(timeMs: number): RiverTruth;
  /** Frames the ranger sent in each power-on, finished ones (a cycle the modem cut short has fewer). */
  readonly rangerSessions: readonly number[];
}

function isDriven(mode: string | undefined): boolean {
  return mode === 'output' || mode === 'af_output' || mode === 'opendrain' || mode === 'opendrain_pullup';
}

export function createRiverWorld(options: RiverWorldOptions): RiverWorld {
  const { scenario, ranger: kind = 'maxbotix', rangerOptions = {}, airSensor: fitted = true, ...nodeOptions } = options;
  const truthAt = (t: number): RiverTruth => {
    const level = scenario.levelAt(t);
    return { level, air: scenario.airAt(t), distanceM: (scenario.mountHeightCm - level) / 100 };
  };
  let airSensor: SimulatedSht3x | undefined;
  const world = new NodeWorld({
    ...nodeOptions,
    i2cDevices: (scheduler) => {
      if (!fitted) return [];
      airSensor = new SimulatedSht3x(scheduler, (t) => ({ temperature: scenario.airAt(t), humidity: 75 }));
      return [airSensor];
    },
  });
  const wiring = world.profile.ranger;
  if (!wiring) throw new Error(`board ${world.profile.id} has no ranger wiring (hardware/boards/${world.profile.id}.json)`);
  const sim = { ...rangerOptions, distanceM: (t: number) => truthAt(t).distanceM, airTemperatureC: scenario.airAt };
  const ranger: SimulatedRanger = kind === 'maxbotix' ? new SimulatedMaxbotix(sim) : new SimulatedA01nyub(sim);
  const board = world.board;
  const sessions: number[] = [];
  let frames = 0;
  const connect = ranger.connect.bind(ranger);
  ranger.connect = (toBoard, scheduler) =>
    connect((bytes) => {
      frames++;
      toBoard(bytes);
    }, scheduler);
  const modem = world.profile.modem;
  if (wiring.serial === modem.serial) world.board.attachSerial(modem.serial, world.modemActivity, { rx: modem.rx, tx: modem.tx });
  world.board.attachSerial(wiring.serial, ranger, { rx: wiring.rx });
  const powered = (): boolean => isDriven(board.pins.mode(wiring.power)) && board.pins.output(wiring.power) === 1;
  board.onPin(wiring.power, () => {
    const was = ranger.isPowered;
    ranger.setPowered(powered());
    if (was && !ranger.isPowered) sessions.push(frames);
    frames = 0;
  });
  ranger.setPowered(powered());
  return Object.assign(world, { scenario, ranger, airSensor, truthAt, rangerSessions: sessions });
}

/** One reading as the network received it: from a single uplink (FPort 30) or a batch (FPort 31). */
export interface RiverReading {
  /** When the node took it, as the network can tell: the uplink's time minus the reading's age (whole minutes). */
  timeMs: number;
  /** The uplink that carried it. */
  uplinkMs: number;
  port: number;
  level: number | null;
  quality: Record<string, boolean>;
  stage: number;
  trend: string;
}

export interface RiverSimulationOptions {
  bundle: string;
  boardId?: string;
  seed?: number;
  scenario?: RiverScenario;
  ranger?: RangerKind;
  rangerOptions?: RiverWorldOptions['rangerOptions'];
  /** Settings sent by downlink at the start besides the scenario's mounting height and stages. */
  config?: Record<string, unknown>;
  hours?: number;
  /** Whether the SHT3x for the air temperature is fitted. Default true. */
  airSensor?: boolean;
  /** Default DEMO_P2P_KEYS (LoRa P2P through the gateway module); DEMO_LORAWAN_KEYS for a LoRaWAN network. */
  keys?: NodeKeys;
}

export interface RiverReport {
  world: RiverWorld;
  readings: RiverReading[];
  /** Virtual time the configuration report showed the scenario's settings in force. */
  configuredAtMs: number;
  /** Airtime of the node's uplinks per simulated day (index 0 = the first 24 h), ms. */
  airtimePerDayMs: number[];
}

export function readingsOf(world: RiverWorld): RiverReading[] {
  const out: RiverReading[] = [];
  for (const u of world.uplinks) {
    if (u.rejected || !u.data) continue;
    const d = u.data as Record<string, unknown>;
    if (u.fPort === 30) {
      out.push({ timeMs: u.timeMs, uplinkMs: u.timeMs, port: 30, level: d.level as number | null, quality: d.quality as Record<string, boolean>, stage: d.stage as number, trend: d.trend as string });
    } else if (u.fPort === 31) {
      for (const r of d.readings as { age: number; level: number | null; quality: Record<string, boolean> }[]) {
        out.push({ timeMs: u.timeMs - r.age * 60_000, uplinkMs: u.timeMs, port: 31, level: r.level, quality: r.quality, stage: d.stage as number, trend: d.trend as string });
      }
    }
  }
  return out;
}

/** The water-level node through a flood, configured by downlink at the start (as an installer does). */
export function simulateRiver(options: RiverSimulationOptions): RiverReport {
  const scenario = options.scenario ?? floodScenario();
  const world = createRiverWorld({
    bundle: options.bundle,
    boardId: options.boardId ?? 'mdbt42q-rak3172',
    keys: options.keys ?? DEMO_P2P_KEYS,
    scenario,
    seed: options.seed ?? 1,
    ...(options.ranger ? { ranger: options.ranger } : {}),
    ...(options.rangerOptions ? { rangerOptions: options.rangerOptions } : {}),
    ...(options.airSensor === false ? { airSensor: false } : {}),
  });
  const [stage1, stage2, stage3] = scenario.stagesCm;
  world.sendDownlink(3, { ...options.config, water: { mountHeight: scenario.mountHeightCm, stage1, stage2, stage3, ...(options.config?.water as object) } });
  world.run((options.hours ?? scenario.durationHours) * 3_600_000);
  const report = world.uplinks.find((u) => u.fPort === 2 && (u.data as { water?: { mountHeight?: number } }).water?.mountHeight === scenario.mountHeightCm);
  return {
    world,
    readings: readingsOf(world),
    configuredAtMs: report ? report.timeMs : Infinity,
    airtimePerDayMs: dailyAirtime(world.medium.frames.map((f) => f.frame), NODE_ID),
  };
}

