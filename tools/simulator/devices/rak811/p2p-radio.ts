/**
 * LoRa P2P mode of the simulated RAK811. Sources: [manual] RAK811 AT command manual (V3.0.0.14.H); [rui] the RUI v3
 * application source of the RAK811 AT firmware (LoRaP2PReceive_callback, LoRaP2PSendsucceed_callback).
 *
 * - `lorap2p:transfer_mode:1` makes the radio a receiver, `:2` a sender (the default after a start [manual]; the
 *   banner says `LoRa P2P Transfer_mode: Sender`). There is no timed receive: a receiver listens until switched back.
 * - A receiver hears frames on exactly its frequency, SF and bandwidth and prints each one as
 *   `at+recv=<rssi>,<snr>,<len>:<HEX>` (upper-case hex) [manual, rui]; a frame whose preamble it found is received
 *   to its end unless the mode changes first (then it is lost).
 * - `at+send=lorap2p:<hex>` puts the frame on the air with the P2P settings and prints `OK ` once it is out [rui].
 *   While a receiver, or while a frame is still going out, it answers `ERROR: 80` (busy): an assumption, the manual
 *   only says the send is "only valid" in P2P mode.
 * No duty cycle in P2P mode (the medium still records the airtime). Not modelled: FSK, CRC errors.
 */
import { timeOnAir } from '../../../../firmware/core/airtime.ts';
import { toHex } from '../../../../payload-schema/generated/firmware/payload.js';
import type { RadioFrame } from '../../contracts.ts';
import { P2P_BANDWIDTHS_HZ, type Rak811Context } from './context.ts';

export type TransferMode = 'sender' | 'receiver';

export class Rak811P2p {
  mode: TransferMode = 'sender';
  private transmittingUntil = -Infinity;
  private readonly tracked = new Set<RadioFrame>();

  constructor(private readonly ctx: Rak811Context) {}

  get transmitting(): boolean {
    return this.ctx.now() < this.transmittingUntil;
  }

  setMode(mode: TransferMode): void {
    if (mode !== this.mode) this.tracked.clear();
    this.mode = mode;
  }

  /** 'PENDING': `OK ` follows when the frame is out. */
  send(payload: Uint8Array): 'PENDING' | 'ERROR: 80' {
    if (this.mode !== 'sender' || this.transmitting) return 'ERROR: 80';
    const s = this.ctx.flash.p2p;
    const bwHz = P2P_BANDWIDTHS_HZ[s.bwCode]!;
    const airtimeMs = timeOnAir({ sf: s.sf, bwHz, cr: s.cr, payloadBytes: payload.length, preamble: s.preamble });
    const frame = this.ctx.transmit({ freqHz: s.freqHz, sf: s.sf, bwHz, cr: s.cr, preamble: s.preamble, txPowerDbm: s.powerDbm, payload, airtimeMs });
    this.transmittingUntil = frame.startMs + airtimeMs;
    this.ctx.stats.p2pSent++;
    this.ctx.later(airtimeMs, () => this.ctx.print('OK '));
    return 'PENDING';
  }

  hears(frame: RadioFrame): boolean {
    if (this.mode !== 'receiver' || this.transmitting) return false;
    const s = this.ctx.flash.p2p;
    return frame.freqHz === s.freqHz && frame.sf === s.sf && frame.bwHz === P2P_BANDWIDTHS_HZ[s.bwCode];
  }

  frameStarted(frame: RadioFrame): void {
    if (this.hears(frame)) this.tracked.add(frame);
  }

  deliver(frame: RadioFrame, rssi: number, snr: number): void {
    if (!this.tracked.delete(frame) || !this.hears(frame)) return;
    this.ctx.stats.p2pReceived++;
    const shown = this.ctx.report(rssi, snr);
    this.ctx.print(`at+recv=${shown.rssi},${shown.snr},${frame.payload.length}:${toHex(frame.payload)}`);
  }
}
