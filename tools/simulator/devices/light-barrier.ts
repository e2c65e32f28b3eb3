/**
 * A retro-reflective light barrier with an NPN open-collector switching output on a board pin
 * (hardware/garage-node.md). In light-on mode the output transistor conducts while the beam comes back from the
 * reflector, pulling the pin low; while the beam is interrupted, or the sensor has no power, or its cable is cut,
 * the output is open and the pin reads whatever its pull-up (or nothing: a floating pin) makes of it. Dark-on mode
 * is the reverse (conducting while interrupted).
 *
 * Timing: the output follows the beam after the sensor's response time, and at each edge it chatters for a few
 * milliseconds (a curved bumper or a shiny edge half in the beam), as real edges do: what setWatch's debounce is for.
 */
import type { Scheduler } from '../contracts.ts';
import type { EspruinoBoard } from '../runtime/index.ts';

export type BarrierMode = 'light-on' | 'dark-on';
/** dead: no power or a cut cable (the output stays open); stuck-clear: the output conducts whatever the beam does. */
export type BarrierFault = 'dead' | 'stuck-clear';

export interface LightBarrierOptions {
  board: EspruinoBoard;
  pin: string;
  scheduler: Scheduler;
  mode?: BarrierMode;
  /** From the beam's change to the output's. Default 1 ms. */
  responseMs?: number;
  /** Extra output changes at each edge, at most. Default 4. */
  maxBounces?: number;
  /** The chatter lasts at most this long. Default 8 ms. */
  bounceMs?: number;
}

export class SimulatedLightBarrier {
  readonly pin: string;
  private readonly board: EspruinoBoard;
  private readonly scheduler: Scheduler;
  private readonly mode: BarrierMode;
  private readonly responseMs: number;
  private readonly maxBounces: number;
  private readonly bounceMs: number;
  private beamBlocked = false;
  private faultMode: BarrierFault | undefined;
  private pending: number[] = [];
  /** Output changes driven so far (bounces included). */
  outputChanges = 0;

  constructor(options: LightBarrierOptions) {
    this.board = options.board;
    this.pin = options.pin;
    this.scheduler = options.scheduler;
    this.mode = options.mode ?? 'light-on';
    this.responseMs = options.responseMs ?? 1;
    this.maxBounces = options.maxBounces ?? 4;
    this.bounceMs = options.bounceMs ?? 8;
    this.drive(this.conducts());
  }

  /** Whether something interrupts the beam now. */
  get blocked(): boolean {
    return this.beamBlocked;
  }

  get fault(): BarrierFault | undefined {
    return this.faultMode;
  }

  /** Something enters or leaves the beam now. */
  setBlocked(blocked: boolean): void {
    if (blocked === this.beamBlocked) return;
    this.beamBlocked = blocked;
    this.changeOutput();
  }

  /** A fault from now on; undefined repairs the sensor. */
  setFault(fault: BarrierFault | undefined): void {
    this.faultMode = fault;
    this.changeOutput();
  }

  private conducts(): boolean {
    if (this.faultMode === 'dead') return false;
    if (this.faultMode === 'stuck-clear') return this.mode === 'light-on';
    return this.mode === 'light-on' ? !this.beamBlocked : this.beamBlocked;
  }

  /** Open collector: conducting pulls the pin low, open leaves it to the pull-up. */
  private drive(conducting: boolean): void {
    this.outputChanges++;
    this.board.setInput(this.pin, conducting ? 0 : undefined);
  }

  private changeOutput(): void {
    for (const handle of this.pending) this.scheduler.cancel(handle);
    this.pending = [];
    const final = this.conducts();
    const bounces = Math.floor(this.scheduler.random() * (this.maxBounces + 1));
    // chatter: final, previous, final, ... with the last change `final`, all within bounceMs
    const times: number[] = [];
    for (let i = 0; i < 2 * bounces; i++) times.push(this.scheduler.random() * this.bounceMs);
    times.sort((x, y) => x - y);
    times.push(times.length > 0 ? Math.max(times[times.length - 1]!, this.bounceMs * 0.5) : 0);
    times.forEach((t, i) => {
      const level = i % 2 === 0 ? final : !final;
      this.pending.push(this.scheduler.after(this.responseMs + t, () => this.drive(level)));
    });
  }
}
