/**
 * The inputs of the golden vectors. `npm run vectors` encodes/decodes them with the reference codec and writes
 * payload-schema/vectors/<message>.json; review the diff before committing. Tests then hold the TypeScript codec,
 * the generated formatter and the firmware module to these files, so a layout change cannot slip through.
 * Non-finite numbers are written as { "$nonFinite": "NaN" | "Infinity" | "-Infinity" } since JSON has none.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import type { MessageDef } from '../../payload-schema/src/dsl.ts';
import { messageSize } from '../../payload-schema/src/layout.ts';
import { vectorPath, type VectorFile } from '../../payload-schema/src/generate/index.ts';

interface Cases {
  /** Valid objects: each yields an encoder vector and the decoder vector of its bytes. */
  valid: { description: string; data: Record<string, unknown> }[];
  /** Objects the encoder must refuse. */
  invalid: { description: string; data: unknown }[];
  /** Raw payloads the decoder must refuse (besides the generic length cases added for every message). */
  malformed: { description: string; bytes: unknown }[];
}

const battery = 3.01;

const roadOk = {
  air: { temperature: 2.4, relativeHumidity: 90 },
  surface: { temperature: -0.5 },
  iceRisk: 'watch',
  status: { airSensorFailed: false, surfaceSensorFailed: false, heaterOn: true },
  battery: 2.95,
};

const booking = (badge: string, kind: string, offset: number) => ({ badge, kind, offset, clockUnsynced: false });

const cases: Record<string, Cases> = {
  deviceStatus: {
    valid: [
      {
        description: 'Startup after a watchdog reset, firmware 1.4.2',
        data: {
          event: 'startup',
          deviceType: 'roadClimate',
          firmware: { major: 1, minor: 4, patch: 2 },
          resetReason: 'watchdog',
          battery,
          uptime: 12,
          uplinkCounter: 4711,
          errors: { modemTimeout: true },
        },
      },
      {
        description: 'Heartbeat with the largest counters and every error flag',
        data: {
          event: 'heartbeat',
          deviceType: 'timeClock',
          firmware: { major: 255, minor: 255, patch: 255 },
          resetReason: 'firmwareUpdate',
          battery: 4.34,
          uptime: 4294967295,
          uplinkCounter: 4294967295,
          errors: {
            sensorFailed: true,
            sensorCrc: true,
            modemTimeout: true,
            modemReset: true,
            storageError: true,
            lowBattery: true,
            airtimeExhausted: true,
            clockUnsynced: true,
          },
        },
      },
      {
        description: 'Mains-powered device: battery null',
        data: {
          event: 'heartbeat',
          deviceType: 'garageCounter',
          firmware: { major: 0, minor: 1, patch: 0 },
          resetReason: 'powerOn',
          battery: null,
          uptime: 0,
          uplinkCounter: 0,
          errors: {},
        },
      },
    ],
    invalid: [
      { description: 'Unknown reset reason', data: { event: 'startup', deviceType: 'parkingBay', firmware: { major: 1, minor: 0, patch: 0 }, resetReason: 'cosmicRay', battery, uptime: 1, uplinkCounter: 1, errors: {} } },
      { description: 'Uptime beyond 32 bits', data: { event: 'startup', deviceType: 'parkingBay', firmware: { major: 1, minor: 0, patch: 0 }, resetReason: 'powerOn', battery, uptime: 4294967296, uplinkCounter: 1, errors: {} } },
      { description: 'Unknown error flag', data: { event: 'startup', deviceType: 'parkingBay', firmware: { major: 1, minor: 0, patch: 0 }, resetReason: 'powerOn', battery, uptime: 1, uplinkCounter: 1, errors: { gremlins: true } } },
    ],
    malformed: [
      { description: 'Device type code 15 has no label', bytes: [0x3c, ...new Array<number>(14).fill(0)] },
    ],
  },
  deviceConfigReport: {
    valid: [
      {
        description: 'Road climate node settings',
        data: { sendInterval: 600, heartbeatInterval: 360, confirmedUplinks: false, adr: true, dataRate: 5, road: { iceMargin: 2 } },
      },
      {
        description: 'Water gauge with three warning stages',
        data: {
          sendInterval: 900,
          heartbeatInterval: 720,
          adr: false,
          dataRate: 0,
          water: { mountHeight: 850, stage1: 420, stage2: 510, stage3: 580, fastInterval: 300 },
        },
      },
      { description: 'Nothing to report', data: {} },
    ],
    invalid: [
      { description: 'Send interval below 10 s', data: { sendInterval: 5 } },
      { description: 'Data rate 6 is not an EU868 125 kHz LoRa rate', data: { dataRate: 6 } },
    ],
    malformed: [{ description: 'Presence map promises fields that are missing', bytes: [0xff, 0xff] }],
  },
  deviceConfig: {
    valid: [
      { description: 'Change only the send interval', data: { sendInterval: 600 } },
      {
        description: 'Parking thresholds and a recalibration',
        data: { parking: { enterThreshold: 25.5, exitThreshold: 12, dwell: 3 }, commands: { recalibrate: true } },
      },
      { description: 'Restore the default ice margin (null)', data: { road: { iceMargin: null } } },
      {
        description: 'Every setting and command at once (largest downlink)',
        data: {
          sendInterval: 65535,
          heartbeatInterval: 4095,
          confirmedUplinks: true,
          adr: false,
          dataRate: 5,
          parking: { enterThreshold: 255, exitThreshold: 0, dwell: 63 },
          road: { iceMargin: 6.2 },
          water: { mountHeight: 4094, stage1: -100, stage2: 3994, stage3: 0, fastInterval: 10 },
          garage: { capacity: 4095, freeSpaces: 0 },
          commands: { reboot: true, recalibrate: true, reportConfig: true },
        },
      },
    ],
    invalid: [
      { description: 'Misspelt setting', data: { sendIntervall: 600 } },
      { description: 'Fractional interval', data: { sendInterval: 600.5 } },
      { description: 'Interval as a string', data: { sendInterval: '600' } },
      { description: 'Unknown command', data: { commands: { selfDestruct: true } } },
      { description: 'Threshold above 255 uT', data: { parking: { enterThreshold: 300 } } },
      { description: 'Non-finite threshold', data: { parking: { enterThreshold: Number.NaN } } },
    ],
    malformed: [],
  },
  parkingBay: {
    valid: [
      { description: 'Car arrived', data: { occupied: true, sensorFault: false, changeCount: 17, fieldDeviation: 42.5, temperature: 11.5, battery } },
      { description: 'Bay vacant, counter wrapped', data: { occupied: false, sensorFault: false, changeCount: 1023, fieldDeviation: 1, temperature: -3, battery: 2.8 } },
      { description: 'Magnetometer failed: deviation and temperature null', data: { occupied: false, sensorFault: true, changeCount: 0, fieldDeviation: null, temperature: null, battery } },
      { description: 'Largest deviation and temperature', data: { occupied: true, sensorFault: false, changeCount: 5, fieldDeviation: 511, temperature: 86.5, battery: 1.8 } },
    ],
    invalid: [
      { description: 'Occupied as a number', data: { occupied: 1, sensorFault: false, changeCount: 1, fieldDeviation: 40, temperature: 10, battery } },
      { description: 'Missing change counter', data: { occupied: true, sensorFault: false, fieldDeviation: 40, temperature: 10, battery } },
      { description: 'Negative deviation', data: { occupied: true, sensorFault: false, changeCount: 1, fieldDeviation: -1, temperature: 10, battery } },
    ],
    malformed: [],
  },
  garageCounter: {
    valid: [
      { description: 'Half full', data: { freeSpaces: 212, capacity: 420, entries: 1032, exits: 824, faults: {}, battery: null } },
      { description: 'Full, counters wrapped, count clamped', data: { freeSpaces: 0, capacity: 420, entries: 65535, exits: 65115, faults: { countClamped: true }, battery: 3.6 } },
    ],
    invalid: [
      { description: 'Capacity beyond 12 bits', data: { freeSpaces: 0, capacity: 5000, entries: 0, exits: 0, faults: {}, battery: null } },
      { description: 'Negative entry counter', data: { freeSpaces: 0, capacity: 10, entries: -1, exits: 0, faults: {}, battery: null } },
    ],
    malformed: [],
  },
  roadClimate: {
    valid: [
      { description: 'Near freezing, heater ran', data: roadOk },
      {
        description: 'Black ice: surface below zero and below the dew point',
        data: { air: { temperature: -3, relativeHumidity: 85 }, surface: { temperature: -4.2 }, iceRisk: 'risk', status: {}, battery },
      },
      {
        description: 'Summer: hot surface at the top of the sensor range',
        data: { air: { temperature: 34.6, relativeHumidity: 31.5 }, surface: { temperature: 125 }, iceRisk: 'clear', status: {}, battery: 3.3 },
      },
      {
        description: 'Air sensor failed: readings and derived values null',
        data: {
          air: { temperature: null, relativeHumidity: null },
          surface: { temperature: 0.3 },
          iceRisk: 'unknown',
          status: { airSensorFailed: true },
          battery,
        },
      },
      {
        description: 'Lowest and highest air readings',
        data: { air: { temperature: -40, relativeHumidity: 100 }, surface: { temperature: -40 }, iceRisk: 'risk', status: {}, battery },
      },
      {
        description: 'Dry air at the top of the air range',
        data: { air: { temperature: 62.2, relativeHumidity: 0 }, surface: { temperature: 50 }, iceRisk: 'clear', status: {}, battery },
      },
    ],
    invalid: [
      { description: 'Air temperature above the range', data: { ...roadOk, air: { temperature: 70, relativeHumidity: 50 } } },
      { description: 'Humidity above 100 %RH', data: { ...roadOk, air: { temperature: 10, relativeHumidity: 100.5 } } },
      { description: 'Infinite surface temperature', data: { ...roadOk, surface: { temperature: Number.POSITIVE_INFINITY } } },
      { description: 'Unknown ice-risk label', data: { ...roadOk, iceRisk: 'slippery' } },
      { description: 'Missing humidity', data: { ...roadOk, air: { temperature: 10 } } },
      { description: 'Unknown nested field', data: { ...roadOk, air: { temperature: 10, relativeHumidity: 50, pressure: 1013 } } },
      { description: 'Not an object', data: [1, 2, 3] },
    ],
    malformed: [
      { description: 'Humidity raw value 250 (125 %RH) is above the range', bytes: [0x6a, 0x3e, 0x8c, 0x5a, 0x5c, 0xc0] },
      { description: 'Byte above 255', bytes: [0x6a, 0x2d, 0x0c, 0x5a, 0x5c, 256] },
      { description: 'Bytes as a string', bytes: '6a2d0c5a5cc0' },
    ],
  },
  waterLevel: {
    valid: [
      {
        description: 'Normal level, steady',
        data: { level: 213, distance: 6371, stage: 0, trend: 'steady', quality: {}, battery },
      },
      {
        description: 'Stage 2 and rising, outliers rejected',
        data: { level: 515, distance: 3350, stage: 2, trend: 'rising', quality: { outliersRejected: true }, battery: 3.35 },
      },
      {
        description: 'No echo: level and distance null',
        data: { level: null, distance: null, stage: 0, trend: 'unknown', quality: { noTarget: true }, battery },
      },
      {
        description: 'Below gauge zero at low water',
        data: { level: -100, distance: 16382, stage: 0, trend: 'falling', quality: {}, battery },
      },
    ],
    invalid: [
      { description: 'Stage 4 does not exist', data: { level: 600, distance: 2500, stage: 4, trend: 'rising', quality: {}, battery } },
      { description: 'Level above 3994 cm', data: { level: 4000, distance: 10, stage: 3, trend: 'rising', quality: {}, battery } },
    ],
    malformed: [],
  },
  waterLevelBatch: {
    valid: [
      {
        description: 'Three readings while the river rises',
        data: {
          stage: 1,
          trend: 'rising',
          battery,
          readings: [
            { age: 10, level: 431, quality: {} },
            { age: 5, level: 436, quality: {} },
            { age: 0, level: 440, quality: { outliersRejected: true } },
          ],
        },
      },
      {
        description: 'Full batch of 15 readings (49 bytes)',
        data: {
          stage: 3,
          trend: 'steady',
          battery: 3.2,
          readings: Array.from({ length: 15 }, (_v, i) => ({ age: (14 - i) * 4, level: 600 + (i % 3), quality: {} })),
        },
      },
      {
        description: 'One reading without echo',
        data: { stage: 0, trend: 'unknown', battery, readings: [{ age: 1023, level: null, quality: { noTarget: true } }] },
      },
    ],
    invalid: [
      { description: 'Empty batch', data: { stage: 0, trend: 'steady', battery, readings: [] } },
      {
        description: '16 readings are one too many',
        data: { stage: 0, trend: 'steady', battery, readings: Array.from({ length: 16 }, () => ({ age: 1, level: 100, quality: {} })) },
      },
      {
        description: 'Reading with a misspelt field',
        data: { stage: 0, trend: 'steady', battery, readings: [{ age: 1, levle: 100, quality: {} }] },
      },
      { description: 'Reading that is not an object', data: { stage: 0, trend: 'steady', battery, readings: [42] } },
    ],
    malformed: [
      { description: 'Count 0', bytes: [0x00, 0x01, 0x00] },
      { description: 'Count 3 but only one reading', bytes: [0x40, 0xa0, 0x30, 0x0a, 0x21, 0xf0] },
    ],
  },
  bookingBatch: {
    valid: [
      {
        description: 'One come booking',
        data: { sequence: 1001, baseTime: 1795766400, bookings: [booking('a1b2c3d4', 'come', 0)] },
      },
      {
        description: 'Full batch of six bookings, one made with an unsynchronised clock',
        data: {
          sequence: 4294967290,
          baseTime: 4294967295,
          bookings: [
            booking('a1b2c3d4', 'come', 0),
            booking('00000000', 'go', 17),
            booking('ffffffff', 'breakStart', 3600),
            booking('0badf00d', 'breakEnd', 5400),
            booking('12345678', 'errand', 7200),
            { ...booking('9abcdef0', 'go', 131071), clockUnsynced: true },
          ],
        },
      },
    ],
    invalid: [
      { description: 'Badge with an odd number of hex digits', data: { sequence: 1, baseTime: 1, bookings: [booking('a1b2c3d', 'come', 0)] } },
      { description: 'Badge given as raw UID bytes', data: { sequence: 1, baseTime: 1, bookings: [{ ...booking('a1b2c3d4', 'come', 0), badge: [161, 178, 195, 212] }] } },
      { description: 'Unknown booking kind', data: { sequence: 1, baseTime: 1, bookings: [booking('a1b2c3d4', 'lunch', 0)] } },
      { description: 'Offset beyond 36 h', data: { sequence: 1, baseTime: 1, bookings: [booking('a1b2c3d4', 'come', 131072)] } },
      { description: 'Seven bookings', data: { sequence: 1, baseTime: 1, bookings: Array.from({ length: 7 }, () => booking('a1b2c3d4', 'come', 0)) } },
    ],
    malformed: [{ description: 'Booking kind code 7 has no label', bytes: [0, 0, 0, 1, 0, 0, 0, 1, 0x20, 0, 0, 0, 0, 0x1c, 0, 0] }],
  },
  bookingAck: {
    valid: [
      { description: 'Acknowledged through 1006, with the ledger time', data: { ackedThrough: 1006, serverTime: 1795766460 } },
      { description: 'Acknowledgement without a time', data: { ackedThrough: 4294967295, serverTime: null } },
    ],
    invalid: [{ description: 'Negative sequence', data: { ackedThrough: -1, serverTime: null } }],
    malformed: [],
  },
};

function genericMalformed(message: MessageDef, valid: number[]): { description: string; bytes: unknown }[] {
  const size = messageSize(message);
  const out: { description: string; bytes: unknown }[] = [{ description: 'Empty payload', bytes: [] }];
  if (size.fixedBytes !== undefined) {
    out.push({ description: 'One byte short', bytes: valid.slice(0, -1) });
  }
  out.push({ description: 'One byte too many', bytes: [...valid, 0] });
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return { $nonFinite: String(value) };
  return value;
}

const root = new URL('../../', import.meta.url);
for (const message of catalog) {
  const c = cases[message.name];
  if (!c) throw new Error(`no vector cases for ${message.name}`);
  const file: VectorFile = { fPort: message.port, message: message.name, direction: message.direction, decoder: [], encoder: [] };
  let first: number[] | undefined;
  for (const v of c.valid) {
    const r = codec.encode(message.port, v.data);
    if (!r.ok) throw new Error(`${message.name} / ${v.description}: ${r.error.message}`);
    const bytes = [...r.bytes];
    first ??= bytes;
    const d = codec.decode(message.port, bytes);
    if (!d.ok) throw new Error(`${message.name} / ${v.description}: ${d.error.message}`);
    file.encoder.push({ description: v.description, input: { data: v.data }, output: { bytes, fPort: message.port } });
    file.decoder.push({ description: v.description, input: { fPort: message.port, bytes }, output: { data: d.data } });
  }
  for (const v of c.invalid) {
    const r = codec.encode(message.port, v.data);
    if (r.ok) throw new Error(`${message.name} / ${v.description}: encoded, expected an error`);
    file.encoder.push({ description: v.description, input: { data: v.data }, output: { errors: [r.error.message] } });
  }
  for (const v of [...genericMalformed(message, first!), ...c.malformed]) {
    const d = codec.decode(message.port, v.bytes as number[]);
    if (d.ok) throw new Error(`${message.name} / ${v.description}: decoded, expected an error`);
    file.decoder.push({ description: v.description, input: { fPort: message.port, bytes: v.bytes }, output: { errors: [d.error.message] } });
  }
  const path = fileURLToPath(new URL(vectorPath(message), root));
  mkdirSync(fileURLToPath(new URL('payload-schema/vectors/', root)), { recursive: true });
  // byte arrays on one line: vectors are read by people
  const text = JSON.stringify(file, replacer, 2).replace(/\[\s+([\d,\s]+?)\s+\]/g, (_m, items: string) => `[${items.split(/,\s*/).join(', ')}]`);
  writeFileSync(path, `${text}\n`);
  console.log(`${vectorPath(message)}: ${file.decoder.length} decoder and ${file.encoder.length} encoder vectors`);
}
