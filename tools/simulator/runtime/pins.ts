/**
 * GPIO, ADC and setWatch. Pin levels driven from outside (setInput) trigger watches; outputs written by
 * the firmware are reported to onPin listeners (LEDs, power switches of peripherals).
 * setWatch follows Espruino's jsinteractive.c: edge filter, debounce by a timer that is pushed back by
 * every bounce and fires with the state the pin settled in, `time`/`lastTime` in seconds of getTime().
 */
import type { BoardProfile } from './boards.ts';
import { guestObject, type RuntimeHost } from './host.ts';
import type { TimerTable } from './timers.ts';

export type PinMode =
  | 'analog'
  | 'input'
  | 'input_pullup'
  | 'input_pulldown'
  | 'output'
  | 'opendrain'
  | 'opendrain_pullup'
  | 'af_output'
  | 'af_opendrain';

const PIN_MODES: readonly string[] = [
  'analog',
  'input',
  'input_pullup',
  'input_pulldown',
  'output',
  'opendrain',
  'opendrain_pullup',
  'af_output',
  'af_opendrain',
];

interface PinState {
  mode: PinMode | undefined;
  manual: boolean;
  out: 0 | 1;
  /** Level driven from outside the board, if any. */
  external: 0 | 1 | undefined;
  volts: number;
}

export type PinListener = (level: 0 | 1, timeMs: number) => void;

interface Watch {
  pin: number;
  callback: unknown;
  repeat: boolean;
  edge: -1 | 0 | 1;
  debounceMs: number;
  /** Settled state, for debouncing. */
  state: 0 | 1;
  lastTime: number | undefined;
  timer: { reschedule(dueMs: number): void; cancel(): void } | undefined;
  timerState: 0 | 1;
}

export class PinBank {
  private readonly states: PinState[];
  private readonly listeners = new Map<number, Set<PinListener>>();
  private watches = new Map<number, Watch>();
  private timers: TimerTable | undefined;
  supplyVolts: number;

  constructor(
    private readonly profile: BoardProfile,
    private readonly host: () => RuntimeHost,
  ) {
    this.states = profile.pins.map(() => ({ mode: undefined, manual: false, out: 0, external: undefined, volts: 0 }));
    this.supplyVolts = profile.supplyVolts;
  }

  /** Pin number from a Pin object, a number or a name; undefined when the board has no such pin. */
  resolve(pin: unknown): number | undefined {
    if (typeof pin === 'string') {
      const i = this.profile.pins.indexOf(pin);
      return i >= 0 ? i : undefined;
    }
    if (pin === null || pin === undefined) return undefined;
    const n = Number(pin);
    return Number.isInteger(n) && n >= 0 && n < this.states.length ? n : undefined;
  }

  private require(pin: unknown): number {
    const n = this.resolve(pin);
    if (n === undefined) throw new (this.host().realm.Error)('Invalid pin!');
    return n;
  }

  name(n: number): string {
    return this.profile.pins[n] ?? `D${n}`;
  }

  /** The level the pin reads now. */
  level(n: number): 0 | 1 {
    const s = this.states[n]!;
    if (s.external !== undefined) return s.external;
    if (s.mode === 'output' || s.mode === 'af_output') return s.out;
    if (s.mode === 'input_pullup' || s.mode === 'opendrain_pullup') return 1;
    if (s.mode === 'opendrain') return s.out;
    return 0;
  }

  output(n: number): 0 | 1 {
    return this.states[n]!.out;
  }

  mode(n: number): PinMode | undefined {
    return this.states[n]!.mode;
  }

  /** A new run: pins back to their power-on state (external levels and voltages stay: they are outside the board). */
  resetForRun(timers: TimerTable): void {
    const now = this.host().scheduler.now();
    this.states.forEach((s, n) => {
      const wasHigh = s.mode === 'output' && s.out === 1;
      s.mode = undefined;
      s.manual = false;
      s.out = 0;
      if (wasHigh) for (const fn of this.listeners.get(n) ?? []) fn(0, now);
    });
    this.watches = new Map();
    this.timers = timers;
  }

  onPin(pin: string | number, fn: PinListener): () => void {
    const n = this.resolve(pin);
    if (n === undefined) throw new Error(`board has no pin ${String(pin)}`);
    const set = this.listeners.get(n) ?? new Set<PinListener>();
    set.add(fn);
    this.listeners.set(n, set);
    return () => set.delete(fn);
  }

  private setMode(n: number, mode: PinMode): void {
    this.states[n]!.mode = mode;
  }

  private autoMode(n: number, mode: PinMode): void {
    if (!this.states[n]!.manual) this.setMode(n, mode);
  }

  write(pin: unknown, value: unknown): void {
    const n = this.require(pin);
    this.autoMode(n, 'output');
    const level: 0 | 1 = value ? 1 : 0;
    const s = this.states[n]!;
    if (s.out === level) return;
    s.out = level;
    const now = this.host().scheduler.now();
    for (const fn of this.listeners.get(n) ?? []) fn(level, now);
  }

  read(pin: unknown): 0 | 1 {
    const n = this.require(pin);
    this.autoMode(n, 'input');
    return this.level(n);
  }

  /** Espruino's analogRead: 0..1 of the supply, quantised to the ADC's resolution; NaN on a pin without ADC. */
  analogRead(pin: unknown): number {
    const n = this.require(pin);
    if (!this.profile.analogPins.includes(this.name(n))) return NaN;
    this.autoMode(n, 'analog');
    const steps = 2 ** this.profile.adcBits;
    const raw = Math.round((this.states[n]!.volts / this.supplyVolts) * steps);
    return Math.min(steps - 1, Math.max(0, raw)) / steps;
  }

  pinMode(pin: unknown, mode: unknown, automatic: unknown): void {
    const n = this.require(pin);
    if (typeof mode === 'string' && PIN_MODES.includes(mode)) {
      this.states[n]!.manual = !automatic;
      this.setMode(n, mode as PinMode);
      return;
    }
    this.states[n]!.manual = false;
    if (mode !== undefined && mode !== 'auto') throw new (this.host().realm.Error)('Unknown pin mode');
  }

  /** digitalPulse: the value for `time` ms (or alternating values for an array of times), then back. */
  pulse(pin: unknown, value: unknown, time: unknown): void {
    this.require(pin);
    const times = (Array.isArray(time) ? time : [time]).map(Number);
    let level = Boolean(value);
    let at = 0;
    this.write(pin, level);
    for (const t of times) {
      at += Number.isFinite(t) && t > 0 ? t : 0;
      level = !level;
      const next = level;
      this.host().schedule(at, () => this.write(pin, next));
    }
  }

  getPinMode(pin: unknown): string | undefined {
    return this.states[this.require(pin)]!.mode;
  }

  setAnalog(pin: string | number, volts: number): void {
    const n = this.resolve(pin);
    if (n === undefined) throw new Error(`board has no pin ${String(pin)}`);
    this.states[n]!.volts = volts;
  }

  /** Drives a pin from outside (a button, a sensor's interrupt line); undefined releases it. */
  setInput(pin: string | number, level: boolean | 0 | 1 | undefined): void {
    const n = this.resolve(pin);
    if (n === undefined) throw new Error(`board has no pin ${String(pin)}`);
    const before = this.level(n);
    this.states[n]!.external = level === undefined ? undefined : level ? 1 : 0;
    const after = this.level(n);
    if (after !== before) this.edge(n, after, this.host().scheduler.now());
  }

  // ---- setWatch ----

  private nextWatchId(): number {
    let max = 0;
    for (const id of this.watches.keys()) if (id > max) max = id;
    return max + 1;
  }

  setWatch(callback: unknown, pin: unknown, options: unknown): number | undefined {
    const host = this.host();
    const n = this.resolve(pin);
    if (n === undefined) throw new host.realm.Error('Invalid pin');
    if (typeof callback !== 'function' && typeof callback !== 'string') {
      throw new host.realm.Error('Function or String not supplied!');
    }
    const isButton = this.name(n) === this.profile.btn;
    let repeat = false;
    let edge: -1 | 0 | 1 = isButton ? 1 : 0;
    let debounceMs = isButton ? 25 : 0;
    if (options !== null && typeof options === 'object') {
      const o = options as { repeat?: unknown; edge?: unknown; debounce?: unknown };
      repeat = Boolean(o.repeat);
      if (o.debounce !== undefined) {
        const d = Number(o.debounce);
        debounceMs = Number.isFinite(d) && d > 0 ? d : 0;
      }
      if (o.edge !== undefined) {
        if (o.edge === 'rising' || o.edge === 1) edge = 1;
        else if (o.edge === 'falling' || o.edge === -1) edge = -1;
        else if (o.edge === 'both' || o.edge === 0) edge = 0;
        else throw new host.realm.TypeError("'edge' in setWatch should be a string - either 'rising', 'falling' or 'both'");
      }
    } else {
      repeat = Boolean(options);
    }
    this.autoMode(n, 'input');
    const id = this.nextWatchId();
    const state = this.level(n);
    this.watches.set(id, { pin: n, callback, repeat, edge, debounceMs, state, lastTime: host.getTime(), timer: undefined, timerState: state });
    return id;
  }

  clearWatch(...args: unknown[]): void {
    if (args.length === 0 || args[0] === undefined) {
      for (const w of this.watches.values()) w.timer?.cancel();
      this.watches.clear();
      return;
    }
    const id = Number(args[0]);
    const w = this.watches.get(id);
    if (!w) throw new (this.host().realm.Error)('Unknown Watch');
    w.timer?.cancel();
    this.watches.delete(id);
  }

  private static edgeMatches(w: Watch, level: 0 | 1): boolean {
    return w.edge === 0 || (w.edge === 1 && level === 1) || (w.edge === -1 && level === 0);
  }

  private edge(n: number, level: 0 | 1, nowMs: number): void {
    const host = this.host();
    const timeS = host.getTime();
    for (const [id, w] of this.watches) {
      if (w.pin !== n) continue;
      if (w.debounceMs <= 0) {
        // Espruino queues the edge and runs the callback from its idle loop.
        host.schedule(0, () => this.fireWatch(id, w, level, timeS));
        continue;
      }
      w.timerState = level;
      if (w.timer) {
        w.timer.reschedule(nowMs + w.debounceMs);
      } else if (level !== w.state) {
        const timers = this.timers;
        if (!timers) continue;
        w.timer = timers.addDebounce(nowMs + w.debounceMs, () => {
          w.timer = undefined;
          const settled = w.timerState;
          if (settled === w.state) return;
          w.state = settled;
          // The callback gets the time of the last edge, when the pin started to settle.
          this.fireWatch(id, w, settled, (host.getTime() * 1000 - w.debounceMs) / 1000);
        });
      }
    }
  }

  private fireWatch(id: number, w: Watch, level: 0 | 1, timeS: number): void {
    if (this.watches.get(id) !== w) return;
    const lastTime = w.lastTime;
    w.lastTime = timeS;
    if (!PinBank.edgeMatches(w, level)) return;
    if (!w.repeat) this.watches.delete(id);
    const host = this.host();
    const event = guestObject(host.realm, { state: level === 1, time: timeS, lastTime, pin: this.pinObject(w.pin) });
    host.runGuest('setWatch', () => {
      if (typeof w.callback === 'string') host.realm.evaluate(w.callback);
      else (w.callback as (e: unknown) => void)(event);
    });
  }

  /** Pin objects of the current run, set by the board (Pin instances of the guest realm). */
  pinObject: (n: number) => unknown = (n) => n;

  globals(): Record<string, unknown> {
    return {
      digitalWrite: (pin: unknown, value: unknown) => {
        if (Array.isArray(pin)) {
          // The last pin in the array gets the least significant bit.
          let v = Number(value);
          for (let i = pin.length - 1; i >= 0; i--, v >>= 1) this.write(pin[i], v & 1);
        } else this.write(pin, value);
      },
      digitalRead: (pin: unknown) => {
        if (!Array.isArray(pin)) return this.read(pin);
        let v = 0;
        for (const p of pin) v = (v << 1) | this.read(p);
        return v;
      },
      pinMode: (pin: unknown, mode?: unknown, automatic?: unknown) => this.pinMode(pin, mode, automatic),
      getPinMode: (pin: unknown) => this.getPinMode(pin),
      analogRead: (pin: unknown) => this.analogRead(pin),
      analogWrite: (pin: unknown, value: unknown) => this.write(pin, Number(value) >= 0.5),
      digitalPulse: (pin: unknown, value: unknown, time: unknown) => this.pulse(pin, value, time),
      setWatch: (fn: unknown, pin: unknown, options?: unknown) => this.setWatch(fn, pin, options),
      clearWatch: (...args: unknown[]) => this.clearWatch(...args),
    };
  }
}
