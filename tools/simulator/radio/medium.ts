/**
 * The simulated LoRa radio medium: frames go on the air from a position, every listening receiver gets the intact
 * ones at their end, with an RSSI and SNR from the link budget (propagation.ts) and collisions resolved by the
 * capture and quasi-orthogonality rules (interference.ts).
 *
 * A receiver takes part in a frame when it `hears` it both when the frame starts (it must be listening for the
 * preamble) and when it ends. A frame below the demodulation floor is lost ('weak'), one spoilt by an overlapping
 * frame is lost ('collision'); the rest are delivered. The transmitter does not hear itself.
 *
 * Receivers may implement `frameStarted`: it is called when a frame they hear begins above the demodulation floor
 * (the radio has found its preamble), so a modem can keep a receive window open until the frame is over, as a real
 * radio does once it has locked on a preamble. The ordering is fixed: the medium schedules a frame's end before
 * calling `frameStarted`, so a receiver's own timer for the same end time runs after the delivery.
 *
 * Everything is deterministic: the only randomness is the shadowing, drawn from the scheduler's seeded random in
 * event order. Every frame is recorded, with the outcome at every receiver, for airtime statistics.
 */
import type { RadioFrame, RadioMedium, RadioReceiver, Scheduler } from '../contracts.ts';
import * as stats from './airtime-stats.ts';
import { survives } from './interference.ts';
import {
  DEFAULT_PROPAGATION,
  demodulationFloorDb,
  distance,
  gaussian,
  noiseFloorDbm,
  pathLossDb,
  type Point,
  type PropagationModel,
} from './propagation.ts';

/** Optional: told when a heard frame's preamble is found (above the demodulation floor). */
export interface TrackingReceiver extends RadioReceiver {
  frameStarted?(frame: RadioFrame, rssi: number, snr: number): void;
}

export type ReceptionOutcome = 'delivered' | 'collision' | 'weak' | 'not_listening';

export interface Reception {
  receiverId: string;
  rssi: number;
  snr: number;
  outcome: ReceptionOutcome;
}

export interface FrameRecord {
  readonly frame: RadioFrame;
  readonly position: Point;
  /** Filled in when the frame ends. */
  readonly receptions: Reception[];
}

interface Link {
  rssi: number;
  snr: number;
}

interface LiveFrame {
  record: FrameRecord;
  endMs: number;
  /** RSSI/SNR at each receiver, drawn once (shadowing is random). */
  links: Map<RadioReceiver, Link>;
  /** Receivers that heard the start, in registration order. */
  candidates: RadioReceiver[];
  finished: boolean;
}

export interface RadioMediumOptions {
  propagation?: Partial<PropagationModel>;
}

export class RadioMediumSim implements RadioMedium {
  readonly propagation: PropagationModel;
  private readonly receivers: RadioReceiver[] = [];
  private readonly log: FrameRecord[] = [];
  /** Frames that may still overlap a frame in flight. */
  private recent: LiveFrame[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    options: RadioMediumOptions = {},
  ) {
    this.propagation = { ...DEFAULT_PROPAGATION, ...options.propagation };
  }

  transmit(frame: RadioFrame, position: Point): void {
    const record: FrameRecord = { frame, position: { x: position.x, y: position.y }, receptions: [] };
    this.log.push(record);
    const live: LiveFrame = { record, endMs: frame.startMs + frame.airtimeMs, links: new Map(), candidates: [], finished: false };
    this.recent.push(live);
    this.scheduler.at(live.endMs, () => this.finish(live));
    for (const receiver of [...this.receivers]) {
      if (receiver.id === frame.from) continue;
      if (!receiver.hears(frame)) {
        const link = this.linkTo(live, receiver);
        record.receptions.push({ receiverId: receiver.id, rssi: link.rssi, snr: link.snr, outcome: 'not_listening' });
        continue;
      }
      live.candidates.push(receiver);
      const link = this.linkTo(live, receiver);
      const tracking = receiver as TrackingReceiver;
      if (link.snr >= demodulationFloorDb(frame.sf) && tracking.frameStarted) tracking.frameStarted(frame, link.rssi, link.snr);
    }
  }

  listen(receiver: RadioReceiver): () => void {
    this.receivers.push(receiver);
    return () => {
      const i = this.receivers.indexOf(receiver);
      if (i >= 0) this.receivers.splice(i, 1);
    };
  }

  /** Mean received power (dBm, no shadowing) of a transmission from `from` at `to`. */
  meanRssi(txPowerDbm: number, freqHz: number, from: Point, to: Point): number {
    return txPowerDbm - pathLossDb(distance(from, to), freqHz, this.propagation);
  }

  /** Every frame put on the air so far, in transmission order. */
  get frames(): readonly FrameRecord[] {
    return this.log;
  }

  /** The frames of one transmitter, or all. */
  framesFrom(from?: string): RadioFrame[] {
    return this.log.filter((r) => from === undefined || r.frame.from === from).map((r) => r.frame);
  }

  airtimeByTransmitter(fromMs?: number, toMs?: number): Record<string, number> {
    return stats.airtimeByTransmitter(this.framesFrom(), fromMs, toMs);
  }

  dailyAirtime(from: string): number[] {
    return stats.dailyAirtime(this.framesFrom(), from);
  }

  airtimeBySubBand(from?: string): Record<string, number> {
    return stats.airtimeBySubBand(this.framesFrom(), from);
  }

  dutyCycleViolations(windowMs?: number): stats.DutyCycleUsage[] {
    return stats.dutyCycleViolations(this.framesFrom(), windowMs);
  }

  offTimeViolations(): stats.OffTimeViolation[] {
    return stats.offTimeViolations(this.framesFrom());
  }

  private linkTo(live: LiveFrame, receiver: RadioReceiver): Link {
    let link = live.links.get(receiver);
    if (!link) {
      const frame = live.record.frame;
      const shadowing = this.propagation.shadowingDb > 0 ? this.propagation.shadowingDb * gaussian(() => this.scheduler.random()) : 0;
      const rssi = this.meanRssi(frame.txPowerDbm, frame.freqHz, live.record.position, receiver.position) - shadowing;
      link = { rssi, snr: rssi - noiseFloorDbm(frame.bwHz, this.propagation.noiseFigureDb) };
      live.links.set(receiver, link);
    }
    return link;
  }

  private finish(live: LiveFrame): void {
    live.finished = true;
    const frame = live.record.frame;
    for (const receiver of live.candidates) {
      const link = this.linkTo(live, receiver);
      let outcome: ReceptionOutcome = 'delivered';
      if (this.receivers.indexOf(receiver) < 0 || !receiver.hears(frame)) outcome = 'not_listening';
      else if (link.snr < demodulationFloorDb(frame.sf)) outcome = 'weak';
      else if (this.collides(live, receiver, link.rssi)) outcome = 'collision';
      live.record.receptions.push({ receiverId: receiver.id, rssi: link.rssi, snr: link.snr, outcome });
      if (outcome === 'delivered') receiver.deliver(frame, link.rssi, link.snr);
    }
    this.prune();
  }

  private collides(live: LiveFrame, receiver: RadioReceiver, rssi: number): boolean {
    const frame = live.record.frame;
    // The receiver's own transmissions count too: a half-duplex radio that transmits loses what it was receiving.
    for (const other of this.recent) {
      if (other === live) continue;
      if (!survives(frame, rssi, other.record.frame, this.linkTo(other, receiver).rssi)) return true;
    }
    return false;
  }

  /** Forgets frames that ended before every frame still on the air started. */
  private prune(): void {
    let earliestStart = this.scheduler.now();
    for (const f of this.recent) if (!f.finished) earliestStart = Math.min(earliestStart, f.record.frame.startMs);
    this.recent = this.recent.filter((f) => f.endMs > earliestStart);
  }
}
