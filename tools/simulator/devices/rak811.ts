/**
 * A simulated RAK811 LoRa module with AT firmware V3.0.0.14.H on its UART1 (115200 8N1; the board's UART models the
 * wire). Sources: [manual] RAK811 Module / Breakout Board AT Command Manual (rakwireless-docs); [rui] the RUI v3
 * application source of the RAK811 AT firmware; [pyrak811] AmedeeBulle/pyrak811 (rak811_v3.py and its tests);
 * [ref] shared/reference/rak-rui3-at.md ("Legacy RAK811").
 *
 * Framing: a command ends at CR or LF (blank lines are ignored) and is at most 255 characters with its CR LF
 * [manual]; the characters past that are dropped and the command answers `ERROR: 2` (the manual does not say what
 * happens: assumption). Commands are handled one at a time, `replyDelayMs` each; the command set is in
 * rak811/commands.ts, the radio parts in rak811/lorawan-mac.ts and rak811/p2p-radio.ts.
 *
 * Start: after power-up (connect), the reset pin (`hardReset()`), `at+set_config=device:restart` or a work-mode
 * change, the module is deaf for `bootMs`, then prints the banner of [manual] (`RAK811 Version:3.0.0.14.H`,
 * the UART lines, `LoRa work mode: P2P` + `LoRa P2P Transfer_mode: Sender` or
 * `LoRa work mode:LoRaWAN, join_mode:OTAA, MulticastEnable: false, Class: A` [pyrak811], `Initialization OK`).
 * In ABP mode it activates its session at start and prints `OK Join Success` before `Initialization OK` [rui main()].
 * Flash (work mode, keys, settings, counters) survives; the session, the transfer mode and a send in progress do not.
 *
 * Sleep: `at+set_config=device:sleep:1` prints `OK Sleep`; the module then ignores the UART until a rising edge on
 * its RX pin wakes it [manual: "Wake-up will be triggered by a rising edge on these RX pins"]. Every byte has one
 * (its stop bit), so the first byte wakes it; the bytes arriving within `wakeUpMs` of that edge, the waking byte
 * included, are lost while the clocks restart (assumption: an STM32L1 leaving STOP mode, the USART clocked off until
 * then). It prints nothing on waking. `at+set_config=device:sleep:0` answers `OK Wake Up`.
 *
 * Faults for tests: `mute()` (the firmware hangs: nothing is printed or obeyed until the reset pin),
 * `sendGarbage(n)` (line noise towards the board), `bootGarbageBytes` (noise before each banner).
 */
import type { RadioFrame, RadioMedium, Scheduler, SerialDevice } from '../contracts.ts';
import type { TrackingReceiver } from '../radio/medium.ts';
import type { Point } from '../radio/propagation.ts';
import { runCommand, VERSION, type CommandHost } from './rak811/commands.ts';
import { defaultFlash, emptyStats, type FrameParams, type Rak811Context, type Rak811Flash, type Rak811Stats } from './rak811/context.ts';
import { Rak811LoRaWan } from './rak811/lorawan-mac.ts';
import { Rak811P2p } from './rak811/p2p-radio.ts';

export interface SimulatedRak811Options {
  id: string;
  position: Point;
  medium: RadioMedium;
  /** Default: 60C5A8FFFE plus 6 hex digits derived from the id. */
  devEui?: string;
  /** Work mode in flash at first power-up. Default 'lorawan' [manual]. */
  workMode?: 'lorawan' | 'p2p';
  /** Handling time of a command. Default 10 ms. */
  replyDelayMs?: number;
  /** From a reset to `Initialization OK`. Default 1200 ms ([pyrak811] allows 2 s after a hard reset). */
  bootMs?: number;
  /** From the wake-up edge until the UART receives again. Default 2 ms. */
  wakeUpMs?: number;
  bootGarbageBytes?: number;
  /** The UART's speed, for the arrival time of each byte of a chunk. Default 115200 [manual]. */
  baud?: number;
  /** Reported SNR saturates here. Default 13. */
  maxReportedSnrDb?: number;
}

/** [manual] "The maximum length is 255 characters which includes the <CR><LF>". */
export const MAX_LINE_CHARS = 253;

function defaultDevEui(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return '60C5A8FFFE' + (h & 0xffffff).toString(16).toUpperCase().padStart(6, '0');
}

function bytesOfText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export class SimulatedRak811 implements SerialDevice, TrackingReceiver {
  readonly id: string;
  position: Point;
  readonly stats: Rak811Stats = emptyStats();
  /** Flash contents; tests may preset keys here before power-up. */
  readonly flash: Rak811Flash;
  private readonly medium: RadioMedium;
  private readonly replyDelayMs: number;
  private readonly bootMs: number;
  private readonly wakeUpMs: number;
  private readonly byteMs: number;
  private toBoard: ((bytes: Uint8Array) => void) | undefined;
  private scheduler: Scheduler | undefined;
  private stopListening: (() => void) | undefined;
  private state: 'off' | 'booting' | 'ready' = 'off';
  private generation = 0;
  private muted = false;
  private sleeping = false;
  /** While waking: bytes arriving before this time are lost. */
  private deafUntil = -Infinity;
  private partialLine = '';
  private overlong = false;
  private readonly pending: string[] = [];
  private handling = false;
  private macPart: Rak811LoRaWan;
  private p2pPart: Rak811P2p;
  private readonly ctx: Rak811Context;
  private readonly host: CommandHost;

  constructor(private readonly options: SimulatedRak811Options) {
    this.id = options.id;
    this.position = { x: options.position.x, y: options.position.y };
    this.medium = options.medium;
    this.flash = defaultFlash(options.devEui ?? defaultDevEui(options.id));
    if (options.workMode === 'p2p') this.flash.workMode = 1;
    this.replyDelayMs = options.replyDelayMs ?? 10;
    this.bootMs = options.bootMs ?? 1200;
    this.wakeUpMs = options.wakeUpMs ?? 2;
    this.byteMs = (10 / (options.baud ?? 115200)) * 1000;
    this.ctx = this.makeContext();
    this.macPart = new Rak811LoRaWan(this.ctx);
    this.p2pPart = new Rak811P2p(this.ctx);
    this.host = {
      flash: this.flash,
      mac: () => this.macPart,
      p2p: () => this.p2pPart,
      print: (line) => this.print(line),
      restartMac: () => {
        this.macPart = new Rak811LoRaWan(this.ctx);
      },
      sleep: () => {
        this.sleeping = true;
      },
    };
  }

  // --- SerialDevice ---------------------------------------------------------------------------------------

  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.toBoard = toBoard;
    this.scheduler = scheduler;
    this.stopListening?.();
    this.stopListening = this.medium.listen(this);
    this.boot();
  }

  receive(bytes: Uint8Array): void {
    if (this.state !== 'ready' || this.muted) return;
    const now = this.ctx.now();
    for (let i = 0; i < bytes.length; i++) {
      const arrivedAt = now - (bytes.length - 1 - i) * this.byteMs;
      if (this.sleeping) {
        this.sleeping = false;
        this.deafUntil = arrivedAt + this.wakeUpMs;
      }
      if (arrivedAt < this.deafUntil) {
        this.stats.bytesLostWaking++;
        continue;
      }
      this.byteReceived(String.fromCharCode(bytes[i]!));
    }
  }

  // --- faults and controls ----------------------------------------------------------------------------------

  mute(): void {
    this.muted = true;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** The reset pin: restarts whatever state the module is in. */
  hardReset(): void {
    if (this.state !== 'off') this.boot();
  }

  sendGarbage(bytes: number | Uint8Array = 16): void {
    if (!this.toBoard || !this.scheduler) return;
    let out: Uint8Array;
    if (typeof bytes === 'number') {
      out = new Uint8Array(bytes);
      for (let i = 0; i < out.length; i++) out[i] = Math.floor(this.scheduler.random() * 256);
    } else {
      out = bytes;
    }
    this.stats.garbageBytes += out.length;
    this.toBoard(out);
  }

  moveTo(position: Point): void {
    this.position = { x: position.x, y: position.y };
  }

  get workMode(): 'lorawan' | 'p2p' {
    return this.flash.workMode === 1 ? 'p2p' : 'lorawan';
  }

  get transferMode(): 'sender' | 'receiver' {
    return this.p2pPart.mode;
  }

  get joined(): boolean {
    return this.macPart.joined;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  get asleep(): boolean {
    return this.sleeping;
  }

  // --- RadioReceiver ----------------------------------------------------------------------------------------

  hears(frame: RadioFrame): boolean {
    if (this.state === 'off') return false;
    return this.workMode === 'lorawan' ? this.macPart.hears(frame) : this.p2pPart.hears(frame);
  }

  frameStarted(frame: RadioFrame): void {
    if (this.workMode === 'lorawan') this.macPart.frameStarted(frame);
    else this.p2pPart.frameStarted(frame);
  }

  deliver(frame: RadioFrame, rssi: number, snr: number): void {
    if (this.workMode === 'lorawan') this.macPart.deliver(frame, rssi, snr);
    else this.p2pPart.deliver(frame, rssi, snr);
  }

  // --- lifecycle --------------------------------------------------------------------------------------------

  private boot(): void {
    this.generation++;
    this.stats.reboots++;
    this.state = 'booting';
    this.muted = false;
    this.sleeping = false;
    this.deafUntil = -Infinity;
    this.partialLine = '';
    this.overlong = false;
    this.pending.length = 0;
    this.handling = false;
    this.macPart = new Rak811LoRaWan(this.ctx);
    this.p2pPart = new Rak811P2p(this.ctx);
    this.later(this.bootMs, () => {
      this.state = 'ready';
      if (this.options.bootGarbageBytes) this.sendGarbage(this.options.bootGarbageBytes);
      const p2p = this.flash.workMode === 1;
      const lines = [
        '',
        'LoRa (R) is a registered trademark or service mark of Semtech Corporation or its affiliates. LoRaWAN (R) is a licensed mark.',
        '',
        `RAK811 Version:${VERSION.substring(1)}`,
        'UART1 work mode: RUI_UART_NORMAL, 115200, N81',
        'UART3 work mode: RUI_UART_NORMAL, 115200, N81',
      ];
      if (p2p) lines.push('LoRa work mode: P2P', 'LoRa P2P Transfer_mode: Sender');
      else lines.push(`LoRa work mode:LoRaWAN, join_mode:${this.flash.joinMode === 1 ? 'ABP' : 'OTAA'}, MulticastEnable: false, Class: ${'ABC'.charAt(this.flash.deviceClass)}`);
      for (const line of lines) this.print(line);
      if (!p2p && this.flash.joinMode === 1 && this.macPart.join() === 'OK') this.print('OK Join Success');
      this.print('Initialization OK');
    });
  }

  private later(ms: number, fn: () => void): void {
    const scheduler = this.scheduler;
    if (!scheduler) return;
    const generation = this.generation;
    scheduler.after(Math.max(0, ms), () => {
      if (generation === this.generation) fn();
    });
  }

  private print(line: string): void {
    if (this.muted || !this.toBoard) return;
    this.toBoard(bytesOfText(line + '\r\n'));
  }

  // --- command handling -------------------------------------------------------------------------------------

  private byteReceived(ch: string): void {
    if (ch !== '\r' && ch !== '\n') {
      if (this.partialLine.length < MAX_LINE_CHARS) this.partialLine += ch;
      else this.overlong = true;
      return;
    }
    const line = this.partialLine;
    const overlong = this.overlong;
    this.partialLine = '';
    this.overlong = false;
    if (this.sleeping || line.length === 0) return;
    this.pending.push(overlong ? '' : line);
    this.handleNext();
  }

  private handleNext(): void {
    if (this.handling) return;
    const line = this.pending.shift();
    if (line === undefined) return;
    this.handling = true;
    this.later(this.replyDelayMs, () => {
      this.handling = false;
      this.execute(line);
      this.handleNext();
    });
  }

  private execute(line: string): void {
    if (this.sleeping) return;
    this.stats.commands++;
    // an over-long line arrives here empty
    const result = line === '' ? 'ERROR: 2' : runCommand(line, this.host);
    if (result === 'ERROR: 1') this.stats.unknownCommands++;
    if (result === 'REBOOT') this.boot();
    else if (result !== 'PENDING' && result !== '') this.print(result);
  }

  private makeContext(): Rak811Context {
    const scheduler = (): Scheduler => {
      if (!this.scheduler) throw new Error('SimulatedRak811: not connected');
      return this.scheduler;
    };
    return {
      now: () => scheduler().now(),
      random: () => scheduler().random(),
      flash: this.flash,
      stats: this.stats,
      later: (ms, fn) => this.later(ms, fn),
      transmit: (params: FrameParams) => {
        const frame: RadioFrame = { ...params, from: this.id, startMs: scheduler().now() };
        this.stats.framesSent++;
        this.stats.airtimeMs += frame.airtimeMs;
        this.medium.transmit(frame, this.position);
        return frame;
      },
      print: (line) => this.print(line),
      report: (rssi, snr) => ({
        rssi: Math.floor(rssi),
        snr: Math.max(-20, Math.min(this.options.maxReportedSnrDb ?? 13, Math.round(snr))),
      }),
    };
  }
}
