/**
 * The LoRaWAN side of the simulated RAK3172 (EU868, class A), following RUI3's service_lora.c on top of
 * LoRaMac-node:
 *
 * - Join (OTAA): a join request on a random default channel (868.1/868.3/868.5 MHz) at the configured DR, RX1 5 s
 *   after its end on the same channel and DR, RX2 6 s after on 869.525 MHz DR0. `+EVT:JOINED` when an accept for
 *   this device arrives, else `+EVT:JOIN_FAILED_RX_TIMEOUT` after RX2. After a failure RUI3 retries after the retry
 *   interval while `++retries <= maxRetries` (so AT+JOIN=1:0:8:2 makes up to 3 attempts). A retry that the duty
 *   cycle blocks prints `Restricted_Wait_<ms>_ms` and ends the joining: RUI3's one-shot retry timer is not rearmed.
 *   ABP needs no join: the session exists as soon as NJM=0.
 * - Send: RX1 1 s, RX2 2 s after the uplink. `+EVT:TX_DONE` / `+EVT:SEND_CONFIRMED_OK` /
 *   `+EVT:SEND_CONFIRMED_FAILED(4)` (4 = LoRaMac's RX2 timeout status) come when the receive windows are over, i.e.
 *   right after a downlink in RX1 or after RX2; a downlink's `+EVT:RX_1:...` line follows that event, as on real
 *   modules. An unacknowledged confirmed uplink is retransmitted AT+RETY times, ACK_TIMEOUT (2 +- 1 s) after RX2,
 *   waiting for the duty cycle when needed. A payload longer than the DR allows goes out as an empty frame (no FPort)
 *   and the command answers AT_PARAM_ERROR.
 * - Duty cycle: after a frame of T ms its sub-band is closed for T/dc - T. When every channel's sub-band is closed a
 *   send or join prints `Restricted_Wait_<ms>_ms` (time until the first one opens) and answers AT_BUSY_ERROR.
 * - The MAC is busy from a join request or uplink until its receive windows (and retransmissions) are over:
 *   AT+JOIN and AT+SEND answer AT_BUSY_ERROR meanwhile.
 * - A receive window listens for 8 symbols; once a preamble is found it stays open until the frame ends.
 *   Only downlink frames are heard (standing in for the inverted IQ that keeps nodes from hearing each other).
 *
 * Not modelled: bands other than EU868 (JOIN/SEND answer AT_UNSUPPORTED_BAND), ADR and MAC commands, class B/C
 * reception, the join back-off of LoRaWAN 1.0.3+ and LoRaMac-node's aggregated duty cycle, the empty uplink RUI3
 * sends after a confirmed downlink, channels added by the network.
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
import {
  buildDataFrame,
  buildJoinRequest,
  FCTRL_ACK,
  isDownlink,
  MTYPE,
  parseDataFrame,
  parseJoinAccept,
} from '../../radio/lorawan-frames.ts';
import type { AtStatus } from './at-syntax.ts';
import type { ModemContext } from './context.ts';
import { EU868_BAND } from './nvm.ts';

const RECEIVE_DELAY1_MS = 1000;
const RECEIVE_DELAY2_MS = 2000;
const JOIN_ACCEPT_DELAY1_MS = 5000;
const JOIN_ACCEPT_DELAY2_MS = 6000;
/** How long a window waits for a preamble, in symbols. */
const RX_WINDOW_SYMBOLS = 8;
/** A window opens this early, as LoRaMac-node opens early to absorb clock drift. */
const RX_WINDOW_LEAD_MS = 2;
const RX2_SF = 12;
/** LoRaWAN 1.0.x ACK_TIMEOUT: 2 s +- 1 s. */
const ACK_TIMEOUT_MIN_MS = 1000;
const ACK_TIMEOUT_SPREAD_MS = 2000;
/** LoRaMacEventInfoStatus_t LORAMAC_EVENT_INFO_STATUS_RX2_TIMEOUT. */
const STATUS_RX2_TIMEOUT = 4;
const BW_HZ = 125000;

interface RxWindow {
  slot: 1 | 2;
  freqHz: number;
  sf: number;
  openFrom: number;
  openUntil: number;
  /** A frame whose preamble the window found. */
  tracked?: RadioFrame;
}

interface Downlink {
  port: number;
  payload: Uint8Array;
  rssi: number;
  snr: number;
}

interface Exchange {
  kind: 'join' | 'data';
  /** The last transmission of `phy`. */
  uplink?: RadioFrame;
  phy: Uint8Array;
  dr: number;
  window?: RxWindow;
  confirmed: boolean;
  /** Retransmissions left for an unacknowledged confirmed uplink. */
  trialsLeft: number;
  acked: boolean;
  downlink?: Downlink;
}

type ChannelChoice = { freqHz: number } | { waitMs: number };

export interface LoRaWanMacOptions {
  txPowerDbm: number;
}

export class LoRaWanMac {
  /** LoRaMac's network activation: AT+NJS. */
  activated: boolean;
  /** AT+CFS: whether the last confirmed uplink was acknowledged. */
  lastConfirmOk = false;
  /** AT+RECV. */
  lastDownlink: { port: number; payload: Uint8Array } = { port: 0, payload: new Uint8Array(0) };
  lastRssi = 0;
  lastSnr = 0;
  private sessionDevAddr: string | undefined;
  private exchange: Exchange | undefined;
  /** Per EU868 sub-band: when it may be used again. */
  private readonly bandFreeAt: number[] = [];
  private joinRetries = 0;
  /** Bumped to cancel a pending join retry. */
  private joinEpoch = 0;

  constructor(
    private readonly ctx: ModemContext,
    private readonly options: LoRaWanMacOptions,
  ) {
    this.activated = ctx.nvm.njm === 0;
  }

  get busy(): boolean {
    return this.exchange !== undefined;
  }

  /** NJM written: ABP activates at once, OTAA drops an ABP session (RUI3 service_lora_set_njm). */
  setJoinMode(njm: number): void {
    this.ctx.nvm.njm = njm;
    if (njm === 0) this.activated = true;
    else if (this.sessionDevAddr === undefined) this.activated = false;
  }

  /** The stack is restarted (AT+BAND): the session and any exchange are gone. */
  restart(): void {
    this.exchange = undefined;
    this.joinEpoch++;
    this.joinRetries = 0;
    this.sessionDevAddr = undefined;
    this.activated = this.ctx.nvm.njm === 0;
  }

  /** AT+JOIN=a:b:c:d with the parameters given (undefined: keep the stored one). */
  join(start: number | undefined, auto: number | undefined, periodS: number | undefined, maxRetries: number | undefined): AtStatus {
    const j = this.ctx.nvm.join;
    if (start !== undefined) j.start = start;
    if (auto !== undefined) j.auto = auto;
    if (periodS !== undefined) j.periodS = periodS;
    if (maxRetries !== undefined) j.maxRetries = maxRetries;
    if (start === 0) {
      this.joinEpoch++;
      this.joinRetries = 0;
      return 'OK';
    }
    if (this.ctx.nvm.njm === 0) {
      this.activated = true;
      return 'OK';
    }
    if (this.ctx.nvm.band !== EU868_BAND) return 'AT_UNSUPPORTED_BAND';
    if (this.busy) return 'AT_BUSY_ERROR';
    this.joinEpoch++;
    this.joinRetries = 0;
    return this.startJoinAttempt();
  }

  /** AT+SEND after its arguments were checked. */
  send(port: number, payload: Uint8Array): AtStatus {
    const nvm = this.ctx.nvm;
    if (!this.activated) return 'AT_NO_NETWORK_JOINED';
    if (this.busy) return 'AT_BUSY_ERROR';
    if (nvm.band !== EU868_BAND) return 'AT_UNSUPPORTED_BAND';
    const fits = payload.length <= EU868_DATA_RATES[nvm.dr]!.maxPayload;
    const confirmed = fits && nvm.cfm === 1;
    const choice = this.pickChannel();
    if ('waitMs' in choice) return this.restricted(choice.waitMs);
    const phy = buildDataFrame({
      mtype: confirmed ? MTYPE.confirmedUp : MTYPE.unconfirmedUp,
      devAddr: this.devAddr(),
      fCtrl: nvm.adr ? 0x80 : 0,
      fCnt: nvm.fCntUp & 0xffff,
      // Too long for the DR: LoRaMac-node sends an empty frame instead, to flush MAC commands.
      fPort: fits ? port : undefined,
      payload: fits ? payload : new Uint8Array(0),
    });
    nvm.fCntUp++;
    this.startExchange('data', phy, nvm.dr, choice.freqHz, confirmed);
    return fits ? 'OK' : 'AT_PARAM_ERROR';
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
    const w = ex?.window;
    if (!ex || !w || !this.hears(frame)) return;
    if (ex.kind === 'join') {
      const accept = parseJoinAccept(frame.payload, this.ctx.nvm.appKey);
      if (!accept) return; // meant for another device: keep listening
      this.ctx.stats.joinAccepts++;
      this.sessionDevAddr = accept.devAddr;
      this.ctx.nvm.fCntUp = 0;
      this.activated = true;
      this.noteReception(rssi, snr);
      this.endJoin(true);
      return;
    }
    const data = parseDataFrame(frame.payload);
    if (!data || data.mtype === MTYPE.unconfirmedUp || data.mtype === MTYPE.confirmedUp || data.devAddr !== this.devAddr()) return;
    this.ctx.stats.downlinks++;
    this.noteReception(rssi, snr);
    if (data.fCtrl & FCTRL_ACK) ex.acked = true;
    if (data.fPort !== undefined && data.fPort > 0 && data.payload.length > 0) {
      const shown = this.ctx.report(rssi, snr);
      ex.downlink = { port: data.fPort, payload: data.payload, rssi: shown.rssi, snr: shown.snr };
      this.lastDownlink = { port: data.fPort, payload: data.payload };
    }
    ex.window = undefined;
    this.endData(ex);
  }

  // --- join -----------------------------------------------------------------------------------------------

  private startJoinAttempt(): AtStatus {
    const nvm = this.ctx.nvm;
    const choice = this.pickChannel();
    if ('waitMs' in choice) return this.restricted(choice.waitMs);
    this.activated = false;
    this.sessionDevAddr = undefined;
    const phy = buildJoinRequest({ appEui: nvm.appEui, devEui: nvm.devEui, devNonce: nvm.devNonce & 0xffff }, nvm.appKey);
    nvm.devNonce++;
    this.ctx.stats.joinRequests++;
    this.startExchange('join', phy, nvm.dr, choice.freqHz, false);
    return 'OK';
  }

  private endJoin(accepted: boolean): void {
    this.exchange = undefined;
    if (accepted) {
      this.joinRetries = 0;
      this.ctx.print('+EVT:JOINED');
      return;
    }
    this.ctx.print('+EVT:JOIN_FAILED_RX_TIMEOUT');
    if (++this.joinRetries > this.ctx.nvm.join.maxRetries) {
      this.joinRetries = 0;
      return;
    }
    const epoch = this.joinEpoch;
    this.ctx.later(this.ctx.nvm.join.periodS * 1000, () => {
      if (epoch !== this.joinEpoch || this.busy) return;
      this.startJoinAttempt();
    });
  }

  // --- uplink and receive windows ---------------------------------------------------------------------------

  private startExchange(kind: Exchange['kind'], phy: Uint8Array, dr: number, freqHz: number, confirmed: boolean): void {
    const ex: Exchange = { kind, phy, dr, confirmed, trialsLeft: this.ctx.nvm.retry, acked: false };
    this.exchange = ex;
    this.transmitUplink(ex, freqHz);
  }

  private transmitUplink(ex: Exchange, freqHz: number): void {
    const rate = EU868_DATA_RATES[ex.dr]!;
    const airtimeMs = timeOnAir({ sf: rate.sf, bwHz: rate.bwHz, payloadBytes: ex.phy.length });
    const uplink = this.ctx.transmit({ freqHz, sf: rate.sf, bwHz: rate.bwHz, cr: 1, preamble: 8, txPowerDbm: this.options.txPowerDbm, payload: ex.phy, airtimeMs });
    ex.uplink = uplink;
    if (ex.kind === 'data') this.ctx.stats.uplinks++;
    const band = subBandIndex(freqHz);
    this.bandFreeAt[band] = uplink.startMs + airtimeMs / EU868_SUB_BANDS[band]!.dutyCycle;
    const rx1 = ex.kind === 'join' ? JOIN_ACCEPT_DELAY1_MS : RECEIVE_DELAY1_MS;
    this.openWindowLater(ex, 1, airtimeMs + rx1, freqHz, rate.sf);
  }

  private openWindowLater(ex: Exchange, slot: 1 | 2, delayFromNowMs: number, freqHz: number, sf: number): void {
    this.ctx.later(Math.max(0, delayFromNowMs - RX_WINDOW_LEAD_MS), () => {
      if (this.exchange !== ex) return;
      const now = this.ctx.now();
      const w: RxWindow = { slot, freqHz, sf, openFrom: now, openUntil: now + RX_WINDOW_LEAD_MS + RX_WINDOW_SYMBOLS * symbolTimeMs(sf, BW_HZ) };
      ex.window = w;
      this.ctx.later(w.openUntil - now, () => this.closeWindow(ex, w));
    });
  }

  private closeWindow(ex: Exchange, w: RxWindow): void {
    if (this.exchange !== ex || ex.window !== w) return;
    const now = this.ctx.now();
    const trackedEnd = w.tracked ? w.tracked.startMs + w.tracked.airtimeMs : -Infinity;
    if (trackedEnd > now) {
      // A preamble was found: the radio stays in receive until the frame is over (it is delivered first).
      this.ctx.later(trackedEnd - now, () => this.closeWindow(ex, w));
      return;
    }
    ex.window = undefined;
    if (w.slot === 1) {
      const uplinkEnd = ex.uplink!.startMs + ex.uplink!.airtimeMs;
      const rx2 = ex.kind === 'join' ? JOIN_ACCEPT_DELAY2_MS : RECEIVE_DELAY2_MS;
      this.openWindowLater(ex, 2, uplinkEnd + rx2 - now, EU868_RX2_FREQ_HZ, RX2_SF);
    } else if (ex.kind === 'join') {
      this.endJoin(false);
    } else {
      this.endData(ex);
    }
  }

  private endData(ex: Exchange): void {
    if (ex.confirmed && !ex.acked && ex.trialsLeft > 0) {
      ex.trialsLeft--;
      this.ctx.later(ACK_TIMEOUT_MIN_MS + this.ctx.random() * ACK_TIMEOUT_SPREAD_MS, () => this.retransmit(ex));
      return;
    }
    this.exchange = undefined;
    if (ex.confirmed) {
      this.lastConfirmOk = ex.acked;
      if (ex.acked) this.ctx.stats.confirmedOk++;
      else this.ctx.stats.confirmedFailed++;
      this.ctx.print(ex.acked ? '+EVT:SEND_CONFIRMED_OK' : `+EVT:SEND_CONFIRMED_FAILED(${STATUS_RX2_TIMEOUT})`);
    } else {
      this.ctx.print('+EVT:TX_DONE');
    }
    const d = ex.downlink;
    if (d) this.ctx.print(`+EVT:RX_1:${d.rssi}:${d.snr}:UNICAST:${d.port}:${toHex(d.payload).toLowerCase()}`);
  }

  /** A retransmission waits for the duty cycle instead of failing (LoRaMac-node delays it). */
  private retransmit(ex: Exchange): void {
    if (this.exchange !== ex) return;
    const choice = this.pickChannel();
    if ('waitMs' in choice) this.ctx.later(choice.waitMs, () => this.retransmit(ex));
    else this.transmitUplink(ex, choice.freqHz);
  }

  // --- helpers ----------------------------------------------------------------------------------------------

  private pickChannel(): ChannelChoice {
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

  private restricted(waitMs: number): AtStatus {
    this.ctx.stats.restricted++;
    this.ctx.print(`Restricted_Wait_${waitMs}_ms`);
    return 'AT_BUSY_ERROR';
  }

  private devAddr(): string {
    return this.sessionDevAddr ?? this.ctx.nvm.devAddr;
  }

  private noteReception(rssi: number, snr: number): void {
    const shown = this.ctx.report(rssi, snr);
    this.lastRssi = shown.rssi;
    this.lastSnr = shown.snr;
  }
}
