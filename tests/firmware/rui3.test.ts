/**
 * The RUI3 driver against a scripted fake RAK3172 that answers as shared/reference/rak-rui3-at.md says, on vitest's
 * virtual clock.
 */
import { bundleFirmwareModule } from '../support/firmware-module.ts';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SerialPort, Timers } from '../../firmware/drivers/at-line.ts';
import type { LoRaWanSettings, Modem, ModemError, P2PPacket, SendResult } from '../../firmware/drivers/modem.ts';
import * as rui3 from '../../firmware/drivers/rui3.ts';
import type { Rui3Options } from '../../firmware/drivers/rui3.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const DEV_EUI = 'AC1F09FFFE000001';
const APP_EUI = '0000000000000000';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const APP_S_KEY = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
const NWK_S_KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';

const OTAA: LoRaWanSettings = {
  band: 'EU868',
  activation: 'otaa',
  devEui: DEV_EUI,
  appEui: APP_EUI,
  appKey: APP_KEY,
  dataRate: 5,
  adr: false,
  confirmed: false,
  deviceClass: 'A',
};

/** Reply delay of the fake; join, send and receive events come later, as on the air. */
const REPLY_MS = 5;
const JOIN_EVENT_MS = 6000;
const TX_EVENT_MS = 2000;
const BOOT_MS = 300;

const KEY_LENGTHS: Record<string, number> = { DEVEUI: 16, APPEUI: 16, APPKEY: 32, DEVADDR: 8, APPSKEY: 32, NWKSKEY: 32 };

type Handler = (command: string) => boolean;

/** A RAK3172 with RUI3 firmware, as far as the driver needs one. Tests script deviations with `override`. */
class FakeRak3172 implements SerialPort {
  /** Every command line written, with the virtual time it arrived. */
  log: { at: number; line: string }[] = [];
  mute = false;
  workMode = 1;
  joined = false;
  /** Outcome of each join request in turn ('JOINED', 'JOIN_FAILED_RX_TIMEOUT', ...); JOINED when empty. */
  joinOutcomes: string[] = [];
  confirmedMode = false;
  values: Record<string, string> = {};
  /** The retries field of every AT+JOIN. */
  joinCommands: string[] = [];
  hardResets = 0;
  private listener: ((data: string) => void) | undefined;
  private overrides: { pattern: RegExp; handler: Handler; once: boolean }[] = [];

  on(_event: 'data', listener: (data: string) => void): void {
    this.listener = listener;
  }

  write(data: string): void {
    for (const line of data.split(/[\r\n]+/)) {
      if (line === '') continue;
      this.log.push({ at: Date.now(), line });
      if (!this.mute) this.handle(line);
    }
  }

  /** Sends lines to the board after delayMs. */
  emit(lines: string[], delayMs = REPLY_MS): void {
    setTimeout(() => this.raw(lines.map((l) => l + '\r\n').join('')), delayMs);
  }

  raw(data: string): void {
    if (this.listener && !this.mute) this.listener(data);
  }

  override(pattern: RegExp, handler: Handler, once = true): void {
    this.overrides.push({ pattern, handler, once });
  }

  /** The board pulls the reset pin: the module restarts (and, in these tests, works again). */
  hardReset = (): void => {
    this.hardResets++;
    this.mute = false;
    this.reboot();
  };

  commands(): string[] {
    return this.log.map((entry) => entry.line);
  }

  private reboot(): void {
    this.joined = false;
    this.emit(['', 'RAKwireless RAK3172-E Example', '------------------------------------------------------',
      'Current Work Mode: ' + (this.workMode === 0 ? 'LoRa P2P.' : 'LoRaWAN.')], BOOT_MS);
  }

  private handle(line: string): void {
    for (let i = 0; i < this.overrides.length; i++) {
      const o = this.overrides[i]!;
      if (!o.pattern.test(line)) continue;
      if (o.once) this.overrides.splice(i, 1);
      if (o.handler(line)) return;
      break;
    }
    const up = line.toUpperCase();
    let m: RegExpExecArray | null;
    if (up === 'AT') return this.emit(['OK']);
    if (up === 'ATZ') return this.reboot();
    if (up === 'AT+NWM=?') return this.emit(['AT+NWM=' + this.workMode, 'OK']);
    if ((m = /^AT\+LPM=([01])$/.exec(up))) {
      this.values.LPM = m[1]!;
      return this.emit(['OK']);
    }
    if ((m = /^AT\+NWM=([0-2])$/.exec(up))) {
      this.workMode = Number(m[1]);
      this.emit(['OK']);
      return this.reboot();
    }
    if ((m = /^AT\+(DEVEUI|APPEUI|APPKEY|DEVADDR|APPSKEY|NWKSKEY)=(.*)$/.exec(up))) {
      const [, name, value] = m as unknown as [string, string, string];
      if (value === '?') return this.emit(['AT+' + name + '=' + (this.values[name] ?? '0'.repeat(KEY_LENGTHS[name]!)), 'OK']);
      if (value.length !== KEY_LENGTHS[name] || !/^[0-9A-F]+$/.test(value)) return this.emit(['AT_PARAM_ERROR']);
      this.values[name] = value;
      return this.emit(['OK']);
    }
    if ((m = /^AT\+(BAND|NJM|CLASS|ADR|DR|CFM)=(.+)$/.exec(up))) {
      const [, name, value] = m as unknown as [string, string, string];
      if (this.workMode !== 1) return this.emit(['AT_MODE_NO_SUPPORT']);
      const ranges: Record<string, RegExp> = { BAND: /^([0-9]|1[0-2])$/, NJM: /^[01]$/, CLASS: /^[ABC]$/, ADR: /^[01]$/, DR: /^[0-7]$/, CFM: /^[01]$/ };
      if (!ranges[name]!.test(value)) return this.emit(['AT_PARAM_ERROR']);
      this.values[name] = value;
      if (name === 'CFM') this.confirmedMode = value === '1';
      return this.emit(['OK']);
    }
    if ((m = /^AT\+JOIN=1:0:([0-9]+):([0-9]+)$/.exec(up))) {
      const interval = Number(m[1]);
      const attempts = Number(m[2]) + 1; // RUI3: the last field counts retries
      this.joinCommands.push(m[2]!);
      this.emit(['OK']);
      for (let k = 0; k < attempts; k++) {
        const outcome = this.joinOutcomes.shift() ?? 'JOINED';
        setTimeout(() => {
          if (outcome === 'JOINED') this.joined = true;
          this.raw('+EVT:' + outcome + '\r\n');
        }, JOIN_EVENT_MS + k * interval * 1000);
        if (outcome === 'JOINED') break;
      }
      return;
    }
    if ((m = /^AT\+SEND=([0-9]+):([0-9A-F]*)$/.exec(up))) {
      const port = Number(m[1]);
      const hex = m[2]!;
      if (port < 1 || port > 223 || hex.length < 2 || hex.length > 500 || hex.length % 2 !== 0) return this.emit(['AT_PARAM_ERROR']);
      if (!this.joined) return this.emit(['AT_NO_NETWORK_JOINED']);
      this.emit(['OK']);
      return this.emit([this.confirmedMode ? '+EVT:SEND_CONFIRMED_OK' : '+EVT:TX_DONE'], TX_EVENT_MS);
    }
    if ((m = /^AT\+P2P=(.+)$/.exec(up))) {
      if (this.workMode !== 0) return this.emit(['AT_MODE_NO_SUPPORT']);
      const [freq, sf, bw, cr, preamble, power] = m[1]!.split(':').map(Number) as number[];
      const ok = freq! >= 150e6 && freq! <= 960e6 && sf! >= 5 && sf! <= 12 && [125, 250, 500].includes(bw!) && cr! >= 0 && cr! <= 3 && preamble! >= 5 && power! >= 5 && power! <= 22;
      if (!ok) return this.emit(['AT_PARAM_ERROR']);
      this.values.P2P = m[1]!;
      return this.emit(['OK']);
    }
    if (/^AT\+PSEND=[0-9A-F]+$/.test(up)) {
      this.emit(['OK']);
      return this.emit(['+EVT:TXP2P DONE'], 400);
    }
    if ((m = /^AT\+PRECV=([0-9]+)$/.exec(up))) {
      const n = Number(m[1]);
      this.emit(['OK']);
      if (n > 0 && n < 65533) this.emit(['+EVT:RXP2P RECEIVE TIMEOUT'], n);
      return;
    }
    if (/^AT\+SLEEP=[1-9][0-9]*$/.test(up)) return this.emit(['OK']);
    this.emit(['AT_COMMAND_NOT_FOUND']);
  }
}

/** Byte arrays as plain number arrays, so values from the sandbox's realm compare equal to this one's. */
function plain(value: unknown): unknown {
  if (Object.prototype.toString.call(value) === '[object Uint8Array]') return Array.from(value as Uint8Array);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/** Records a callback's calls. */
function recorder<T>(): { cb: (err: ModemError | null, result?: T) => void; calls: [ModemError | null, T | undefined][] } {
  const calls: [ModemError | null, T | undefined][] = [];
  return { cb: (err, result) => calls.push([err, result]), calls };
}

const bundleDriver = (): Promise<string> => bundleFirmwareModule('firmware/drivers/rui3.ts');

describe('the driver bundle', () => {
  it('passes the Espruino compatibility check', async () => {
    expect(checkEspruinoCompat(await bundleDriver(), { sourceType: 'module' })).toEqual([]);
  });
});

type Rui3Module = typeof rui3;
const IMPLEMENTATIONS: [string, () => Promise<Rui3Module>][] = [
  ['TypeScript module in Node', () => Promise.resolve(rui3)],
  ['bundle in the Espruino sandbox', () => bundleDriver().then((code) => loadEspruinoModule(code, {}, 'rui3.js') as unknown as Rui3Module)],
];

describe.each(IMPLEMENTATIONS)('RUI3 modem driver: %s', (_name, load) => {
  let impl: Rui3Module;
  let fake: FakeRak3172;
  let logs: string[];

  beforeAll(async () => {
    impl = await load();
  });
  beforeEach(() => {
    vi.useFakeTimers();
    fake = new FakeRak3172();
    logs = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function modem(options: Rui3Options = {}): Modem {
    return impl.connect(fake, timers, { log: (level, message) => logs.push(level + ' ' + message), random: () => 0.5, ...options });
  }

  /** A modem configured for OTAA and joined, with the fake's command log cleared. */
  function joinedModem(options: Rui3Options = {}): Modem {
    const m = modem(options);
    const done = recorder<void>();
    m.configure(OTAA, () => m.join({}, done.cb));
    vi.advanceTimersByTime(JOIN_EVENT_MS + 1000);
    expect(done.calls).toEqual([[null, undefined]]);
    fake.log = [];
    return m;
  }

  describe('configuration', () => {
    it('writes band, join mode, keys, class, ADR, data rate and confirmation in order', () => {
      const m = modem();
      const r = recorder<void>();
      m.configure(OTAA, r.cb);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(fake.commands()).toEqual([
        'AT+NWM=?',
        'AT+BAND=4',
        'AT+NJM=1',
        'AT+DEVEUI=' + DEV_EUI,
        'AT+APPEUI=' + APP_EUI,
        'AT+APPKEY=' + APP_KEY,
        'AT+CLASS=A',
        'AT+ADR=0',
        'AT+DR=5',
        'AT+CFM=0',
        'AT+LPM=1',
      ]);
      expect(fake.values).toMatchObject({ BAND: '4', NJM: '1', APPKEY: APP_KEY, DR: '5', ADR: '0', LPM: '1' });
    });

    it('goes on when the module has no low-power mode (AT+LPM unknown to older RUI3)', () => {
      fake.override(/^AT\+LPM=/, () => (fake.emit(['AT_COMMAND_NOT_FOUND']), true));
      const m = modem();
      const r = recorder<void>();
      m.configure(OTAA, r.cb);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(fake.commands().slice(-2)).toEqual(['AT+CFM=0', 'AT+LPM=1']);
    });

    it('switches a module in P2P mode to LoRaWAN and waits for its banner first', () => {
      fake.workMode = 0;
      const m = modem();
      const r = recorder<void>();
      m.configure({ band: 'AS923-3', activation: 'abp', devAddr: '260B1234', appSKey: APP_S_KEY, nwkSKey: NWK_S_KEY }, r.cb);
      vi.advanceTimersByTime(2000);
      expect(r.calls).toEqual([[null, undefined]]);
      const cmds = fake.commands();
      expect(cmds.slice(0, 4)).toEqual(['AT+NWM=?', 'AT+NWM=1', 'AT+BAND=10', 'AT+NJM=0']);
      const switched = fake.log[1]!.at;
      expect(fake.log[2]!.at - switched).toBeGreaterThanOrEqual(BOOT_MS);
      expect(cmds).toContain('AT+DEVADDR=260B1234');
    });

    it('rejects malformed settings without writing anything', () => {
      const m = modem();
      const r = recorder<void>();
      m.configure({ ...OTAA, appKey: 'XYZ' }, r.cb);
      m.configure({ ...OTAA, band: 'EU999' as never }, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([
        ['param', undefined],
        ['param', undefined],
      ]);
      expect(fake.commands()).toEqual([]);
    });

    it('stops at the first value the module refuses', () => {
      const m = modem();
      const r = recorder<void>();
      m.configure({ ...OTAA, dataRate: 9 }, r.cb);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([['param', undefined]]);
      expect(fake.commands().slice(-2)).toEqual(['AT+ADR=0', 'AT+DR=9']);
    });

    it('reports AT_MODE_NO_SUPPORT as mode', () => {
      const m = modem();
      const r = recorder<void>();
      m.configure(OTAA, r.cb);
      fake.override(/^AT\+NWM=\?$/, () => (fake.emit(['AT+NWM=1', 'OK']), true));
      fake.override(/^AT\+BAND=/, () => (fake.emit(['AT_MODE_NO_SUPPORT']), true));
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([['mode', undefined]]);
    });
  });

  describe('join', () => {
    it('joins with one AT+JOIN and the +EVT:JOINED event', () => {
      const m = modem();
      const r = recorder<void>();
      m.configure(OTAA, () => undefined);
      m.join({}, r.cb);
      vi.advanceTimersByTime(JOIN_EVENT_MS - 100);
      expect(r.calls).toEqual([]);
      expect(m.isJoined()).toBe(false);
      vi.advanceTimersByTime(200);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(m.isJoined()).toBe(true);
      expect(fake.commands()).toContain('AT+JOIN=1:0:8:0');
    });

    it('backs off exponentially with jitter between failed rounds, then reports no_network', () => {
      fake.joinOutcomes = ['JOIN_FAILED_RX_TIMEOUT', 'JOIN FAILED', 'JOIN_FAILED_TX_TIMEOUT'];
      const m = modem({ random: () => 0.5 });
      const r = recorder<void>();
      m.join({ rounds: 3, backoffBaseMs: 10000 }, r.cb);
      vi.advanceTimersByTime(60000);
      expect(r.calls).toEqual([['no_network', undefined]]);
      const joins = fake.log.filter((e) => e.line.indexOf('AT+JOIN=') === 0).map((e) => e.at);
      expect(joins).toHaveLength(3);
      // round n waits d/2 + random * d/2 with d = 10 s * 2^n: 7.5 s, then 15 s (random 0.5), after the 6 s attempt
      expect(joins[1]! - joins[0]!).toBe(JOIN_EVENT_MS + REPLY_MS * 0 + 7500);
      expect(joins[2]! - joins[1]!).toBe(JOIN_EVENT_MS + 15000);
    });

    it('spreads the backoff with the random source and caps it at backoffMaxMs', () => {
      const spacing = (random: number): number => {
        fake = new FakeRak3172();
        fake.joinOutcomes = ['JOIN_FAILED_RX_TIMEOUT'];
        const m = modem({ random: () => random });
        m.join({ rounds: 2, backoffBaseMs: 10000, backoffMaxMs: 8000 }, () => undefined);
        vi.advanceTimersByTime(60000);
        const joins = fake.log.filter((e) => e.line.indexOf('AT+JOIN=') === 0).map((e) => e.at);
        return joins[1]! - joins[0]! - JOIN_EVENT_MS;
      };
      expect(spacing(0)).toBe(4000);
      expect(spacing(0.999)).toBe(7996);
    });

    it('waits at least the Restricted_Wait time before the next round', () => {
      const m = modem();
      const r = recorder<void>();
      fake.override(/^AT\+JOIN=/, () => (fake.emit(['Restricted_Wait_45000_ms', 'AT_BUSY_ERROR']), true));
      m.join({ backoffBaseMs: 1000 }, r.cb);
      vi.advanceTimersByTime(44000);
      expect(fake.commands().filter((c) => c.indexOf('AT+JOIN=') === 0)).toHaveLength(1);
      vi.advanceTimersByTime(2000 + JOIN_EVENT_MS);
      expect(fake.commands().filter((c) => c.indexOf('AT+JOIN=') === 0)).toHaveLength(2);
      expect(r.calls).toEqual([[null, undefined]]);
    });

    it('makes attemptsPerRound requests per round: the last AT+JOIN field counts retries, as in RUI3', () => {
      fake.joinOutcomes = Array(6).fill('JOIN_FAILED_RX_TIMEOUT');
      const m = modem();
      const r = recorder<void>();
      m.join({ rounds: 2, attemptsPerRound: 3, retryIntervalS: 10, backoffBaseMs: 2000 }, r.cb);
      vi.advanceTimersByTime(JOIN_EVENT_MS + 2 * 10000 + 100);
      expect(fake.joinCommands).toEqual(['2']); // the round's third failure has just come
      vi.advanceTimersByTime(2000);
      expect(fake.joinCommands).toEqual(['2', '2']); // the next round starts only after it
      const joins = fake.log.filter((e) => e.line.indexOf('AT+JOIN=') === 0).map((e) => e.at);
      expect(joins[1]! - joins[0]!).toBe(JOIN_EVENT_MS + 2 * 10000 + 1500);
      vi.advanceTimersByTime(JOIN_EVENT_MS + 2 * 10000);
      expect(r.calls).toEqual([['no_network', undefined]]);
      expect(fake.commands()).toEqual(['AT+JOIN=1:0:10:2', 'AT+JOIN=1:0:10:2']);
    });

    it('tries 5 rounds by default, 15 s, 30 s, 60 s and 120 s apart (random 0.5: three quarters of that)', () => {
      fake.joinOutcomes = Array(5).fill('JOIN_FAILED_RX_TIMEOUT');
      const m = modem();
      const r = recorder<void>();
      m.join({}, r.cb);
      vi.advanceTimersByTime(400000);
      expect(r.calls).toEqual([['no_network', undefined]]);
      const joins = fake.log.filter((e) => e.line.indexOf('AT+JOIN=') === 0).map((e) => e.at);
      expect(joins.slice(1).map((t, i) => t - joins[i]! - JOIN_EVENT_MS)).toEqual([11250, 22500, 45000, 90000]);
    });

    it('ends a round early when a retry hits the duty cycle (the module prints Restricted_Wait and stops)', () => {
      const m = modem();
      const r = recorder<void>();
      fake.override(/^AT\+JOIN=/, () => {
        fake.emit(['OK']);
        fake.emit(['+EVT:JOIN_FAILED_RX_TIMEOUT'], JOIN_EVENT_MS);
        fake.emit(['Restricted_Wait_30000_ms'], JOIN_EVENT_MS + 8000);
        return true;
      });
      m.join({ attemptsPerRound: 3, backoffBaseMs: 1000 }, r.cb);
      vi.advanceTimersByTime(JOIN_EVENT_MS + 8000 + 29000);
      expect(fake.commands()).toHaveLength(1);
      vi.advanceTimersByTime(2000 + JOIN_EVENT_MS);
      expect(fake.commands()).toEqual(['AT+JOIN=1:0:8:2', 'AT+JOIN=1:0:8:2']);
      expect(r.calls).toEqual([[null, undefined]]);
    });

    it('fails with timeout when no join event comes in time, and probes the modem', () => {
      const m = modem();
      const r = recorder<void>();
      fake.override(/^AT\+JOIN=/, () => (fake.emit(['OK']), true));
      m.join({}, r.cb);
      vi.advanceTimersByTime(15000);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([['timeout', undefined]]);
      expect(fake.commands()).toEqual(['AT+JOIN=1:0:8:0', 'AT']);
      expect(m.stats().timeouts).toBe(1);
    });

    it('activates ABP on OK without waiting for an event', () => {
      const m = modem();
      const r = recorder<void>();
      m.configure({ band: 'EU868', activation: 'abp', devAddr: '260B1234', appSKey: APP_S_KEY, nwkSKey: NWK_S_KEY }, () => undefined);
      fake.override(/^AT\+JOIN=/, () => (fake.emit(['OK']), true));
      m.join({}, r.cb);
      vi.advanceTimersByTime(500);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(m.isJoined()).toBe(true);
    });
  });

  describe('send', () => {
    it('sends unconfirmed and completes on +EVT:TX_DONE', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      m.send(2, new Uint8Array([0x01, 0x02, 0xab]), {}, r.cb);
      vi.advanceTimersByTime(TX_EVENT_MS);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(500);
      expect(r.calls).toEqual([[null, {}]]);
      expect(fake.commands()).toEqual(['AT+SEND=2:0102AB']);
    });

    it('sends confirmed (switching AT+CFM) and reports the acknowledgement', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      m.send(3, [0x10], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(3000);
      expect(r.calls).toEqual([[null, { confirmed: true }]]);
      expect(fake.commands()).toEqual(['AT+CFM=1', 'AT+SEND=3:10']);
      m.send(3, [0x11], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(3000);
      expect(fake.commands()).toEqual(['AT+CFM=1', 'AT+SEND=3:10', 'AT+SEND=3:11']);
    });

    it('reports send_failed when no acknowledgement came, and accepts the v3 spelling of success', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['OK']), fake.emit(['+EVT:SEND_CONFIRMED_FAILED(4)'], 8000), true));
      m.send(3, [0x10], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(9000);
      fake.override(/^AT\+SEND=/, () => (fake.emit(['OK']), fake.emit(['+EVT: SEND CONFIRMED OK'], 3000), true));
      m.send(3, [0x11], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(4000);
      expect(r.calls).toEqual([
        ['send_failed', { confirmed: false }],
        [null, { confirmed: true }],
      ]);
    });

    it('leaves port and length ranges to the module: its AT_PARAM_ERROR is param', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      m.send(0, [1], {}, r.cb);
      m.send(224, [1], {}, r.cb);
      m.send(1, [], {}, r.cb);
      m.send(1, new Uint8Array(251), {}, r.cb); // over DR5's 242 bytes: refused before writing
      vi.advanceTimersByTime(100);
      expect(r.calls.map((c) => c[0])).toEqual(['param', 'param', 'param', 'param']);
      expect(fake.commands()).toEqual(['AT+SEND=0:01', 'AT+SEND=224:01', 'AT+SEND=1:']);
    });

    it('refuses a payload too long for the configured data rate without sending it (RUI3 would send an empty frame)', () => {
      const m = modem();
      m.configure({ ...OTAA, dataRate: 3 }, () => undefined); // DR3: 115 bytes
      m.join({}, () => undefined);
      vi.advanceTimersByTime(JOIN_EVENT_MS + 1000);
      fake.log = [];
      const r = recorder<SendResult>();
      m.send(2, new Uint8Array(116), {}, r.cb);
      m.send(2, new Uint8Array(115), {}, r.cb);
      vi.advanceTimersByTime(TX_EVENT_MS + 500);
      expect(r.calls).toEqual([
        ['param', {}],
        [null, {}],
      ]);
      expect(fake.commands().map((c) => c.length)).toEqual(['AT+SEND=2:'.length + 230]);
    });

    it('with ADR on, or the data rate left to the module, allows the 51 bytes DR0 carries', () => {
      const sizes = (settings: LoRaWanSettings): (ModemError | null)[] => {
        fake = new FakeRak3172();
        const m = modem();
        const r = recorder<SendResult>();
        m.configure(settings, () => m.join({}, () => undefined));
        vi.advanceTimersByTime(JOIN_EVENT_MS + 1000);
        m.send(2, new Uint8Array(52), {}, r.cb);
        m.send(2, new Uint8Array(51), {}, r.cb);
        vi.advanceTimersByTime(2 * TX_EVENT_MS + 1000);
        return r.calls.map((c) => c[0]);
      };
      expect(sizes({ ...OTAA, adr: true })).toEqual(['param', null]);
      expect(sizes({ ...OTAA, adr: false, dataRate: undefined })).toEqual(['param', null]);
      expect(sizes({ ...OTAA, adr: false, dataRate: 5 })).toEqual([null, null]);
      expect(sizes({ ...OTAA, band: 'US915', adr: true })).toEqual([null, null]); // EU868's table only
    });

    it('waits for the events only after the command is answered: an earlier stray event is not this send\'s', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['+EVT:TX_DONE', 'OK']), fake.emit(['+EVT:TX_DONE'], TX_EVENT_MS), true));
      m.send(2, [1], {}, r.cb);
      vi.advanceTimersByTime(TX_EVENT_MS - 100);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(400);
      expect(r.calls).toEqual([[null, {}]]);
    });

    it('times out when the completion event never comes: 20 s unconfirmed, 60 s confirmed', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['OK']), true));
      fake.override(/^AT\+SEND=/, () => (fake.emit(['OK']), true));
      m.send(2, [1], {}, r.cb);
      vi.advanceTimersByTime(19900);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(200);
      expect(r.calls).toEqual([['timeout', {}]]);
      m.send(2, [1], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(1000 + 59000);
      expect(r.calls).toHaveLength(1);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([
        ['timeout', {}],
        ['timeout', {}],
      ]);
    });

    it('reports busy, and restricted with the wait the duty cycle demands', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['AT_BUSY_ERROR']), true));
      m.send(2, [1, 2], {}, r.cb);
      fake.override(/^AT\+SEND=/, () => (fake.emit(['Restricted_Wait_21345_ms', 'AT_BUSY_ERROR']), true));
      m.send(2, [1, 2], {}, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([
        ['busy', {}],
        ['restricted', { waitMs: 21345 }],
      ]);
    });

    it('reports the payload-too-long AT_PARAM_ERROR as param', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['AT_PARAM_ERROR']), true));
      m.send(2, new Uint8Array(100), {}, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([['param', {}]]);
    });

    it('rejoins after AT_NO_NETWORK_JOINED; the next send works', () => {
      const m = joinedModem();
      fake.joined = false; // the module lost its session
      const r = recorder<SendResult>();
      m.send(2, [1, 2], {}, r.cb);
      m.send(2, [3, 4], {}, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([['not_joined', {}]]);
      expect(m.isJoined()).toBe(false);
      vi.advanceTimersByTime(JOIN_EVENT_MS + TX_EVENT_MS + 1000);
      expect(r.calls).toEqual([
        ['not_joined', {}],
        [null, {}],
      ]);
      expect(fake.commands()).toEqual(['AT+SEND=2:0102', 'AT+JOIN=1:0:8:0', 'AT+SEND=2:0304']);
      expect(m.isJoined()).toBe(true);
    });
  });

  describe('robustness', () => {
    it('keeps working when an app callback throws', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      m.send(2, [1], {}, () => {
        throw new Error('app bug');
      });
      m.send(2, [2], {}, r.cb);
      vi.advanceTimersByTime(2 * (TX_EVENT_MS + 500));
      expect(r.calls).toEqual([[null, {}]]);
      expect(logs.some((l) => l.indexOf('error app callback threw: Error: app bug') === 0)).toBe(true);
    });

    it('notices a banner nobody asked for: the module restarted and lost its session', () => {
      const m = joinedModem();
      expect(m.isJoined()).toBe(true);
      fake.raw('Current Work Mode: LoRaWAN.\r\n');
      expect(m.isJoined()).toBe(false);
    });
  });

  describe('downlinks', () => {
    const RX = '+EVT:RX_1:-70:8:UNICAST:10:0a0b0c';

    it('attaches a downlink printed before TX_DONE to the send result and tells the listeners', () => {
      const m = joinedModem();
      const heard: unknown[][] = [];
      m.onDownlink((...args) => heard.push(args));
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['OK']), fake.emit([RX, '+EVT:TX_DONE'], 1500), true));
      m.send(2, [1], {}, r.cb);
      vi.advanceTimersByTime(1600);
      const downlink = { port: 10, bytes: [10, 11, 12], rssi: -70, snr: 8 };
      expect(plain(r.calls)).toEqual([[null, { downlink }]]);
      expect(plain(heard)).toEqual([[10, [10, 11, 12], -70, 8]]);
    });

    it('also catches a downlink printed just after the completion event', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['OK']), fake.emit(['+EVT:SEND_CONFIRMED_OK'], 1500), fake.emit(['+EVT:RX_2:-101:-3:UNICAST:5:ff'], 1520), true));
      m.send(2, [1], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(2000);
      expect(plain(r.calls)).toEqual([[null, { confirmed: true, downlink: { port: 5, bytes: [255], rssi: -101, snr: -3 } }]]);
    });

    it('passes a downlink outside any send (class C) to the listeners and ignores malformed ones', () => {
      const m = joinedModem();
      const heard: unknown[][] = [];
      m.onDownlink((...args) => heard.push(args));
      fake.raw('+EVT:RX_C:-40:9:MULTICAST:200:ABCD\r\n+EVT:RX_1:-70:8:UNICAST:1:123\r\n+EVT:RX_9:x:8:UNICAST:1:12\r\n');
      expect(plain(heard)).toEqual([[200, [0xab, 0xcd], -40, 9]]);
    });

    it('keeps a class C downlink during a send and one after the grace time out of the send result', () => {
      const m = joinedModem();
      const heard: number[] = [];
      m.onDownlink((port) => heard.push(port));
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => {
        fake.emit(['OK']);
        fake.emit(['+EVT:RX_C:-40:9:UNICAST:7:01'], 500);
        fake.emit(['+EVT:TX_DONE'], 1500);
        fake.emit(['+EVT:RX_1:-70:8:UNICAST:8:02'], 1800);
        return true;
      });
      m.send(2, [1], {}, r.cb);
      vi.advanceTimersByTime(2000);
      expect(r.calls).toEqual([[null, {}]]);
      expect(heard).toEqual([7, 8]);
    });

    it('tells the listeners about a downlink that arrives while a command is in flight, and survives a throwing listener', () => {
      const m = joinedModem();
      const heard: number[] = [];
      m.onDownlink(() => {
        throw new Error('listener bug');
      });
      m.onDownlink((port) => heard.push(port));
      const r = recorder<SendResult>();
      fake.override(/^AT\+CFM=1$/, () => {
        fake.confirmedMode = true;
        fake.emit(['+EVT:RX_C:-40:9:UNICAST:7:01', 'OK']);
        return true;
      });
      m.send(2, [1], { confirmed: true }, r.cb);
      vi.advanceTimersByTime(TX_EVENT_MS + 500);
      expect(heard).toEqual([7]);
      expect(r.calls).toEqual([[null, { confirmed: true }]]);
      expect(logs).toContain('error app callback threw: Error: listener bug');
    });
  });

  describe('a noisy line', () => {
    it('drops garbage bytes and over-long lines, counts them, and keeps working', () => {
      const m = joinedModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => {
        fake.raw('\u0000\u00ff\u00fe\r\n' + 'X'.repeat(600) + '\r\nO\u0007K\r\n');
        fake.emit(['OK']);
        fake.emit(['+EVT:TX_DONE'], 1000);
        return true;
      });
      m.send(2, [1], {}, r.cb);
      vi.advanceTimersByTime(1500);
      expect(r.calls).toEqual([[null, {}]]);
      expect(m.stats().linesDropped).toBe(3);
    });
  });

  describe('recovery', () => {
    it('after a mute modem times out: one error, probes, reset pin, configuration and join again, then works', () => {
      const m = joinedModem({ hardReset: fake.hardReset });
      const before = m.stats();
      fake.mute = true;
      const first = recorder<SendResult>();
      const second = recorder<SendResult>();
      m.send(2, [1], {}, first.cb);
      m.send(2, [2], {}, second.cb);
      vi.advanceTimersByTime(2000);
      expect(first.calls).toEqual([['timeout', {}]]);
      vi.advanceTimersByTime(2100); // two AT probes time out: three in a row
      expect(fake.hardResets).toBe(1);
      vi.advanceTimersByTime(BOOT_MS + 1000 + JOIN_EVENT_MS + TX_EVENT_MS + 1000);
      expect(second.calls).toEqual([[null, {}]]);
      expect(fake.commands()).toEqual([
        'AT+SEND=2:01',
        'AT',
        'AT',
        'AT+BAND=4', // the banner said LoRaWAN: no AT+NWM=? needed
        'AT+NJM=1',
        'AT+DEVEUI=' + DEV_EUI,
        'AT+APPEUI=' + APP_EUI,
        'AT+APPKEY=' + APP_KEY,
        'AT+CLASS=A',
        'AT+ADR=0',
        'AT+DR=5',
        'AT+CFM=0',
        'AT+LPM=1', // not kept across a restart: set again
        'AT+JOIN=1:0:8:0',
        'AT+SEND=2:02',
      ]);
      const after = m.stats();
      expect(after.resets - before.resets).toBe(1);
      expect(after.timeouts - before.timeouts).toBe(3);
      expect(after.commandsSent - before.commandsSent).toBe(15);
      expect(m.isJoined()).toBe(true);
    });

    it('uses ATZ without a reset pin, and goes on when no banner comes', () => {
      const m = joinedModem();
      fake.mute = true;
      const r = recorder<SendResult>();
      m.send(2, [1], {}, r.cb);
      vi.advanceTimersByTime(4100);
      fake.mute = false;
      fake.override(/^ATZ$/, () => true); // restarts without printing a banner
      vi.advanceTimersByTime(5000 + 1000 + JOIN_EVENT_MS);
      const cmds = fake.commands();
      expect(cmds.slice(0, 5)).toEqual(['AT+SEND=2:01', 'AT', 'AT', 'ATZ', 'AT+NWM=?']);
      expect(cmds).toContain('AT+JOIN=1:0:8:0');
      expect(m.stats().resets).toBe(1);
      expect(m.isJoined()).toBe(true);
    });

    it('needs maxTimeouts in a row: a modem that answers the probe is not reset', () => {
      const m = joinedModem({ hardReset: fake.hardReset });
      fake.override(/^AT\+SEND=/, () => true); // swallowed once
      const r = recorder<SendResult>();
      m.send(2, [1], {}, r.cb);
      m.send(2, [2], {}, r.cb);
      vi.advanceTimersByTime(2000 + 100 + TX_EVENT_MS + 500);
      expect(r.calls).toEqual([
        ['timeout', {}],
        [null, {}],
      ]);
      expect(fake.commands()).toEqual(['AT+SEND=2:01', 'AT', 'AT+SEND=2:02']);
      expect(fake.hardResets).toBe(0);
    });

    it('reset() restarts, re-applies the configuration and rejoins', () => {
      const m = joinedModem({ hardReset: fake.hardReset });
      const r = recorder<void>();
      m.reset(r.cb);
      vi.advanceTimersByTime(BOOT_MS + 1000 + JOIN_EVENT_MS);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(fake.hardResets).toBe(1);
      expect(fake.commands()).toEqual(['AT+BAND=4', 'AT+NJM=1', 'AT+DEVEUI=' + DEV_EUI, 'AT+APPEUI=' + APP_EUI, 'AT+APPKEY=' + APP_KEY, 'AT+CLASS=A', 'AT+ADR=0', 'AT+DR=5', 'AT+CFM=0', 'AT+LPM=1', 'AT+JOIN=1:0:8:0']);
      expect(m.isJoined()).toBe(true);
    });
  });

  describe('LoRa P2P', () => {
    const RADIO = { freqHz: 868100000, sf: 9, bwKhz: 125 as const, cr: 1, preamble: 8, txPowerDbm: 14 };

    function p2pModem(): Modem {
      const m = modem();
      const r = recorder<void>();
      m.configureP2P(RADIO, r.cb);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([[null, undefined]]);
      return m;
    }

    it('switches to P2P (waiting for the banner) and sets the radio with AT+P2P', () => {
      p2pModem();
      expect(fake.commands()).toEqual(['AT+NWM=?', 'AT+NWM=0', 'AT+P2P=868100000:9:125:0:8:14', 'AT+LPM=1']);
      expect(fake.log[2]!.at - fake.log[1]!.at).toBeGreaterThanOrEqual(BOOT_MS);
    });

    it('reports radio settings the module refuses as param', () => {
      const m = p2pModem();
      const r = recorder<void>();
      m.configureP2P({ ...RADIO, sf: 13 }, r.cb);
      m.configureP2P({ ...RADIO, bwKhz: 300 as never }, r.cb);
      m.configureP2P({ ...RADIO, cr: 0 }, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls.map((c) => c[0])).toEqual(['param', 'param', 'param']);
      expect(fake.commands().slice(-3)).toEqual(['AT+P2P=868100000:13:125:0:8:14', 'AT+P2P=868100000:9:300:0:8:14', 'AT+P2P=868100000:9:125:-1:8:14']);
      expect(fake.values.P2P).toBe('868100000:9:125:0:8:14');
    });

    it('sends with AT+PSEND and completes on +EVT:TXP2P DONE', () => {
      const m = p2pModem();
      const r = recorder<void>();
      m.sendP2P(new Uint8Array([0x40, 0x11, 0x22]), r.cb);
      vi.advanceTimersByTime(300);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(200);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(fake.commands().slice(-1)).toEqual(['AT+PSEND=401122']);
    });

    it('receives in a window: the +EVT:RXP2P form, then stops the receiver', () => {
      const m = p2pModem();
      const r = recorder<P2PPacket>();
      fake.override(/^AT\+PRECV=3000$/, () => (fake.emit(['OK']), fake.emit(['+EVT:RXP2P:-30:13:1234'], 800), true));
      m.receiveP2P(3000, r.cb);
      vi.advanceTimersByTime(1000);
      expect(plain(r.calls)).toEqual([[null, { bytes: [0x12, 0x34], rssi: -30, snr: 13 }]]);
      expect(fake.commands().slice(-2)).toEqual(['AT+PRECV=3000', 'AT+PRECV=0']);
    });

    it('receives the older two-line form', () => {
      const m = p2pModem();
      const r = recorder<P2PPacket>();
      fake.override(/^AT\+PRECV=2000$/, () => (fake.emit(['OK']), fake.emit(['+EVT:RXP2P, RSSI -60, SNR 11', '+EVT:AABBCCDD'], 500), true));
      m.receiveP2P(2000, r.cb);
      vi.advanceTimersByTime(1000);
      expect(plain(r.calls)).toEqual([[null, { bytes: [0xaa, 0xbb, 0xcc, 0xdd], rssi: -60, snr: 11 }]]);
    });

    it('reports an empty window as no packet, not as an error', () => {
      const m = p2pModem();
      const r = recorder<P2PPacket>();
      m.receiveP2P(1500, r.cb);
      vi.advanceTimersByTime(1400);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(200);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(m.stats().timeouts).toBe(0);
    });

    it('LoRaWAN commands in P2P mode fail with mode', () => {
      const m = p2pModem();
      const r = recorder<SendResult>();
      fake.override(/^AT\+SEND=/, () => (fake.emit(['AT_MODE_NO_SUPPORT']), true));
      m.send(1, [1], {}, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([['mode', {}]]);
    });
  });

  describe('status lines', () => {
    it('maps every RUI3 status to a modem error', () => {
      const m = modem();
      const statuses = ['AT_PARAM_ERROR', 'AT_BUSY_ERROR', 'AT_NO_NETWORK_JOINED', 'AT_MODE_NO_SUPPORT', 'AT_UNSUPPORTED_BAND', 'AT_ERROR', 'AT_COMMAND_NOT_FOUND', 'AT_RX_ERROR'];
      const r = recorder<void>();
      for (const status of statuses) {
        fake.override(/^AT\+SLEEP=/, () => (fake.emit([status]), true));
        m.sleep(1000, r.cb);
      }
      vi.advanceTimersByTime(1000);
      expect(r.calls.map((c) => c[0])).toEqual(['param', 'busy', 'not_joined', 'mode', 'param', 'unknown', 'unknown', 'unknown']);
      expect(m.stats().timeouts).toBe(0);
    });

    it('reads a query reply between blank lines, in any letter case of the command', () => {
      fake.workMode = 0;
      const m = modem();
      const r = recorder<void>();
      fake.override(/^AT\+NWM=\?$/, () => (fake.emit(['', 'AT+NWM=0', '', 'OK', '']), true));
      m.configureP2P({ freqHz: 868100000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 }, r.cb);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([[null, undefined]]);
      expect(fake.commands()).toEqual(['AT+NWM=?', 'AT+P2P=868100000:9:125:0:8:14', 'AT+LPM=1']);
    });

    it('refuses operations beyond 8 waiting with busy', () => {
      const m = modem();
      const r = recorder<void>();
      for (let i = 0; i < 10; i++) m.sleep(1000, r.cb);
      vi.advanceTimersByTime(0);
      expect(r.calls).toEqual([
        ['busy', undefined],
        ['busy', undefined],
      ]);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toHaveLength(10);
    });
  });

  describe('sleep', () => {
    it('sends AT+SLEEP=<ms> and refuses 0', () => {
      const m = modem();
      const r = recorder<void>();
      m.sleep(60000, r.cb);
      m.sleep(0, r.cb);
      vi.advanceTimersByTime(100);
      expect(r.calls).toEqual([
        [null, undefined],
        ['param', undefined],
      ]);
      expect(fake.commands()).toEqual(['AT+SLEEP=60000']);
    });
  });

  describe('secrets', () => {
    it('never logs key values, also not from query replies or refused writes', () => {
      const m = modem();
      m.configure({ ...OTAA, appSKey: APP_S_KEY, nwkSKey: NWK_S_KEY, devAddr: '260B1234' }, () => undefined);
      vi.advanceTimersByTime(1000);
      fake.raw('AT+APPKEY=' + APP_KEY + '\r\n'); // as if answering a query
      fake.override(/^AT\+APPKEY=/, () => (fake.emit(['AT_PARAM_ERROR']), true));
      m.configure(OTAA, () => undefined);
      vi.advanceTimersByTime(1000);
      const all = logs.join('\n').toUpperCase();
      for (const key of [APP_KEY, APP_S_KEY, NWK_S_KEY]) expect(all).not.toContain(key);
      expect(logs).toContain('debug > AT+APPKEY=<redacted>');
      expect(logs).toContain('debug > AT+APPSKEY=<redacted>');
      expect(logs).toContain('warn AT+APPKEY=<redacted>: param');
      expect(logs).toContain('debug < AT+APPKEY=<redacted>');
      expect(logs.join('\n')).toContain('AT+DEVEUI=' + DEV_EUI); // identifiers are not secrets
    });
  });

});
