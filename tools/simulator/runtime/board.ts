/**
 * A simulated Espruino board: runs firmware bundle text in a node:vm context that has only Espruino's
 * globals, on the simulator's virtual clock. Flash (Storage) survives resets and power cycles; RAM does
 * not: every reset starts a fresh context and boots from Storage the way Espruino does
 * (.boot0-.boot3, then .bootrst or .bootcde, then E.on('init') and onInit()).
 */
import vm from 'node:vm';
import { createEspruinoContext, runInEspruino } from '../../espruino-compat/sandbox.ts';
import type { I2CDevice, Scheduler, SerialDevice } from '../contracts.ts';
import { VirtualScheduler } from '../scheduler.ts';
import type { ConsoleLine, EspruinoBoard, EspruinoBoardOptions, PinView, WatchdogState } from './board-api.ts';
import { boardProfile, type BoardProfile } from './boards.ts';
import { ConsoleDevice } from './console-device.ts';
import { uncaughtText } from './format.ts';
import { installGuestBuiltins, type GuestBuiltins } from './guest-setup.ts';
import type { GuestRealm, RuntimeHost } from './host.ts';
import { I2CBus, type I2CBusView } from './i2c.ts';
import { SPIBus, type SPIBusView, type SPIDevice } from './spi.ts';
import { createEspruinoGlobals, type BoardControl } from './espruino-globals.ts';
import { PinBank, type PinListener } from './pins.ts';
import { PowerStates } from './power-states.ts';
import { ResetRegister, type ResetReason } from './reset-register.ts';
import { Uart, type SerialPortView, type SerialWiring } from './serial.ts';
import { FlashImage } from './storage.ts';
import { TimerTable } from './timers.ts';

export type { ConsoleLine, EspruinoBoard, EspruinoBoardOptions, PinView, WatchdogState } from './board-api.ts';
export type { ResetReason } from './reset-register.ts';

class RebootSignal {
  readonly reason = 'the board is rebooting';
}

type PendingAction = { kind: 'hard'; reason: ResetReason } | { kind: 'soft'; mode: 'reset' | 'load'; file?: string };

const MAX_JOBS_PER_DRAIN = 1_000_000;

class Board implements EspruinoBoard, RuntimeHost, BoardControl {
  readonly profile: BoardProfile;
  readonly scheduler: Scheduler;
  readonly storage: FlashImage;
  readonly console: ConsoleLine[] = [];
  readonly pinBank: PinBank;
  readonly resetRegister: ResetRegister;
  readonly consoleDevice: ConsoleDevice;
  readonly cryptoKind: 'aes' | 'sha' | 'none';
  readonly boardId: string;
  private readonly uarts = new Map<string, Uart>();
  private readonly buses = new Map<string, I2CBus>();
  private readonly spiBuses = new Map<string, SPIBus>();
  private readonly callbackCostMs: number;
  private readonly bootCostMsPerKB: number;
  private readonly rebootDelayMs: number;
  private readonly clockStartMs: number;
  private readonly onConsole: ((line: ConsoleLine) => void) | undefined;

  private run = 0;
  private runEnded = true;
  private readonly runHandles = new Set<number>();
  private context: vm.Context | undefined;
  private currentRealm: GuestRealm | undefined;
  builtins: GuestBuiltins | undefined;
  timers: TimerTable | undefined;
  baselineGlobals = new Set<string>();

  readonly power: PowerStates;
  resetReason: ResetReason = 'power-on';
  boots = 0;
  awakeMs = 0;
  uncaughtErrors = 0;
  private bootTimeMs = 0;
  /** setTime()'s offset (and clockStartMs), in ms, so that Date.now() stays an exact integer. */
  private timeOffsetMs = 0;
  tzMinutes = 0;
  chipTemperatureC = 20;
  /** Code uploaded to RAM since the last boot (what save() keeps). */
  ramCode = '';
  codeInFlash = true;

  private depth = 0;
  private pending: PendingAction | undefined;
  private saveRequested = false;
  private jobs: (() => void)[] = [];
  private rejections: { promise: object; reason: unknown }[] = [];
  private watchdogState: (WatchdogState & { handle: number }) | undefined;
  private bootHandle: number | undefined;

  constructor(options: EspruinoBoardOptions) {
    this.profile = boardProfile(options.board);
    this.scheduler = options.scheduler ?? new VirtualScheduler({ seed: options.seed ?? 1 });
    this.storage = options.flash ?? new FlashImage(this.profile.storageBytes);
    this.boardId = options.id ?? this.profile.name.toLowerCase();
    this.cryptoKind =
      options.hasAES === true ? 'aes' : options.hasAES === false && this.profile.crypto === 'aes' ? 'sha' : this.profile.crypto;
    this.callbackCostMs = options.callbackCostMs ?? 2;
    this.bootCostMsPerKB = options.bootCostMsPerKB ?? 5;
    this.rebootDelayMs = options.rebootDelayMs ?? 50;
    this.clockStartMs = options.clockStartMs ?? 0;
    this.onConsole = options.onConsole;
    this.resetRegister = new ResetRegister(this.profile.family);
    this.consoleDevice = new ConsoleDevice(this.profile);
    const host = (): RuntimeHost => this;
    this.power = new PowerStates(() => this.scheduler.now());
    this.pinBank = new PinBank(this.profile, host);
    for (const name of this.profile.serialPorts) {
      this.uarts.set(name, new Uart(name, this.profile, host, this.scheduler, options.serialRxChunkBytes, (on) => this.power.setUart(name, on)));
    }
    for (const name of this.profile.i2cBuses) this.buses.set(name, new I2CBus(name, this.profile.family, host));
    // hardware SPI ports: nRF52 Espruino builds have SPI1, the STM32F4 (Pico) SPI1-SPI3
    for (const name of this.profile.family === 'stm32f4' ? ['SPI1', 'SPI2', 'SPI3'] : ['SPI1']) this.spiBuses.set(name, new SPIBus(name, this.pinBank, host));
    this.hardReset('power-on');
  }

  // ---------------------------------------------------------------- RuntimeHost

  get realm(): GuestRealm {
    if (!this.currentRealm) throw new Error('the board is not running');
    return this.currentRealm;
  }

  /** Milliseconds on the board's clock: since the last hardware reset, plus setTime's offset. */
  clockMs(): number {
    return this.scheduler.now() - this.bootTimeMs + this.timeOffsetMs;
  }

  getTime(): number {
    return this.clockMs() / 1000;
  }

  setTime(seconds: number): void {
    this.timeOffsetMs = seconds * 1000 - (this.scheduler.now() - this.bootTimeMs);
  }

  schedule(delayMs: number, fn: () => void): number {
    if (this.runEnded) return 0;
    const run = this.run;
    const handle = this.scheduler.after(delayMs, () => {
      this.runHandles.delete(handle);
      if (run === this.run && !this.runEnded) fn();
    });
    this.runHandles.add(handle);
    return handle;
  }

  cancel(handle: number): void {
    this.runHandles.delete(handle);
    this.scheduler.cancel(handle);
  }

  addAwakeMs(ms: number): void {
    this.awakeMs += ms;
  }

  /** `console` records every line, wherever it went; on a board, it goes out on the console's device. */
  print(text: string): void {
    for (const line of text.split('\n')) {
      const entry = { timeMs: this.scheduler.now(), boot: this.boots, text: line, device: this.consoleDevice.device };
      this.console.push(entry);
      this.onConsole?.(entry);
    }
    this.uarts.get(this.consoleDevice.device)?.printConsole(text);
  }

  consoleIs(device: string): boolean {
    return this.consoleDevice.device === device;
  }

  setConsole(device: string, force: boolean): void {
    this.consoleDevice.set(device, force);
  }

  setHostConnected(connected: boolean): void {
    this.consoleDevice.setHostConnected(connected);
  }

  runGuest(_what: string, fn: () => void): void {
    if (this.runEnded) return;
    if (this.depth === 0) this.awakeMs += this.callbackCostMs;
    this.depth++;
    try {
      fn();
    } catch (e) {
      if (!(e instanceof RebootSignal)) this.reportUncaught(e);
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.settle();
  }

  runGuestLater(what: string, fn: () => void): void {
    this.schedule(0, () => this.runGuest(what, fn));
  }

  // ---------------------------------------------------------------- BoardControl (for E, process, globals)

  queueJob(job: () => void): void {
    this.jobs.push(job);
  }

  trackRejection(promise: object, reason: unknown): void {
    this.rejections.push({ promise, reason });
  }

  /** E.reboot(): stops the firmware at once, like the chip's system reset. */
  requestReboot(): never {
    this.requestHardReset('software');
    throw new RebootSignal();
  }

  /** reset()/load(): done when the interpreter is next idle. */
  requestSoftReset(mode: 'reset' | 'load', file?: string): void {
    if (!this.pending) this.pending = file === undefined ? { kind: 'soft', mode } : { kind: 'soft', mode, file };
  }

  requestSave(): void {
    this.saveRequested = true;
  }

  enableWatchdog(timeoutS: number, auto: boolean): void {
    const timeoutMs = (timeoutS < 0 || Number.isNaN(timeoutS) ? 1 : timeoutS) * 1000;
    if (this.watchdogState) this.scheduler.cancel(this.watchdogState.handle);
    this.watchdogState = { timeoutMs, auto, handle: 0 };
    this.kickWatchdog();
  }

  kickWatchdog(): void {
    const wd = this.watchdogState;
    if (!wd) return;
    this.scheduler.cancel(wd.handle);
    // In automatic mode Espruino's idle loop kicks it; JavaScript takes no virtual time, so it never fires.
    if (wd.auto) return;
    wd.handle = this.scheduler.after(wd.timeoutMs, () => this.requestHardReset('watchdog'));
  }

  get watchdog(): WatchdogState | undefined {
    return this.watchdogState && { timeoutMs: this.watchdogState.timeoutMs, auto: this.watchdogState.auto };
  }

  // ---------------------------------------------------------------- errors and settling

  private reportUncaught(error: unknown): void {
    let reported = error;
    try {
      if (this.globalsApi?.emitProcess('uncaughtException', error)) return;
    } catch (e) {
      if (e instanceof RebootSignal) return;
      reported = e;
    }
    this.uncaughtErrors++;
    this.print(`Uncaught ${uncaughtText(reported)}`);
  }

  /** After firmware code returned to the idle loop: promise jobs, unhandled rejections, requested resets. */
  private settle(): void {
    this.depth++;
    try {
      let guard = 0;
      while (this.jobs.length > 0 || this.rejections.length > 0) {
        while (this.jobs.length > 0 && !this.runEnded) {
          if (++guard > MAX_JOBS_PER_DRAIN) throw new Error('promise jobs keep queueing more jobs');
          const job = this.jobs.shift()!;
          try {
            job();
          } catch (e) {
            if (!(e instanceof RebootSignal)) this.reportUncaught(e);
          }
        }
        const rejections = this.rejections;
        this.rejections = [];
        if (this.runEnded) break;
        for (const { promise, reason } of rejections) {
          if (this.builtins?.isHandled(promise)) continue;
          this.reportUncaught(new this.realm.Error(`Unhandled promise rejection: ${uncaughtText(reason)}`));
        }
      }
    } finally {
      this.depth--;
    }
    if (this.runEnded || this.pending) this.jobs = [];
    this.performPending();
  }

  private requestHardReset(reason: ResetReason): void {
    if (this.depth > 0) {
      this.pending = { kind: 'hard', reason };
      this.endRun();
      return;
    }
    this.endRun();
    this.resetHardware(reason);
    this.scheduleBoot(this.rebootDelayMs, 'power');
  }

  private performPending(): void {
    if (this.saveRequested && !this.runEnded) {
      this.saveRequested = false;
      this.storage.write('.varimage', this.ramCode);
    }
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    if (pending.kind === 'soft' && !this.runEnded) {
      // Espruino tells the program it is about to be torn down; a reboot from there wins.
      this.runGuest('kill', () => this.globalsApi?.emitE('kill'));
      if (this.runEnded) return;
    }
    this.endRun();
    if (pending.kind === 'hard') {
      this.resetHardware(pending.reason);
      this.scheduleBoot(this.rebootDelayMs, 'power');
    } else {
      this.scheduleBoot(1, pending.mode, pending.file);
    }
  }

  private scheduleBoot(delayMs: number, mode: 'power' | 'reset' | 'load', file?: string): void {
    this.awakeMs += delayMs;
    this.bootHandle = this.scheduler.after(delayMs, () => {
      this.bootHandle = undefined;
      this.startRun(mode, file);
    });
  }

  /** A boot already on its way is superseded by one the test bench starts now. */
  private cancelScheduledBoot(): void {
    if (this.bootHandle !== undefined) this.scheduler.cancel(this.bootHandle);
    this.bootHandle = undefined;
  }

  // ---------------------------------------------------------------- runs

  private endRun(): void {
    if (this.runEnded) return;
    this.runEnded = true;
    this.run++;
    for (const handle of this.runHandles) this.scheduler.cancel(handle);
    this.runHandles.clear();
    this.jobs = [];
    this.rejections = [];
  }

  /** What a hardware reset does besides ending the run: clock, watchdog, reset cause. */
  private resetHardware(reason: ResetReason): void {
    if (this.watchdogState) this.scheduler.cancel(this.watchdogState.handle);
    this.watchdogState = undefined;
    this.resetReason = reason;
    this.resetRegister.record(reason);
    this.bootTimeMs = this.scheduler.now();
    this.timeOffsetMs = this.clockStartMs;
  }

  private hardReset(reason: ResetReason): void {
    this.cancelScheduledBoot();
    this.pending = undefined;
    this.saveRequested = false;
    this.endRun();
    this.resetHardware(reason);
    this.startRun('power');
  }

  globalsApi: ReturnType<typeof createEspruinoGlobals> | undefined;

  private startRun(mode: 'power' | 'reset' | 'load', file?: string): void {
    this.runEnded = false;
    this.boots++;
    this.tzMinutes = 0;
    // Every boot starts without deep sleep; an nRF52 advertises until NRF.sleep().
    this.power.setDeepSleep(false);
    this.power.setAdvertising(this.profile.family === 'nrf52');
    this.consoleDevice.startRun(mode === 'power');
    this.ramCode = '';
    this.codeInFlash = true;
    this.createContext();
    this.bootFromStorage(mode, file);
  }

  private createContext(): void {
    const host = (): RuntimeHost => this;
    this.timers = new TimerTable(host());
    this.pinBank.resetForRun(this.timers);
    for (const uart of this.uarts.values()) uart.resetForRun();
    for (const bus of this.buses.values()) bus.resetForRun();
    for (const bus of this.spiBuses.values()) bus.resetForRun();

    const api = createEspruinoGlobals(this, this.uarts, this.buses, this.spiBuses);
    this.globalsApi = api;
    const context = createEspruinoContext(api.globals);
    this.context = context;
    const g = vm.runInContext('this', context) as Record<string, unknown> & typeof globalThis;
    const pinObjects: unknown[] = [];
    const builtins = installGuestBuiltins(context, {
      queueJob: (job) => this.queueJob(job),
      trackRejection: (promise, reason) => this.trackRejection(promise, reason),
      random: () => this.scheduler.random(),
      dateNowMs: () => this.clockMs(),
      tzMinutes: () => this.tzMinutes,
      pinRead: (n) => this.pinBank.read(n),
      pinWrite: (n, v) => this.pinBank.write(n, v),
      pinMode: (n, m) => this.pinBank.pinMode(n, m, false),
      pinGetMode: (n) => this.pinBank.getPinMode(n),
      pinByValue: (v) => {
        const n = this.pinBank.resolve(typeof v === 'string' ? v : Number(v));
        return n === undefined ? undefined : pinObjects[n];
      },
    });
    this.builtins = builtins;
    this.currentRealm = {
      global: g,
      Object: g.Object,
      Array: g.Array,
      Uint8Array: g.Uint8Array,
      ArrayBuffer: g.ArrayBuffer,
      Error: g.Error,
      TypeError: g.TypeError,
      InternalError: builtins.InternalError,
      JSON: g.JSON,
      evaluate: (code, fileName = 'string-callback.js') => vm.runInContext(code, context, { filename: fileName }),
    };
    this.profile.pins.forEach((name, n) => {
      const pin = builtins.makePin(n, name);
      pinObjects.push(pin);
      g[name] = pin;
    });
    this.pinBank.pinObject = (n) => pinObjects[n];
    const named = (alias: string, pin: string | undefined): void => {
      const n = pin === undefined ? undefined : this.pinBank.resolve(pin);
      if (n !== undefined) g[alias] = pinObjects[n];
    };
    named('LED1', this.profile.led1);
    named('LED2', this.profile.led2);
    named('BTN', this.profile.btn);
    named('BTN1', this.profile.btn);
    g.global = g;
    this.baselineGlobals = new Set(Object.getOwnPropertyNames(g));
  }

  private bootFromStorage(mode: 'power' | 'reset' | 'load', file?: string): void {
    const runFile = (name: string): void => {
      const bytes = this.storage.read(name);
      if (!bytes) return;
      this.runCode(Buffer.from(bytes).toString('latin1'), name);
    };
    if (mode !== 'reset') {
      const saved = this.storage.read('.varimage');
      if (saved && saved.length > 0) {
        this.ramCode = Buffer.from(saved).toString('latin1');
        this.codeInFlash = false;
        this.runCode(this.ramCode, '.varimage');
      }
    }
    for (const boot of ['.boot0', '.boot1', '.boot2', '.boot3']) runFile(boot);
    if (mode === 'reset') runFile('.bootrst');
    else if (file !== undefined) runFile(file);
    else runFile(this.storage.read('.bootrst') ? '.bootrst' : '.bootcde');
    if (!this.runEnded) {
      this.runGuest('init', () => {
        this.globalsApi?.emitE('init');
        const onInit = this.realm.global.onInit;
        if (typeof onInit === 'function') (onInit as () => void)();
      });
    }
  }

  private runCode(code: string, fileName: string): void {
    if (this.runEnded || !this.context) return;
    const context = this.context;
    this.awakeMs += (code.length / 1024) * this.bootCostMsPerKB;
    this.runGuest(fileName, () => {
      runInEspruino(code, context, fileName);
    });
  }

  // ---------------------------------------------------------------- EspruinoBoard

  load(bundleText: string, options: { mode?: 'flash' | 'ram' } = {}): void {
    this.assertIdle('load');
    this.cancelScheduledBoot();
    if ((options.mode ?? 'flash') === 'flash') {
      this.storage.erase('.bootrst');
      if (!this.storage.write('.bootcde', bundleText)) {
        throw new Error(`the bundle (${bundleText.length} bytes) does not fit in Storage (${this.storage.freeBytes} bytes free)`);
      }
      this.endRun();
      this.startRun('load');
      return;
    }
    this.endRun();
    this.startRun('reset');
    this.ramCode = bundleText;
    this.codeInFlash = false;
    this.runCode(bundleText, 'upload.js');
  }

  powerCycle(): void {
    this.assertIdle('powerCycle');
    this.hardReset('power-on');
  }

  reset(reason: ResetReason): void {
    this.assertIdle('reset');
    this.hardReset(reason);
  }

  evaluate(code: string): unknown {
    this.assertIdle('evaluate');
    if (this.runEnded || !this.context) throw new Error('the board is not running (rebooting?)');
    const context = this.context;
    let result: unknown;
    let failure: { error: unknown } | undefined;
    this.depth++;
    try {
      result = runInEspruino(code, context, 'repl.js');
    } catch (e) {
      if (!(e instanceof RebootSignal)) failure = { error: e };
    } finally {
      this.depth--;
    }
    this.settle();
    if (failure) throw failure.error;
    return result;
  }

  private assertIdle(what: string): void {
    if (this.depth > 0) throw new Error(`board.${what}() cannot be called from firmware code`);
  }

  consoleText(): string {
    return this.console.map((l) => l.text).join('\n');
  }

  get pins(): PinView {
    return {
      names: this.profile.pins,
      level: (pin) => this.pinBank.level(this.pinNumber(pin)),
      output: (pin) => this.pinBank.output(this.pinNumber(pin)),
      mode: (pin) => this.pinBank.mode(this.pinNumber(pin)),
    };
  }

  private pinNumber(pin: string): number {
    const n = this.pinBank.resolve(pin);
    if (n === undefined) throw new Error(`${this.profile.name} has no pin ${pin}`);
    return n;
  }

  serial(name: string): SerialPortView {
    const uart = this.uarts.get(name);
    if (!uart) throw new Error(`${this.profile.name} has no ${name} (it has ${[...this.uarts.keys()].join(', ')})`);
    return uart;
  }

  i2c(name: string): I2CBusView {
    const bus = this.buses.get(name);
    if (!bus) throw new Error(`${this.profile.name} has no ${name} (it has ${[...this.buses.keys()].join(', ')})`);
    return bus;
  }

  attachSerial(name: string, device: SerialDevice, pins?: SerialWiring): void {
    (this.serial(name) as Uart).attach(device, pins);
  }

  attachI2C(name: string, device: I2CDevice): void {
    (this.i2c(name) as I2CBus).attach(device);
  }

  spi(name: string): SPIBusView {
    const bus = this.spiBuses.get(name);
    if (!bus) throw new Error(`${this.profile.name} has no ${name} (it has ${[...this.spiBuses.keys()].join(', ')})`);
    return bus;
  }

  attachSPI(name: string, device: SPIDevice, nssPin?: string): void {
    (this.spi(name) as SPIBus).attach(device, nssPin);
  }

  setAnalog(pin: string, volts: number): void {
    this.pinBank.setAnalog(pin, volts);
  }

  setInput(pin: string, level: boolean | 0 | 1 | undefined): void {
    this.pinBank.setInput(pin, level);
  }

  setSupply(volts: number): void {
    this.pinBank.supplyVolts = volts;
  }

  onPin(pin: string, fn: PinListener): () => void {
    return this.pinBank.onPin(pin, fn);
  }

  get uptime(): number {
    return this.scheduler.now() - this.bootTimeMs;
  }

  get timerCount(): number {
    return this.runEnded ? 0 : (this.timers?.size ?? 0);
  }

  /** For process.memory(): what the program added to the global scope. */
  userGlobals(): Record<string, unknown> {
    const g = this.realm.global;
    const out: Record<string, unknown> = {};
    for (const name of Object.getOwnPropertyNames(g)) if (!this.baselineGlobals.has(name)) out[name] = g[name];
    return out;
  }
}

/** A simulated Espruino board on the simulator's virtual clock, powered on and idle (nothing loaded). */
export function createEspruinoBoard(options: EspruinoBoardOptions = {}): EspruinoBoard {
  return new Board(options);
}
