/**
 * What both simulated ultrasonic rangers share: a part that is silent until its supply is switched on, then after
 * its power-up time sends one frame per range cycle on its TX line (board RX) at 9600 8N1, until switched off.
 * Each reading is the true distance to the water as the part measures it (its own temperature handling), with
 * noise, and a seeded share of outliers (a false echo: spray, debris, a bird, a second reflection), no-target cycles
 * and frames corrupted on the wire. The subclasses give the frame format, the range and the temperature handling.
 */
import type { Scheduler, SerialDevice } from '../../contracts.ts';

export interface RangerSimOptions {
  /** True distance from the sensor face to the water surface at virtual time t, in metres. */
  distanceM: (timeMs: number) => number;
  /** Air temperature along the sound path at virtual time t. */
  airTemperatureC: (timeMs: number) => number;
  /** Standard deviation of a reading, mm. */
  noiseMm?: number;
  /** Share of readings that are a false echo. */
  outlierRate?: number;
  /** Share of readings with no echo. */
  noTargetRate?: number;
  /** Share of frames with a byte damaged on the wire. */
  corruptRate?: number;
  /** From power-on to the first frame. */
  powerUpMs?: number;
  /** One range cycle. */
  periodMs?: number;
}

export type RangeKind = 'ok' | 'noTarget' | 'tooClose';

export interface RangerSimStats {
  frames: number;
  outliers: number;
  noTargets: number;
  corrupted: number;
  powerOns: number;
}

/** Box-Muller from two uniform draws of the scheduler's seeded generator. */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export abstract class SimulatedRanger implements SerialDevice {
  readonly stats: RangerSimStats = { frames: 0, outliers: 0, noTargets: 0, corrupted: 0, powerOns: 0 };
  /** Whether the part answers at all (false: a broken cable or a dead sensor). */
  alive = true;
  protected scheduler: Scheduler | undefined;
  private toBoard: ((bytes: Uint8Array) => void) | undefined;
  private powered = false;
  private timer: number | undefined;
  private readonly noiseMm: number;
  private readonly outlierRate: number;
  private readonly noTargetRate: number;
  private readonly corruptRate: number;

  constructor(
    protected readonly options: RangerSimOptions,
    private readonly powerUpMs: number,
    private readonly periodMs: number,
    /** The part's range in mm (what it can report as a distance). */
    protected readonly minMm: number,
    protected readonly maxMm: number,
  ) {
    this.noiseMm = options.noiseMm ?? 2;
    this.outlierRate = options.outlierRate ?? 0;
    this.noTargetRate = options.noTargetRate ?? 0;
    this.corruptRate = options.corruptRate ?? 0;
  }

  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.toBoard = toBoard;
    this.scheduler = scheduler;
  }

  /** The part has no input that matters here (its RX/pin 4 is left open: free-running, processed values). */
  receive(): void {}

  get isPowered(): boolean {
    return this.powered;
  }

  /** The supply, switched by the board's power pin. */
  setPowered(on: boolean): void {
    if (on === this.powered) return;
    this.powered = on;
    const s = this.scheduler!;
    if (this.timer !== undefined) s.cancel(this.timer);
    this.timer = undefined;
    if (!on) return;
    this.stats.powerOns++;
    const cycle = (): void => {
      this.timer = s.after(this.periodMs, cycle);
      this.sendReading(s.now());
    };
    this.timer = s.after(this.powerUpMs, cycle);
  }

  /** The distance in mm the part reports for the true distance at t, before noise (its temperature handling). */
  protected abstract measuredMm(timeMs: number): number;
  protected abstract frame(kind: RangeKind, mm: number): number[];

  private sendReading(timeMs: number): void {
    if (!this.alive || !this.toBoard) return;
    const random = (): number => this.scheduler!.random();
    let mm = this.measuredMm(timeMs) + gaussian(random) * this.noiseMm;
    let kind: RangeKind = 'ok';
    const r = random();
    if (r < this.noTargetRate) {
      kind = 'noTarget';
      this.stats.noTargets++;
    } else if (r < this.noTargetRate + this.outlierRate) {
      this.stats.outliers++;
      // a false echo: something in the beam (nearer), or a second reflection (farther)
      mm = random() < 0.5 ? this.minMm + random() * (mm - this.minMm) : mm * (1.3 + random() * 0.7);
    }
    mm = Math.round(mm);
    if (kind === 'ok' && mm < this.minMm) kind = 'tooClose';
    if (kind === 'ok' && mm > this.maxMm) kind = 'noTarget';
    const bytes = this.frame(kind, mm);
    if (random() < this.corruptRate) {
      this.stats.corrupted++;
      const i = Math.floor(random() * bytes.length);
      if (random() < 0.5) bytes.splice(i, 1);
      else bytes[i] = (bytes[i]! ^ (1 << Math.floor(random() * 8))) & 0xff;
    }
    this.stats.frames++;
    this.toBoard(Uint8Array.from(bytes));
  }
}
