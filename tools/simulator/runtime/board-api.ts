/** The public face of a simulated board: its options and what tests and scenarios can do with it. */
import type { I2CDevice, Scheduler, SerialDevice } from '../contracts.ts';
import type { BoardName, BoardProfile } from './boards.ts';
import type { I2CBusView } from './i2c.ts';
import type { PinListener, PinMode } from './pins.ts';
import type { PowerStatesView } from './power-states.ts';
import type { SPIBusView, SPIDevice } from './spi.ts';
import type { ResetReason } from './reset-register.ts';
import type { SerialPortView, SerialWiring } from './serial.ts';
import type { FlashImage } from './storage.ts';

export interface EspruinoBoardOptions {
  /** A board name from BOARDS or a profile of your own; MDBT42Q by default. */
  board?: BoardName | BoardProfile;
  /** Shared virtual clock; a VirtualScheduler seeded with `seed` is created when left out. */
  scheduler?: Scheduler;
  seed?: number;
  /** Names the board in getSerial() and the NRF address. */
  id?: string;
  /** Overrides the profile's require('crypto'): true = with AES, false = the profile's module without AES. */
  hasAES?: boolean;
  /** Start from an existing flash image (for example one written by another board). */
  flash?: FlashImage;
  /** Awake time charged for each callback the firmware runs. Default 2 ms. */
  callbackCostMs?: number;
  /** Awake time charged per KB of boot code run. Default 5 ms. */
  bootCostMsPerKB?: number;
  /** Time a reset started by the firmware or the watchdog takes before the new boot. Default 50 ms. */
  rebootDelayMs?: number;
  /** Split data from serial devices into chunks of at most this many bytes (each delivered when it has arrived). */
  serialRxChunkBytes?: number;
  /** Wall-clock time (ms since 1970) the board's clock shows at power-on; Espruino starts at 0. */
  clockStartMs?: number;
  /** Called for every console line as it is printed. */
  onConsole?: (line: ConsoleLine) => void;
}

export interface ConsoleLine {
  /** Virtual milliseconds. */
  timeMs: number;
  /** Boot number the line belongs to (1 for the first boot). */
  boot: number;
  text: string;
  /** Where the console was when the line was printed (`Serial1`, `Bluetooth`, `USB`, ...): see console-device.ts. */
  device: string;
}

export interface PinView {
  readonly names: readonly string[];
  /** The level the pin reads (outside drive, output latch or pull). */
  level(pin: string): 0 | 1;
  /** The value the firmware last wrote. */
  output(pin: string): 0 | 1;
  mode(pin: string): PinMode | undefined;
}

export interface WatchdogState {
  timeoutMs: number;
  /** Kicked by Espruino's idle loop (never fires in the simulator, where JavaScript takes no virtual time). */
  auto: boolean;
}

export interface EspruinoBoard {
  readonly profile: BoardProfile;
  readonly scheduler: Scheduler;
  /** Uploads firmware: 'flash' (default) writes it to .bootcde and reboots the interpreter (load()); 'ram' runs it after reset(). */
  load(bundleText: string, options?: { mode?: 'flash' | 'ram' }): void;
  /** Power off and on: RAM, peripherals and clock start over; Storage stays. */
  powerCycle(): void;
  /** A hardware reset with the given cause (reset pin, brownout, ...). */
  reset(reason: ResetReason): void;
  /** Runs code in the board's global scope (like the REPL) and returns its value; exceptions are thrown to the caller. */
  evaluate(code: string): unknown;
  /** Every line printed, wherever the console was (a probe on the interpreter, not a wire). */
  readonly console: readonly ConsoleLine[];
  consoleText(): string;
  /** Where Espruino's console is now, and whether the firmware forced it there. */
  readonly consoleDevice: { readonly device: string; readonly isForced: boolean; readonly isHostConnected: boolean };
  /**
   * A computer connecting or leaving over the board's host link (USB cable, Bluetooth central): the console
   * follows unless forced. Boards start unconnected, as in the field.
   */
  setHostConnected(connected: boolean): void;
  readonly storage: FlashImage;
  readonly pins: PinView;
  serial(name: string): SerialPortView;
  i2c(name: string): I2CBusView;
  /** `pins`: the board pins the device is wired to, so that devices can share a UART by pin (serial.ts). */
  attachSerial(name: string, device: SerialDevice, pins?: SerialWiring): void;
  attachI2C(name: string, device: I2CDevice): void;
  spi(name: string): SPIBusView;
  /** A device on a hardware SPI port (spi.ts); with `nssPin` it sees only the transfers that select that pin. */
  attachSPI(name: string, device: SPIDevice, nssPin?: string): void;
  setAnalog(pin: string, volts: number): void;
  setInput(pin: string, level: boolean | 0 | 1 | undefined): void;
  /** Supply (VDD) voltage: analogRead() is relative to it and E.getAnalogVRef() returns it. */
  setSupply(volts: number): void;
  onPin(pin: string, fn: PinListener): () => void;
  readonly resetReason: ResetReason;
  /** Boots since creation: every start of the interpreter (power-on, resets, load()) counts. */
  readonly boots: number;
  /** Milliseconds since the last hardware reset. */
  readonly uptime: number;
  /** Milliseconds the CPU was running (callbacks, boot code, blocking I2C), for battery estimates. */
  readonly awakeMs: number;
  /** Time spent in the states that set the sleep current (UARTs set up, deep sleep, Bluetooth advertising). */
  readonly power: PowerStatesView;
  readonly uncaughtErrors: number;
  /** Timers of the current run. */
  readonly timerCount: number;
  readonly watchdog: WatchdogState | undefined;
}
