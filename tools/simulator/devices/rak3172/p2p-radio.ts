/**
 * LoRa P2P mode of the simulated RAK3172, following RUI3's service_lora_p2p.c:
 *
 * - AT+PSEND puts the bytes on the air with the P2P settings (explicit header, CRC on) and prints
 *   `+EVT:TXP2P DONE` when the frame has gone out. Refused (AT_BUSY_ERROR) while transmitting, and while receiving
 *   except in PRECV=65533 mode, where sending interrupts the reception and listening resumes afterwards.
 * - AT+PRECV=<n>: 0 stops; 1..65532 listens n ms (at least 15, as RUI3 rounds up) and prints
 *   `+EVT:RXP2P RECEIVE TIMEOUT` when nothing came; 65535 listens until one packet; 65534 keeps listening;
 *   65533 keeps listening and allows PSEND. A timed or single receive ends with the first packet. A new non-zero
 *   PRECV during a continuous mode is AT_BUSY_ERROR.
 * - A packet prints `+EVT:RXP2P:<rssi>:<snr>:<HEX>`, or with `legacyRxEvents` the two lines of older firmware:
 *   `+EVT:RXP2P, RSSI <rssi>, SNR <snr>` and `+EVT:<HEX>`.
 * - The radio hears frames on exactly its frequency, SF and bandwidth; once it has found a preamble it keeps
 *   receiving until the frame ends, even past the end of a timed window.
 * No duty cycle applies in P2P mode: RUI3 does not enforce one there (the medium still records the airtime).
 * Not modelled: P2P encryption (AT+PCRYPT), FSK, `+EVT:RXP2P RECEIVE ERROR` (collided frames are just lost).
 */
import { timeOnAir } from '../../../../firmware/core/airtime.ts';
import { toHex } from '../../../../payload-schema/generated/firmware/payload.js';
import type { RadioFrame } from '../../contracts.ts';
import type { AtStatus } from './at-syntax.ts';
import type { ModemContext } from './context.ts';
import { P2P_BANDWIDTHS_HZ } from './nvm.ts';

export type P2pReceiveMode = 'off' | 'timed' | 'single' | 'continuous' | 'continuous-tx';

/** RUI3 receives for at least this long ("Time can't be too small"). */
const MIN_RECEIVE_MS = 15;

export class P2pRadio {
  private mode: P2pReceiveMode = 'off';
  /** Bumped when a timed receive ends, so its timer does nothing. */
  private epoch = 0;
  private transmittingUntil = -Infinity;
  /** Frames whose preamble was found, until they end. */
  private readonly tracked = new Set<RadioFrame>();

  constructor(
    private readonly ctx: ModemContext,
    private readonly legacyRxEvents: boolean,
  ) {}

  get receiving(): boolean {
    return this.mode !== 'off';
  }

  get receiveMode(): P2pReceiveMode {
    return this.mode;
  }

  get transmitting(): boolean {
    return this.ctx.now() < this.transmittingUntil;
  }

  send(payload: Uint8Array): AtStatus {
    if (this.transmitting || (this.mode !== 'off' && this.mode !== 'continuous-tx')) return 'AT_BUSY_ERROR';
    this.tracked.clear();
    const s = this.ctx.nvm.p2p;
    const bwHz = P2P_BANDWIDTHS_HZ[s.bwCode]!;
    const cr = s.cr + 1;
    const airtimeMs = timeOnAir({ sf: s.sf, bwHz, cr, payloadBytes: payload.length, preamble: s.preamble });
    const frame = this.ctx.transmit({ freqHz: s.freqHz, sf: s.sf, bwHz, cr, preamble: s.preamble, txPowerDbm: s.txPowerDbm, payload, airtimeMs });
    this.transmittingUntil = frame.startMs + airtimeMs;
    this.ctx.stats.p2pSent++;
    this.ctx.later(airtimeMs, () => this.ctx.print('+EVT:TXP2P DONE'));
    return 'OK';
  }

  /** AT+PRECV=n, n already checked to be 0..65535. */
  receive(n: number): AtStatus {
    if (n === 0) {
      this.stop();
      return 'OK';
    }
    if (this.mode === 'single' || this.mode === 'continuous' || this.mode === 'continuous-tx' || this.transmitting) return 'AT_BUSY_ERROR';
    this.epoch++;
    if (n === 65535) this.mode = 'single';
    else if (n === 65534) this.mode = 'continuous';
    else if (n === 65533) this.mode = 'continuous-tx';
    else {
      this.mode = 'timed';
      const epoch = this.epoch;
      this.ctx.later(Math.max(n, MIN_RECEIVE_MS), () => this.expire(epoch));
    }
    return 'OK';
  }

  hears(frame: RadioFrame): boolean {
    if (this.mode === 'off' || this.transmitting) return false;
    const s = this.ctx.nvm.p2p;
    return frame.freqHz === s.freqHz && frame.sf === s.sf && frame.bwHz === P2P_BANDWIDTHS_HZ[s.bwCode];
  }

  frameStarted(frame: RadioFrame): void {
    if (!this.hears(frame)) return;
    this.tracked.add(frame);
    this.ctx.later(frame.startMs + frame.airtimeMs - this.ctx.now(), () => this.tracked.delete(frame));
  }

  deliver(frame: RadioFrame, rssi: number, snr: number): void {
    if (!this.hears(frame)) return;
    this.tracked.delete(frame);
    this.ctx.stats.p2pReceived++;
    const shown = this.ctx.report(rssi, snr);
    const hex = toHex(frame.payload);
    if (this.legacyRxEvents) {
      this.ctx.print(`+EVT:RXP2P, RSSI ${shown.rssi}, SNR ${shown.snr}`);
      this.ctx.print(`+EVT:${hex}`);
    } else {
      this.ctx.print(`+EVT:RXP2P:${shown.rssi}:${shown.snr}:${hex}`);
    }
    if (this.mode === 'timed' || this.mode === 'single') this.stop();
  }

  private stop(): void {
    this.mode = 'off';
    this.epoch++;
    this.tracked.clear();
  }

  private expire(epoch: number): void {
    if (epoch !== this.epoch || this.mode !== 'timed') return;
    const now = this.ctx.now();
    let lastEnd = -Infinity;
    for (const f of this.tracked) lastEnd = Math.max(lastEnd, f.startMs + f.airtimeMs);
    if (lastEnd > now) {
      this.ctx.later(lastEnd - now, () => this.expire(epoch));
      return;
    }
    this.stop();
    this.ctx.stats.p2pTimeouts++;
    this.ctx.print('+EVT:RXP2P RECEIVE TIMEOUT');
  }
}
