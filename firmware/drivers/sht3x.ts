/**
 * Sensirion SHT3x (SHT30/31/35) temperature and humidity sensor on I2C, single-shot mode without clock stretching
 * (Datasheet SHT3x-DIS v5, 2018; shared/reference/sensors.md).
 *
 *   const air = new SHT3x(I2C1, 0x44, setTimeout);
 *   air.read(function (err, r) { if (!err) print(r.temperature, r.humidity); });
 *   readStatus(air, function (err, status) { ... });
 *
 * Every operation sends one 16-bit command, waits as long as the datasheet asks, optionally reads the reply, checks
 * its CRC-8 and calls back `cb(error, result)`. Errors are 'nack' (the sensor did not acknowledge: absent, still
 * busy, or reset), 'crc' (a reply failed its checksum) and 'busy' (this driver is already waiting on the sensor);
 * the driver never throws. Without clock stretching the bus stays free while the sensor measures, so other devices
 * (and a second SHT3x) can be used meanwhile.
 *
 * Road surface: the road-climate node uses a second SHT3x for the surface, at 0x45 (ADDR pin high) on the same bus,
 * driven by this same driver: one driver and one bus for both sensors, CRC-checked replies end to end, and no
 * OneWire timing (a DS18B20 probe would add a second pin and protocol with microsecond time slots).
 */
import { sensirionCrc8 } from '../core/crc8.ts';

/** The I2C bus as Espruino's I2C1/I2C2 offers it: a NACK throws. */
export interface I2CBus {
  writeTo(address: number, data: number[]): void;
  readFrom(address: number, quantity: number): ArrayLike<number>;
}

/** setTimeout as Espruino (or a virtual clock in tests and the simulator) provides it. */
export type TimerFunction = (fn: () => void, ms: number) => unknown;

export type Sht3xError = 'nack' | 'crc' | 'busy';

export interface Sht3xReading {
  /** Degrees Celsius. */
  temperature: number;
  /** %RH, 0..100. */
  humidity: number;
}

export interface Sht3xStatus {
  /** The 16-bit status register as read. */
  raw: number;
  /** Bit 15: at least one alert pending (set after every reset). */
  alertPending: boolean;
  /** Bit 13. */
  heater: boolean;
  /** Bit 11: humidity tracking alert (periodic mode only). */
  humidityAlert: boolean;
  /** Bit 10: temperature tracking alert (periodic mode only). */
  temperatureAlert: boolean;
  /** Bit 4: a hard reset, soft reset or supply failure since the last clearStatus. */
  resetDetected: boolean;
  /** Bit 1: the last command was invalid or failed its internal checksum. */
  commandFailed: boolean;
  /** Bit 0: the checksum of the last write transfer was wrong. */
  writeChecksumFailed: boolean;
}

export type Sht3xCallback<T> = (err: Sht3xError | null, result: T | null) => void;
export type Sht3xDone = (err: Sht3xError | null) => void;

export const SHT3X_ADDRESS = 0x44;
export const SHT3X_ADDRESS_ALT = 0x45;

const CMD_MEASURE_HIGH = 0x2400;
const CMD_READ_STATUS = 0xf32d;
const CMD_CLEAR_STATUS = 0x3041;
const CMD_SOFT_RESET = 0x30a2;
const CMD_HEATER_ON = 0x306d;
const CMD_HEATER_OFF = 0x3066;

/** High repeatability takes at most 15.5 ms (15 ms above 2.4 V); 1.5 ms margin for timer jitter. */
const MEASURE_WAIT_MS = 17;
/** The datasheet asks for at least 1 ms between a command and the next bus access. */
const COMMAND_WAIT_MS = 1;
/** Soft reset: at most 1.5 ms until the sensor is idle again. */
const RESET_WAIT_MS = 2;

export function temperatureFromRaw(raw: number): number {
  return -45 + (175 * raw) / 65535;
}

export function humidityFromRaw(raw: number): number {
  const rh = (100 * raw) / 65535;
  return rh < 0 ? 0 : rh > 100 ? 100 : rh;
}

/** The 16-bit word at `offset` if the CRC byte after it matches, else -1. */
function checkedWord(bytes: ArrayLike<number>, offset: number): number {
  if (sensirionCrc8(bytes, offset, 2) !== (bytes[offset + 2]! & 0xff)) return -1;
  return ((bytes[offset]! & 0xff) << 8) | (bytes[offset + 1]! & 0xff);
}

/** The 6 bytes of a measurement (T msb, lsb, crc, RH msb, lsb, crc) as a reading, or null if a CRC fails. */
export function decodeMeasurement(bytes: ArrayLike<number>): Sht3xReading | null {
  if (bytes.length < 6) return null;
  const t = checkedWord(bytes, 0);
  const rh = checkedWord(bytes, 3);
  if (t < 0 || rh < 0) return null;
  return { temperature: temperatureFromRaw(t), humidity: humidityFromRaw(rh) };
}

export function decodeStatus(raw: number): Sht3xStatus {
  return {
    raw: raw,
    alertPending: (raw & 0x8000) !== 0,
    heater: (raw & 0x2000) !== 0,
    humidityAlert: (raw & 0x0800) !== 0,
    temperatureAlert: (raw & 0x0400) !== 0,
    resetDetected: (raw & 0x0010) !== 0,
    commandFailed: (raw & 0x0002) !== 0,
    writeChecksumFailed: (raw & 0x0001) !== 0,
  };
}

export class SHT3x {
  private readonly i2c: I2CBus;
  private readonly address: number;
  private readonly timer: TimerFunction;
  /** A command was sent and its wait has not ended. */
  private pending = false;

  constructor(i2c: I2CBus, address: number, timer: TimerFunction) {
    this.i2c = i2c;
    this.address = address;
    this.timer = timer;
  }

  /** One high-repeatability measurement. */
  read(cb: Sht3xCallback<Sht3xReading>): void {
    this.transaction(CMD_MEASURE_HIGH, MEASURE_WAIT_MS, 6, function (err, bytes) {
      if (err || !bytes) return cb(err, null);
      const reading = decodeMeasurement(bytes);
      cb(reading ? null : 'crc', reading);
    });
  }

  /** Switches the built-in heater (a plausibility check: temperature rises a few degrees, humidity drops). */
  heater(on: boolean, cb: Sht3xDone): void {
    this.transaction(on ? CMD_HEATER_ON : CMD_HEATER_OFF, COMMAND_WAIT_MS, 0, cb);
  }

  /**
   * Sends `command`, waits `waitMs`, reads `readLength` bytes (none for 0) and calls `done`, always from a timer
   * so callers see the same order whether the sensor answered or not.
   */
  transaction(command: number, waitMs: number, readLength: number, done: (err: Sht3xError | null, bytes: ArrayLike<number> | null) => void): void {
    const fail = (err: Sht3xError): unknown => this.timer(() => done(err, null), 0);
    if (this.pending) return void fail('busy');
    try {
      this.i2c.writeTo(this.address, [command >> 8, command & 0xff]);
    } catch {
      return void fail('nack');
    }
    this.pending = true;
    this.timer(() => {
      let bytes: ArrayLike<number> | null = null;
      try {
        if (readLength > 0) bytes = this.i2c.readFrom(this.address, readLength);
      } catch {
        // a NACK: bytes stays null
      }
      this.pending = false;
      const ok = readLength === 0 || (!!bytes && bytes.length >= readLength);
      done(ok ? null : 'nack', ok ? bytes : null);
    }, waitMs);
  }
}

/*
 * Status and reset: functions rather than methods, so that a bundle whose app does not use them leaves them out.
 */

export function readStatus(sensor: SHT3x, cb: Sht3xCallback<Sht3xStatus>): void {
  sensor.transaction(CMD_READ_STATUS, COMMAND_WAIT_MS, 3, function (err, bytes) {
    if (err || !bytes) return cb(err, null);
    const raw = checkedWord(bytes, 0);
    if (raw < 0) return cb('crc', null);
    cb(null, decodeStatus(raw));
  });
}

/** Clears the alert and reset flags (bits 15, 11, 10, 4). */
export function clearStatus(sensor: SHT3x, cb: Sht3xDone): void {
  sensor.transaction(CMD_CLEAR_STATUS, COMMAND_WAIT_MS, 0, cb);
}

/** Resets the sensor (heater off, status to its defaults) and calls back once it is idle again. */
export function softReset(sensor: SHT3x, cb: Sht3xDone): void {
  sensor.transaction(CMD_SOFT_RESET, RESET_WAIT_MS, 0, cb);
}
