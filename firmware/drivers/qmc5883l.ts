/**
 * QST QMC5883L three-axis magnetometer on I2C at 0x0D (shared/reference/sensors.md; QMC5883L datasheet v1.0).
 *
 *   const mag = new QMC5883L(I2C1, setTimeout);
 *   mag.init(function (err) { if (!err) mag.read(function (err, r) { if (!err) print(r.x, r.y, r.z); }); });
 *
 * The chip sleeps in standby between readings: `read` switches it to continuous mode at the fastest rate, waits
 * for its first sample (STATUS.DRDY, polled a few times), reads X/Y/Z, STATUS and the temperature, and puts it back
 * into standby. One reading keeps the chip awake for about 6 ms.
 *
 * STATUS handling: DRDY missing after the retries gives 'notReady'; OVL (an axis beyond the 16-bit range) gives
 * 'overflow' and the sample is not used; two overflows in a row switch the range from 2 G to 8 G, and 32 quiet
 * readings at 8 G switch back; DOR (a sample was never read) is reported as `skipped` and the data is still good.
 * A NACK (Espruino throws "I2C Write Error ...") gives 'nack'; the driver never throws. Errors are short codes:
 * 'nack' | 'notReady' | 'overflow' | 'chipId' | 'busy'.
 */
import type { I2CBus, TimerFunction } from './sht3x.ts';

export const QMC5883L_ADDRESS = 0x0d;

const REG_DATA = 0x00;
const REG_STATUS = 0x06;
const REG_CONFIG = 0x09;
const REG_CONFIG2 = 0x0a;
const REG_SET_RESET = 0x0b;
const REG_CHIP_ID = 0x0d;
/** What register 0x0D reads on a QMC5883L. */
const CHIP_ID = 0xff;

export const STATUS_DRDY = 0x01;
export const STATUS_OVL = 0x02;
export const STATUS_DOR = 0x04;

const MODE_CONTINUOUS = 0x01;
const RANGE_8G = 0x10;
/** OSR 512 (least noise) at 200 Hz: the first sample is ready 5 ms after the switch to continuous mode. */
const OSR_512 = 0x00;
const ODR_200HZ = 0x0c;
const SAMPLE_MS = 5;
/** First poll 1 ms after the sample is due; then one sample period per retry. */
const FIRST_POLL_MS = SAMPLE_MS + 1;
const POLLS = 3;
const SOFT_RESET = 0x80;
const RESET_WAIT_MS = 1;

/** LSB per microtesla: 12,000 LSB/G at 2 G, 3,000 LSB/G at 8 G; 1 G = 100 µT. */
const LSB_PER_UT_2G = 120;
const LSB_PER_UT_8G = 30;
const OVERFLOWS_TO_WIDEN = 2;
const QUIET_TO_NARROW = 32;
/** At 8 G, readings below this on every axis would fit the 2 G range with room to spare. */
const QUIET_UT = 100;

export type Qmc5883lError = 'nack' | 'notReady' | 'overflow' | 'chipId' | 'busy';

export interface Qmc5883lReading {
  /** Magnetic flux density per axis in µT. */
  x: number;
  y: number;
  z: number;
  /** Chip temperature in °C: 100 LSB/°C, offset not calibrated by the factory (add `temperatureOffset`). */
  temperature: number;
  /** Full-scale range in gauss the sample was taken at (2 or 8). */
  range: number;
  /** STATUS.DOR: at least one sample was skipped before this one was read. */
  skipped: boolean;
}

export type Qmc5883lCallback = (err: Qmc5883lError | null, reading: Qmc5883lReading | null) => void;

function int16(lsb: number, msb: number): number {
  const v = ((msb & 0xff) << 8) | (lsb & 0xff);
  return v >= 0x8000 ? v - 0x10000 : v;
}

/** X, Y, Z in µT from the six data bytes (LSB first) at `range` gauss. */
export function fieldFromBytes(bytes: ArrayLike<number>, range: number): number[] {
  const perUt = range === 8 ? LSB_PER_UT_8G : LSB_PER_UT_2G;
  return [int16(bytes[0]!, bytes[1]!) / perUt, int16(bytes[2]!, bytes[3]!) / perUt, int16(bytes[4]!, bytes[5]!) / perUt];
}

export class QMC5883L {
  /** Full-scale range in gauss used for the next reading. */
  range = 2;
  /** Added to the chip's relative temperature. */
  temperatureOffset = 0;
  private readonly i2c: I2CBus;
  private readonly timer: TimerFunction;
  private readonly address: number;
  private pending = false;
  private overflows = 0;
  private quiet = 0;

  constructor(i2c: I2CBus, timer: TimerFunction, address?: number) {
    this.i2c = i2c;
    this.timer = timer;
    this.address = address === undefined ? QMC5883L_ADDRESS : address;
  }

  /** Soft reset, chip id check, SET/RESET period 0x01 (as the datasheet recommends), standby. */
  init(cb: (err: Qmc5883lError | null) => void): void {
    if (this.pending) return void this.timer(() => cb('busy'), 0);
    if (!this.write([REG_CONFIG2, SOFT_RESET])) return void this.timer(() => cb('nack'), 0);
    this.pending = true;
    this.timer(() => {
      this.pending = false;
      const id = this.readRegisters(REG_CHIP_ID, 1);
      if (!id) return cb('nack');
      if ((id[0]! & 0xff) !== CHIP_ID) return cb('chipId');
      if (!this.write([REG_SET_RESET, 0x01]) || !this.write([REG_CONFIG2, 0x00]) || !this.write([REG_CONFIG, this.config(false)])) return cb('nack');
      cb(null);
    }, RESET_WAIT_MS);
  }

  /** One reading: continuous mode until the first sample is in, then standby again. */
  read(cb: Qmc5883lCallback): void {
    if (this.pending) return void this.timer(() => cb('busy', null), 0);
    if (!this.write([REG_CONFIG, this.config(true)])) return void this.timer(() => cb('nack', null), 0);
    this.pending = true;
    let polls = 0;
    const poll = (): void => {
      const status = this.readRegisters(REG_STATUS, 1);
      if (status && !(status[0]! & STATUS_DRDY) && ++polls < POLLS) return void this.timer(poll, SAMPLE_MS);
      // X, Y, Z, STATUS, TEMP in one transfer; DRDY and DOR come from the status read before it
      const data = status && status[0]! & STATUS_DRDY ? this.readRegisters(REG_DATA, 9) : null;
      // a NACK here leaves the chip converting (current, not data): the next read writes CONFIG again
      this.write([REG_CONFIG, this.config(false)]);
      this.pending = false;
      if (!status || (status[0]! & STATUS_DRDY && !data)) return cb('nack', null);
      if (!data) return cb('notReady', null);
      this.finish(status[0]! | data[6]!, data, cb);
    };
    this.timer(poll, FIRST_POLL_MS);
  }

  private finish(status: number, data: ArrayLike<number>, cb: Qmc5883lCallback): void {
    const range = this.range;
    if (status & STATUS_OVL) {
      this.quiet = 0;
      if (++this.overflows >= OVERFLOWS_TO_WIDEN && this.range === 2) {
        this.range = 8;
        this.overflows = 0;
      }
      return cb('overflow', null);
    }
    this.overflows = 0;
    const f = fieldFromBytes(data, range);
    if (range === 8) {
      const quiet = Math.abs(f[0]!) < QUIET_UT && Math.abs(f[1]!) < QUIET_UT && Math.abs(f[2]!) < QUIET_UT;
      this.quiet = quiet ? this.quiet + 1 : 0;
      if (this.quiet >= QUIET_TO_NARROW) {
        this.range = 2;
        this.quiet = 0;
      }
    }
    const reading: Qmc5883lReading = {
      x: f[0]!,
      y: f[1]!,
      z: f[2]!,
      temperature: int16(data[7]!, data[8]!) / 100 + this.temperatureOffset,
      range: range,
      skipped: (status & STATUS_DOR) !== 0,
    };
    cb(null, reading);
  }

  private config(continuous: boolean): number {
    return OSR_512 | (this.range === 8 ? RANGE_8G : 0) | ODR_200HZ | (continuous ? MODE_CONTINUOUS : 0);
  }

  private write(bytes: number[]): boolean {
    try {
      this.i2c.writeTo(this.address, bytes);
      return true;
    } catch {
      return false;
    }
  }

  private readRegisters(register: number, count: number): ArrayLike<number> | null {
    try {
      this.i2c.writeTo(this.address, [register]);
      const bytes = this.i2c.readFrom(this.address, count);
      return bytes.length >= count ? bytes : null;
    } catch {
      return null;
    }
  }
}
