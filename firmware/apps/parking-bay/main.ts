/**
 * Parking bay node: a QMC5883L magnetometer in the bay surface on the board's I2C bus decides whether a vehicle
 * stands over it (bay-detector.ts). It samples every 2 s (the chip in standby between samples, about 6 ms awake):
 * with the 4 s default dwell a settled change is confirmed 4-6 s after it happened and on the air within a second,
 * inside the 10 s the map needs, while the node sleeps more than 99.5 % of the time.
 *
 * Uplinks (FPort 10, parkingBay): each settled change, each (re)calibration, the onset of a magnetometer fault, and
 * the occupancy as a heartbeat after `sendInterval` (default 3 h) without one. The node core adds the startup status
 * with the reset reason, the configuration report and its status heartbeat (`heartbeatInterval`, default 24 h here).
 * A deviceConfig downlink may change the thresholds and the dwell, or ask for a recalibration (the bay must be
 * empty). The baseline, the state and the change counter survive a power cycle (Storage file pk.state).
 */
import { encodeParkingBay, type ParkingBay } from '../../../payload-schema/generated/firmware/payload.js';
import { QMC5883L, type Qmc5883lError, type Qmc5883lReading } from '../../drivers/qmc5883l.ts';
import type { NodeApp, NodeContext, Uplink } from '../../core/node.ts';
import { createConsoleLogger } from '../../platform/log.ts';
import { boardI2c, storage } from '../../platform/espruino.ts';
import { bootNode } from '../../platform/boot-node.ts';
import { modemUart } from '../../platform/modem-uart.ts';
import { BayDetector, type DetectorSnapshot } from './bay-detector.ts';
import { ReportPolicy, type ReportReason } from './report-policy.ts';

const PORT_PARKING_BAY = 10;
const SAMPLE_S = 2;
/** After an overflow, soon again: a second one makes the driver widen its range, so the vehicle is not missed. */
const OVERFLOW_RETRY_S = 0.2;
const STATE_FILE = 'pk.state';
/** The message's ranges (payload-schema/src/catalog/parking-bay.ts). */
const MAX_DEVIATION_UT = 511.5;
const MIN_TEMPERATURE_C = -40;
const MAX_TEMPERATURE_C = 86.5;

const logger = createConsoleLogger('info');
const log = logger.log;
const bus = boardI2c();
const magnetometer = new QMC5883L(bus, setTimeout);

function loadSnapshot(): DetectorSnapshot | null {
  try {
    const text = storage.read(STATE_FILE);
    return text ? (JSON.parse(text) as DetectorSnapshot) : null;
  } catch {
    return null;
  }
}

const detector = new BayDetector(loadSnapshot());
const policy = new ReportPolicy();
// after a restart with a stored baseline: say at once what the bay looks like
if (!detector.calibrating) policy.dueNow();
let sensorReady = false;
let temperature: number | null = null;

function parkingUplink(node: NodeContext): Uplink {
  const t = temperature;
  const value: ParkingBay = {
    occupied: detector.occupied,
    sensorFault: policy.faulty,
    changeCount: detector.changes % 1024,
    fieldDeviation: detector.calibrating ? null : Math.min(MAX_DEVIATION_UT, detector.deviation),
    temperature: t !== null && t >= MIN_TEMPERATURE_C && t <= MAX_TEMPERATURE_C ? t : null,
    battery: node.battery(),
  };
  try {
    return { port: PORT_PARKING_BAY, bytes: encodeParkingBay(value) };
  } catch (e) {
    // a battery reading outside the message's range (divider misfitted) goes out as no reading
    log('warn', 'reading out of range: ' + (e as Error).message);
    value.battery = null;
    return { port: PORT_PARKING_BAY, bytes: encodeParkingBay(value) };
  }
}

let overflowed = false;
/** getTime() of the previous sample: the heartbeat counts real time, not sample periods (each runs a bit longer). */
let lastSampleS = getTime();

/** Calls back with a reading, null after a failure, or undefined when no sample was taken (driver busy). */
function takeSample(node: NodeContext, cb: (reading: Qmc5883lReading | null | undefined) => void): void {
  const fail = (err: Qmc5883lError): void => {
    if (err === 'busy') return cb(undefined);
    overflowed = err === 'overflow';
    // a chip that stopped answering may have lost power: set it up again before the next reading
    if (err !== 'overflow') sensorReady = false;
    node.flag('sensorFailed');
    log('warn', 'magnetometer: ' + err);
    cb(null);
  };
  const read = (): void =>
    magnetometer.read((err, reading) => {
      if (err) return fail(err);
      cb(reading);
    });
  if (sensorReady) return read();
  magnetometer.init((err) => {
    if (err) return fail(err);
    sensorReady = true;
    read();
  });
}

function settings(node: NodeContext) {
  return {
    enterUt: node.settings.get('parking.enterThreshold') as number,
    exitUt: node.settings.get('parking.exitThreshold') as number,
    dwellS: node.settings.get('parking.dwell') as number,
    sampleS: SAMPLE_S,
  };
}

const app: NodeApp = {
  deviceType: 'parkingBay',
  firmware: { major: 0, minor: 1, patch: 0 },
  defaults: { sendInterval: 10800, heartbeatInterval: 1440, parking: { enterThreshold: 22, exitThreshold: 16, dwell: 4 } },
  // one magnetometer sample takes milliseconds
  measureTimeoutS: 30,
  measure(node, done) {
    takeSample(node, (reading) => {
      if (reading === undefined) return done(null, SAMPLE_S);
      const nextS = overflowed ? OVERFLOW_RETRY_S : SAMPLE_S;
      overflowed = false;
      const event = reading ? detector.sample(reading.x, reading.y, reading.z, settings(node)) : null;
      if (reading) temperature = reading.temperature;
      const now = getTime();
      const reason: ReportReason = policy.afterSample(!!reading, event, now - lastSampleS, node.settings.get('sendInterval') as number);
      lastSampleS = now;
      if (event) {
        log('info', 'bay ' + event + ', deviation ' + detector.deviation.toFixed(1) + ' uT');
        if (!storage.write(STATE_FILE, JSON.stringify(detector.snapshot()))) node.flag('storageError');
      }
      done(reason ? parkingUplink(node) : null, nextS);
    });
  },
  onCommand(command) {
    if (command === 'recalibrate') {
      log('info', 'recalibrating');
      detector.recalibrate();
    }
  },
};

bootNode(app, log, modemUart());
