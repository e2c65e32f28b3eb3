/**
 * Road-climate node: air temperature and humidity (SHT3x at 0x44), road surface temperature (a second SHT3x at
 * 0x45, potted in the surface), ice risk, battery. Samples every 5 minutes; sends every 15 minutes, every 10 near
 * freezing, and at once when the ice risk changes. After an hour of fog (>= 95 %RH) the air sensor's heater dries
 * it for a few seconds; the next reading is taken once it has cooled and says so (status.heaterOn).
 */
import { encodeRoadClimate } from '../../../payload-schema/generated/firmware/payload.js';
import { SHT3x, SHT3X_ADDRESS, SHT3X_ADDRESS_ALT, type Sht3xError, type Sht3xReading } from '../../drivers/sht3x.ts';
import type { NodeApp, NodeContext, Uplink } from '../../core/node.ts';
import { createConsoleLogger } from '../../platform/log.ts';
import { bootNode } from '../../platform/boot-node.ts';
import { boardI2c } from '../../platform/espruino.ts';
import { iceRisk, nextIntervalS, type IceRisk } from './climate-logic.ts';
import { modemUart } from '../../platform/modem-uart.ts';

const PORT_ROAD_CLIMATE = 20;
const SAMPLE_S = 300;
const FAST_S = 600;
const WET_RH = 95;
/** An hour of samples. */
const WET_SAMPLES = 12;
const HEAT_MS = 10000;
/** The heated element (a few seconds' time constant) back at the air's temperature. */
const COOL_MS = 30000;

const logger = createConsoleLogger('info');
const log = logger.log;
const bus = boardI2c();
const airSensor = new SHT3x(bus, SHT3X_ADDRESS, setTimeout);
const surfaceSensor = new SHT3x(bus, SHT3X_ADDRESS_ALT, setTimeout);

let lastRisk: IceRisk | undefined;
let sinceSendS = 0;
/** Samples in a row at or above WET_RH; whether the heater ran since the last climate uplink. */
let wet = 0;
let heated = false;

function sensorFlag(node: NodeContext, err: Sht3xError | null): void {
  if (err) node.flag(err === 'crc' ? 'sensorCrc' : 'sensorFailed');
}

function climateUplink(node: NodeContext, air: Sht3xReading | null, surface: Sht3xReading | null, risk: IceRisk): Uplink | null {
  const reading = {
    air: { temperature: air ? air.temperature : null, relativeHumidity: air ? air.humidity : null },
    surface: { temperature: surface ? surface.temperature : null },
    iceRisk: risk,
    status: { airSensorFailed: !air, surfaceSensorFailed: !surface, heaterOn: heated },
    battery: node.battery(),
  };
  try {
    return { port: PORT_ROAD_CLIMATE, bytes: encodeRoadClimate(reading) };
  } catch (e) {
    // a reading outside the message's range (a broken sensor) goes out as no reading, never as garbage
    log('warn', 'reading out of range: ' + (e as Error).message);
    node.flag('sensorFailed');
    reading.air = { temperature: null, relativeHumidity: null };
    reading.surface = { temperature: null };
    reading.iceRisk = 'unknown';
    return { port: PORT_ROAD_CLIMATE, bytes: encodeRoadClimate(reading) };
  }
}

/** After WET_SAMPLES foggy samples: heater on for HEAT_MS, then COOL_MS to cool down, then `done`. */
function dryIfWet(done: () => void): void {
  if (wet < WET_SAMPLES) return done();
  wet = 0;
  airSensor.heater(true, (err) => {
    if (err) return done();
    heated = true;
    setTimeout(() => airSensor.heater(false, () => setTimeout(done, COOL_MS)), HEAT_MS);
  });
}

const app: NodeApp = {
  deviceType: 'roadClimate',
  firmware: { major: 0, minor: 3, patch: 0 },
  defaults: { road: { iceMargin: 2 } },
  // the heater's 10 s and 30 s of cooling, then two SHT3x reads of 15 ms
  measureTimeoutS: 120,
  measure(node, done) {
    dryIfWet(() => airSensor.read((airErr, air) => {
      sensorFlag(node, airErr);
      wet = air && air.humidity >= WET_RH ? wet + 1 : 0;
      surfaceSensor.read((surfaceErr, surface) => {
        sensorFlag(node, surfaceErr);
        const airT = air ? air.temperature : null;
        const surfaceT = surface ? surface.temperature : null;
        const risk = iceRisk(surfaceT, airT, air ? air.humidity : null, node.settings.get('road.iceMargin') as number);
        const intervalS = nextIntervalS(surfaceT, airT, node.settings.get('sendInterval') as number, FAST_S);
        sinceSendS += SAMPLE_S;
        const due = sinceSendS >= intervalS || risk !== lastRisk;
        if (risk !== lastRisk && lastRisk !== undefined) log('info', 'ice risk ' + lastRisk + ' -> ' + risk);
        lastRisk = risk;
        const uplink = due ? climateUplink(node, air, surface, risk) : null;
        if (due) {
          sinceSendS = 0;
          heated = false;
        }
        done(uplink, SAMPLE_S);
      });
    }));
  },
};

bootNode(app, log, modemUart());
