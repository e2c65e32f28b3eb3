/**
 * Virtual time for the simulator: a seeded PRNG and a priority queue of callbacks.
 * Nothing here reads the wall clock, so a run repeats exactly from its seed.
 */
import type { Scheduler } from './contracts.ts';

/** mulberry32: a small, fast 32-bit PRNG; good enough for simulation noise, not for cryptography. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface QueuedEvent {
  time: number;
  /** Scheduling order: breaks ties between equal times. Also the handle. */
  seq: number;
  fn: (() => void) | null;
}

export interface VirtualSchedulerOptions {
  seed?: number;
  /** A run that executes more events than this throws: it is almost always a zero-delay loop. */
  maxEventsPerRun?: number;
}

export class VirtualScheduler implements Scheduler {
  private readonly heap: QueuedEvent[] = [];
  private readonly live = new Map<number, QueuedEvent>();
  private readonly rng: () => number;
  private readonly maxEventsPerRun: number;
  private current = 0;
  private nextSeq = 1;
  private cancelledInHeap = 0;
  /** Events run since the scheduler was created. */
  executed = 0;

  constructor(options: VirtualSchedulerOptions | number = {}) {
    const opts = typeof options === 'number' ? { seed: options } : options;
    this.rng = mulberry32(opts.seed ?? 1);
    this.maxEventsPerRun = opts.maxEventsPerRun ?? 10_000_000;
  }

  now(): number {
    return this.current;
  }

  at(timeMs: number, fn: () => void): number {
    if (Number.isNaN(timeMs)) throw new Error('VirtualScheduler.at: time is NaN');
    const event: QueuedEvent = { time: Math.max(timeMs, this.current), seq: this.nextSeq++, fn };
    this.live.set(event.seq, event);
    this.push(event);
    return event.seq;
  }

  after(delayMs: number, fn: () => void): number {
    return this.at(this.current + Math.max(0, delayMs), fn);
  }

  cancel(handle: number): void {
    const event = this.live.get(handle);
    if (!event) return;
    this.live.delete(handle);
    event.fn = null;
    this.cancelledInHeap++;
    if (this.cancelledInHeap > 64 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  random(): number {
    return this.rng();
  }

  /** Number of events waiting. */
  get pending(): number {
    return this.live.size;
  }

  /** Time of the next event, or undefined when nothing is queued. */
  nextTime(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.time;
  }

  /** Runs the next event (advancing the clock to it). Returns false when the queue is empty. */
  step(): boolean {
    this.dropCancelledTop();
    const event = this.pop();
    if (!event) return false;
    this.runEvent(event);
    return true;
  }

  /** Runs every event due at or before timeMs, in time order, then sets the clock to timeMs. Returns the count. */
  runUntil(timeMs: number): number {
    let count = 0;
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.time > timeMs) break;
      this.pop();
      this.runEvent(top);
      if (++count > this.maxEventsPerRun) {
        throw new Error(`VirtualScheduler: more than ${this.maxEventsPerRun} events before t=${timeMs} ms (a zero-delay loop?)`);
      }
    }
    if (timeMs > this.current) this.current = timeMs;
    return count;
  }

  runFor(ms: number): number {
    return this.runUntil(this.current + ms);
  }

  private runEvent(event: QueuedEvent): void {
    const fn = event.fn;
    this.live.delete(event.seq);
    event.fn = null;
    this.current = event.time;
    this.executed++;
    fn?.();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === null) {
      this.pop();
      this.cancelledInHeap--;
    }
  }

  private compact(): void {
    const kept = this.heap.filter((e) => e.fn !== null);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const e of kept) this.push(e);
  }

  private static before(a: QueuedEvent, b: QueuedEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(event: QueuedEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!VirtualScheduler.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): QueuedEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && VirtualScheduler.before(heap[l]!, heap[best]!)) best = l;
        if (r < heap.length && VirtualScheduler.before(heap[r]!, heap[best]!)) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best]!, heap[i]!];
        i = best;
      }
    }
    return top;
  }
}
