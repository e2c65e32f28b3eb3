/**
 * The serial input: a RAK module in LoRa P2P receive mode on a serial port (serialport 13, 115200 8N1 by default).
 * It opens the port, configures the module (module-setup.ts), and emits
 * - `frame`: every packet the module printed, as a RawFrame whose RxInfo carries this input's id as gateway id, the
 *   host clock's time at the moment the line arrived, whether that clock is NTP-synchronised, and the P2P frequency
 *   and spreading factor;
 * - `rejected`: every line that is not a packet or a reply (garbage, overlong, bad hex, a line cut by a reopen);
 * - `status`: open, configured, setup-failed, reconfiguring, closed, reopening (attempt, delay), stopped.
 *
 * USB serial adapters vanish (unplugged, a brown-out, a hub reset). When the port closes or fails, or its path stops
 * existing (checked every `pathCheckMs`, for device nodes whose loss serialport does not report), the input reopens
 * it with backoff (250 ms, doubling, at most 5 s, back to the start after a successful setup) and configures the
 * module again; while the path is missing it is looked for every 250 ms, so a returning adapter is opened at once. Give the path as a stable link, e.g. /dev/serial/by-id/usb-RAKwireless_..., not /dev/ttyUSB0: the
 * kernel may number the adapter differently when it comes back, and a by-id link is just a path here.
 *
 * The module is also configured again when it prints its boot banner on its own (it restarted: PRECV is off after
 * a restart) and when the periodic check (`healthCheckMs`) finds it silent or not receiving. A module that stays
 * silent is sent a reset (ATZ) during setup; if that fails too, the port is reopened with backoff.
 */
import { EventEmitter } from 'node:events';
import { existsSync, lstat, stat } from 'node:fs';
import { SerialPort } from 'serialport';
import type { P2PSettings } from '../../../../firmware/drivers/modem.ts';
import { SERIAL_DEFAULTS } from '../../config/defaults.ts';
import type { RawFrame, Rejection } from '../../types.ts';
import { AtSession } from './at-session.ts';
import { cachedClockSync, type ClockSyncCheck } from './clock-sync.ts';
import { type FramedLine, LineFramer } from './line-framer.ts';
import { type LineRejection, type LineRejectReason, type ModuleLine, type ModuleLineParser, quote, tooLong } from './module-lines.ts';
import { createModuleDriver, type ModuleDriver, type ModuleKind, type SetupTimings } from './module-setup.ts';

export interface ReopenBackoff {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

export const REOPEN_BACKOFF: ReopenBackoff = { initialDelayMs: 250, factor: 2, maxDelayMs: 5000 };

export interface SerialInputOptions {
  /** The input's id (config `serial[].id`): RxInfo.gatewayId of its frames. */
  id: string;
  /** The device path; prefer /dev/serial/by-id/... (see above). */
  path: string;
  baudRate?: number;
  /** Default 'rui3'. */
  module?: ModuleKind;
  p2p: P2PSettings;
  reopen?: Partial<ReopenBackoff>;
  /** How often the path's existence is checked while open. Default 1000 ms. */
  pathCheckMs?: number;
  /** How often the module is asked whether it still receives; 0: never. Default 60000 ms. */
  healthCheckMs?: number;
  timings?: Partial<SetupTimings>;
  /** Default: systemd-timesyncd's flag file, checked at most every 10 s. */
  clockSynced?: ClockSyncCheck;
  /** The host clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

export type SerialInputStatus =
  | { state: 'open'; path: string }
  | { state: 'configured'; modeChanged: boolean; resetSent: boolean; setupMs: number }
  | { state: 'setup-failed'; error: string }
  | { state: 'reconfiguring'; reason: string }
  | { state: 'closed'; reason: string }
  | { state: 'reopening'; attempt: number; delayMs: number; reason: string }
  | { state: 'stopped' };

export type SerialInputEvents = {
  frame: [RawFrame];
  rejected: [Rejection];
  status: [SerialInputStatus];
};

export interface SerialInputCounters {
  /** Non-empty lines read. */
  lines: number;
  frames: number;
  rejected: Record<LineRejectReason, number>;
  /** `+EVT:RXP2P RECEIVE ERROR`: a packet the module heard but could not decode (CRC). */
  receiveErrors: number;
  opens: number;
  /** Successful opens after the port had been lost. */
  reopens: number;
  openFailures: number;
  setupFailures: number;
  /** Setups after a module restart or a failed health check. */
  reconfigures: number;
  downlinks: number;
  downlinkFailures: number;
}

type State = 'idle' | 'opening' | 'configuring' | 'configured' | 'waiting' | 'stopped';

/** Rejection.raw: at most 512 hex digits. */
const RAW_BYTES = 256;

export class SerialInput extends EventEmitter<SerialInputEvents> {
  readonly id: string;
  readonly path: string;
  readonly counters: SerialInputCounters = {
    lines: 0,
    frames: 0,
    rejected: { 'line-garbage': 0, 'line-too-long': 0, 'hex-invalid': 0 },
    receiveErrors: 0,
    opens: 0,
    reopens: 0,
    openFailures: 0,
    setupFailures: 0,
    reconfigures: 0,
    downlinks: 0,
    downlinkFailures: 0,
  };
  private readonly driver: ModuleDriver;
  private readonly p2p: P2PSettings;
  private readonly baudRate: number;
  private readonly backoff: ReopenBackoff;
  private readonly pathCheckMs: number;
  private readonly healthCheckMs: number;
  private readonly clockSynced: ClockSyncCheck;
  private readonly now: () => number;
  private state: State = 'idle';
  /** Bumped whenever a port is given up: callbacks of an older port do nothing. */
  private generation = 0;
  private port: SerialPort | undefined;
  private opening: Promise<void> | undefined;
  private session: AtSession | undefined;
  private framer = new LineFramer();
  private parser: ModuleLineParser;
  private attempt = 0;
  private lostOnce = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private pathTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(options: SerialInputOptions) {
    super();
    this.id = options.id;
    this.path = options.path;
    this.p2p = options.p2p;
    this.baudRate = options.baudRate ?? SERIAL_DEFAULTS.baudRate;
    this.driver = createModuleDriver(options.module ?? SERIAL_DEFAULTS.module, options.p2p, options.timings);
    this.parser = this.driver.createParser();
    this.backoff = { ...REOPEN_BACKOFF, ...options.reopen };
    this.pathCheckMs = options.pathCheckMs ?? 1000;
    this.healthCheckMs = options.healthCheckMs ?? 60_000;
    this.clockSynced = options.clockSynced ?? cachedClockSync();
    this.now = options.now ?? Date.now;
  }

  get configuredNow(): boolean {
    return this.state === 'configured';
  }

  /** Opens the port and keeps it open (reopening it) until close(). */
  start(): void {
    if (this.state !== 'idle') return;
    this.open();
  }

  /** Resolves once the module is configured (at once when it is); rejects after `timeoutMs` or on close(). */
  configured(timeoutMs = 30_000): Promise<void> {
    if (this.state === 'configured') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onStatus = (status: SerialInputStatus): void => {
        if (status.state === 'configured') done();
        else if (status.state === 'stopped') done(new Error(`serial input ${this.id} closed before its module was configured`));
      };
      const timer = setTimeout(() => done(new Error(`serial input ${this.id}: module not configured within ${timeoutMs} ms`)), timeoutMs);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.off('status', onStatus);
        if (err) reject(err);
        else resolve();
      };
      this.on('status', onStatus);
    });
  }

  /** Sends a downlink PHYPayload through the module; fails when the module is not configured (it is reopening). */
  async sendDownlink(phyPayload: Uint8Array): Promise<void> {
    const session = this.session;
    if (this.state !== 'configured' || !session) throw new Error(`serial input ${this.id}: module not ready for a downlink (${this.state})`);
    try {
      await this.driver.sendDownlink(session, phyPayload);
      this.counters.downlinks++;
    } catch (err) {
      this.counters.downlinkFailures++;
      throw err;
    }
  }

  /** Stops everything: no timer, no open port afterwards. A line cut off by the close is still classified. */
  async close(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.generation++;
    this.stopTimers();
    const port = this.port;
    this.port = undefined;
    this.endLines(new Date(this.now()).toISOString());
    this.session?.close('input closed');
    this.session = undefined;
    await this.opening;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.emit('status', { state: 'stopped' });
  }

  // --- the port ---------------------------------------------------------------------------------------------

  private open(): void {
    const generation = ++this.generation;
    this.state = 'opening';
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    port.on('data', (chunk: Buffer) => {
      if (generation === this.generation) this.received(chunk);
    });
    port.on('close', (err?: Error | null) => {
      if (generation === this.generation) this.lost(err ? `port closed: ${err.message}` : 'port closed');
    });
    port.on('error', (err: Error) => {
      if (generation === this.generation) this.lost(`port error: ${err.message}`);
    });
    this.opening = new Promise<void>((resolve) => {
      port.open((err) => {
        if (generation !== this.generation) {
          // closed (or given up) while opening: leave no open port behind
          if (err) resolve();
          else port.close(() => resolve());
          return;
        }
        resolve();
        if (err) {
          this.counters.openFailures++;
          this.scheduleReopen(`cannot open ${this.path}: ${err.message}`);
          return;
        }
        this.opened(port, generation);
      });
    });
  }

  private opened(port: SerialPort, generation: number): void {
    this.port = port;
    this.counters.opens++;
    if (this.lostOnce) this.counters.reopens++;
    this.framer = new LineFramer();
    this.parser = this.driver.createParser();
    this.session = new AtSession((text) => this.write(port, text), (status) => this.driver.describeStatus(status));
    this.emit('status', { state: 'open', path: this.path });
    identify(this.path, (identity) => {
      if (generation !== this.generation) return;
      if (identity === undefined) this.lost(`${this.path} vanished right after opening`);
      else this.pathTimer = setInterval(() => this.checkPath(generation, identity), this.pathCheckMs);
    });
    void this.configure(generation, undefined);
  }

  private write(port: SerialPort, text: string): void {
    if (!port.isOpen) throw new Error('port not open');
    const generation = this.generation;
    port.write(Buffer.from(text, 'latin1'), (err) => {
      if (err && generation === this.generation) this.lost(`write failed: ${err.message}`);
    });
  }

  /**
   * The path must still name the device that was opened. serialport does not always report a pty or device node
   * that vanished (measured with socat: 3 to 4 kills in 10 went unreported), and a link recreated quickly
   * (socat restarted, udev re-adding an adapter) points to a new device while the old descriptor is dead.
   */
  private checkPath(generation: number, opened: string): void {
    identify(this.path, (identity, err) => {
      if (generation !== this.generation) return;
      if (identity === undefined) this.lost(`${this.path} vanished (${err})`);
      else if (identity !== opened) this.lost(`${this.path} now names another device (replugged)`);
    });
  }

  /** The port is gone or unusable: give it up and reopen it later. */
  private lost(reason: string): void {
    const port = this.port;
    if (!port || this.state === 'stopped') return;
    this.port = undefined;
    this.generation++;
    this.lostOnce = true;
    this.stopTimers();
    this.endLines(new Date(this.now()).toISOString());
    this.session?.close(reason);
    this.session = undefined;
    if (port.isOpen) port.close(() => undefined);
    this.emit('status', { state: 'closed', reason });
    this.scheduleReopen(reason);
  }

  private scheduleReopen(reason: string): void {
    if (this.state === 'stopped') return;
    this.attempt++;
    const b = this.backoff;
    const delayMs = Math.min(b.initialDelayMs * Math.pow(b.factor, this.attempt - 1), b.maxDelayMs);
    this.state = 'waiting';
    this.emit('status', { state: 'reopening', attempt: this.attempt, delayMs, reason });
    this.reopenTimer = setTimeout(() => this.reopenNow(), delayMs);
    // an adapter plugged in again is opened at once, not after a long backoff delay: while the path is missing,
    // look for it at the shortest delay (the backoff still paces ports that exist but fail)
    if (!existsSync(this.path)) {
      this.pathTimer = setInterval(() => {
        if (existsSync(this.path)) this.reopenNow();
      }, b.initialDelayMs);
    }
  }

  private reopenNow(): void {
    clearTimeout(this.reopenTimer);
    clearInterval(this.pathTimer);
    this.reopenTimer = undefined;
    this.pathTimer = undefined;
    if (this.state === 'waiting') this.open();
  }

  private stopTimers(): void {
    clearTimeout(this.reopenTimer);
    clearInterval(this.pathTimer);
    clearInterval(this.healthTimer);
    this.reopenTimer = undefined;
    this.pathTimer = undefined;
    this.healthTimer = undefined;
  }

  // --- the module -------------------------------------------------------------------------------------------

  private async configure(generation: number, reason: string | undefined): Promise<void> {
    const session = this.session;
    if (!session) return;
    if (reason !== undefined) {
      this.counters.reconfigures++;
      this.emit('status', { state: 'reconfiguring', reason });
    }
    this.state = 'configuring';
    clearInterval(this.healthTimer);
    const started = performance.now();
    try {
      const result = await this.driver.configure(session);
      if (generation !== this.generation) return;
      this.state = 'configured';
      this.attempt = 0;
      this.emit('status', { state: 'configured', ...result, setupMs: Math.round(performance.now() - started) });
      if (this.healthCheckMs > 0) this.healthTimer = setInterval(() => void this.checkModule(generation), this.healthCheckMs);
    } catch (err) {
      if (generation !== this.generation) return;
      const message = (err as Error).message;
      this.counters.setupFailures++;
      this.emit('status', { state: 'setup-failed', error: message });
      this.lost(`module setup failed: ${message}`);
    }
  }

  private async checkModule(generation: number): Promise<void> {
    const session = this.session;
    if (this.checking || this.state !== 'configured' || !session) return;
    this.checking = true;
    let problem: string | undefined;
    try {
      if (!(await this.driver.check(session))) problem = 'the module no longer receives';
    } catch (err) {
      problem = `health check: ${(err as Error).message}`;
    } finally {
      this.checking = false;
    }
    if (problem !== undefined && generation === this.generation && this.state === 'configured') await this.configure(generation, problem);
  }

  // --- lines ------------------------------------------------------------------------------------------------

  private received(chunk: Buffer): void {
    let receivedAt: string | undefined;
    for (const framed of this.framer.push(chunk.toString('latin1'))) {
      // the host clock when the line arrived; one read of the port delivers its lines at once
      receivedAt ??= new Date(this.now()).toISOString();
      this.counters.lines++;
      if (framed.overlong) {
        this.handleAll(this.parser.flush(), receivedAt);
        this.handle(tooLong(framed.length, framed.text), receivedAt);
      } else {
        this.handleAll(this.parser.parse(framed.text), receivedAt);
      }
    }
  }

  /** The line the closing port cut off, and a half-read two-line packet: rejected, never silently dropped. */
  private endLines(receivedAt: string): void {
    const framed = this.framer.flush();
    if (framed) {
      this.counters.lines++;
      for (const item of this.partialLine(framed)) this.handle(item, receivedAt);
    }
    this.handleAll(this.parser.flush(), receivedAt);
  }

  private partialLine(framed: FramedLine): ModuleLine[] {
    if (framed.overlong) return [tooLong(framed.length, framed.text)];
    const why = `line cut off by the port closing: ${quote(framed.text)}`;
    return this.parser.parse(framed.text).map((item): ModuleLine => {
      if (item.kind === 'rejected') return item;
      const reason = item.kind === 'packet' ? 'hex-invalid' : 'line-garbage';
      return { kind: 'rejected', rejection: { reason, detail: why }, line: framed.text };
    });
  }

  private handleAll(items: ModuleLine[], receivedAt: string): void {
    for (const item of items) this.handle(item, receivedAt);
  }

  private handle(item: ModuleLine, receivedAt: string): void {
    switch (item.kind) {
      case 'packet':
        this.counters.frames++;
        this.emit('frame', {
          phyPayload: item.packet.bytes,
          rx: {
            gatewayId: this.id,
            input: 'serial',
            rssi: item.packet.rssi,
            snr: item.packet.snr,
            receivedAt,
            clock: 'bridge',
            clockSynced: this.clockSynced(),
            frequencyHz: this.p2p.freqHz,
            spreadingFactor: this.p2p.sf,
          },
        });
        return;
      case 'rejected':
        this.reject(item.rejection, item.line, receivedAt);
        return;
      case 'banner':
        this.session?.offer(item);
        if (this.state === 'configured') void this.configure(this.generation, `the module restarted: ${item.text}`);
        return;
      case 'event':
        if (item.event === 'receive-error') this.counters.receiveErrors++;
        this.session?.offer(item);
        return;
      default:
        this.session?.offer(item);
    }
  }

  private reject(rejection: LineRejection, line: string, receivedAt: string): void {
    this.counters.rejected[rejection.reason]++;
    const raw = Buffer.from(line.slice(0, RAW_BYTES), 'latin1').toString('hex');
    this.emit('rejected', { reason: rejection.reason, detail: rejection.detail, input: 'serial', gatewayId: this.id, receivedAt, raw });
  }
}

/**
 * What the path names: the link or node itself (inode and change time: a recreated link or node differs) and the
 * device it leads to. undefined with the error code when it does not exist (or leads nowhere).
 */
function identify(path: string, done: (identity: string | undefined, err?: string) => void): void {
  lstat(path, (err, link) => {
    if (err) return done(undefined, err.code ?? err.message);
    stat(path, (err2, target) => {
      if (err2) return done(undefined, err2.code ?? err2.message);
      done(`${link.ino}:${link.ctimeMs}:${target.rdev}:${target.ino}`);
    });
  });
}
