/**
 * What the peripheral models (timers, pins, UARTs, I2C, Storage, E) need from the board that runs them.
 * A "run" lasts from one boot to the next reset: everything scheduled through the host belongs to
 * the current run and is dropped when the board resets (RAM and peripherals start over).
 */
import type { Scheduler } from '../contracts.ts';

/** Constructors from inside the board's vm context, so values handed to firmware are of its own realm. */
export interface GuestRealm {
  readonly global: Record<string, unknown>;
  readonly Object: ObjectConstructor;
  readonly Array: ArrayConstructor;
  readonly Uint8Array: Uint8ArrayConstructor;
  readonly ArrayBuffer: ArrayBufferConstructor;
  readonly Error: ErrorConstructor;
  readonly TypeError: ErrorConstructor;
  /** Espruino's InternalError (hardware errors such as an I2C NACK). */
  readonly InternalError: ErrorConstructor;
  readonly JSON: JSON;
  /** Evaluates code in the board's global scope (string callbacks, modules). */
  evaluate(code: string, fileName?: string): unknown;
}

export interface RuntimeHost {
  readonly scheduler: Scheduler;
  /** The realm of the current run. */
  readonly realm: GuestRealm;
  /** Seconds since the board's clock started (plus setTime's offset): Espruino's getTime(). */
  getTime(): number;
  /** Schedules work in the current run; it is dropped if the board resets first. */
  schedule(delayMs: number, fn: () => void): number;
  cancel(handle: number): void;
  /**
   * Runs firmware code from the event loop as Espruino's idle loop does: counts the board as awake,
   * reports an uncaught exception ("Uncaught Error: ...") and keeps running, runs promise jobs,
   * and performs a reboot or reset requested while the code ran.
   */
  runGuest(what: string, fn: () => void): void;
  /** runGuest from the idle loop: after whatever is running now. */
  runGuestLater(what: string, fn: () => void): void;
  /** Time the CPU is kept busy outside of callbacks (blocking I2C transfers). */
  addAwakeMs(ms: number): void;
  /** A line on the board's console. */
  print(text: string): void;
  /** Whether Espruino's console (the REPL) is on this device now (console-device.ts). */
  consoleIs(device: string): boolean;
  /** Serial.setConsole(force) on `device`. */
  setConsole(device: string, force: boolean): void;
}

export function guestObject<T extends object>(realm: GuestRealm, props: T): T {
  return realm.Object.assign(new realm.Object(), props) as T;
}

/** A guest Array (the sandbox removed Array.from, so items are pushed). */
export function guestArray<T>(realm: GuestRealm, items: Iterable<T>): T[] {
  const out = new realm.Array() as T[];
  for (const item of items) out.push(item);
  return out;
}

export function guestBytes(realm: GuestRealm, bytes: Uint8Array): Uint8Array {
  const out = new realm.Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

export function guestArrayBuffer(realm: GuestRealm, bytes: Uint8Array): ArrayBuffer {
  return guestBytes(realm, bytes).buffer as ArrayBuffer;
}

/** A minimal event emitter with Espruino's method names (on, addListener, removeListener, removeAllListeners, emit). */
export class Emitter {
  private readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();

  on(event: string, fn: (...args: unknown[]) => void): void {
    if (typeof fn !== 'function') return;
    const list = this.listeners.get(event) ?? [];
    list.push(fn);
    this.listeners.set(event, list);
  }

  removeListener(event: string, fn: unknown): void {
    const list = this.listeners.get(event);
    if (!list) return;
    const i = list.indexOf(fn as (...args: unknown[]) => void);
    if (i >= 0) list.splice(i, 1);
  }

  removeAllListeners(event?: string): void {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
  }

  count(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Calls the listeners in order; returns whether there were any. Exceptions propagate to the caller. */
  emit(thisArg: unknown, event: string, ...args: unknown[]): boolean {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const fn of [...list]) fn.apply(thisArg, args);
    return true;
  }

  /** The Espruino-facing methods, bound to a target object. */
  methodsFor(target: object): Record<string, unknown> {
    return {
      on: (event: string, fn: (...args: unknown[]) => void) => this.on(String(event), fn),
      addListener: (event: string, fn: (...args: unknown[]) => void) => this.on(String(event), fn),
      removeListener: (event: string, fn: unknown) => this.removeListener(String(event), fn),
      removeAllListeners: (event?: string) => this.removeAllListeners(event === undefined ? undefined : String(event)),
      emit: (event: string, ...args: unknown[]) => {
        this.emit(target, String(event), ...args);
      },
    };
  }
}
