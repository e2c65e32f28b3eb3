/**
 * A simulated Sensirion SHT3x (SHT30/31/35) on I2C, byte for byte as Datasheet SHT3x-DIS (v5, May 2018) describes it:
 *
 * - Single-shot measurements, all three repeatabilities, with (0x2C06/0x2C0D/0x2C10) and without (0x2400/0x240B/
 *   0x2416) clock stretching. The result is 6 bytes: T msb, T lsb, CRC, RH msb, RH lsb, CRC (CRC-8 0x31, init 0xFF).
 *   Without clock stretching a read before the measurement has finished is NACKed, as is any other transaction while
 *   the sensor measures. The measurement takes the datasheet maximum (15.5 / 6.5 / 4.5 ms for high / medium / low,
 *   the 2.15-2.4 V figures), so a driver that waits long enough here waits long enough on every part.
 *   With clock stretching the read returns the result at once: the I2CDevice seam has no way to hold the bus, so the
 *   stretch costs no virtual time.
 * - Status register (0xF32D: 2 bytes + CRC), clear status (0x3041: bits 15, 11, 10, 4), soft reset (0x30A2: the part
 *   NACKs for tSR = 1.5 ms, then heater off and status 0x8010), heater on/off (0x306D/0x3066, status bit 13).
 *   An unknown command or a write of another length is NACKed and sets status bit 1 (last command not processed).
 * - A result is read once; a second read, or a read with nothing to return, is NACKed. Reading fewer bytes returns
 *   the first ones (the master may stop early); reading more returns 0xFF for the rest (SDA released).
 * - Values: truth(timeMs) at the end of the measurement, plus the heater's warming, plus Gaussian noise with 3 sigma
 *   equal to the datasheet repeatability (high 0.04 degC / 0.08 %RH, medium 0.08 / 0.15, low 0.15 / 0.21), quantized
 *   to 16 bits with the datasheet formulas.
 * - Heater: warms the sensing element towards `heaterRiseK` (default 3 K: the datasheet says "a few degrees
 *   centigrade") with a first-order time constant (default 5 s, an assumption: the datasheet gives none). The air's
 *   water vapour stays the same, so the relative humidity at the warmer element drops (Magnus formula).
 *
 * Left out: periodic acquisition (0x20xx-0x27xx, fetch 0xE000, ART 0x2B32, break 0x3093), alert limits, the serial
 * number, the general call reset, power-up time and the 1 ms minimum gap between commands (not enforced).
 * Those commands are NACKed like unknown ones.
 *
 * Faults for tests: 'nack' (no ACK to anything), 'crc' (every CRC byte sent is wrong), 'stuck' (measurements repeat
 * the last result, with valid CRCs, whatever the truth does: the failure a checksum cannot catch).
 */
import { sensirionCrc8 } from '../../../firmware/core/crc8.ts';
import type { I2CDevice, Scheduler } from '../contracts.ts';

export interface Climate {
  /** Degrees Celsius. */
  temperature: number;
  /** %RH. */
  humidity: number;
}

export type ClimateTruth = (timeMs: number) => Climate;

export type Sht3xFault = 'nack' | 'crc' | 'stuck';

export type Repeatability = 'high' | 'medium' | 'low';

export interface SimulatedSht3xOptions {
  /** 0x44 (ADDR low, default) or 0x45 (ADDR high). */
  address?: 0x44 | 0x45;
  /** Warming of the sensing element with the heater on, in kelvin. Default 3. */
  heaterRiseK?: number;
  /** Time constant of that warming and of the cooling afterwards. Default 5000 ms. */
  heaterTimeConstantMs?: number;
}

interface ModeSpec {
  repeatability: Repeatability;
  clockStretching: boolean;
}

/** Datasheet Table 9. */
const SINGLE_SHOT: Readonly<Record<number, ModeSpec>> = {
  0x2c06: { repeatability: 'high', clockStretching: true },
  0x2c0d: { repeatability: 'medium', clockStretching: true },
  0x2c10: { repeatability: 'low', clockStretching: true },
  0x2400: { repeatability: 'high', clockStretching: false },
  0x240b: { repeatability: 'medium', clockStretching: false },
  0x2416: { repeatability: 'low', clockStretching: false },
};

/** Maximum measurement duration (ms) at 2.15-2.4 V; 0.5 ms less above 2.4 V (datasheet Table 4). */
export const MEASUREMENT_MS: Readonly<Record<Repeatability, number>> = { high: 15.5, medium: 6.5, low: 4.5 };

/** Repeatability (3 sigma of consecutive readings), datasheet Tables 1 and 2. */
export const REPEATABILITY: Readonly<Record<Repeatability, { temperature: number; humidity: number }>> = {
  high: { temperature: 0.04, humidity: 0.08 },
  medium: { temperature: 0.08, humidity: 0.15 },
  low: { temperature: 0.15, humidity: 0.21 },
};

/** Soft reset time tSR, maximum. */
export const SOFT_RESET_MS = 1.5;

export const CMD_READ_STATUS = 0xf32d;
export const CMD_CLEAR_STATUS = 0x3041;
export const CMD_SOFT_RESET = 0x30a2;
export const CMD_HEATER_ON = 0x306d;
export const CMD_HEATER_OFF = 0x3066;

const STATUS_ALERT_PENDING = 0x8000;
const STATUS_HEATER = 0x2000;
const STATUS_RH_ALERT = 0x0800;
const STATUS_T_ALERT = 0x0400;
const STATUS_RESET_DETECTED = 0x0010;
const STATUS_COMMAND_FAILED = 0x0002;
/** After power-up and every reset: alert pending and reset detected. */
export const STATUS_AFTER_RESET = STATUS_ALERT_PENDING | STATUS_RESET_DETECTED;

/** Saturation vapour pressure over water (hPa), Magnus with a = 17.62, b = 243.12 degC. */
function saturationHpa(t: number): number {
  return 6.112 * Math.exp((17.62 * t) / (243.12 + t));
}

function toRaw(value: number, offset: number, span: number): number {
  return Math.min(65535, Math.max(0, Math.round(((value + offset) * 65535) / span)));
}

/** Two data bytes and their CRC, written into `out` at `at`. */
function putWord(out: Uint8Array, at: number, word: number): void {
  out[at] = (word >> 8) & 0xff;
  out[at + 1] = word & 0xff;
  out[at + 2] = sensirionCrc8(out, at, 2);
}

export class SimulatedSht3x implements I2CDevice {
  readonly address: number;
  /** Every command the sensor accepted, in order (for tests). */
  readonly commands: number[] = [];
  /** Every switch of the heater (commands and soft resets that changed it), for tests. */
  readonly heaterSwitches: { timeMs: number; on: boolean }[] = [];
  /** Single-shot measurements started, and their time (datasheet maximum), for power accounting. */
  measurements = 0;
  measuringMs = 0;
  private readonly scheduler: Scheduler;
  private readonly truth: ClimateTruth;
  private readonly heaterRiseK: number;
  private readonly heaterTauMs: number;
  private fault: Sht3xFault | null = null;
  private status = STATUS_AFTER_RESET;
  private heaterIsOn = false;
  /** Heater on-time before the last switch. */
  private heaterMsBefore = 0;
  /** Heater warming at the last switch, and when that was; it relaxes exponentially from there. */
  private heaterK = 0;
  private heaterSwitchedAt = 0;
  /** Until then the part is resetting and answers nothing. */
  private resetUntil = -Infinity;
  /** Until then a measurement runs. */
  private busyUntil = -Infinity;
  /** What the next read returns, and whether that read has to wait for busyUntil (no clock stretching). */
  private output: Uint8Array | null = null;
  private outputNeedsReady = false;
  /** The last measurement result, repeated while 'stuck'. */
  private lastResult: Uint8Array | null = null;

  constructor(scheduler: Scheduler, truth: ClimateTruth, options: SimulatedSht3xOptions = {}) {
    this.scheduler = scheduler;
    this.truth = truth;
    this.address = options.address ?? 0x44;
    this.heaterRiseK = options.heaterRiseK ?? 3;
    this.heaterTauMs = options.heaterTimeConstantMs ?? 5000;
    this.heaterSwitchedAt = scheduler.now();
  }

  setFault(fault: Sht3xFault): void {
    this.fault = fault;
  }

  clearFault(): void {
    this.fault = null;
  }

  get heaterOn(): boolean {
    return this.heaterIsOn;
  }

  /** Milliseconds the heater has been on in total, for power accounting. */
  get heaterOnMs(): number {
    return this.heaterMsBefore + (this.heaterIsOn ? this.scheduler.now() - this.heaterSwitchedAt : 0);
  }

  /** The status register as the part would report it now. */
  get statusRegister(): number {
    return this.status | (this.heaterIsOn ? STATUS_HEATER : 0);
  }

  /** How much warmer than the air the sensing element is at `timeMs`, in kelvin. */
  heaterWarmingAt(timeMs: number): number {
    const target = this.heaterIsOn ? this.heaterRiseK : 0;
    const elapsed = Math.max(0, timeMs - this.heaterSwitchedAt);
    return target + (this.heaterK - target) * Math.exp(-elapsed / this.heaterTauMs);
  }

  write(bytes: Uint8Array): boolean {
    if (!this.responds()) return false;
    if (bytes.length === 0) return true; // an address-only probe
    if (bytes.length !== 2) return this.reject();
    const command = (bytes[0]! << 8) | bytes[1]!;
    const now = this.scheduler.now();
    const mode = SINGLE_SHOT[command];
    if (mode) {
      this.startMeasurement(mode, now);
    } else if (command === CMD_READ_STATUS) {
      this.output = new Uint8Array(3);
      putWord(this.output, 0, this.statusRegister);
      this.outputNeedsReady = false;
    } else if (command === CMD_CLEAR_STATUS) {
      this.status &= ~(STATUS_ALERT_PENDING | STATUS_RH_ALERT | STATUS_T_ALERT | STATUS_RESET_DETECTED);
      this.output = null;
    } else if (command === CMD_HEATER_ON || command === CMD_HEATER_OFF) {
      this.switchHeater(command === CMD_HEATER_ON, now);
      this.output = null;
    } else if (command === CMD_SOFT_RESET) {
      this.reset(now);
    } else {
      return this.reject();
    }
    if (command !== CMD_READ_STATUS) this.status &= ~STATUS_COMMAND_FAILED;
    this.commands.push(command);
    return true;
  }

  read(n: number): Uint8Array | undefined {
    if (!this.responds() || !this.output) return undefined;
    if (this.outputNeedsReady && this.scheduler.now() < this.busyUntil) return undefined;
    const data = this.output;
    this.output = null;
    const out = new Uint8Array(n).fill(0xff);
    out.set(data.subarray(0, Math.min(n, data.length)));
    if (this.fault === 'crc') {
      for (let crcAt = 2; crcAt < Math.min(n, data.length); crcAt += 3) out[crcAt]! ^= 0x5a;
    }
    return out;
  }

  /** Whether the part answers at all right now: not faulted, not resetting, not busy with a stretch-free measurement. */
  private responds(): boolean {
    const now = this.scheduler.now();
    if (this.fault === 'nack' || now < this.resetUntil) return false;
    // While measuring the part ignores the bus; a clock-stretching read is answered (see read()).
    return !(now < this.busyUntil && this.outputNeedsReady);
  }

  private reject(): false {
    this.status |= STATUS_COMMAND_FAILED;
    return false;
  }

  private startMeasurement(mode: ModeSpec, now: number): void {
    const readyAt = now + MEASUREMENT_MS[mode.repeatability];
    this.measurements++;
    this.measuringMs += MEASUREMENT_MS[mode.repeatability];
    let result: Uint8Array;
    if (this.fault === 'stuck' && this.lastResult) {
      result = this.lastResult;
    } else {
      result = this.measure(readyAt, mode.repeatability);
      this.lastResult = result;
    }
    this.output = result;
    this.busyUntil = readyAt;
    this.outputNeedsReady = !mode.clockStretching;
  }

  private measure(timeMs: number, repeatability: Repeatability): Uint8Array {
    const air = this.truth(timeMs);
    const warming = this.heaterWarmingAt(timeMs);
    const temperature = air.temperature + warming;
    // Same vapour pressure at a warmer element: lower relative humidity.
    const humidity = (air.humidity * saturationHpa(air.temperature)) / saturationHpa(temperature);
    const sigma = REPEATABILITY[repeatability];
    const out = new Uint8Array(6);
    putWord(out, 0, toRaw(temperature + (this.gaussian() * sigma.temperature) / 3, 45, 175));
    putWord(out, 3, toRaw(humidity + (this.gaussian() * sigma.humidity) / 3, 0, 100));
    return out;
  }

  /** Standard normal deviate from the scheduler's seeded random numbers (Box-Muller). */
  private gaussian(): number {
    const u = 1 - this.scheduler.random(); // (0, 1]: log stays finite
    const v = this.scheduler.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  private switchHeater(on: boolean, now: number): void {
    if (on !== this.heaterIsOn) this.heaterSwitches.push({ timeMs: now, on });
    this.heaterMsBefore = this.heaterOnMs;
    this.heaterK = this.heaterWarmingAt(now);
    this.heaterSwitchedAt = now;
    this.heaterIsOn = on;
  }

  private reset(now: number): void {
    this.switchHeater(false, now);
    this.status = STATUS_AFTER_RESET;
    this.output = null;
    this.outputNeedsReady = false;
    this.busyUntil = -Infinity;
    this.resetUntil = now + SOFT_RESET_MS;
  }
}
