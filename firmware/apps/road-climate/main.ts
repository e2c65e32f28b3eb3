/**
 * Road-climate node: air temperature and humidity (SHT3x at 0x44), road surface temperature (a second SHT3x at
 * 0x45, potted in the surface), ice risk, battery. Samples every 5 minutes; sends every 15 minutes, every 10 near
 * freezing, and at once when the ice risk changes.
 */
import { encodeRoadClimate } from '../../../payload-schema/generated/firmware/payload.js';
import { i2c as i2cPins } from 'stadtsensor:board';
import { connect } from '../../drivers/rui3.ts';
import { SHT3x, SHT3X_ADDRESS, SHT3X_ADDRESS_ALT, type Sht3xError, type Sht3xReading } from '../../drivers/sht3x.ts';
import { startNode, type NodeApp, type NodeContext, type Uplink } from '../../core/node.ts';
import { createConsoleLogger } from '../../platform/log.ts';
import { modemSerial, readBatteryVolts, readKeys, readResetReason, resetModem, storage, timers } from '../../platform/espruino.ts';
import { iceRisk, nextIntervalS, type IceRisk } from './climate-logic.ts';

const PORT_ROAD_CLIMATE = 20;
const SAMPLE_S = 300;
const FAST_S = 600;
const WATCHDOG_S = 60;

const logger = createConsoleLogger('info');
const log = logger.log;
const pins = global as unknown as Record<string, Pin>;
const bus = pins[i2cPins.bus] as unknown as I2C;
bus.setup({ scl: pins[i2cPins.scl]!, sda: pins[i2cPins.sda]!, bitrate: i2cPins.bitrate });
const airSensor = new SHT3x(bus, SHT3X_ADDRESS, setTimeout);
const surfaceSensor = new SHT3x(bus, SHT3X_ADDRESS_ALT, setTimeout);

let lastRisk: IceRisk | undefined;
let sinceSendS = 0;

function sensorFlag(node: NodeContext, err: Sht3xError | null): void {
  if (err) node.flag(err === 'crc' ? 'sensorCrc' : 'sensorFailed');
}

function climateUplink(node: NodeContext, air: Sht3xReading | null, surface: Sht3xReading | null, risk: IceRisk): Uplink | null {
  const reading = {
    air: { temperature: air ? air.temperature : null, relativeHumidity: air ? air.humidity : null },
    surface: { temperature: surface ? surface.temperature : null },
    iceRisk: risk,
    status: { airSensorFailed: !air, surfaceSensorFailed: !surface, heaterOn: false },
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

const app: NodeApp = {
  deviceType: 'roadClimate',
  firmware: { major: 0, minor: 2, patch: 0 },
  defaults: { road: { iceMargin: 2 } },
  measure(node, done) {
    airSensor.read((airErr, air) => {
      sensorFlag(node, airErr);
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
        if (due) sinceSendS = 0;
        done(due ? climateUplink(node, air, surface, risk) : null, SAMPLE_S);
      });
    });
  },
};

E.enableWatchdog(WATCHDOG_S, false);
setInterval(() => E.kickWatchdog(), (WATCHDOG_S * 1000) / 3);

const keys = readKeys();
if (!keys) {
  log('error', 'no keys: provision the node with stadtsensor flash (Storage file ss.keys)');
} else {
  const modem = connect(modemSerial(), timers, { log: log, hardReset: resetModem });
  startNode(
    {
      modem: modem,
      timers: timers,
      now: () => getTime() * 1000,
      storage: storage,
      log: log,
      keys: keys,
      resetReason: readResetReason(),
      batteryVolts: readBatteryVolts,
      reboot: () => E.reboot(),
    },
    app,
  );
}
