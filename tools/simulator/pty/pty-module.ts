/**
 * A simulated RAK3172 (RUI3) on one end of a pseudo-terminal pair, in real time: a program on the other end (the
 * gateway bridge) talks to it exactly as to a module on a USB serial adapter. The module is the simulator's own
 * SimulatedRak3172 (tools/simulator/devices/rak3172.ts) on a RealtimeScheduler; its UART is the pty, opened with
 * serialport.
 *
 * - receive(phyPayload, {rssi, snr}) makes the module hear a LoRa frame on its current P2P channel. The frame goes
 *   through the module's radio receiver (hears/deliver), so it is printed only when the module would print it: in
 *   P2P mode, in PRECV, on the same frequency, SF and bandwidth, not while transmitting, and in the configured line
 *   form (`+EVT:RXP2P:...` or the legacy two lines). RSSI is printed as an integer and SNR capped as the module does.
 * - What the module transmits (AT+PSEND) is recorded in `transmitted` and emitted as 'transmit'.
 * - Every command line the module got is recorded in `commands` and emitted as 'command'.
 * - writeRaw() puts bytes on the line as if the module printed them (noise, truncated lines, RAK811 lines).
 * - When its pty vanishes (the socat pair stopped: the adapter unplugged; noticed from the port or, as serialport
 *   does not always report it, from the link, checked every 50 ms), the module waits for the path to come
 *   back and attaches again; by default it is power-cycled then, as a USB-powered module is: it boots, prints its
 *   banner, keeps its flash settings and is no longer receiving.
 *
 * Throughput: the module's output is collected and written once per event-loop turn, so receive() is not paced by
 * the module's command handling (receive lines are asynchronous prints); the measured rate is in the tests
 * (tests/simulator/pty/pty-module.test.ts). A real module is paced by its UART: at 115200 baud a 30-byte frame's
 * line (83 characters) takes 7.2 ms, about 140 lines per second; the pty does not model baud rate.
 *
 * The pty side (PtySerialModule) is shared with the simulated RAK811 (pty-rak811.ts).
 */
import { EventEmitter } from 'node:events';
import { existsSync, lstatSync, type Stats } from 'node:fs';
import { SerialPort } from 'serialport';
import { timeOnAir } from '../../../firmware/core/airtime.ts';
import type { RadioFrame, RadioMedium, RadioReceiver, Scheduler, SerialDevice } from '../contracts.ts';
import { SimulatedRak3172, type SimulatedRak3172Options } from '../devices/rak3172.ts';
import { P2P_BANDWIDTHS_HZ } from '../devices/rak3172/nvm.ts';
import type { Point } from '../radio/propagation.ts';
import { RealtimeScheduler } from './realtime-scheduler.ts';

export interface PtySerialModuleOptions {
  /** The module's end of the pty pair. */
  path: string;
  /** Default: a RealtimeScheduler of its own, stopped by close(). */
  scheduler?: Scheduler;
  /** A medium shared with other simulated radios on the same scheduler; default: none (only `transmitted` records). */
  medium?: RadioMedium;
  /** Attach again when the path comes back after the pty vanished. Default true. */
  reattach?: boolean;
  /** Restart the module when it attaches again (it lost power with the adapter). Default true. */
  powerCycleOnReattach?: boolean;
}

export interface PtyRakModuleOptions extends PtySerialModuleOptions, Partial<Omit<SimulatedRak3172Options, 'medium' | 'position'>> {
  position?: Point;
}

export interface HeardSignal {
  rssi: number;
  snr: number;
  /** Default: the module's P2P frequency, SF and bandwidth (a frame on another channel is not heard). */
  freqHz?: number;
  sf?: number;
  bwHz?: number;
}

export type PtyRakModuleEvents = {
  transmit: [RadioFrame];
  command: [string];
  attached: [];
  detached: [string];
};

const REATTACH_POLL_MS = 25;
/** serialport does not always report a pty that vanished: the link is checked this often as well. */
const LINK_CHECK_MS = 50;

/** Records what the module transmits, and passes it on to a shared medium when there is one. */
class TapMedium implements RadioMedium {
  constructor(
    private readonly inner: RadioMedium | undefined,
    private readonly tap: (frame: RadioFrame) => void,
  ) {}

  transmit(frame: RadioFrame, position: Point): void {
    this.tap(frame);
    this.inner?.transmit(frame, position);
  }

  listen(receiver: RadioReceiver): () => void {
    return this.inner ? this.inner.listen(receiver) : () => undefined;
  }
}

/** What a simulated module needs to sit on a pty: a UART (SerialDevice) and a P2P radio receiver. */
export interface PtyModuleDevice extends SerialDevice, RadioReceiver {
  readonly workMode: 'lorawan' | 'p2p';
}

/** The P2P channel a module is set to: a frame heard by default is sent on it. */
export interface P2pChannel {
  freqHz: number;
  sf: number;
  bwHz: number;
  /** 1 = 4/5 ... 4 = 4/8, as in RadioFrame. */
  cr: number;
  preamble: number;
}

/**
 * A simulated module on one end of a pty, in real time: the port, its attaching again after the pty vanished,
 * the recording of commands and transmitted frames, and hearing frames. The subclass makes the module (on `tap`)
 * and says which P2P channel it is on.
 */
export abstract class PtySerialModule<D extends PtyModuleDevice> extends EventEmitter<PtyRakModuleEvents> {
  abstract readonly module: D;
  readonly scheduler: Scheduler;
  readonly path: string;
  /** Command lines received, in order. */
  readonly commands: string[] = [];
  /** Frames the module put on the air. */
  readonly transmitted: RadioFrame[] = [];
  /** Bytes the module printed while no port was attached (lost, as on an unplugged adapter). */
  droppedBytes = 0;
  /** The medium to give the module: records what it transmits and passes it on to the shared one. */
  protected readonly tap: RadioMedium;
  private readonly reattach: boolean;
  private readonly powerCycle: boolean;
  private readonly ownScheduler: RealtimeScheduler | undefined;
  private port: SerialPort | undefined;
  private out: Buffer[] = [];
  private flushQueued = false;
  private partialCommand = '';
  private reattachTimer: NodeJS.Timeout | undefined;
  private linkTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private powered = false;

  protected constructor(
    options: PtySerialModuleOptions,
    private readonly label: string,
  ) {
    super();
    this.path = options.path;
    this.reattach = options.reattach ?? true;
    this.powerCycle = options.powerCycleOnReattach ?? true;
    this.ownScheduler = options.scheduler ? undefined : new RealtimeScheduler();
    this.scheduler = options.scheduler ?? this.ownScheduler!;
    this.tap = new TapMedium(options.medium, (frame) => {
      this.transmitted.push(frame);
      this.emit('transmit', frame);
    });
  }

  /** The module's current P2P settings. */
  protected abstract p2pChannel(): P2pChannel;

  /** Opens the pty and powers the module up (it boots and prints its banner after `bootMs`). */
  async start(): Promise<void> {
    await this.attach();
  }

  get attached(): boolean {
    return this.port !== undefined;
  }

  /** Whether a frame on the module's P2P channel would be heard now (P2P mode, receiving, not transmitting). */
  get listening(): boolean {
    return this.module.workMode === 'p2p' && this.module.hears(this.frame(new Uint8Array(1), {}));
  }

  /** The module hears a frame; returns whether it did (and so printed it). */
  receive(phyPayload: Uint8Array, signal: HeardSignal): boolean {
    const frame = this.frame(phyPayload, signal);
    if (!this.module.hears(frame)) return false;
    this.hear(frame, signal.rssi, signal.snr);
    return true;
  }

  /** Bytes on the line towards the other end, as if the module printed them. */
  writeRaw(data: string | Uint8Array): void {
    this.toLine(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves when the module is attached (at once when it is). */
  whenAttached(timeoutMs = 10_000): Promise<void> {
    if (this.attached) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('attached', done);
        reject(new Error(`${this.label}: ${this.path} not attached within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.once('attached', done);
    });
  }

  /** Closes the port; with its own scheduler nothing of the module runs afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reattachTimer);
    clearInterval(this.linkTimer);
    this.reattachTimer = undefined;
    this.linkTimer = undefined;
    this.ownScheduler?.stop();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Hands a frame the module hears (ended just now) to its radio. */
  protected hear(frame: RadioFrame, rssi: number, snr: number): void {
    this.module.deliver(frame, rssi, snr);
  }

  private frame(payload: Uint8Array, signal: Partial<HeardSignal>): RadioFrame {
    const channel = this.p2pChannel();
    const sf = signal.sf ?? channel.sf;
    const bwHz = signal.bwHz ?? channel.bwHz;
    const airtimeMs = timeOnAir({ sf, bwHz, cr: channel.cr, payloadBytes: payload.length, preamble: channel.preamble });
    return {
      from: 'pty-sender',
      freqHz: signal.freqHz ?? channel.freqHz,
      sf,
      bwHz,
      cr: channel.cr,
      preamble: channel.preamble,
      txPowerDbm: 14,
      payload,
      startMs: this.scheduler.now() - airtimeMs,
      airtimeMs,
    };
  }

  private async attach(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    if (this.closed) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      return;
    }
    this.port = port;
    this.partialCommand = '';
    port.on('data', (chunk: Buffer) => {
      if (this.port !== port) return;
      this.recordCommands(chunk);
      this.module.receive(new Uint8Array(chunk));
    });
    port.on('close', () => this.detached(port, 'port closed'));
    port.on('error', (err) => this.detached(port, err.message));
    const link = linkIdentity(this.path);
    this.linkTimer = setInterval(() => {
      if (linkIdentity(this.path) !== link) this.detached(port, 'the pty link vanished or was replaced');
    }, LINK_CHECK_MS);
    if (!this.powered || this.powerCycle) {
      this.powered = true;
      this.module.connect((bytes) => this.toLine(bytes), this.scheduler);
    }
    this.emit('attached');
  }

  private detached(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.out = [];
    clearInterval(this.linkTimer);
    this.linkTimer = undefined;
    if (port.isOpen) port.close(() => undefined);
    this.emit('detached', reason);
    if (this.reattach && !this.closed) this.waitForPath();
  }

  private waitForPath(): void {
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = undefined;
      if (this.closed) return;
      if (!existsSync(this.path)) {
        this.waitForPath();
        return;
      }
      // the link can exist a moment before its pty can be opened: try again
      this.attach().catch(() => this.waitForPath());
    }, REATTACH_POLL_MS);
  }

  private toLine(bytes: Uint8Array): void {
    if (!this.port) {
      this.droppedBytes += bytes.length;
      return;
    }
    this.out.push(Buffer.from(bytes));
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const port = this.port;
    if (!port || this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    port.write(data);
  }

  private recordCommands(chunk: Buffer): void {
    const text = this.partialCommand + chunk.toString('latin1');
    const lines = text.split(/[\r\n]/);
    this.partialCommand = lines.pop() ?? '';
    for (const line of lines) {
      if (line.length === 0) continue;
      this.commands.push(line);
      this.emit('command', line);
    }
  }
}

/** The simulated RAK3172 (RUI3) on a pty. */
export class PtyRakModule extends PtySerialModule<SimulatedRak3172> {
  readonly module: SimulatedRak3172;

  constructor(options: PtyRakModuleOptions) {
    const { path, scheduler, medium, position, reattach, powerCycleOnReattach, ...moduleOptions } = options;
    super({ path, scheduler, medium, reattach, powerCycleOnReattach }, 'PtyRakModule');
    this.module = new SimulatedRak3172({ id: 'pty-module', ...moduleOptions, position: position ?? { x: 0, y: 0 }, medium: this.tap });
  }

  protected p2pChannel(): P2pChannel {
    const s = this.module.nvm.p2p;
    return { freqHz: s.freqHz, sf: s.sf, bwHz: P2P_BANDWIDTHS_HZ[s.bwCode]!, cr: s.cr + 1, preamble: s.preamble };
  }
}

function linkIdentity(path: string): string | undefined {
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch {
    return undefined;
  }
  return `${link.ino}:${link.ctimeMs}`;
}
