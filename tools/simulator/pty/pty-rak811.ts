/**
 * A simulated RAK811 (AT firmware V3) on one end of a pseudo-terminal pair, in real time: the gateway bridge with
 * `module: rak811` talks to it exactly as to a RAK811 breakout on a USB serial adapter. The module is the
 * simulator's own SimulatedRak811 (tools/simulator/devices/rak811.ts); the pty side is PtyRakModule's
 * (PtySerialModule in pty-module.ts): the same `commands`, `transmitted`, writeRaw() and re-attaching (power-cycled)
 * after the pty vanished.
 *
 * receive(phyPayload, {rssi, snr}) makes the module hear a LoRa frame on its current P2P channel, through its own
 * radio receiver (hears, preamble found, deliver): it is printed (`at+recv=<rssi>,<snr>,<len>:<HEX>`) only when a
 * RAK811 would print it: P2P work mode, `lorap2p:transfer_mode:1` (receiver), the same frequency, SF and bandwidth,
 * not while its own frame goes out. A RAK811 starts as a sender after every boot.
 */
import { SimulatedRak811, type SimulatedRak811Options } from '../devices/rak811.ts';
import { P2P_BANDWIDTHS_HZ } from '../devices/rak811/context.ts';
import type { RadioFrame } from '../contracts.ts';
import type { Point } from '../radio/propagation.ts';
import { type P2pChannel, PtySerialModule, type PtySerialModuleOptions } from './pty-module.ts';

export interface PtyRak811Options extends PtySerialModuleOptions, Partial<Omit<SimulatedRak811Options, 'medium' | 'position'>> {
  position?: Point;
}

export class PtyRak811 extends PtySerialModule<SimulatedRak811> {
  readonly module: SimulatedRak811;

  constructor(options: PtyRak811Options) {
    const { path, scheduler, medium, position, reattach, powerCycleOnReattach, ...moduleOptions } = options;
    super({ path, scheduler, medium, reattach, powerCycleOnReattach }, 'PtyRak811');
    this.module = new SimulatedRak811({ id: 'pty-rak811', ...moduleOptions, position: position ?? { x: 0, y: 0 }, medium: this.tap });
  }

  protected p2pChannel(): P2pChannel {
    const s = this.module.flash.p2p;
    // the RAK811's lorap2p coding rate is already RadioFrame's (1 = 4/5)
    return { freqHz: s.freqHz, sf: s.sf, bwHz: P2P_BANDWIDTHS_HZ[s.bwCode]!, cr: s.cr, preamble: s.preamble };
  }

  /** A RAK811 receives only a frame whose preamble it found while receiving: first that, then the frame's end. */
  protected override hear(frame: RadioFrame, rssi: number, snr: number): void {
    this.module.frameStarted(frame);
    this.module.deliver(frame, rssi, snr);
  }
}
