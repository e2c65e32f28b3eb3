/**
 * Water-level node: an ultrasonic ranger (MaxBotix MB738x or DFRobot A01NYUB, told apart by their frames) looking
 * down at the water from a known height above gauge zero (hardware/water-level-node.md). Every cycle: nine
 * readings, median with outlier rejection, the speed of sound at the air temperature (for a part that does not
 * compensate itself), the level above gauge zero, the warning stage (Meldestufe) and the trend. A reading every
 * 15 minutes (sendInterval), every 5 (water.fastInterval) from stage 1; several readings go in one back-dated batch
 * (FPort 31) whenever single uplinks would break the airtime budget at the node's data rate, and a stage change goes
 * out at once.
 *
 * Air temperature: an SHT3x at 0x44 on the board's I2C bus, in a radiation shield under the mounting arm, if fitted;
 * else the chip's own temperature (E.getTemperature), which in a sunlit enclosure can be 10 K off: 0.17 % of the
 * distance per kelvin, 5 mm at 3 m.
 */
import { encodeWaterLevel, encodeWaterLevelBatch, type WaterLevelBatch } from '../../../payload-schema/generated/firmware/payload.js';
import { ranger as rangerWiring } from 'stadtsensor:board';
import { SHT3x, SHT3X_ADDRESS } from '../../drivers/sht3x.ts';
import type { NodeApp, NodeContext, Uplink } from '../../core/node.ts';
import { createConsoleLogger } from '../../platform/log.ts';
import { bootNode } from '../../platform/boot-node.ts';
import { boardI2c } from '../../platform/espruino.ts';
import { rangerCycle, type CycleError } from './ranger-cycle.ts';
import { sharedUart } from './shared-uart.ts';
import type { RangerPart } from '../../drivers/ranger/ranger.ts';
import { levelCm, MAX_BATCH, planCadence, reduceReadings, speedOfSound, stageFor, trendOf, type Quality, type RawReadings, type Trend } from './water-logic.ts';

const PORT_WATER_LEVEL = 30;
const PORT_WATER_BATCH = 31;
/** Of the 30 s a day: the rest is for status, configuration reports and stage changes sent at once. */
const READINGS_BUDGET_MS = 22000;
/** A cycle the modem interrupted is tried again this much later. */
const RETRY_S = 5;
/** Kept for the trend: one reading per HISTORY_STEP_S, an hour and a bit. */
const HISTORY = 16;
const HISTORY_STEP_S = 240;

const logger = createConsoleLogger('info');
const log = logger.log;
const pins = global as unknown as Record<string, Pin>;
const bus = boardI2c();
const airSensor = new SHT3x(bus, SHT3X_ADDRESS, setTimeout);
digitalWrite(pins[rangerWiring!.power]!, 0);

interface Reading {
  at: number;
  level: number | null;
  quality: Quality;
}

let stage = 0;
let reportedStage = 0;
let trend: Trend = 'unknown';
let pending: Reading[] = [];
const history: number[][] = [];
/** P2P: the spreading factor the keys set (LoRaWAN: 0, the data rate is a setting). */
let p2pSf = 0;

function nowS(): number {
  return getTime();
}

/** The air temperature for the speed of sound: the SHT3x, else the chip. */
function airTemperature(done: (t: number) => void): void {
  airSensor.read((err, r) => done(err || !r ? E.getTemperature() : r.temperature));
}

function remember(level: number | null): void {
  if (level === null) return;
  const last = history[history.length - 1];
  if (last && nowS() - last[0]! < HISTORY_STEP_S) history.pop();
  history.push([nowS(), level]);
  if (history.length > HISTORY) history.shift();
}

function uplinkFor(node: NodeContext, last: Reading, distanceMm: number | null): Uplink {
  if (pending.length === 1) {
    return {
      port: PORT_WATER_LEVEL,
      bytes: encodeWaterLevel({
        level: last.level,
        distance: distanceMm === null || last.level === null ? null : Math.min(Math.round(distanceMm), 16382),
        stage: stage,
        trend: trend,
        quality: last.quality,
        battery: node.battery(),
      }),
    };
  }
  const batch: WaterLevelBatch = { stage: stage, trend: trend, battery: node.battery(), readings: [] };
  for (let i = 0; i < pending.length; i++) {
    const r = pending[i]!;
    batch.readings.push({ age: Math.min(Math.round((nowS() - r.at) / 60), 1023), level: r.level, quality: r.quality });
  }
  return { port: PORT_WATER_BATCH, bytes: encodeWaterLevelBatch(batch) };
}

function thresholds(node: NodeContext): number[] {
  const s = node.settings;
  return [s.get('water.stage1') as number, s.get('water.stage2') as number, s.get('water.stage3') as number];
}

function record(node: NodeContext, raw: RawReadings | null, part: RangerPart | null, temperature: number, done: (uplink: Uplink | null, nextS: number) => void): void {
  let distanceMm: number | null = null;
  const reading: Reading = { at: nowS(), level: null, quality: {} };
  if (raw && part) {
    const d = reduceReadings(raw, part.compensated ? 1 : speedOfSound(temperature) / part.assumedSoundMs);
    distanceMm = d.mm;
    reading.quality = d.quality;
    if (d.mm !== null) {
      reading.level = levelCm(node.settings.get('water.mountHeight') as number, d.mm);
      if (reading.level === null) reading.quality = { outOfRange: true };
    }
  }
  stage = stageFor(reading.level, thresholds(node), stage);
  remember(reading.level);
  trend = trendOf(history);
  pending.push(reading);
  const normalS = node.settings.get('sendInterval') as number;
  const dr = p2pSf ? 12 - p2pSf : (node.settings.get('dataRate') as number);
  const plan = planCadence(stage > 0 ? Math.min(normalS, node.settings.get('water.fastInterval') as number) : normalS, dr, READINGS_BUDGET_MS);
  let uplink: Uplink | null = null;
  if (pending.length >= plan.batch || pending.length >= MAX_BATCH || stage !== reportedStage) {
    if (stage !== reportedStage) log('info', 'stage ' + reportedStage + ' -> ' + stage);
    uplink = uplinkFor(node, reading, distanceMm);
    pending = [];
    reportedStage = stage;
  }
  done(uplink, plan.intervalS);
}

const uart = sharedUart();
const lease = uart.ranger;

const app: NodeApp = {
  deviceType: 'waterLevel',
  firmware: { major: 0, minor: 1, patch: 0 },
  defaults: { water: { mountHeight: 400, stage1: 3994, stage2: 3994, stage3: 3994, fastInterval: 300 } },
  // no measureTimeoutS: a reading waits for the modem's UART as long as the modem needs it (a LoRaWAN join takes
  // minutes), and once the ranger has it, its cycle gives up after 3 s by itself (ranger-cycle.ts)
  measure(node, done) {
    rangerCycle(lease, (err: CycleError | null, raw, part) => {
      if (err === 'busy') return done(null, RETRY_S);
      if (err) {
        log('warn', 'ranger silent');
        node.flag('sensorFailed');
        return record(node, null, null, 0, done);
      }
      if (part!.compensated) return record(node, raw, part, 0, done);
      airTemperature((t) => record(node, raw, part, t, done));
    });
  },
};

bootNode(app, log, uart.modem, (keys) => {
  if (keys.network === 'p2p') p2pSf = keys.p2p.sf;
});
