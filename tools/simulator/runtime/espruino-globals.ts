/**
 * The globals a board's firmware sees besides pins and built-ins of the language: console, E, process,
 * require/Modules, Serial and I2C ports, timers, getTime/setTime, peek/poke, reset/load/save, NRF (nRF52).
 * Method names, arguments and results follow the Espruino reference (espruino.com/Reference).
 */
import type { BoardProfile } from './boards.ts';
import { bytesOf, bytesToString, crc32 } from './bytes.ts';
import type { ConsoleDevice } from './console-device.ts';
import { cryptoModule } from './crypto.ts';
import { formatArgs } from './format.ts';
import { Emitter, guestArray, guestArrayBuffer, guestBytes, guestObject, type RuntimeHost } from './host.ts';
import type { I2CBus } from './i2c.ts';
import { estimateBlocks } from './memory.ts';
import type { PinBank } from './pins.ts';
import type { PowerStates } from './power-states.ts';
import type { ResetRegister } from './reset-register.ts';
import type { SPIBus } from './spi.ts';
import type { Uart } from './serial.ts';
import { storageModule, type FlashImage } from './storage.ts';
import type { TimerTable } from './timers.ts';

export const ESPRUINO_VERSION = '2v29';

/** What the globals need from the board. */
export interface BoardControl extends RuntimeHost {
  readonly profile: BoardProfile;
  readonly storage: FlashImage;
  readonly pinBank: PinBank;
  readonly power: PowerStates;
  readonly timers: TimerTable | undefined;
  readonly resetRegister: ResetRegister;
  readonly cryptoKind: 'aes' | 'sha' | 'none';
  readonly boardId: string;
  tzMinutes: number;
  chipTemperatureC: number;
  readonly codeInFlash: boolean;
  setTime(seconds: number): void;
  requestReboot(): never;
  requestSoftReset(mode: 'reset' | 'load', file?: string): void;
  requestSave(): void;
  enableWatchdog(timeoutS: number, auto: boolean): void;
  kickWatchdog(): void;
  userGlobals(): Record<string, unknown>;
  readonly consoleDevice: ConsoleDevice;
  setHostConnected(connected: boolean): void;
}

/**
 * `Bluetooth` (nRF52) or `USB` (Pico): the Serial object of the link a computer's REPL connects over. Only the
 * console side is modelled: setConsole, and writes, which reach no computer (none is simulated on the link).
 */
function hostLink(board: BoardControl): Record<string, unknown> {
  const name = board.profile.hostConsole;
  const link: Record<string, unknown> = {};
  Object.assign(link, new Emitter().methodsFor(link), {
    setConsole: (force?: unknown) => board.setConsole(name, Boolean(force)),
    write: () => undefined,
    print: () => undefined,
    println: () => undefined,
    toString: () => `[object ${name}]`,
  });
  return link;
}

/** Memory blocks assumed for Espruino's own root objects in an empty interpreter (an estimate, not a measurement). */
const BASELINE_BLOCKS = 50;

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export function createEspruinoGlobals(board: BoardControl, uarts: Map<string, Uart>, buses: Map<string, I2CBus>, spiBuses: Map<string, SPIBus> = new Map()) {
  const host = (): RuntimeHost => board;
  const realm = (): RuntimeHost['realm'] => board.realm;
  const E_events = new Emitter();
  const processEvents = new Emitter();
  const modules = new Map<string, unknown>();
  let flags: Record<string, unknown> = {};

  const evaluateModule = (source: unknown, name: string): unknown => {
    let body: string;
    if (typeof source === 'function') {
      const text = Function.prototype.toString.call(source);
      body = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
    } else {
      body = String(source);
    }
    const factory = realm().evaluate(`(function (exports, module) {${body}\n})`, `module ${name}`) as (e: unknown, m: unknown) => void;
    const module = guestObject(realm(), { exports: guestObject(realm(), {}) as unknown });
    factory(module.exports, module);
    return module.exports;
  };

  const require = (name: unknown): unknown => {
    const key = String(name);
    if (modules.has(key)) return modules.get(key);
    let value: unknown;
    if (key === 'Storage') value = guestObject(realm(), storageModule(board.storage, host));
    else if (key === 'crypto' && board.cryptoKind !== 'none') value = guestObject(realm(), cryptoModule(host, board.cryptoKind === 'aes'));
    else {
      const stored = board.storage.read(key);
      if (!stored) throw new (realm().Error)(`Module ${JSON.stringify(key)} not found`);
      value = evaluateModule(bytesToString(stored), key);
    }
    modules.set(key, value);
    return value;
  };

  // The STM32 IWDG counts 40 kHz / 256 with a 12-bit reload: 12.8 ms .. 26.2 s.
  const STM32_WATCHDOG_MIN_S = (2 * 256) / 40000;
  const STM32_WATCHDOG_MAX_S = (0xfff * 256) / 40000;

  const E: Record<string, unknown> = {};
  Object.assign(E, E_events.methodsFor(E), {
    enableWatchdog: (timeout: unknown, isAuto?: unknown) => {
      const auto = isAuto === undefined || Boolean(isAuto);
      let t = Number(timeout);
      if (!(t >= 0)) t = 1;
      if (board.profile.family === 'stm32f4' && (t < STM32_WATCHDOG_MIN_S || t > STM32_WATCHDOG_MAX_S)) {
        const tooShort = t < STM32_WATCHDOG_MIN_S;
        board.enableWatchdog(tooShort ? STM32_WATCHDOG_MIN_S : STM32_WATCHDOG_MAX_S, auto);
        throw new (realm().Error)(tooShort ? 'Minimum watchdog timeout exceeded' : 'Maximum watchdog timeout exceeded');
      }
      board.enableWatchdog(t, auto);
    },
    kickWatchdog: () => board.kickWatchdog(),
    reboot: () => board.requestReboot(),
    // The simulator models none of the conditions behind the flags (FIFO_FULL, BUFFER_FULL, MEMORY, ...).
    getErrorFlags: () => guestArray(realm(), []),
    getAnalogVRef: () => board.pinBank.supplyVolts,
    getTemperature: () => board.chipTemperatureC,
    toUint8Array: (...args: unknown[]) => guestBytes(realm(), bytesOf(...args)),
    toString: (...args: unknown[]) => bytesToString(bytesOf(...args)),
    toArrayBuffer: (str: unknown) => guestArrayBuffer(realm(), bytesOf(String(str))),
    CRC32: (data: unknown) => crc32(bytesOf(data)),
    hwRand: () => Math.floor(board.scheduler.random() * 0x100000000) | 0,
    getSizeOf: (value: unknown) => estimateBlocks(value, new Set(), board.codeInFlash),
    setTimeZone: (hours: unknown) => {
      board.tzMinutes = Math.round(Number(hours) * 60) || 0;
    },
    setBootCode: (code: unknown, alwaysExec?: unknown) => {
      board.storage.erase('.bootcde');
      board.storage.erase('.bootrst');
      const text = code === undefined ? '' : String(code);
      if (text.length > 0) board.storage.write(alwaysExec ? '.bootrst' : '.bootcde', text);
    },
    clip: (x: unknown, min: unknown, max: unknown) => Math.min(Number(max), Math.max(Number(min), Number(x))),
    sum: (arr: unknown) => {
      let total = 0;
      for (const v of Array.prototype.slice.call(arr as ArrayLike<unknown>)) total += Number(v);
      return total;
    },
    getFlags: () => guestObject(realm(), { ...flags }),
    setFlags: (f: unknown) => {
      flags = { ...flags, ...(f as Record<string, unknown>) };
    },
    // E.setConsole("Serial1" | Serial1 | null, {force}); a device the board lacks is taken as given, like Espruino
    setConsole: (device: unknown, options?: unknown) => {
      const name = device === null || device === undefined ? '' : String(device).replace(/^\[object (\w+)\]$/, '$1');
      board.setConsole(name, Boolean((options as { force?: unknown } | undefined)?.force));
    },
    getConsole: () => board.consoleDevice.device || undefined,
  });

  const memory = () => {
    const total = board.profile.vars;
    const usage = Math.min(total, BASELINE_BLOCKS + estimateBlocks(board.userGlobals(), new Set(), board.codeInFlash));
    return guestObject(realm(), {
      free: total - usage,
      usage,
      total,
      history: 0,
      gc: 0,
      gctime: 0,
      blocksize: board.profile.blockSize,
    });
  };

  const serialNumber = `${hex32(crc32(bytesOf(board.boardId)))}-${hex32(crc32(bytesOf(`${board.boardId}/2`)))}`;

  const processObject: Record<string, unknown> = {};
  Object.assign(processObject, processEvents.methodsFor(processObject), {
    version: ESPRUINO_VERSION,
    env: {
      VERSION: ESPRUINO_VERSION,
      BOARD: board.profile.name,
      RAM: board.profile.ramBytes,
      FLASH: board.profile.flashBytes,
      STORAGE: board.profile.storageBytes,
      SERIAL: serialNumber,
      get CONSOLE() {
        return board.consoleDevice.device;
      },
      MODULES: ['Storage', ...(board.cryptoKind === 'none' ? [] : ['crypto'])].join(','),
      EXPTR: 0,
    },
    memory,
  });

  const peek = (address: unknown): number => (Number(address) === board.resetRegister.address ? board.resetRegister.read() : 0);
  const poke = (address: unknown, value: unknown): void => {
    if (Number(address) === board.resetRegister.address) board.resetRegister.write(Number(value));
  };

  const log = (...args: unknown[]): void => board.print(formatArgs(args));

  const globals: Record<string, unknown> = {
    console: { log },
    print: log,
    E,
    process: processObject,
    require,
    Modules: {
      addCached: (name: unknown, source: unknown) => {
        modules.set(String(name), evaluateModule(source, String(name)));
      },
      removeCached: (name: unknown) => {
        modules.delete(String(name));
      },
      removeAllCached: () => modules.clear(),
      getCached: () => guestArray(realm(), modules.keys()),
    },
    getTime: () => board.getTime(),
    setTime: (seconds: unknown) => board.setTime(Number(seconds)),
    getSerial: () => serialNumber,
    peek8: peek,
    peek16: peek,
    peek32: peek,
    poke8: poke,
    poke16: poke,
    poke32: poke,
    reset: (clearFlash?: unknown) => {
      if (clearFlash) for (const f of ['.varimage', '.bootcde', '.bootrst']) board.storage.erase(f);
      board.requestSoftReset('reset');
    },
    load: (file?: unknown) => board.requestSoftReset('load', file === undefined ? undefined : String(file)),
    save: () => board.requestSave(),
    setDeepSleep: (on?: unknown) => board.power.setDeepSleep(!!on),
    setSleepIndicator: () => undefined,
    setBusyIndicator: () => undefined,
    echo: () => undefined,
    btoa: (binary: unknown) => Buffer.from(bytesOf(String(binary))).toString('base64'),
    atob: (base64: unknown) => Buffer.from(String(base64), 'base64').toString('latin1'),
    ...board.timers?.globals(),
    ...board.pinBank.globals(),
  };
  for (const [name, uart] of uarts) globals[name] = uart.guestObject();
  globals[board.profile.hostConsole] = hostLink(board);
  for (const [name, bus] of buses) globals[name] = bus.guestObject();
  for (const [name, bus] of spiBuses) globals[name] = bus.guestObject();
  if (board.profile.family === 'nrf52') {
    const nrfEvents = new Emitter();
    const NRF: Record<string, unknown> = {};
    const address = serialNumber.replace('-', '').slice(0, 12).match(/../g)!.join(':') + ' random';
    Object.assign(NRF, nrfEvents.methodsFor(NRF), {
      // sleep() also ends a connection, which moves an unforced console back to Serial1
      sleep: () => {
        board.power.setAdvertising(false);
        board.setHostConnected(false);
      },
      wake: () => board.power.setAdvertising(true),
      disconnect: () => board.setHostConnected(false),
      setAdvertising: () => undefined,
      setServices: () => undefined,
      setTxPower: () => undefined,
      setScan: () => undefined,
      getAddress: () => address,
    });
    globals.NRF = NRF;
  }

  return {
    globals,
    emitE(event: string, ...args: unknown[]): void {
      E_events.emit(E, event, ...args);
    },
    /** process.on('uncaughtException') and friends; false when nobody listens. */
    emitProcess(event: string, ...args: unknown[]): boolean {
      return processEvents.emit(processObject, event, ...args);
    },
  };
}
