/**
 * The simulator's Scheduler on the wall clock, for simulated devices that talk to real programs (a simulated RAK
 * module on a pseudo-terminal). Callbacks wait in the VirtualScheduler's queue, so equal times still run in
 * scheduling order and random() is the same seeded mulberry32; one Node timer is armed for the earliest of them.
 * now() is performance.now() since the scheduler was made. stop() leaves no timer behind.
 */
import type { Scheduler } from '../contracts.ts';
import { VirtualScheduler } from '../scheduler.ts';

export interface RealtimeSchedulerOptions {
  /** Seed of random(). Default 1. */
  seed?: number;
}

export class RealtimeScheduler implements Scheduler {
  private readonly queue: VirtualScheduler;
  private readonly origin = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(options: RealtimeSchedulerOptions = {}) {
    this.queue = new VirtualScheduler({ seed: options.seed ?? 1 });
  }

  now(): number {
    return performance.now() - this.origin;
  }

  at(timeMs: number, fn: () => void): number {
    const handle = this.queue.at(timeMs, fn);
    this.arm();
    return handle;
  }

  after(delayMs: number, fn: () => void): number {
    return this.at(this.now() + Math.max(0, delayMs), fn);
  }

  cancel(handle: number): void {
    this.queue.cancel(handle);
  }

  random(): number {
    return this.queue.random();
  }

  /** Callbacks waiting. */
  get pending(): number {
    return this.stopped ? 0 : this.queue.pending;
  }

  /** Drops every waiting callback; later ones are ignored. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.queue.nextTime();
    if (next === undefined || (this.timer !== undefined && this.timerAt <= next)) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    this.queue.runUntil(this.now());
    this.arm();
  }
}
