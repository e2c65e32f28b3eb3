/**
 * Built-ins that have to live inside the board's vm context (so firmware sees objects of its own realm):
 * InternalError, Pin, a Promise whose jobs run on the board's event loop, a Date on the virtual clock in
 * Espruino's time zone (UTC unless E.setTimeZone), and a seeded Math.random.
 * This source runs in V8 (not on Espruino), so it may use any syntax V8 has.
 */
import vm from 'node:vm';

export interface GuestHooks {
  queueJob(job: () => void): void;
  trackRejection(promise: object, reason: unknown): void;
  random(): number;
  /** Milliseconds since 1970 on the board's clock. */
  dateNowMs(): number;
  /** Minutes east of UTC (E.setTimeZone). */
  tzMinutes(): number;
  pinRead(n: number): number;
  pinWrite(n: number, value: unknown): void;
  pinMode(n: number, mode: unknown): void;
  pinGetMode(n: number): string | undefined;
  pinByValue(value: unknown): unknown;
}

export interface GuestBuiltins {
  InternalError: ErrorConstructor;
  Pin: (value: unknown) => unknown;
  makePin(n: number, name: string): object;
  /** Whether a promise from this realm has a rejection handler by now. */
  isHandled(promise: object): boolean;
}

const SETUP_SOURCE = String.raw`(function (hooks) {
  'use strict';
  var G = this;

  class InternalError extends Error {}
  Object.defineProperty(InternalError.prototype, 'name', { value: 'InternalError', writable: true, configurable: true });

  // ---- Promise: then/catch/resolve/reject/all as Espruino has them; adopts only promises and own-"then" thenables
  const PENDING = 0, FULFILLED = 1, REJECTED = 2;
  function isOwnThenable(x) {
    return x !== null && (typeof x === 'object' || typeof x === 'function') &&
      Object.prototype.hasOwnProperty.call(x, 'then') && typeof x.then === 'function';
  }
  function internals(p) { return p.__espruinoPromise; }
  class Promise {
    constructor(executor) {
      if (typeof executor !== 'function') throw new TypeError('Executor function required in promise constructor');
      Object.defineProperty(this, '__espruinoPromise', { value: { state: PENDING, value: undefined, reactions: [], handled: false } });
      const s = settlers(this);
      try { executor(s.resolve, s.reject); } catch (e) { s.reject(e); }
    }
    then(onFulfilled, onRejected) {
      const child = new Promise(function () {});
      const me = internals(this);
      me.handled = true;
      const reaction = { child: child, onFulfilled: onFulfilled, onRejected: onRejected };
      if (me.state === PENDING) me.reactions.push(reaction);
      else react(this, reaction);
      return child;
    }
    catch(onRejected) { return this.then(undefined, onRejected); }
    static resolve(value) {
      if (value instanceof Promise) return value;
      return new Promise(function (resolve) { resolve(value); });
    }
    static reject(reason) { return new Promise(function (_, reject) { reject(reason); }); }
    static all(items) {
      return new Promise(function (resolve, reject) {
        const results = [];
        let remaining = items.length;
        if (remaining === 0) { resolve(results); return; }
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          const store = function (v) { results[i] = v; if (--remaining === 0) resolve(results); };
          if (item instanceof Promise) item.then(store, reject);
          else store(item);
        }
      });
    }
  }
  function settlers(p) {
    let done = false;
    return {
      resolve: function (v) { if (!done) { done = true; resolveWith(p, v); } },
      reject: function (e) { if (!done) { done = true; settle(p, REJECTED, e); } },
    };
  }
  function resolveWith(p, v) {
    if (v === p) { settle(p, REJECTED, new TypeError('Promise resolved with itself')); return; }
    if (v instanceof Promise || isOwnThenable(v)) {
      const s = settlers(p);
      hooks.queueJob(function () {
        try { v.then(s.resolve, s.reject); } catch (e) { s.reject(e); }
      });
      return;
    }
    settle(p, FULFILLED, v);
  }
  function settle(p, newState, value) {
    const me = internals(p);
    me.state = newState;
    me.value = value;
    const reactions = me.reactions;
    me.reactions = [];
    for (const r of reactions) react(p, r);
    if (newState === REJECTED && !me.handled) hooks.trackRejection(p, value);
  }
  function react(p, r) {
    hooks.queueJob(function () {
      const me = internals(p);
      const handler = me.state === FULFILLED ? r.onFulfilled : r.onRejected;
      const s = settlers(r.child);
      if (typeof handler !== 'function') {
        if (me.state === FULFILLED) s.resolve(me.value); else s.reject(me.value);
        return;
      }
      let result;
      try { result = handler(me.value); } catch (e) { s.reject(e); return; }
      s.resolve(result);
    });
  }

  // ---- Date on the board's clock, local time = UTC + E.setTimeZone offset
  const RealDate = G.Date;
  const tzMs = function () { return hooks.tzMinutes() * 60000; };
  const hostOffsetMs = function (t) { return new RealDate(t).getTimezoneOffset() * 60000; };
  function parseDate(text) {
    const s = String(text);
    const t = RealDate.parse(s);
    if (isNaN(t)) return t;
    if (/^\d{4}-\d\d-\d\d$/.test(s) || /(Z|[+-]\d\d:?\d\d|GMT|UTC)\s*$/i.test(s)) return t;
    // V8 read the fields as the host's local time; Espruino reads them in its own time zone.
    return t - hostOffsetMs(t) - tzMs();
  }
  class Date extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(hooks.dateNowMs());
      else if (args.length === 1 && typeof args[0] === 'string') super(parseDate(args[0]));
      else if (args.length === 1) super(args[0] instanceof RealDate ? args[0].getTime() : args[0]);
      else super(RealDate.UTC(...args) - tzMs());
    }
    static now() { return hooks.dateNowMs(); }
    static parse(text) { return parseDate(text); }
    getTimezoneOffset() { return -hooks.tzMinutes(); }
    toString() {
      const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      const pad = function (n) { return (n < 10 ? '0' : '') + n; };
      const tz = hooks.tzMinutes();
      const tzText = (tz < 0 ? '-' : '+') + pad(Math.floor(Math.abs(tz) / 60)) + pad(Math.abs(tz) % 60);
      return days[this.getDay()] + ' ' + months[this.getMonth()] + ' ' + this.getDate() + ' ' + this.getFullYear() + ' ' +
        pad(this.getHours()) + ':' + pad(this.getMinutes()) + ':' + pad(this.getSeconds()) + ' GMT' + tzText;
    }
    toLocaleString() { return this.toString(); }
    toLocaleDateString() { return this.toString(); }
    toLocaleTimeString() { return this.toString(); }
  }
  Date.UTC = RealDate.UTC;
  for (const part of ['FullYear', 'Month', 'Date', 'Day', 'Hours', 'Minutes', 'Seconds', 'Milliseconds']) {
    Date.prototype['get' + part] = function () { return new RealDate(this.getTime() + tzMs())['getUTC' + part](); };
    if (part === 'Day') continue;
    Date.prototype['set' + part] = function (...args) {
      const shifted = new RealDate(this.getTime() + tzMs());
      shifted['setUTC' + part](...args);
      return this.setTime(shifted.getTime() - tzMs());
    };
  }

  // ---- Pins: one object per pin, equal to its number, printing as its name
  function Pin(value) { return hooks.pinByValue(value); }
  Object.assign(Pin.prototype, {
    read: function () { return hooks.pinRead(this.valueOf()) === 1; },
    write: function (v) { hooks.pinWrite(this.valueOf(), v); },
    set: function () { hooks.pinWrite(this.valueOf(), 1); },
    reset: function () { hooks.pinWrite(this.valueOf(), 0); },
    toggle: function () {
      const next = hooks.pinRead(this.valueOf()) ? 0 : 1;
      hooks.pinWrite(this.valueOf(), next);
      return next === 1;
    },
    mode: function (m) { hooks.pinMode(this.valueOf(), m); },
    getMode: function () { return hooks.pinGetMode(this.valueOf()); },
  });
  function makePin(n, name) {
    const p = Object.create(Pin.prototype);
    Object.defineProperty(p, 'valueOf', { value: function () { return n; } });
    Object.defineProperty(p, 'toString', { value: function () { return name; } });
    Object.defineProperty(p, 'getInfo', { value: function () { return { num: n, name: name }; } });
    return p;
  }

  G.InternalError = InternalError;
  G.Promise = Promise;
  G.Date = Date;
  G.Pin = Pin;
  G.Math.random = hooks.random;
  return {
    InternalError: InternalError,
    Pin: Pin,
    makePin: makePin,
    isHandled: function (p) { return p.__espruinoPromise ? p.__espruinoPromise.handled : true; },
  };
})`;

export function installGuestBuiltins(context: vm.Context, hooks: GuestHooks): GuestBuiltins {
  const install = vm.runInContext(SETUP_SOURCE, context, { filename: 'espruino-runtime-setup.js' }) as (
    this: unknown,
    hooks: GuestHooks,
  ) => GuestBuiltins;
  const global = vm.runInContext('this', context) as unknown;
  return install.call(global, hooks);
}
