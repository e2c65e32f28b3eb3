/**
 * The simulated radio medium: link budget, delivery, collisions (capture and quasi-orthogonal SFs), determinism and
 * the airtime statistics.
 */
import { describe, expect, it } from 'vitest';
import { timeOnAir } from '../../firmware/core/airtime.ts';
import type { RadioFrame } from '../../tools/simulator/contracts.ts';
import * as stats from '../../tools/simulator/radio/airtime-stats.ts';
import { RadioMediumSim, type TrackingReceiver } from '../../tools/simulator/radio/medium.ts';
import {
  DEFAULT_PROPAGATION,
  noiseFloorDbm,
  pathLossDb,
  referenceLossDb,
  sensitivityDbm,
  type Point,
} from '../../tools/simulator/radio/propagation.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

class Listener implements TrackingReceiver {
  listening = true;
  readonly got: { frame: RadioFrame; rssi: number; snr: number; atMs: number }[] = [];
  readonly started: RadioFrame[] = [];
  constructor(
    readonly id: string,
    readonly position: Point,
    private readonly scheduler: VirtualScheduler,
    private readonly sf?: number,
  ) {}
  hears(frame: RadioFrame): boolean {
    return this.listening && (this.sf === undefined || frame.sf === this.sf);
  }
  frameStarted(frame: RadioFrame): void {
    this.started.push(frame);
  }
  deliver(frame: RadioFrame, rssi: number, snr: number): void {
    this.got.push({ frame, rssi, snr, atMs: this.scheduler.now() });
  }
}

function setup(seed = 1, shadowingDb = 0): { scheduler: VirtualScheduler; medium: RadioMediumSim } {
  const scheduler = new VirtualScheduler({ seed });
  return { scheduler, medium: new RadioMediumSim(scheduler, { propagation: { shadowingDb } }) };
}

function frame(scheduler: VirtualScheduler, from: string, over: Partial<RadioFrame> = {}): RadioFrame {
  const sf = over.sf ?? 7;
  const payload = over.payload ?? new Uint8Array(20).fill(from.charCodeAt(0));
  return {
    from,
    freqHz: 868100000,
    sf,
    bwHz: 125000,
    cr: 1,
    preamble: 8,
    txPowerDbm: 14,
    payload,
    startMs: scheduler.now(),
    airtimeMs: timeOnAir({ sf, bwHz: over.bwHz ?? 125000, payloadBytes: payload.length }),
    ...over,
  };
}

/** The distance at which a 14 dBm frame arrives with `rssi` dBm (no shadowing). */
function distanceFor(rssi: number): number {
  return Math.pow(10, (14 - rssi - referenceLossDb(868100000)) / (10 * DEFAULT_PROPAGATION.pathLossExponent));
}

describe('link budget', () => {
  it('uses free-space loss at 1 m and the log-distance exponent beyond', () => {
    expect(referenceLossDb(868e6)).toBeCloseTo(31.22, 2);
    const model = { ...DEFAULT_PROPAGATION, shadowingDb: 0 };
    expect(pathLossDb(1000, 868e6, model) - pathLossDb(100, 868e6, model)).toBeCloseTo(27, 9);
    expect(pathLossDb(0.1, 868e6, model)).toBe(pathLossDb(1, 868e6, model));
    expect(pathLossDb(1000, 868e6, { ...model, extraLossDb: 10 }) - pathLossDb(1000, 868e6, model)).toBeCloseTo(10, 9);
  });

  it('puts the sensitivity within 1 dB of the SX1272 datasheet table at 125 kHz', () => {
    expect(noiseFloorDbm(125000, 6)).toBeCloseTo(-117.03, 2);
    const datasheet: Record<number, number> = { 7: -124, 8: -127, 9: -130, 10: -133, 11: -135, 12: -137 };
    for (const [sf, dbm] of Object.entries(datasheet)) expect(Math.abs(sensitivityDbm(Number(sf), 125000) - dbm)).toBeLessThanOrEqual(1);
    expect(sensitivityDbm(12, 250000)).toBeCloseTo(sensitivityDbm(12, 125000) + 3.01, 2);
  });
});

describe('delivery', () => {
  it('delivers at the end of the frame with the RSSI of the link and the SNR over the noise floor', () => {
    const { scheduler, medium } = setup();
    const rx = new Listener('rx', { x: 1000, y: 0 }, scheduler);
    medium.listen(rx);
    const f = frame(scheduler, 'a');
    medium.transmit(f, { x: 0, y: 0 });
    scheduler.runFor(f.airtimeMs - 1);
    expect(rx.got).toHaveLength(0);
    scheduler.runFor(1);
    expect(rx.got).toHaveLength(1);
    const expected = 14 - pathLossDb(1000, f.freqHz, medium.propagation);
    expect(rx.got[0]!.rssi).toBeCloseTo(expected, 9);
    expect(rx.got[0]!.snr).toBeCloseTo(expected - noiseFloorDbm(125000, 6), 9);
    expect(rx.got[0]!.atMs).toBeCloseTo(f.airtimeMs, 9);
    expect(rx.started).toEqual([f]);
    const [reception] = medium.frames[0]!.receptions;
    expect(medium.frames[0]!.receptions).toHaveLength(1);
    expect(reception).toMatchObject({ receiverId: 'rx', outcome: 'delivered' });
    expect(reception!.rssi).toBeCloseTo(expected, 9);
  });

  it('loses frames below the demodulation floor of their SF, and a higher SF reaches further', () => {
    const { scheduler, medium } = setup();
    const edge = distanceFor(sensitivityDbm(7, 125000));
    const near = new Listener('near', { x: edge * 0.95, y: 0 }, scheduler);
    const far = new Listener('far', { x: edge * 1.05, y: 0 }, scheduler);
    medium.listen(near);
    medium.listen(far);
    medium.transmit(frame(scheduler, 'a', { sf: 7 }), { x: 0, y: 0 });
    scheduler.runFor(2000);
    expect(near.got).toHaveLength(1);
    expect(far.got).toHaveLength(0);
    expect(far.started).toHaveLength(0);
    expect(medium.frames[0]!.receptions.find((r) => r.receiverId === 'far')!.outcome).toBe('weak');
    medium.transmit(frame(scheduler, 'a', { sf: 12 }), { x: 0, y: 0 });
    scheduler.runFor(5000);
    expect(far.got).toHaveLength(1);
  });

  it('needs the receiver listening at both ends of the frame, and the sender never hears itself', () => {
    const { scheduler, medium } = setup();
    const rx = new Listener('rx', { x: 100, y: 0 }, scheduler);
    const self = new Listener('a', { x: 0, y: 0 }, scheduler);
    medium.listen(rx);
    medium.listen(self);
    rx.listening = false;
    const f1 = frame(scheduler, 'a');
    medium.transmit(f1, { x: 0, y: 0 });
    rx.listening = true; // too late: the preamble is gone
    scheduler.runFor(f1.airtimeMs + 1);
    const f2 = frame(scheduler, 'a');
    medium.transmit(f2, { x: 0, y: 0 });
    scheduler.runFor(f2.airtimeMs / 2);
    rx.listening = false; // stopped half way
    scheduler.runFor(f2.airtimeMs);
    rx.listening = true;
    const f3 = frame(scheduler, 'a');
    medium.transmit(f3, { x: 0, y: 0 });
    scheduler.runFor(f3.airtimeMs + 1);
    expect(rx.got.map((g) => g.frame)).toEqual([f3]);
    expect(self.got).toHaveLength(0);
    expect(medium.frames.map((r) => r.receptions.find((x) => x.receiverId === 'rx')!.outcome)).toEqual(['not_listening', 'not_listening', 'delivered']);
  });

  it('stops delivering to a receiver that left', () => {
    const { scheduler, medium } = setup();
    const rx = new Listener('rx', { x: 10, y: 0 }, scheduler);
    const leave = medium.listen(rx);
    const f = frame(scheduler, 'a');
    medium.transmit(f, { x: 0, y: 0 });
    leave();
    scheduler.runFor(1000);
    expect(rx.got).toHaveLength(0);
  });

  it('draws shadowing from the seeded random: the same seed gives the same RSSI', () => {
    const rssiWith = (seed: number): number[] => {
      const { scheduler, medium } = setup(seed, 6);
      const rx = new Listener('rx', { x: 500, y: 0 }, scheduler);
      medium.listen(rx);
      for (let i = 0; i < 5; i++) {
        medium.transmit(frame(scheduler, 'a'), { x: 0, y: 0 });
        scheduler.runFor(1000);
      }
      return rx.got.map((g) => g.rssi);
    };
    const a = rssiWith(7);
    expect(rssiWith(7)).toEqual(a);
    expect(rssiWith(8)).not.toEqual(a);
    expect(new Set(a).size).toBe(5);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean - (14 - pathLossDb(500, 868100000, { ...DEFAULT_PROPAGATION })))).toBeLessThan(12);
  });
});

describe('collisions', () => {
  /** Two transmitters at distances giving the two RSSIs at the receiver; b starts `offsetMs` after a. */
  function collide(rssiA: number, rssiB: number, over: { a?: Partial<RadioFrame>; b?: Partial<RadioFrame>; offsetMs?: number } = {}): string[] {
    const { scheduler, medium } = setup();
    const rx = new Listener('rx', { x: 0, y: 0 }, scheduler);
    medium.listen(rx);
    medium.transmit(frame(scheduler, 'a', over.a), { x: distanceFor(rssiA), y: 0 });
    scheduler.runFor(over.offsetMs ?? 10);
    medium.transmit(frame(scheduler, 'b', over.b), { x: -distanceFor(rssiB), y: 0 });
    scheduler.runFor(10000);
    return rx.got.map((g) => g.frame.from).sort();
  }

  it('loses both frames on the same channel and SF when neither is 6 dB stronger', () => {
    expect(collide(-80, -80)).toEqual([]);
    expect(collide(-80, -85)).toEqual([]);
  });

  it('lets the frame that is at least 6 dB stronger survive, whichever came first', () => {
    expect(collide(-80, -86.5)).toEqual(['a']);
    expect(collide(-86.5, -80)).toEqual(['b']);
  });

  it('keeps frames apart in time, or on channels that do not overlap', () => {
    expect(collide(-80, -80, { offsetMs: 200 })).toEqual(['a', 'b']);
    expect(collide(-80, -80, { b: { freqHz: 868300000 } })).toEqual(['a', 'b']);
  });

  it('treats other SFs as quasi-orthogonal: only a much stronger interferer spoils a frame', () => {
    const rx = { a: { sf: 7 }, b: { sf: 9 } };
    // Both frames are heard by a receiver listening on every SF.
    expect(collide(-90, -80, rx)).toEqual(['a', 'b']);
    // SF7 wanted, SF9 interferer: isolation -18 dB.
    expect(collide(-100, -80, rx)).toEqual(['b']);
    expect(collide(-100, -83, rx)).toEqual(['a', 'b']);
  });

  it('counts a receiver\'s own transmission as interference (half duplex)', () => {
    const { scheduler, medium } = setup();
    const rx = new Listener('rx', { x: 0, y: 0 }, scheduler);
    medium.listen(rx);
    const f = frame(scheduler, 'a', { sf: 10 });
    medium.transmit(f, { x: 1000, y: 0 });
    scheduler.runFor(50);
    medium.transmit(frame(scheduler, 'rx', { sf: 7 }), rx.position);
    scheduler.runFor(5000);
    expect(rx.got).toHaveLength(0);
    expect(medium.frames[0]!.receptions[0]!.outcome).toBe('collision');
  });
});

describe('airtime statistics', () => {
  function send(scheduler: VirtualScheduler, medium: RadioMediumSim, from: string, freqHz: number, sf: number, atMs: number): RadioFrame {
    scheduler.runUntil(atMs);
    const f = frame(scheduler, from, { freqHz, sf });
    medium.transmit(f, { x: 0, y: 0 });
    return f;
  }

  it('sums airtime per transmitter, per day and per sub-band', () => {
    const { scheduler, medium } = setup();
    const a1 = send(scheduler, medium, 'a', 868100000, 12, 0);
    const b1 = send(scheduler, medium, 'b', 869525000, 7, 10_000);
    const a2 = send(scheduler, medium, 'a', 868300000, 7, stats.DAY_MS + 5);
    scheduler.runFor(10_000);
    expect(medium.airtimeByTransmitter()).toEqual({ a: a1.airtimeMs + a2.airtimeMs, b: b1.airtimeMs });
    expect(medium.airtimeByTransmitter(0, stats.DAY_MS)).toEqual({ a: a1.airtimeMs, b: b1.airtimeMs });
    expect(medium.airtimeByTransmitter(500, 1000)).toEqual({ a: 500 });
    expect(medium.dailyAirtime('a')).toEqual([a1.airtimeMs, a2.airtimeMs]);
    expect(medium.airtimeBySubBand()).toEqual({ g1: a1.airtimeMs + a2.airtimeMs, g3: b1.airtimeMs });
    expect(medium.airtimeBySubBand('b')).toEqual({ g3: b1.airtimeMs });
  });

  it('flags frames sent into a sub-band that is still off, and hours over the duty cycle', () => {
    const { scheduler, medium } = setup();
    const first = send(scheduler, medium, 'a', 868100000, 12, 0);
    const reopen = first.airtimeMs / 0.01;
    send(scheduler, medium, 'a', 868500000, 12, reopen + 1); // same sub-band, after the off time
    send(scheduler, medium, 'a', 868300000, 12, reopen + 60_000); // same sub-band, too early
    send(scheduler, medium, 'b', 868300000, 12, reopen + 60_000); // another device: its own budget
    scheduler.runFor(10_000);
    const violations = medium.offTimeViolations();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ from: 'a', subBand: 'g1', startMs: reopen + 60_000 });
    expect(violations[0]!.allowedFromMs).toBeCloseTo(reopen + 1 + reopen, 6);
    // Three SF12 frames in an hour stay under 1 %.
    expect(medium.dutyCycleViolations()).toEqual([]);
    const usage = stats.dutyCycleUsage(medium.framesFrom()).find((u) => u.from === 'a')!;
    expect(usage.usage).toBeCloseTo((3 * first.airtimeMs) / stats.HOUR_MS, 9);
  });

  it('reports a device that keeps a sub-band busy for more than its share of an hour', () => {
    const { scheduler, medium } = setup();
    for (let i = 0; i < 30; i++) send(scheduler, medium, 'chatty', 868100000, 12, i * 60_000);
    scheduler.runFor(10_000);
    const [v] = medium.dutyCycleViolations();
    expect(v).toMatchObject({ from: 'chatty', subBand: 'g1', limit: 0.01 });
    expect(v!.usage).toBeGreaterThan(0.01);
    expect(medium.offTimeViolations().length).toBeGreaterThan(0);
  });
});
