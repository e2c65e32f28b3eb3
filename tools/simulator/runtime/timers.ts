/**
 * Espruino's timer array: setTimeout/setInterval/clearTimeout/clearInterval/changeInterval on virtual time.
 * Semantics from Espruino's jswrap_interactive.c and jsinteractive.c:
 * - ids are the next index after the highest one in use (1 when none), so ids get reused;
 * - delays below 0.1 ms become 0.1 ms; intervals are rescheduled from their due time (no drift);
 * - clear*() with no argument (or undefined) removes every timer except debounce timers of setWatch;
 * - clearing an unknown id throws "Unknown Timeout" / "Unknown Interval";
 * - an exception in an interval is reported and the interval keeps running.
 */
import type { RuntimeHost } from './host.ts';

const TIMER_MIN_INTERVAL_MS = 0.1;

interface TimerEntry {
  kind: 'timeout' | 'interval' | 'debounce';
  handle: number;
  dueMs: number;
  intervalMs: number;
  fire: () => void;
}

export class TimerTable {
  private readonly entries = new Map<number, TimerEntry>();

  constructor(private readonly host: RuntimeHost) {}

  private nextId(): number {
    let max = 0;
    for (const id of this.entries.keys()) if (id > max) max = id;
    return max + 1;
  }

  private static delay(ms: unknown): number {
    const n = Number(ms);
    return Number.isFinite(n) && n >= TIMER_MIN_INTERVAL_MS ? n : TIMER_MIN_INTERVAL_MS;
  }

  private arm(id: number, entry: TimerEntry): void {
    entry.handle = this.host.schedule(entry.dueMs - this.host.scheduler.now(), () => {
      if (this.entries.get(id) !== entry) return;
      if (entry.kind === 'interval') {
        entry.dueMs += entry.intervalMs;
        this.arm(id, entry);
      } else {
        this.entries.delete(id);
      }
      entry.fire();
    });
  }

  /** setTimeout / setInterval. */
  add(callback: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    if (typeof callback !== 'function' && typeof callback !== 'string') {
      throw new this.host.realm.Error('Function or String not supplied!');
    }
    const intervalMs = TimerTable.delay(ms);
    const id = this.nextId();
    const what = repeat ? 'setInterval' : 'setTimeout';
    const fire = (): void =>
      this.host.runGuest(what, () => {
        if (typeof callback === 'string') this.host.realm.evaluate(callback);
        else (callback as (...a: unknown[]) => void)(...args);
      });
    const entry: TimerEntry = {
      kind: repeat ? 'interval' : 'timeout',
      handle: 0,
      dueMs: this.host.scheduler.now() + intervalMs,
      intervalMs,
      fire,
    };
    this.entries.set(id, entry);
    this.arm(id, entry);
    return id;
  }

  /** A debounce timer of setWatch: takes an id like Espruino does, survives clearTimeout(). */
  addDebounce(dueMs: number, fire: () => void): { reschedule(dueMs: number): void; cancel(): void } {
    const id = this.nextId();
    const entry: TimerEntry = { kind: 'debounce', handle: 0, dueMs, intervalMs: 0, fire };
    this.entries.set(id, entry);
    this.arm(id, entry);
    return {
      reschedule: (due: number) => {
        this.host.cancel(entry.handle);
        entry.dueMs = due;
        this.arm(id, entry);
      },
      cancel: () => {
        this.host.cancel(entry.handle);
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    };
  }

  /** clearTimeout / clearInterval; hasArgument is false for a call without arguments. */
  clear(id: unknown, hasArgument: boolean, isTimeout: boolean): void {
    if (!hasArgument || id === undefined) {
      for (const [key, entry] of [...this.entries]) {
        if (entry.kind === 'debounce') continue;
        this.host.cancel(entry.handle);
        this.entries.delete(key);
      }
      return;
    }
    const key = Number(id);
    const entry = this.entries.get(key);
    if (!entry || entry.kind === 'debounce') {
      throw new this.host.realm.Error(isTimeout ? 'Unknown Timeout' : 'Unknown Interval');
    }
    this.host.cancel(entry.handle);
    this.entries.delete(key);
  }

  /** changeInterval: takes effect now; the next call comes `ms` from now. */
  change(id: unknown, ms: unknown): void {
    const entry = this.entries.get(Number(id));
    if (!entry || entry.kind === 'debounce') throw new this.host.realm.Error('Unknown Interval');
    this.host.cancel(entry.handle);
    entry.intervalMs = TimerTable.delay(ms);
    entry.dueMs = this.host.scheduler.now() + entry.intervalMs;
    this.arm(Number(id), entry);
  }

  /** Number of timers (all kinds), as Espruino's timer array would hold. */
  get size(): number {
    return this.entries.size;
  }

  globals(): Record<string, unknown> {
    return {
      setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => this.add(fn, ms, args, false),
      setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => this.add(fn, ms, args, true),
      clearTimeout: (...a: unknown[]) => this.clear(a[0], a.length > 0, true),
      clearInterval: (...a: unknown[]) => this.clear(a[0], a.length > 0, false),
      changeInterval: (id: unknown, ms: unknown) => this.change(id, ms),
    };
  }
}
