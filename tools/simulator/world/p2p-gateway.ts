/**
 * The gateway side of a P2P network in the simulated world: a simulated RAK3172 driven through its AT interface
 * exactly as the gateway bridge drives the module on the Pi's serial port (`AT+NWM=0`, `AT+P2P=...`,
 * `AT+PRECV=65533`), its `+EVT:RXP2P` lines parsed into frames and opened with the node's ABP session keys.
 *
 * Downlinks are class A: a queued downlink goes out with `AT+PSEND` `downlinkDelayMs` after the end of the next
 * uplink that passed the MIC check; the node must be listening by then (it opens a receive window after each
 * uplink). The module stays in PRECV=65533, which allows sending while receiving.
 */
import type { P2PSettings } from '../../../firmware/drivers/modem.ts';
import { P2P_DOWNLINK_DELAY_MS } from '../../../gateway-bridge/src/config/defaults.ts';
import { p2pCommand } from '../../../firmware/drivers/rui3/commands.ts';
import { eventParser } from '../../../firmware/drivers/rui3/events.ts';
import { toHex } from '../../../payload-schema/generated/firmware/payload.js';
import type { RadioMedium } from '../contracts.ts';
import { SimulatedRak3172 } from '../devices/rak3172.ts';
import type { Point } from '../radio/propagation.ts';
import type { VirtualScheduler } from '../scheduler.ts';
import { SerialTerminal, type TerminalLine } from '../terminal.ts';
import { AbpSession, type AbpKeys, type OpenedUplink } from './abp-session.ts';

export { P2P_DOWNLINK_DELAY_MS };

export interface P2pGatewayOptions {
  scheduler: VirtualScheduler;
  medium: RadioMedium;
  keys: AbpKeys & { p2p: P2PSettings };
  /** Default: the origin. */
  position?: Point;
  /** Radio id. Default 'gateway'. */
  id?: string;
  /** Default P2P_DOWNLINK_DELAY_MS. */
  downlinkDelayMs?: number;
}

export interface GatewayFrame {
  /** Virtual time the module printed the frame (the end of the frame on the air). */
  timeMs: number;
  rssi: number;
  snr: number;
  phyPayload: Uint8Array;
  uplink: OpenedUplink;
}

export interface GatewayDownlink {
  /** Virtual time the PSEND line was written. */
  timeMs: number;
  fCnt: number;
  port: number;
  payload: Uint8Array;
  phyPayload: Uint8Array;
}

const STATUS = /^(OK|AT_[A-Z_]+)$/;

export class P2pGateway {
  readonly modem: SimulatedRak3172;
  readonly terminal: SerialTerminal;
  readonly session: AbpSession;
  /** Every frame the module reported, accepted or not. */
  readonly frames: GatewayFrame[] = [];
  readonly downlinks: GatewayDownlink[] = [];
  private readonly queue: { port: number; payload: Uint8Array }[] = [];
  private readonly listeners: ((frame: GatewayFrame) => void)[] = [];
  private readonly parse = eventParser();
  private readonly scheduler: VirtualScheduler;
  private readonly p2p: P2PSettings;
  private readonly downlinkDelayMs: number;

  constructor(options: P2pGatewayOptions) {
    this.scheduler = options.scheduler;
    this.p2p = options.keys.p2p;
    this.downlinkDelayMs = options.downlinkDelayMs ?? P2P_DOWNLINK_DELAY_MS;
    this.session = new AbpSession(options.keys);
    this.modem = new SimulatedRak3172({ id: options.id ?? 'gateway', position: options.position ?? { x: 0, y: 0 }, medium: options.medium });
    this.terminal = new SerialTerminal(this.modem, this.scheduler);
    this.terminal.onLine((line) => this.lineReceived(line));
  }

  /**
   * Brings the module into P2P receive mode, running the simulation until it listens (about two seconds: the
   * power-up and the reboot after AT+NWM=0). Throws when the module does not answer as RUI3 does.
   */
  start(timeoutMs = 5000): void {
    const command = p2pCommand(this.p2p);
    if (!command) throw new Error(`P2P settings out of range: ${JSON.stringify(this.p2p)}`);
    this.expect('power-up banner', this.terminal.waitFor('Current Work Mode', timeoutMs));
    this.run('AT+NWM=0', timeoutMs);
    this.expect('banner after AT+NWM=0', this.terminal.waitFor('Current Work Mode: LoRa P2P.', timeoutMs));
    this.run(command, timeoutMs);
    this.run('AT+PRECV=65533', timeoutMs);
  }

  /** Sends `payload` on `port` after the next accepted uplink. */
  queueDownlink(port: number, payload: Uint8Array): void {
    this.queue.push({ port, payload: Uint8Array.from(payload) });
  }

  get pendingDownlinks(): number {
    return this.queue.length;
  }

  onFrame(listener: (frame: GatewayFrame) => void): void {
    this.listeners.push(listener);
  }

  private run(command: string, timeoutMs: number): void {
    this.terminal.write(command);
    const reply = this.expect(command, this.terminal.waitUntil((text) => STATUS.test(text), timeoutMs));
    if (reply.text !== 'OK') throw new Error(`gateway module: ${command} answered ${reply.text}`);
  }

  private expect(what: string, line: TerminalLine | undefined): TerminalLine {
    if (!line) throw new Error(`gateway module: no answer to ${what}`);
    return line;
  }

  private lineReceived(line: TerminalLine): void {
    const event = this.parse(line.text);
    if (!event || event.type !== 'RXP2P') return;
    const { bytes, rssi, snr } = event.packet;
    const frame: GatewayFrame = { timeMs: line.atMs, rssi, snr, phyPayload: bytes, uplink: this.session.openUplink(bytes) };
    this.frames.push(frame);
    for (const listener of this.listeners) listener(frame);
    if (frame.uplink.micOk && !frame.uplink.rejected) this.answer();
  }

  private answer(): void {
    const next = this.queue.shift();
    if (!next) return;
    const { fCnt, phyPayload } = this.session.buildDownlink(next.port, next.payload);
    this.scheduler.after(this.downlinkDelayMs, () => {
      this.downlinks.push({ timeMs: this.scheduler.now(), fCnt, port: next.port, payload: next.payload, phyPayload });
      this.terminal.write('AT+PSEND=' + toHex(phyPayload));
    });
  }
}
