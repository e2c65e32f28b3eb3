/**
 * The `espruino` npm package (EspruinoTools 0.1.67, the code behind the `espruino` CLI and the Web IDE) driven
 * through its Node API: `require('espruino').init()` loads the tools into the global `Espruino`, whose
 * Core.Serial, Core.Utils.executeExpression, Core.CodeWriter.writeToEspruino and the `transformForEspruino`
 * processors (modules, SAVE_ON_SEND upload to Storage) then speak Espruino's REPL protocol on the port:
 *
 * - `executeExpression(e)`: a newline until the console answers with the `>` prompt (Ctrl-C after 500 ms of
 *   silence, twice), then `\x10print("<","<<",JSON.stringify(e),">>",">")\n`; the result is what comes between
 *   `< <<` and `>> >`, undefined when nothing came within 2 s.
 * - `writeToEspruino(code)`: the prompt again, then `\x10reset();\n\x10print()\n` and the code with `\x10`
 *   (echo off for this line) before every top-level statement and ESC LF (newline without executing) inside
 *   brackets. Writes are split after `reset();`, `load();` and each `require("Storage").write(...)` line and
 *   paused 250 ms there; on a UART console the bytes go out in blocks of 19.
 * - SAVE_ON_SEND=1 turns the code into `require("Storage").write(".bootcde",<1024 bytes>,0,<size>)` followed by
 *   one `write(".bootcde",<1024 bytes>,<offset>)` per further kilobyte.
 *
 * What we set, and why: the board JSON comes from hardware/boards/espruino/ (BOARD_JSON_URL is that directory,
 * which the tools read with fs; only a JSON_URL in the board's process.env would override it, and Espruino's
 * src/jswrap_process.c puts none there), MODULE_URL is empty (a module the board lacks is an error here, never a download),
 * COMPILATION and SET_TIME_ON_WRITE are off, LOAD_STORAGE_FILE is 0 (we load() only after checking what was
 * written), and the serial "device" is our own: the package's Node serial device only opens ports that
 * serialport.list() reports, which leaves out /dev/serial/by-id links and pseudo-terminals, and has no error
 * handler (a port that fails to open would crash the process).
 *
 * The tools log everything they send, keys included, with console.log; while a connection is open console.*
 * goes nowhere and only the tools' notifications (no data) are kept. Loading the package sets globals
 * (Espruino, $, navigator, acorn): fine for the CLI process, which is what uses it.
 */
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';

const require = createRequire(import.meta.url);

type Callback<T = void> = (value: T) => void;

/** The parts of the global `Espruino` object we use. */
interface EspruinoTools {
  Config: Record<string, unknown>;
  callProcessor(event: string, data: unknown, callback: Callback<unknown>): void;
  Core: {
    Serial: {
      devices: SerialDevice[];
      open(path: string, connected: (info: unknown) => void, disconnected: () => void): void;
      close(): void;
      isConnected(): boolean;
      startListening(listener: ((data: ArrayBuffer) => void) | undefined): unknown;
      write(data: string, showStatus?: boolean, callback?: () => void): void;
      connection: { write(data: string): Promise<void> };
    };
    Utils: {
      executeExpression(expr: string, callback: (result: string | undefined) => void, options?: { maxTimeout?: number }): void;
      getUploadFileCode(name: string, contents: string): string;
    };
    CodeWriter: { writeToEspruino(code: string, callback: () => void): void };
    Env: { getData(): Record<string, unknown> };
    Notifications: Record<'success' | 'error' | 'warning' | 'info', (text: string) => void>;
    Status: Record<string, unknown>;
  };
}

/** The interface EspruinoTools expects from a transport (core/serial.js). */
interface SerialDevice {
  name: string;
  getPorts(callback: (ports: { path: string; description: string; type: string }[], instant: boolean) => void): void;
  open(path: string, opened: (info: unknown) => void, received: (data: ArrayBuffer) => void, closed: (error?: unknown) => void): void;
  write(data: string, callback: () => void): void;
  close(): void;
}

export interface ToolsNotice {
  level: 'error' | 'warning' | 'info';
  text: string;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

let tools: Promise<EspruinoTools> | undefined;

function loadTools(): Promise<EspruinoTools> {
  tools ??= new Promise((resolve) => {
    const saved = CONSOLE_METHODS.map((m) => console[m]);
    for (const m of CONSOLE_METHODS) console[m] = () => undefined;
    (require('espruino') as { init(cb: () => void): void }).init(() => {
      CONSOLE_METHODS.forEach((m, i) => (console[m] = saved[i]!));
      resolve((globalThis as unknown as { Espruino: EspruinoTools }).Espruino);
    });
  });
  return tools;
}

export interface ConnectOptions {
  path: string;
  baud: number;
  /** Directory with <BOARD>.json. */
  boardJsonDir: string;
}

/** The serial port as EspruinoTools' transport; open errors become a failed open, not an exception. */
class PortDevice implements SerialDevice {
  readonly name = 'stadtsensor serial port';
  port: SerialPort | undefined;
  openError: string | undefined;

  constructor(
    private readonly path: string,
    private readonly baud: () => number,
  ) {}

  getPorts(callback: Parameters<SerialDevice['getPorts']>[0]): void {
    callback([{ path: this.path, description: 'serial port', type: 'usb' }], true);
  }

  open(path: string, opened: (info: unknown) => void, received: (data: ArrayBuffer) => void, closed: (error?: unknown) => void): void {
    const port = new SerialPort({ path, baudRate: this.baud(), autoOpen: false });
    this.port = port;
    port.on('data', (data: Buffer) => received(Uint8Array.from(data).buffer));
    port.on('error', (error: Error) => {
      this.openError ??= error.message;
    });
    port.on('close', () => closed());
    port.open((error) => {
      if (error) {
        this.openError = error.message;
        this.port = undefined;
        opened(undefined);
      } else opened('Ok');
    });
  }

  write(data: string, callback: () => void): void {
    // one byte per character, as the package's own Node serial device does
    this.port?.write(Buffer.from(data, 'latin1'), () => callback());
  }

  close(): void {
    if (this.port?.isOpen) this.port.close();
  }
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One open connection to an Espruino board through EspruinoTools. Only one at a time (the tools are global). */
export class EspruinoConnection {
  readonly notices: ToolsNotice[] = [];
  /** Everything the board printed while no tools operation was listening (after load(), for example). */
  received = '';
  private closed = false;
  private disconnected = false;
  private restoreConsole: (() => void) | undefined;

  private constructor(
    private readonly E: EspruinoTools,
    private readonly device: PortDevice,
  ) {}

  /** Opens the port and asks the board for process.env (the tools do it on connect); rejects when the port cannot be opened. */
  static async open(options: ConnectOptions): Promise<EspruinoConnection> {
    const E = await loadTools();
    const device = new PortDevice(options.path, () => Number(E.Config.BAUD_RATE));
    const connection = new EspruinoConnection(E, device);
    connection.silence();
    Object.assign(E.Config, {
      BAUD_RATE: options.baud,
      ENV_ON_CONNECT: true,
      BOARD_JSON_URL: options.boardJsonDir,
      MODULE_URL: '',
      COMPILATION: false,
      MINIFICATION_LEVEL: '',
      MODULE_MINIFICATION_LEVEL: '',
      PRETOKENISE: 0,
      SET_TIME_ON_WRITE: false,
      RESET_BEFORE_SEND: true,
      SAVE_ON_SEND: 1,
      LOAD_STORAGE_FILE: 0,
      SERIAL_THROTTLE_SEND: 0,
      STORAGE_UPLOAD_METHOD: 0,
      BLUETOOTH_LOW_ENERGY: false,
    });
    const notice = (level: ToolsNotice['level']) => (text: string) => connection.notices.push({ level, text: String(text) });
    E.Core.Notifications = { success: notice('info'), info: notice('info'), warning: notice('warning'), error: notice('error') };
    E.Core.Status = { setStatus: () => undefined, hasProgress: () => false, incrementProgress: () => undefined };
    // ours is the only transport: no Bluetooth scans, no WebSocket relays
    E.Core.Serial.devices.splice(0, E.Core.Serial.devices.length, device);
    // the board JSON of an earlier connection must not linger
    for (const key of Object.keys(E.Core.Env.getData())) delete E.Core.Env.getData()[key];
    E.Core.Serial.startListening((data) => {
      connection.received += Buffer.from(data).toString('latin1');
    });
    const opened = await new Promise<boolean>((resolve) => {
      E.Core.Serial.open(
        options.path,
        (info) => resolve(info !== undefined),
        () => {
          connection.disconnected = true;
          resolve(false);
        },
      );
    });
    if (!opened) {
      connection.unsilence();
      throw new Error(`cannot open ${options.path}: ${device.openError ?? 'the port went away'}`);
    }
    return connection;
  }

  /** What the board told the tools about itself on connect (process.env merged with the local board JSON). */
  get env(): Record<string, unknown> {
    return this.E.Core.Env.getData();
  }

  get isOpen(): boolean {
    return !this.closed && !this.disconnected;
  }

  /** The JSON text of an expression's value on the board; undefined when the board did not answer. */
  async expression(expr: string, timeoutMs = 30_000): Promise<string | undefined> {
    return timeout(new Promise((resolve) => this.E.Core.Utils.executeExpression(expr, resolve, { maxTimeout: timeoutMs / 1000 })), timeoutMs + 5000, expr);
  }

  /** The code the tools would upload for `code` (modules resolved, SAVE_ON_SEND applied). */
  async transform(code: string): Promise<string> {
    return new Promise((resolve) => this.E.callProcessor('transformForEspruino', code, (out) => resolve(String(out))));
  }

  /** The code that writes `contents` to the Storage file `name` (what `espruino --storage name:file` prepends). */
  storageFileCode(name: string, contents: string): string {
    return this.E.Core.Utils.getUploadFileCode(name, contents);
  }

  /** reset(), then the code, as the tools upload it; resolves when the last byte has gone out. */
  async upload(code: string, timeoutMs: number): Promise<void> {
    await timeout(new Promise<void>((resolve) => this.E.Core.CodeWriter.writeToEspruino(code, resolve)), timeoutMs, 'upload');
  }

  /**
   * Writes console input (e.g. `\x10load()\n`) through the tools' connection; Serial.write would call back only
   * for writes longer than one block.
   */
  async send(text: string, timeoutMs = 10_000): Promise<void> {
    await timeout(this.E.Core.Serial.connection.write(text), timeoutMs, JSON.stringify(text));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.disconnected && this.E.Core.Serial.isConnected()) {
      const port = this.device.port;
      await new Promise<void>((resolve) => {
        if (!port?.isOpen) return resolve();
        port.once('close', () => resolve());
        this.E.Core.Serial.close();
      });
    }
    this.E.Core.Serial.startListening(undefined);
    this.unsilence();
  }

  private silence(): void {
    const saved = CONSOLE_METHODS.map((m) => console[m]);
    for (const m of CONSOLE_METHODS) console[m] = () => undefined;
    this.restoreConsole = () => CONSOLE_METHODS.forEach((m, i) => (console[m] = saved[i]!));
  }

  private unsilence(): void {
    this.restoreConsole?.();
    this.restoreConsole = undefined;
  }
}

