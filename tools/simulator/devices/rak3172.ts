/**
 * A simulated RAK3172 LoRa module with RUI3 firmware on a UART (115200 8N1; the board's UART models the wire), as
 * shared/reference/rak-rui3-at.md and RUI3's source describe it.
 *
 * Framing: a command ends at \r or \n, blank lines are ignored, names are case-insensitive, echo is off (ATE
 * toggles it). A query `AT+XXX=?` prints `AT+XXX=<value>` (upper-case name) and `OK`; other status lines are
 * AT_ERROR, AT_PARAM_ERROR (also `AT+XXX=` with an empty value), AT_BUSY_ERROR, AT_NO_NETWORK_JOINED,
 * AT_MODE_NO_SUPPORT (a LoRaWAN command in P2P mode or the reverse), AT_COMMAND_NOT_FOUND, AT_UNSUPPORTED_BAND.
 * `AT+XXX?` prints the command's usage. Commands are handled one at a time, each `replyDelayMs` after the previous
 * one (plus `flashWriteMs` for a setting stored in flash); lines arriving meanwhile wait in the UART buffer.
 *
 * Start: after power-up (connect), ATZ, `hardReset()` or a work-mode change the module is deaf for `bootMs`, then
 * prints `Current Work Mode: LoRaWAN.` (or `LoRa P2P.`). Settings survive (nvm.ts); the session does not.
 * The radio parts: lorawan-mac.ts (join, send, receive windows, duty cycle) and p2p-radio.ts (PSEND, PRECV).
 * AT+SLEEP prints its OK when the module wakes: after the time, or when a line arrives (the UART wakes it).
 *
 * Faults for tests: `mute()` (the firmware hangs: nothing is printed, nothing but ATZ is obeyed, until ATZ or
 * `hardReset()`), `sendGarbage(n)` (line noise towards the board), `bootGarbageBytes` (noise before each banner).
 * A join that never succeeds: a DevEUI or AppKey the network does not know, or no gateway in range.
 * Counters for tests and benchmarks: `stats`.
 */
import type { RadioFrame, RadioMedium, Scheduler, SerialDevice } from '../contracts.ts';
import { subBandName } from '../radio/airtime-stats.ts';
import type { TrackingReceiver } from '../radio/medium.ts';
import { StateClock } from '../runtime/power-states.ts';
import type { Point } from '../radio/propagation.ts';
import { type AtStatus, isQuery, MAX_NAME_LENGTH, parseCommandLine } from './rak3172/at-syntax.ts';
import { buildCommands, type CommandHost, type CommandResult, type CommandSpec, P2P_RX_BUSY_MESSAGE } from './rak3172/commands.ts';
import { emptyStats, type FrameParams, type ModemContext, type Rak3172Stats } from './rak3172/context.ts';
import { LoRaWanMac } from './rak3172/lorawan-mac.ts';
import { defaultNvm, type Rak3172Nvm } from './rak3172/nvm.ts';
import { P2pRadio } from './rak3172/p2p-radio.ts';

export interface SimulatedRak3172Options {
  /** Radio id on the medium (RadioFrame.from). */
  id: string;
  position: Point;
  medium: RadioMedium;
  /** Default: AC1F09FFFE plus 6 hex digits derived from the id. */
  devEui?: string;
  /** Work mode stored in flash at first power-up. Default 'lorawan'. */
  workMode?: 'lorawan' | 'p2p';
  /** AT+VER. */
  version?: string;
  /** AT+BAT, volts. Default 3.3. */
  batteryVolts?: number | (() => number);
  /** Handling time of a command. Default 4 ms. */
  replyDelayMs?: number;
  /** Extra time of a command that writes flash. Default 20 ms. */
  flashWriteMs?: number;
  /** From a reset to the banner. Default 1000 ms. */
  bootMs?: number;
  /** Random bytes sent before each banner (a reset glitch). Default 0. */
  bootGarbageBytes?: number;
  /** Print P2P packets as the two lines of older firmware. */
  legacyP2pRxEvents?: boolean;
  /** Read AT+PBW back as a code (0 = 125 kHz ...), as RUI 5 does. Default false (kHz, RUI 3). */
  bandwidthAsCode?: boolean;
  /** Blank lines around status lines (\r\nOK\r\n), as some RUI3 builds print. Default false. */
  blankLinesAroundStatus?: boolean;
  /** Reported SNR saturates here: real modules report 8..13 dB even at -70..-30 dBm (the RUI3 examples). Default 13. */
  maxReportedSnrDb?: number;
  /** LoRaWAN TX power (EU868 TXP0: 16 dBm EIRP with a 2 dBi antenna). Default 14 dBm. */
  txPowerDbm?: number;
}

const DEFAULT_VERSION = '3.2.0-p2_22q1_final.87';

function defaultDevEui(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return 'AC1F09FFFE' + (h & 0xffffff).toString(16).toUpperCase().padStart(6, '0');
}

function bytesOfText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export class SimulatedRak3172 implements SerialDevice, TrackingReceiver {
  readonly id: string;
  position: Point;
  readonly stats: Rak3172Stats = emptyStats();
  /** Time with AT+LPM=1 in force (the module sleeps by itself between commands and radio events), for power accounting. */
  private readonly lowPower = new StateClock(() => this.scheduler?.now() ?? 0);
  /** Flash contents; tests may preset keys here before power-up. */
  readonly nvm: Rak3172Nvm;
  private readonly medium: RadioMedium;
  private readonly replyDelayMs: number;
  private readonly flashWriteMs: number;
  private readonly bootMs: number;
  private readonly bootGarbageBytes: number;
  private readonly maxReportedSnrDb: number;
  private readonly battery: () => number;
  private readonly commands: Record<string, CommandSpec>;
  private toBoard: ((bytes: Uint8Array) => void) | undefined;
  private scheduler: Scheduler | undefined;
  private stopListening: (() => void) | undefined;
  private state: 'off' | 'booting' | 'ready' = 'off';
  /** Bumped by every restart: timers of the previous run do nothing. */
  private generation = 0;
  private muted = false;
  private echo = false;
  private partialLine = '';
  private readonly pending: string[] = [];
  private handling = false;
  private sleeping: { generation: number } | undefined;
  private rebootRequested = false;
  private macPart: LoRaWanMac;
  private p2pPart: P2pRadio;
  private readonly ctx: ModemContext;

  constructor(private readonly options: SimulatedRak3172Options) {
    this.id = options.id;
    this.position = { x: options.position.x, y: options.position.y };
    this.medium = options.medium;
    this.nvm = defaultNvm(options.devEui ?? defaultDevEui(options.id), options.workMode === 'p2p' ? 0 : 1);
    this.replyDelayMs = options.replyDelayMs ?? 4;
    this.flashWriteMs = options.flashWriteMs ?? 20;
    this.bootMs = options.bootMs ?? 1000;
    this.bootGarbageBytes = options.bootGarbageBytes ?? 0;
    this.maxReportedSnrDb = options.maxReportedSnrDb ?? 13;
    const battery = options.batteryVolts ?? 3.3;
    this.battery = typeof battery === 'function' ? battery : () => battery;
    this.ctx = this.makeContext();
    this.macPart = new LoRaWanMac(this.ctx, { txPowerDbm: options.txPowerDbm ?? 14 });
    this.p2pPart = new P2pRadio(this.ctx, options.legacyP2pRxEvents === true);
    this.commands = buildCommands(this.makeHost());
  }

  // --- SerialDevice ---------------------------------------------------------------------------------------

  /** Power-up: the module joins the radio medium and boots. */
  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.toBoard = toBoard;
    this.scheduler = scheduler;
    this.stopListening?.();
    this.stopListening = this.medium.listen(this);
    this.boot();
  }

  receive(bytes: Uint8Array): void {
    if (this.state === 'off') return;
    for (const byte of bytes) {
      const ch = String.fromCharCode(byte);
      if (ch !== '\r' && ch !== '\n') {
        this.partialLine += ch;
        continue;
      }
      const line = this.partialLine;
      this.partialLine = '';
      if (line.length > 0) this.lineReceived(line);
    }
  }

  // --- faults and controls ----------------------------------------------------------------------------------

  /** The firmware hangs: no output, commands ignored, until ATZ or hardReset(). */
  mute(): void {
    this.muted = true;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** Pulls the reset pin: restarts whatever state the module is in. */
  hardReset(): void {
    if (this.state !== 'off') this.boot();
  }

  /** Sends `count` random bytes (or the given ones) to the board, as line noise would. */
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

  /** Whether AT+LPM=1 is in force. */
  get lowPowerMode(): boolean {
    return this.lowPower.on;
  }

  /** Milliseconds with AT+LPM=1 in force so far. */
  get lowPowerModeMs(): number {
    return this.lowPower.ms;
  }

  get workMode(): 'lorawan' | 'p2p' {
    return this.nvm.nwm === 1 ? 'lorawan' : 'p2p';
  }

  get joined(): boolean {
    return this.macPart.activated;
  }

  get ready(): boolean {
    return this.state === 'ready';
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
    this.partialLine = '';
    this.pending.length = 0;
    this.handling = false;
    this.sleeping = undefined;
    this.rebootRequested = false;
    this.lowPower.set(false);
    this.macPart = new LoRaWanMac(this.ctx, { txPowerDbm: this.options.txPowerDbm ?? 14 });
    this.p2pPart = new P2pRadio(this.ctx, this.options.legacyP2pRxEvents === true);
    this.later(this.bootMs, () => {
      this.state = 'ready';
      if (this.bootGarbageBytes > 0) this.sendGarbage(this.bootGarbageBytes);
      this.print('');
      this.print(`Current Work Mode: ${this.workMode === 'lorawan' ? 'LoRaWAN' : 'LoRa P2P'}.`);
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

  private printStatus(status: AtStatus): void {
    if (this.options.blankLinesAroundStatus) this.print('');
    this.print(status);
  }

  // --- command handling -------------------------------------------------------------------------------------

  private lineReceived(line: string): void {
    if (this.state !== 'ready') return; // a booting MCU does not listen
    if (this.muted) {
      if (line.trim().toUpperCase() === 'ATZ') this.boot();
      return;
    }
    if (this.sleeping) this.wake();
    this.pending.push(line);
    this.handleNext();
  }

  private handleNext(): void {
    if (this.handling || this.sleeping) return;
    const line = this.pending.shift();
    if (line === undefined) return;
    this.handling = true;
    const parsed = parseCommandLine(line);
    const spec = this.commands[parsed.name];
    const writes = spec?.persists === true && parsed.hasValue && !isQuery(parsed.args);
    this.later(this.replyDelayMs + (writes ? this.flashWriteMs : 0), () => {
      this.handling = false;
      if (this.echo) this.print(line);
      this.execute(line);
      this.handleNext();
    });
  }

  private execute(line: string): void {
    this.stats.commands++;
    const result = this.run(line);
    if (result === 'AT_COMMAND_NOT_FOUND') this.stats.unknownCommands++;
    if (result !== 'NO_STATUS' && result !== 'DEFERRED') this.printStatus(result);
    if (this.rebootRequested) this.boot();
  }

  private run(line: string): CommandResult {
    const parsed = parseCommandLine(line);
    if (parsed.name.length >= MAX_NAME_LENGTH) return 'AT_ERROR';
    const spec = this.commands[parsed.name];
    if (!spec) return 'AT_COMMAND_NOT_FOUND';
    if (parsed.hasValue && parsed.args.length === 0) return 'AT_PARAM_ERROR';
    if (parsed.help) return this.help(parsed.name, spec);
    const query = isQuery(parsed.args);
    if (query && spec.access === 'W') return 'AT_PARAM_ERROR';
    if (!query && parsed.args.length > 0 && spec.access === 'R') return 'AT_PARAM_ERROR';
    if (spec.mode === 'lorawan' && this.workMode !== 'lorawan') return 'AT_MODE_NO_SUPPORT';
    if (spec.mode === 'p2p' && this.workMode !== 'p2p') return 'AT_MODE_NO_SUPPORT';
    if (spec.p2pSetting && !query && this.p2pPart.receiving) {
      this.print(P2P_RX_BUSY_MESSAGE);
      return 'AT_BUSY_ERROR';
    }
    return spec.run(parsed.args, parsed.name);
  }

  private help(name: string, spec: CommandSpec): AtStatus {
    if (name === 'AT') {
      this.print('AT+<CMD>?: help on <CMD>');
      this.print('AT+<CMD>: run <CMD>');
      this.print('AT+<CMD>=<value>: set the value');
      this.print('AT+<CMD>=?: get the value');
      for (const [n, s] of Object.entries(this.commands)) this.print(`${n},${s.access}: ${s.usage}`);
    } else {
      this.print(`${name},${spec.access}: ${spec.usage}`);
    }
    return 'OK';
  }

  private sleep(ms: number | undefined): void {
    const sleeping = { generation: this.generation };
    this.sleeping = sleeping;
    if (ms !== undefined) this.later(ms, () => this.sleeping === sleeping && this.wake());
  }

  private wake(): void {
    this.sleeping = undefined;
    this.printStatus('OK');
    this.handleNext();
  }

  private makeHost(): CommandHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the accessors below need the module, not the host
    const self = this;
    return {
      nvm: this.nvm,
      mac: () => this.macPart,
      p2p: () => this.p2pPart,
      version: this.options.version ?? DEFAULT_VERSION,
      bandwidthAsCode: this.options.bandwidthAsCode === true,
      batteryVolts: () => this.battery(),
      print: (line) => this.print(line),
      toggleEcho: () => {
        this.echo = !this.echo;
      },
      rebootAfterStatus: () => {
        this.rebootRequested = true;
      },
      reboot: () => this.boot(),
      sleep: (ms) => this.sleep(ms),
      get lowPowerMode() {
        return self.lowPower.on;
      },
      set lowPowerMode(on: boolean) {
        self.lowPower.set(on);
      },
    };
  }

  private makeContext(): ModemContext {
    const scheduler = (): Scheduler => {
      if (!this.scheduler) throw new Error('SimulatedRak3172: not connected');
      return this.scheduler;
    };
    return {
      now: () => scheduler().now(),
      random: () => scheduler().random(),
      nvm: this.nvm,
      stats: this.stats,
      later: (ms, fn) => this.later(ms, fn),
      transmit: (params: FrameParams) => {
        const frame: RadioFrame = { ...params, from: this.id, startMs: scheduler().now() };
        this.stats.framesSent++;
        this.stats.airtimeMs += frame.airtimeMs;
        const band = subBandName(frame.freqHz);
        this.stats.airtimeBySubBand[band] = (this.stats.airtimeBySubBand[band] ?? 0) + frame.airtimeMs;
        this.medium.transmit(frame, this.position);
        return frame;
      },
      print: (line) => this.print(line),
      report: (rssi, snr) => ({
        rssi: Math.floor(rssi),
        // SX126x: SNR register in 1/4 dB, rounded by the driver ((snr + 2) >> 2); the estimate saturates.
        snr: Math.max(-32, Math.min(this.maxReportedSnrDb, Math.floor(snr + 0.5))),
      }),
    };
  }
}
