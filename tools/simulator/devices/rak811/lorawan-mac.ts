/**
 * The LoRaWAN side of the simulated RAK811 (EU868, class A; LoRaWAN 1.0.2 on LoRaMac-node), with what the AT layer
 * prints. Sources: [manual] RAK811 AT command manual (V3.0.0.14.H); [rui] the RUI v3 application source of the
 * RAK811 AT firmware (LoRaWANJoined_callback, LoRaWANSendsucceed_callback, LoRaReceive_callback).
 *
 * - `at+join` (OTAA): a join request on a random default channel at the configured DR; RX1 5 s after its end on the
 *   same channel, RX2 6 s after on 869.525 MHz DR0 [manual: JOIN_ACCEPT_DELAY_1/2]. An accept prints
 *   `OK Join Success`; a failed attempt prints `[LoRa]:Join retry Cnt:<n>` and the next request goes out at once,
 *   up to 6 retries, then `ERROR: 99` [rui: JOIN_MAX_CNT]. ABP (`join_mode:1`) answers `OK Join Success` at once.
 * - `at+send=lora:<port>:<hex>`: RX1 1 s, RX2 2 s after the uplink [manual: RECEIVE_DELAY_1/2]. `OK` when the
 *   windows are over (right after a downlink in RX1, else after RX2), then `at+recv=<port>,<rssi>,<snr>,<len>:<hex>`
 *   (lower-case hex) for a downlink, `at+recv=0,<rssi>,<snr>,0` for a bare ACK [manual, rui]. A confirmed uplink
 *   without ACK is retransmitted `send_repeat_cnt` times, then ends `ERROR: 96` (RX2 timeout) [manual, rui].
 * - Errors: not joined `ERROR: 86`, a join or send under way `ERROR: 80`, payload over the DR's limit
 *   (Appendix III) `ERROR: 101`, over 242 bytes `ERROR: 87`, a region other than EU868 `ERROR: 89` (only EU868 is
 *   modelled) [manual error table].
 * - Duty cycle, only when `dutycycle_enable:1` (default off [manual]): after a frame of T ms its sub-band is closed
 *   for T/dc - T. A send with every channel's sub-band closed answers `ERROR: 90` at once (the manual gives no wait
 *   time); a join request waits for the sub-band instead, as LoRaMac-node delays join requests (assumption: the
 *   manual lists no join error but 99).
 * - A receive window listens for 8 symbols and stays open to the end of a frame whose preamble it found; only
 *   downlink frames are heard. Not modelled: ADR and MAC commands, class B/C, channels added by the network.
 */
import {
  EU868_DATA_RATES,
  EU868_DEFAULT_CHANNELS_HZ,
  EU868_RX2_FREQ_HZ,
  EU868_SUB_BANDS,
  subBandIndex,
  symbolTimeMs,
  timeOnAir,
} from '../../../../firmware/core/airtime.ts';
import { toHex } from '../../../../payload-schema/generated/firmware/payload.js';
import type { RadioFrame } from '../../contracts.ts';
import { buildDataFrame, buildJoinRequest, FCTRL_ACK, isDownlink, MTYPE, parseDataFrame, parseJoinAccept } from '../../radio/lorawan-frames.ts';
import type { Rak811Context } from './context.ts';

const RECEIVE_DELAY1_MS = 1000;
const RECEIVE_DELAY2_MS = 2000;
const JOIN_ACCEPT_DELAY1_MS = 5000;
const JOIN_ACCEPT_DELAY2_MS = 6000;
const RX_WINDOW_SYMBOLS = 8;
const RX_WINDOW_LEAD_MS = 2;
const RX2_SF = 12;
const BW_HZ = 125000;
/** [rui] JOIN_MAX_CNT. */
const JOIN_RETRIES = 6;
/** ACK_TIMEOUT before a retransmission: 2 s +- 1 s (LoRaWAN 1.0.2). */
const ACK_TIMEOUT_MIN_MS = 1000;
const ACK_TIMEOUT_SPREAD_MS = 2000;
/** The largest FRMPayload of any EU868 DR [manual, Appendix III]. */
const MAX_PAYLOAD = 242;

/** A command's outcome: a status line now, or nothing yet (printed when the exchange ends). */
export type MacResult = 'OK' | 'PENDING' | `ERROR: ${number}`;

interface Window {
  slot: 1 | 2;
  freqHz: number;
  sf: number;
  openFrom: number;
  openUntil: number;
  tracked?: RadioFrame;
}

interface Exchange {
  kind: 'join' | 'data';
  phy: Uint8Array;
  dr: number;
  confirmed: boolean;
  uplink?: RadioFrame;
  window?: Window;
  retriesLeft: number;
  acked: boolean;
  /** The downlink line to print after `OK`. */
  downlink?: string;
}

export class Rak811LoRaWan {
  joined: boolean;
  private sessionDevAddr: string | undefined;
  private exchange: Exchange | undefined;
  private readonly bandFreeAt: number[] = [];
  private joinRetries = 0;

  constructor(private readonly ctx: Rak811Context) {
    this.joined = false;
  }

  get busy(): boolean {
    return this.exchange !== undefined;
  }

  join(): MacResult {
    const f = this.ctx.flash;
    if (this.busy) return 'ERROR: 80';
    if (f.joinMode === 1) {
      this.joined = true;
      this.sessionDevAddr = undefined;
      return 'OK';
    }
    if (f.region !== 'EU868') return 'ERROR: 89';
    this.joined = false;
    this.sessionDevAddr = undefined;
    this.joinRetries = 0;
    this.joinAttempt();
    return 'PENDING';
  }

  send(port: number, payload: Uint8Array): MacResult {
    const f = this.ctx.flash;
    if (!this.joined) return 'ERROR: 86';
    if (this.busy) return 'ERROR: 80';
    if (f.region !== 'EU868') return 'ERROR: 89';
    if (payload.length > MAX_PAYLOAD) return 'ERROR: 87';
    if (payload.length > EU868_DATA_RATES[f.dr]!.maxPayload) return 'ERROR: 101';
    const channel = this.pickChannel();
    if ('waitMs' in channel) {
      this.ctx.stats.restricted++;
      return 'ERROR: 90';
    }
    const confirmed = f.confirm === 1;
    const phy = buildDataFrame({
      mtype: confirmed ? MTYPE.confirmedUp : MTYPE.unconfirmedUp,
      devAddr: this.devAddr(),
      fCtrl: f.adr ? 0x80 : 0,
      fCnt: f.fCntUp & 0xffff,
      fPort: port,
      payload,
    });
    f.fCntUp++;
    this.exchange = { kind: 'data', phy, dr: f.dr, confirmed, retriesLeft: confirmed ? f.sendRepeat : 0, acked: false };
    this.transmit(this.exchange, channel.freqHz);
    return 'PENDING';
  }

  // --- radio ----------------------------------------------------------------------------------------------

  hears(frame: RadioFrame): boolean {
    const w = this.exchange?.window;
    if (!w) return false;
    if (w.tracked === frame) return true;
    const now = this.ctx.now();
    return now >= w.openFrom && now <= w.openUntil && frame.freqHz === w.freqHz && frame.sf === w.sf && frame.bwHz === BW_HZ && isDownlink(frame.payload);
  }

  frameStarted(frame: RadioFrame): void {
    const w = this.exchange?.window;
    if (w && !w.tracked && this.hears(frame)) w.tracked = frame;
  }

  deliver(frame: RadioFrame, rssi: number, snr: number): void {
    const ex = this.exchange;
    if (!ex || !ex.window || !this.hears(frame)) return;
    const shown = this.ctx.report(rssi, snr);
    if (ex.kind === 'join') {
      const accept = parseJoinAccept(frame.payload, this.ctx.flash.appKey);
      if (!accept) return;
      this.ctx.stats.joinAccepts++;
      this.sessionDevAddr = accept.devAddr;
      this.ctx.flash.fCntUp = 0;
      this.joined = true;
      this.exchange = undefined;
      this.ctx.print('OK Join Success');
      return;
    }
    const data = parseDataFrame(frame.payload);
    if (!data || data.mtype === MTYPE.unconfirmedUp || data.mtype === MTYPE.confirmedUp || data.devAddr !== this.devAddr()) return;
    this.ctx.stats.downlinks++;
    if (data.fCtrl & FCTRL_ACK) ex.acked = true;
    const withData = data.fPort !== undefined && data.fPort > 0 && data.payload.length > 0;
    if (withData) ex.downlink = `at+recv=${data.fPort},${shown.rssi},${shown.snr},${data.payload.length}:${toHex(data.payload).toLowerCase()}`;
    else if (ex.acked) ex.downlink = `at+recv=0,${shown.rssi},${shown.snr},0`;
    ex.window = undefined;
    this.endData(ex);
  }

  // --- exchanges --------------------------------------------------------------------------------------------

  private joinAttempt(): void {
    const channel = this.pickChannel();
    if ('waitMs' in channel) {
      this.exchange = { kind: 'join', phy: new Uint8Array(0), dr: 0, confirmed: false, retriesLeft: 0, acked: false };
      const ex = this.exchange;
      this.ctx.later(channel.waitMs, () => this.exchange === ex && this.joinAttempt());
      return;
    }
    const f = this.ctx.flash;
    const phy = buildJoinRequest({ appEui: f.appEui, devEui: f.devEui, devNonce: f.devNonce & 0xffff }, f.appKey);
    f.devNonce++;
    this.ctx.stats.joinRequests++;
    this.exchange = { kind: 'join', phy, dr: f.dr, confirmed: false, retriesLeft: 0, acked: false };
    this.transmit(this.exchange, channel.freqHz);
  }

  private joinFailed(): void {
    this.exchange = undefined;
    if (this.joinRetries >= JOIN_RETRIES) {
      this.ctx.print('ERROR: 99');
      return;
    }
    this.joinRetries++;
    this.ctx.print(`[LoRa]:Join retry Cnt:${this.joinRetries}`);
    this.joinAttempt();
  }

  private transmit(ex: Exchange, freqHz: number): void {
    const rate = EU868_DATA_RATES[ex.dr]!;
    const airtimeMs = timeOnAir({ sf: rate.sf, bwHz: rate.bwHz, payloadBytes: ex.phy.length });
    const uplink = this.ctx.transmit({ freqHz, sf: rate.sf, bwHz: rate.bwHz, cr: 1, preamble: 8, txPowerDbm: 14, payload: ex.phy, airtimeMs });
    ex.uplink = uplink;
    if (ex.kind === 'data') this.ctx.stats.uplinks++;
    if (this.ctx.flash.dutyCycle) {
      const band = subBandIndex(freqHz);
      this.bandFreeAt[band] = uplink.startMs + airtimeMs / EU868_SUB_BANDS[band]!.dutyCycle;
    }
    this.openWindowLater(ex, 1, airtimeMs + (ex.kind === 'join' ? JOIN_ACCEPT_DELAY1_MS : RECEIVE_DELAY1_MS), freqHz, rate.sf);
  }

  private openWindowLater(ex: Exchange, slot: 1 | 2, delayMs: number, freqHz: number, sf: number): void {
    this.ctx.later(Math.max(0, delayMs - RX_WINDOW_LEAD_MS), () => {
      if (this.exchange !== ex) return;
      const now = this.ctx.now();
      const w: Window = { slot, freqHz, sf, openFrom: now, openUntil: now + RX_WINDOW_LEAD_MS + RX_WINDOW_SYMBOLS * symbolTimeMs(sf, BW_HZ) };
      ex.window = w;
      this.ctx.later(w.openUntil - now, () => this.closeWindow(ex, w));
    });
  }

  private closeWindow(ex: Exchange, w: Window): void {
    if (this.exchange !== ex || ex.window !== w) return;
    const now = this.ctx.now();
    const trackedEnd = w.tracked ? w.tracked.startMs + w.tracked.airtimeMs : -Infinity;
    if (trackedEnd > now) {
      this.ctx.later(trackedEnd - now, () => this.closeWindow(ex, w));
      return;
    }
    ex.window = undefined;
    if (w.slot === 1) {
      const end = ex.uplink!.startMs + ex.uplink!.airtimeMs;
      this.openWindowLater(ex, 2, end + (ex.kind === 'join' ? JOIN_ACCEPT_DELAY2_MS : RECEIVE_DELAY2_MS) - now, EU868_RX2_FREQ_HZ, RX2_SF);
    } else if (ex.kind === 'join') {
      this.joinFailed();
    } else {
      this.endData(ex);
    }
  }

  private endData(ex: Exchange): void {
    if (ex.confirmed && !ex.acked && ex.retriesLeft > 0) {
      ex.retriesLeft--;
      this.ctx.later(ACK_TIMEOUT_MIN_MS + this.ctx.random() * ACK_TIMEOUT_SPREAD_MS, () => this.retransmit(ex));
      return;
    }
    this.exchange = undefined;
    if (ex.confirmed && !ex.acked) {
      this.ctx.print('ERROR: 96');
      return;
    }
    this.ctx.print('OK ');
    if (ex.downlink) this.ctx.print(ex.downlink);
  }

  /** A retransmission waits for the duty cycle instead of failing. */
  private retransmit(ex: Exchange): void {
    if (this.exchange !== ex) return;
    const channel = this.pickChannel();
    if ('waitMs' in channel) this.ctx.later(channel.waitMs, () => this.retransmit(ex));
    else this.transmit(ex, channel.freqHz);
  }

  private pickChannel(): { freqHz: number } | { waitMs: number } {
    const now = this.ctx.now();
    const free: number[] = [];
    let waitMs = Infinity;
    for (const freqHz of EU868_DEFAULT_CHANNELS_HZ) {
      const freeAt = this.bandFreeAt[subBandIndex(freqHz)] ?? -Infinity;
      if (freeAt <= now) free.push(freqHz);
      else waitMs = Math.min(waitMs, freeAt - now);
    }
    if (free.length === 0) return { waitMs: Math.ceil(waitMs) };
    return { freqHz: free[Math.floor(this.ctx.random() * free.length)]! };
  }

  private devAddr(): string {
    return this.sessionDevAddr ?? this.ctx.flash.devAddr;
  }
}
