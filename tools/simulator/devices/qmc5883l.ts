/**
 * A simulated QST QMC5883L magnetometer on I2C (address 0x0D), register for register as the datasheet (v1.0) and
 * shared/reference/sensors.md describe it:
 *
 * - Registers: X/Y/Z int16 LSB first at 0x00-0x05, STATUS 0x06 (DRDY 1, OVL 2, DOR 4), TOUT 0x07-0x08 (int16,
 *   100 LSB/°C, offset not calibrated: `temperatureOffsetC`), CONFIG 0x09 (MODE bits 1:0 standby 00 / continuous
 *   01, ODR 3:2 10/50/100/200 Hz, RNG 5:4 2 G / 8 G, OSR 7:6), CONFIG2 0x0A (INT_ENB 0, ROL_PNT 6, SOFT_RST 7),
 *   SET/RESET period 0x0B, reserved 0x0C (reads 0x01), chip id 0x0D (reads 0xFF). A write of one byte sets the
 *   register pointer; further bytes are written from there on, the pointer incrementing; reads continue from the
 *   pointer. Only 0x09-0x0B are writable; writes elsewhere are acknowledged and ignored. Addresses past 0x0D read 0.
 * - Continuous mode converts once every 1/ODR from the moment CONFIG selects it; standby stops converting and keeps
 *   the registers. A conversion sets DRDY and replaces X/Y/Z/TOUT: the data registers are not locked while being
 *   read (datasheet: "the data stays the same, regardless of reading status through I2C, until new data replaces
 *   them"; locking is the HMC5883L's behaviour). A conversion that replaces data nobody read sets DOR. Reading a data
 *   register (0x00-0x05) clears DRDY and DOR; the datasheet does not say when within a burst, so here at the end of
 *   the read transfer (a burst 0x00-0x08 returns the status as it was before the burst).
 * - Sensitivity 12,000 LSB/G at 2 G and 3,000 LSB/G at 8 G (1 G = 100 µT); an axis beyond -32768..32767 saturates
 *   and sets OVL, which clears with the next conversion in range.
 * - SOFT_RST restores every register to its power-on value (zero: standby) at once.
 *
 * Values: truth(timeMs) at the end of the conversion (earth's field plus whatever the world puts over the sensor),
 * plus an offset that drifts linearly with the chip temperature (`tempcoUtPerK` per axis from `referenceC`), plus
 * Gaussian noise with standard deviation `noiseUt` on each axis.
 *
 * Not modelled (the datasheet gives no numbers or we do not know them): the conversion time's dependence on OSR,
 * the power-on and soft-reset times (the chip answers at once), what a SET/RESET period other than 0x01 does (kept
 * and readable only), interrupt pin, and where ROL_PNT rolls the pointer over (assumed: from 0x06 back to 0x00).
 *
 * Faults for tests: 'nack' (no ACK to anything), 'noConversion' (continuous mode never produces a sample).
 */
import type { I2CDevice, Scheduler } from '../contracts.ts';

export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

/** The flux density at the chip in µT, in the chip's axes, at virtual time `timeMs`. */
export type FieldTruth = (timeMs: number) => Vector3;

export type Qmc5883lFault = 'nack' | 'noConversion';

export interface SimulatedQmc5883lOptions {
  /** Standard deviation of the noise on each axis, µT. Default 0.2 (an assumption: the datasheet's 2 mG resolution). */
  noiseUt?: number;
  /** Chip temperature in °C over time. Default 20 °C. */
  temperature?: (timeMs: number) => number;
  /** Offset drift per kelvin away from `referenceC`, µT per axis. Default none. */
  tempcoUtPerK?: Vector3;
  /** Default 20 °C. */
  referenceC?: number;
  /** The chip's uncalibrated temperature offset: TOUT reads (T + this) * 100. Default 0. */
  temperatureOffsetC?: number;
}

export const QMC5883L_ADDRESS = 0x0d;
export const CHIP_ID = 0xff;
const REG_STATUS = 0x06;
const REG_CONFIG = 0x09;
const REG_CONFIG2 = 0x0a;
const REG_SET_RESET = 0x0b;
const REG_RESERVED = 0x0c;
const REG_CHIP_ID = 0x0d;
const DRDY = 0x01;
const OVL = 0x02;
const DOR = 0x04;
const ROL_PNT = 0x40;
const SOFT_RST = 0x80;

/** Output data rate in Hz by CONFIG bits 3:2. */
export const ODR_HZ = [10, 50, 100, 200] as const;
/** LSB per µT by CONFIG bits 5:4 (2 G, 8 G; the other codes are reserved: taken as 8 G here). */
const LSB_PER_UT = [120, 30, 30, 30] as const;

export class SimulatedQmc5883l implements I2CDevice {
  readonly address = QMC5883L_ADDRESS;
  /** Register file 0x00-0x0D. */
  private readonly regs = new Uint8Array(14);
  private pointer = 0;
  private fault: Qmc5883lFault | null = null;
  /** Continuous mode since (virtual ms), or null in standby; conversions done since then. */
  private runningSince: number | null = null;
  private conversionsDone = 0;
  private activeMsBefore = 0;
  /** Conversions made, in total (for tests and power accounting). */
  conversions = 0;
  /** Soft resets seen. */
  softResets = 0;
  private readonly truth: FieldTruth;
  private readonly scheduler: Scheduler;
  private readonly noiseUt: number;
  private readonly temperatureOf: (timeMs: number) => number;
  private readonly tempco: Vector3;
  private readonly referenceC: number;
  private readonly temperatureOffsetC: number;

  constructor(scheduler: Scheduler, truth: FieldTruth, options: SimulatedQmc5883lOptions = {}) {
    this.scheduler = scheduler;
    this.truth = truth;
    this.noiseUt = options.noiseUt ?? 0.2;
    this.temperatureOf = options.temperature ?? (() => 20);
    this.tempco = options.tempcoUtPerK ?? { x: 0, y: 0, z: 0 };
    this.referenceC = options.referenceC ?? 20;
    this.temperatureOffsetC = options.temperatureOffsetC ?? 0;
    this.powerOnReset();
  }

  setFault(fault: Qmc5883lFault): void {
    this.fault = fault;
  }

  clearFault(): void {
    this.fault = null;
  }

  /** A register as the chip holds it now (conversions caught up), without the side effects of a bus read. */
  peek(register: number): number {
    this.catchUp();
    return register < this.regs.length ? this.regs[register]! : 0;
  }

  /** Milliseconds spent in continuous mode (converting), for power accounting. */
  get activeMs(): number {
    return this.activeMsBefore + (this.runningSince === null ? 0 : this.scheduler.now() - this.runningSince);
  }

  write(bytes: Uint8Array): boolean {
    if (this.fault === 'nack') return false;
    if (bytes.length === 0) return true; // an address-only probe
    this.catchUp();
    this.pointer = bytes[0]!;
    for (let i = 1; i < bytes.length; i++) {
      this.writeRegister(this.pointer, bytes[i]!);
      this.pointer++;
    }
    return true;
  }

  read(n: number): Uint8Array | undefined {
    if (this.fault === 'nack') return undefined;
    this.catchUp();
    const out = new Uint8Array(n);
    let readData = false;
    for (let i = 0; i < n; i++) {
      const p = this.pointer;
      out[i] = p < this.regs.length ? this.regs[p]! : 0;
      if (p <= 0x05) readData = true;
      this.pointer = this.regs[REG_CONFIG2]! & ROL_PNT && p === REG_STATUS ? 0 : p + 1;
    }
    if (readData) this.regs[REG_STATUS]! &= ~(DRDY | DOR);
    return out;
  }

  private powerOnReset(): void {
    this.stop();
    this.regs.fill(0);
    this.regs[REG_RESERVED] = 0x01;
    this.regs[REG_CHIP_ID] = CHIP_ID;
  }

  private writeRegister(register: number, value: number): void {
    if (register === REG_CONFIG2) {
      if (value & SOFT_RST) {
        this.softResets++;
        this.powerOnReset();
        return;
      }
      this.regs[REG_CONFIG2] = value & (ROL_PNT | 0x01);
    } else if (register === REG_SET_RESET) {
      this.regs[REG_SET_RESET] = value;
    } else if (register === REG_CONFIG) {
      this.regs[REG_CONFIG] = value;
      this.stop();
      // mode 01 is continuous; 00 standby (10 and 11 are reserved: taken as standby)
      if ((value & 0x03) === 0x01) {
        this.runningSince = this.scheduler.now();
        this.conversionsDone = 0;
      }
    }
  }

  private stop(): void {
    if (this.runningSince !== null) this.activeMsBefore += this.scheduler.now() - this.runningSince;
    this.runningSince = null;
  }

  private periodMs(): number {
    return 1000 / ODR_HZ[(this.regs[REG_CONFIG]! >> 2) & 0x03]!;
  }

  /** Applies the conversions that finished since the last bus access; only the newest one's values remain. */
  private catchUp(): void {
    if (this.runningSince === null || this.fault === 'noConversion') return;
    const period = this.periodMs();
    const done = Math.floor((this.scheduler.now() - this.runningSince) / period + 1e-9);
    const fresh = done - this.conversionsDone;
    if (fresh <= 0) return;
    const unread = (this.regs[REG_STATUS]! & DRDY) !== 0;
    this.conversionsDone = done;
    this.conversions += fresh;
    this.convert(this.runningSince + done * period, unread || fresh > 1);
  }

  private convert(timeMs: number, overran: boolean): void {
    const b = this.truth(timeMs);
    const t = this.temperatureOf(timeMs);
    const dT = t - this.referenceC;
    const perUt = LSB_PER_UT[(this.regs[REG_CONFIG]! >> 4) & 0x03]!;
    let overflow = false;
    const axes = [b.x + this.tempco.x * dT, b.y + this.tempco.y * dT, b.z + this.tempco.z * dT];
    for (let i = 0; i < 3; i++) {
      let raw = Math.round((axes[i]! + this.gaussian() * this.noiseUt) * perUt);
      if (raw > 32767 || raw < -32768) {
        overflow = true;
        raw = raw > 0 ? 32767 : -32768;
      }
      this.regs[2 * i] = raw & 0xff;
      this.regs[2 * i + 1] = (raw >> 8) & 0xff;
    }
    const tout = Math.max(-32768, Math.min(32767, Math.round((t + this.temperatureOffsetC) * 100)));
    this.regs[7] = tout & 0xff;
    this.regs[8] = (tout >> 8) & 0xff;
    this.regs[REG_STATUS] = DRDY | (overflow ? OVL : 0) | (overran ? DOR : 0);
  }

  /** Standard normal deviate from the scheduler's seeded random numbers (Box-Muller). */
  private gaussian(): number {
    if (this.noiseUt === 0) return 0;
    const u = 1 - this.scheduler.random();
    const v = this.scheduler.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
