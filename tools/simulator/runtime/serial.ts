/**
 * A UART (Serial1, Serial2, ...) and the device wired to it. The runtime models the wire in both
 * directions: bytes take (start + data + parity + stop bits) / baud seconds each, one after another,
 * and reach the other side when their last byte has arrived. A port that was not set up neither sends
 * nor receives. Received data goes to on('data') listeners as a string, or to a buffer for read().
 *
 * While Espruino's console is on the port (console-device.ts), received bytes go to the REPL instead, which echoes
 * them, and what the board prints goes out on the port's TX.
 *
 * A UART may serve several devices on different pins (an nRF52 routes its one UART to any pins at setup()): a device
 * attached with `pins` hears the board only while the port's TX is its RX pin and reaches the board only while the
 * port's RX is its TX pin; a device attached without pins is wired to whatever pins the port uses.
 */
import type { Scheduler, SerialDevice } from '../contracts.ts';
import type { BoardProfile } from './boards.ts';
import { bytesOf, bytesToString } from './bytes.ts';
import { Emitter, type RuntimeHost } from './host.ts';

export interface UartConfig {
  baud: number;
  bitsPerByte: number;
  tx: string | undefined;
  rx: string | undefined;
  /** The options object given to setup(), kept for a later setup() without options. */
  options: unknown;
}

/** The board pins a device is wired to: `rx` is the board's receive pin (the device's TX), `tx` the board's transmit pin. */
export interface SerialWiring {
  rx?: string;
  tx?: string;
}

export interface SerialPortView {
  readonly name: string;
  /** The configuration from setup(), or undefined when the port is not set up. */
  readonly config: UartConfig | undefined;
  readonly device: SerialDevice | undefined;
  /** Bytes sent to the device since the board started (all runs). */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Received bytes the REPL took because the console was on this port (the firmware never saw them). */
  readonly bytesToConsole: number;
}

export class Uart implements SerialPortView {
  config: UartConfig | undefined;
  device: SerialDevice | undefined;
  private readonly wired: { device: SerialDevice; pins: SerialWiring | undefined }[] = [];
  bytesSent = 0;
  bytesReceived = 0;
  bytesToConsole = 0;
  private txBusyUntil = 0;
  private rxBusyUntil = 0;
  private emitter = new Emitter();
  private rxBuffer = '';
  private guest: Record<string, unknown> = {};

  constructor(
    readonly name: string,
    private readonly profile: BoardProfile,
    private readonly host: () => RuntimeHost,
    private readonly scheduler: Scheduler,
    private readonly rxChunkBytes: number | undefined,
    /** Told when the port is set up or shut (power accounting). */
    private readonly onSetUp?: (on: boolean) => void,
  ) {}

  /**
   * Without `pins` a port takes one device. With `pins`, devices share the port by pin; attaching a device that is
   * already attached changes its wiring.
   */
  attach(device: SerialDevice, pins?: SerialWiring): void {
    const known = this.wired.find((w) => w.device === device);
    if (known) {
      known.pins = pins;
      return;
    }
    if (this.wired.length > 0 && (!pins || this.wired.some((w) => !w.pins))) {
      throw new Error(`${this.name} already has a device attached (devices share a port only when each is attached with its pins)`);
    }
    const entry = { device, pins };
    this.wired.push(entry);
    this.device ??= device;
    device.connect((bytes) => {
      // bytes still on the wire when the port moves to other pins are lost, as on the chip
      const wired = (): boolean => this.connected(entry.pins, 'rx');
      if (wired()) this.fromDevice(Uint8Array.from(bytes), wired);
    }, this.scheduler);
  }

  /** Whether the port's `side` pin is the device's (a device without pins is always connected). */
  private connected(pins: SerialWiring | undefined, side: 'rx' | 'tx'): boolean {
    const pin = pins?.[side];
    return pin === undefined || this.config?.[side] === pin;
  }

  /** A new run: the port is not set up and has no listeners. */
  resetForRun(): void {
    this.config = undefined;
    this.onSetUp?.(false);
    this.emitter = new Emitter();
    this.rxBuffer = '';
    this.txBusyUntil = 0;
    this.rxBusyUntil = 0;
  }

  private byteTimeMs(): number {
    const c = this.config!;
    return (c.bitsPerByte / c.baud) * 1000;
  }

  private transmit(bytes: Uint8Array): void {
    const host = this.host();
    if (!this.config || bytes.length === 0) return;
    const now = this.scheduler.now();
    const start = Math.max(now, this.txBusyUntil);
    const end = start + bytes.length * this.byteTimeMs();
    this.txBusyUntil = end;
    const pinTx = this.config.tx;
    host.schedule(end - now, () => {
      this.bytesSent += bytes.length;
      for (const w of this.wired) if (w.pins?.tx === undefined || w.pins.tx === pinTx) w.device.receive(bytes);
    });
  }

  private fromDevice(bytes: Uint8Array, wired: () => boolean): void {
    if (!this.config || bytes.length === 0) return;
    const host = this.host();
    const byteMs = this.byteTimeMs();
    const now = this.scheduler.now();
    let at = Math.max(now, this.rxBusyUntil);
    const chunk = this.rxChunkBytes && this.rxChunkBytes > 0 ? this.rxChunkBytes : bytes.length;
    for (let i = 0; i < bytes.length; i += chunk) {
      const part = bytes.subarray(i, i + chunk);
      at += part.length * byteMs;
      host.schedule(at - now, () => {
        if (wired()) this.deliver(part);
      });
    }
    this.rxBusyUntil = at;
  }

  private deliver(bytes: Uint8Array): void {
    if (!this.config) return;
    this.bytesReceived += bytes.length;
    if (this.host().consoleIs(this.name)) {
      this.bytesToConsole += bytes.length;
      this.transmit(bytes);
      return;
    }
    const data = bytesToString(bytes);
    if (this.emitter.count('data') === 0) {
      this.rxBuffer += data;
      return;
    }
    this.host().runGuest(`${this.name} data`, () => {
      this.emitter.emit(this.guest, 'data', data);
    });
  }

  private setup(baud: unknown, options: unknown): void {
    const realm = this.host().realm;
    let rate = this.config?.baud ?? 9600;
    if (baud !== undefined) {
      const b = Math.trunc(Number(baud));
      if (!(b > 100 && b <= 10_000_000)) throw new realm.Error('Invalid baud rate specified');
      rate = b;
    }
    const opts = (options === undefined ? this.config?.options : options) as
      | { tx?: unknown; rx?: unknown; bytesize?: unknown; stopbits?: unknown; parity?: unknown }
      | undefined;
    const parity = opts?.parity;
    const hasParity = parity === 'o' || parity === 'odd' || parity === 'e' || parity === 'even' || parity === 1 || parity === 2;
    const bytesize = Number(opts?.bytesize ?? 8) || 8;
    const stopbits = Number(opts?.stopbits ?? 1) || 1;
    const defaults = this.profile.serialPins[this.name];
    const pinName = (p: unknown, fallback: string | undefined): string | undefined =>
      p === undefined || p === null ? fallback : String(p);
    this.config = {
      baud: rate,
      bitsPerByte: 1 + bytesize + (hasParity ? 1 : 0) + stopbits,
      tx: pinName(opts?.tx, defaults?.tx),
      rx: pinName(opts?.rx, defaults?.rx),
      options: opts,
    };
    this.onSetUp?.(true);
  }

  /** Console output (print, console.log, errors) while the console is on this port: each line ends in CR LF. */
  printConsole(text: string): void {
    this.transmit(bytesOf(text.replace(/\r?\n/g, '\r\n') + '\r\n'));
  }

  /** The Serial object the firmware sees in the current run. */
  guestObject(): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.guest = obj;
    const onData = (event: unknown, fn: (...args: unknown[]) => void): void => {
      this.emitter.on(String(event), fn);
      // Espruino hands data buffered before the first listener to it, from the idle loop.
      if (String(event) === 'data' && this.rxBuffer.length > 0) {
        const buffered = this.rxBuffer;
        this.rxBuffer = '';
        this.host().runGuestLater(`${this.name} data`, () => this.emitter.emit(obj, 'data', buffered));
      }
    };
    Object.assign(obj, this.emitter.methodsFor(obj), {
      on: onData,
      addListener: onData,
      setup: (baud?: unknown, options?: unknown) => this.setup(baud, options),
      unsetup: () => {
        this.config = undefined;
        this.onSetUp?.(false);
      },
      write: (...data: unknown[]) => this.transmit(bytesOf(...data)),
      print: (value: unknown) => this.transmit(bytesOf(String(value))),
      println: (value: unknown) => this.transmit(bytesOf(String(value), '\r\n')),
      available: () => (this.emitter.count('data') > 0 ? 0 : this.rxBuffer.length),
      read: (chars?: unknown) => {
        const n = Number(chars);
        const take = Number.isFinite(n) && n > 0 ? Math.min(n, this.rxBuffer.length) : this.rxBuffer.length;
        const out = this.rxBuffer.slice(0, take);
        this.rxBuffer = this.rxBuffer.slice(take);
        return out;
      },
      // Data as if it had been received, delivered from the idle loop.
      inject: (...data: unknown[]) => {
        const bytes = bytesOf(...data);
        this.host().schedule(0, () => this.deliver(bytes));
      },
      setConsole: (force?: unknown) => this.host().setConsole(this.name, Boolean(force)),
      toString: () => `[object ${this.name}]`,
    });
    return obj;
  }
}
