/**
 * RAK3172 (RUI3 firmware) LoRa modem driver over UART AT commands (shared/reference/rak-rui3-at.md).
 *
 *   const modem = connect(Serial1, { setTimeout, clearTimeout }, { hardReset: () => digitalPulse(RST, 0, 10) });
 *   modem.configure({ band: 'EU868', activation: 'otaa', devEui, appEui, appKey }, (err) => ...);
 *
 * Operations run one at a time in call order, and one waiter gets the modem's lines: the command in flight until
 * its status line, then the operation waiting for its +EVT: events. An operation that timed out is followed by an
 * `AT` probe; after 3 timeouts in a row the driver resets the modem (reset pin, else ATZ), waits for the boot banner,
 * re-applies the last configuration and rejoins. AT_NO_NETWORK_JOINED is followed by a rejoin. Both happen before
 * the next operation. Values are range-checked by the modem (AT_PARAM_ERROR: 'param'). Keys never reach the log.
 * Every configuration ends with AT+LPM=1, so the module sleeps by itself between commands (re-applied after a reset).
 * In a bundle built for one radio mode (firmware/core/radio.ts) the other mode's operations answer 'mode'.
 */
import { toHex } from '../../payload-schema/generated/firmware/payload.js';
import { EU868_DATA_RATES } from '../core/airtime.ts';
import { RADIO_LORAWAN, RADIO_P2P } from '../core/radio.ts';
import { cancelTimer, lineSplitter, type Logger, type SerialPort, type Timers } from './at-line.ts';
import type { DownlinkListener, JoinOptions, LoRaWanSettings, Modem, ModemCallback, ModemError, ModemOptions, P2PPacket, P2PSettings, SendResult } from './modem.ts';
import { loRaWanCommands, modemError, p2pCommand, redact } from './rui3/commands.ts';
import { eventParser, type Rui3Event } from './rui3/events.ts';

/** Without hardReset the driver resets with ATZ. */
export type Rui3Options = ModemOptions;

/** RUI3 answers at once; a flash write takes up to ~100 ms. */
const COMMAND_MS = 2000;
const PROBE_MS = 1000;
/** From a reset or a work-mode change to the banner: about 1 s. */
const BOOT_MS = 5000;
/** Per join request: the join accept's RX2 closes about 9 s after an SF12 request starts. */
const JOIN_ATTEMPT_MS = 15000;
/**
 * To +EVT:TX_DONE, which RUI3 prints once the receive windows are over: 51 bytes at DR0 take 2.8 s on air, RX2
 * opens 2 s later, and a downlink in it takes up to 2.8 s more.
 */
const SEND_MS = 20000;
/** To +EVT:SEND_CONFIRMED_*: as SEND_MS, plus AT+RETY retransmissions (at the faster data rates). */
const CONFIRMED_MS = 60000;
/** RUI3 prints a downlink right after its uplink's completion event: one line, 5 ms at 115200 baud. */
const DOWNLINK_GRACE_MS = 100;
/** 239 bytes at SF12/125 kHz, CR 4/8 take 13.2 s on air. */
const P2P_SEND_MS = 20000;
const P2P_RECEIVE_MARGIN_MS = 3000;
const MAX_TIMEOUTS = 3;
/** Operations waiting behind the running one; more are refused with 'busy'. */
const MAX_OPS = 8;

type Finish<T> = (err: ModemError | null, result?: T) => void;
/** Gets every line the modem prints, parsed (type '' when it is no event). */
type Waiter = (e: Rui3Event, line: string) => void;

function or(value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : value;
}

/** EspruinoDocs style: `require('rui3').connect(Serial1, timers, options)`. */
export function connect(serial: SerialPort, timers: Timers, options?: Rui3Options): Modem {
  const o = options || {};
  const log: Logger = o.log || function () {};
  const random = o.random || Math.random;
  const parse = eventParser();
  const listeners: DownlinkListener[] = [];
  const queue: ((done: () => void) => void)[] = [];
  const counts = { commandsSent: 0, timeouts: 0, resets: 0, linesDropped: 0 };
  let running = false;
  let waiter: Waiter | undefined;
  let waitTimer: unknown;
  let joined = false;
  /** AT+NWM (0 P2P, 1 LoRaWAN) and AT+CFM as last seen; undefined when unknown. */
  let mode: number | undefined;
  let cfm: boolean | undefined;
  let settings: LoRaWanSettings | undefined;
  /** Re-applies the last configuration after a reset. */
  let reapply: ((cb: ModemCallback) => void) | undefined;
  /** Set by a successful join: a lost session or a reset rejoins with these. */
  let joinOptions: JoinOptions | undefined;
  /** Timeouts in a row: any status line ends the row. */
  let timeouts = 0;

  /** Runs an app callback; an exception must not cut off the lines still to be parsed. */
  function callApp(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      log('error', 'app callback threw: ' + e);
    }
  }

  function trace(text: string): void {
    log('debug', redact(text));
  }

  function onLine(line: string): void {
    trace('< ' + line);
    const e = parse(line);
    if (e.type === 'BOOT') {
      joined = false;
      cfm = undefined;
      mode = e.p2p ? 0 : 1;
    }
    if (e.type === 'JOINED') joined = true;
    if (RADIO_LORAWAN && e.type === 'RX') {
      const d = e.downlink;
      listeners.forEach((listener) => callApp(() => listener(d.port, d.bytes, d.rssi, d.snr)));
    }
    if (waiter) waiter(e, line);
  }

  // --- waiting, commands ---------------------------------------------------------------------------------------

  function clearWait(): void {
    waiter = undefined;
    cancelTimer(timers, waitTimer);
    waitTimer = undefined;
  }

  /** Makes w the waiter until the next expect() or clearWait(); after ms calls onTimeout instead. */
  function expect(ms: number, w: Waiter, onTimeout: () => void): void {
    clearWait();
    waiter = w;
    waitTimer = timers.setTimeout(() => {
      waitTimer = undefined;
      waiter = undefined;
      onTimeout();
    }, ms);
  }

  /** A deadline that passed: counted, and the operation fails. */
  function timedOut(fail: (err: ModemError) => void): () => void {
    return () => {
      timeouts++;
      counts.timeouts++;
      fail('timeout');
    };
  }

  function write(text: string): void {
    trace('> ' + text);
    counts.commandsSent++;
    serial.write(text + '\r\n');
  }

  /** One command; cb at its status line (or after ms) with the value of a query reply and a Restricted_Wait. */
  function cmd(text: string, cb: (err: ModemError | null, value?: string, waitMs?: number) => void, ms?: number): void {
    // A query `AT+XXX=?` is answered `AT+XXX=<value>`.
    const prefix = text.toUpperCase().split('=')[0] + '=';
    let value: string | undefined;
    let waitMs: number | undefined;
    const end = (err: ModemError | null): void => {
      clearWait();
      if (err) log('warn', redact(text) + ': ' + err);
      cb(err, value, waitMs);
    };
    const w = (e: Rui3Event, line: string): void => {
      if (e.type === 'WAIT') waitMs = e.waitMs;
      else if (line.toUpperCase().indexOf(prefix) === 0) value = line.substring(prefix.length);
      else if (line === 'OK' || /^AT_[A-Z_]+$/.test(line)) {
        timeouts = 0;
        end(line === 'OK' ? null : modemError(line, waitMs));
      }
    };
    expect(ms || COMMAND_MS, w, timedOut(end));
    write(text);
  }

  /** Runs the commands in order (emptying the list); stops at the first error. */
  function commands(list: string[], cb: ModemCallback): void {
    const text = list.shift();
    if (text === undefined) cb(null);
    else cmd(text, (err) => (err ? cb(err) : commands(list, cb)));
  }

  /** A command whose outcome is an event (a radio operation, a reboot): once answered OK, w gets the lines for ms. */
  function start(text: string, ms: number, w: Waiter, fail: (err: ModemError, waitMs?: number) => void): void {
    cmd(text, (err, _value, waitMs) => (err ? fail(err, waitMs) : expect(ms, w, timedOut(fail))));
  }

  // --- operations ------------------------------------------------------------------------------------------------

  /** Work mode 0 (P2P) or 1 (LoRaWAN); the modem reboots into a new one. */
  function ensureMode(target: number, cb: ModemCallback): void {
    if (mode === target) return cb(null);
    cmd('AT+NWM=?', (err, value) => {
      if (err || value === '' + target) return cb(err);
      start('AT+NWM=' + target, BOOT_MS, (e) => e.type === 'BOOT' && cb(null), cb);
    });
  }

  /**
   * RUI3's low-power mode: the module sleeps by itself between commands and radio events (1.69 µA) and wakes on
   * the UART. Not every RUI3 version has AT+LPM: a module that refuses it works on, awake between commands.
   */
  function lowPower(finish: ModemCallback): void {
    cmd('AT+LPM=1', (err) => finish(err === 'timeout' ? err : null));
  }

  function applyLoRaWan(s: LoRaWanSettings, finish: ModemCallback): void {
    const list = loRaWanCommands(s);
    if (!list) return finish('param');
    settings = s;
    reapply = (cb) => applyLoRaWan(s, cb);
    joined = false; // AT+BAND restarts the LoRaWAN stack
    ensureMode(1, (err) =>
      err
        ? finish(err)
        : commands(list, (err2) => {
            cfm = err2 ? undefined : s.confirmed;
            if (err2) finish(err2);
            else lowPower(finish);
          }),
    );
  }

  function applyP2P(s: P2PSettings, finish: ModemCallback): void {
    reapply = (cb) => applyP2P(s, cb);
    joinOptions = undefined;
    ensureMode(0, (err) => (err ? finish(err) : cmd(p2pCommand(s), (err2) => (err2 ? finish(err2) : lowPower(finish)))));
  }

  /** Rounds of join requests with a backoff between them; ABP only activates its session. */
  function join(options: JoinOptions | undefined, finish: ModemCallback): void {
    const j = options || {};
    const n = or(j.attemptsPerRound, 1);
    const interval = or(j.retryIntervalS, 8);
    // The last field counts retries: RUI3 stops once ++retries > it, so this makes n attempts.
    const text = 'AT+JOIN=1:0:' + interval + ':' + (n - 1);
    let round = 0;
    const done = (err: ModemError | null): void => {
      if (!err) {
        joined = true;
        joinOptions = j;
      }
      finish(err);
    };
    const attempt = (): void => {
      let failures = 0;
      const w = (e: Rui3Event): void => {
        if (e.type === 'JOINED') done(null);
        else if (e.type === 'JOIN_FAILED' && ++failures >= n) nextRound('no_network');
        else if (e.type === 'WAIT') nextRound('restricted', e.waitMs); // a retry the duty cycle blocked ends the round
      };
      start(text, n * JOIN_ATTEMPT_MS + (n - 1) * interval * 1000, w, (err, waitMs) =>
        err === 'busy' || err === 'restricted' ? nextRound(err, waitMs) : done(err),
      );
    };
    // Equal jitter: half of base * 2^round fixed, half random, so nodes that lost the network together spread out.
    const nextRound = (err: ModemError, waitMs?: number): void => {
      if (++round >= or(j.rounds, 5)) return done(err);
      const d = Math.min(or(j.backoffMaxMs, 600000), or(j.backoffBaseMs, 15000) * Math.pow(2, round - 1));
      expect(Math.max(Math.round(d / 2 + (random() * d) / 2), waitMs || 0), () => undefined, attempt);
    };
    joined = false;
    if (settings && settings.activation === 'abp') cmd(text, done);
    else attempt();
  }

  function send(port: number, bytes: Uint8Array | number[], confirmed: boolean, finish: Finish<SendResult>): void {
    // Too long for the data rate, RUI3 would send an empty frame, answer AT_PARAM_ERROR and print a stray
    // +EVT:TX_DONE later. With ADR on (or the DR unknown) the DR may be DR0, whose 51 bytes every DR carries.
    const s = settings;
    const rate = s && s.band === 'EU868' && EU868_DATA_RATES[s.adr === false ? or(s.dataRate, 0) : 0];
    if (rate && bytes.length > rate.maxPayload) finish('param');
    else transmit(port, toHex(bytes), confirmed, finish);
  }

  function transmit(port: number, hex: string, confirmed: boolean, finish: Finish<SendResult>): void {
    if (cfm !== confirmed) {
      return cmd('AT+CFM=' + (confirmed ? 1 : 0), (err) => {
        if (err) return finish(err);
        cfm = confirmed;
        transmit(port, hex, confirmed, finish);
      });
    }
    const result: SendResult = {};
    let completed = false;
    const settle = (): void => finish(result.confirmed === false ? 'send_failed' : null, result);
    const w = (e: Rui3Event): void => {
      if (e.type === 'RX' && (e.slot === '1' || e.slot === '2')) {
        result.downlink = e.downlink;
        if (completed) settle();
      } else if (!completed && (e.type === 'TX_DONE' || e.type === 'SEND_CONFIRMED_OK' || e.type === 'SEND_CONFIRMED_FAILED')) {
        completed = true;
        if (e.type !== 'TX_DONE') result.confirmed = e.type === 'SEND_CONFIRMED_OK';
        // The downlink of this uplink is printed right after its completion event.
        if (result.downlink) settle();
        else expect(DOWNLINK_GRACE_MS, w, settle);
      }
    };
    const ms = confirmed ? CONFIRMED_MS : SEND_MS;
    start('AT+SEND=' + port + ':' + hex, ms, w, (err, waitMs) => finish(err, err === 'restricted' ? { waitMs } : {}));
  }

  function receiveP2P(windowMs: number, finish: Finish<P2PPacket>): void {
    if (!(windowMs >= 1 && windowMs <= 65532)) return finish('param');
    // After a packet or an error the receiver is switched off, so that the next PSEND is not refused.
    const stop = (err: ModemError | null, packet?: P2PPacket): void => cmd('AT+PRECV=0', () => finish(err, packet));
    const w = (e: Rui3Event): void => {
      if (e.type === 'RXP2P') stop(null, e.packet);
      else if (e.type === 'RXP2P_RECEIVE_ERROR') stop('unknown');
      else if (e.type === 'RXP2P_RECEIVE_TIMEOUT') finish(null);
    };
    start('AT+PRECV=' + windowMs, windowMs + P2P_RECEIVE_MARGIN_MS, w, (err) => finish(err));
  }

  function sendP2P(bytes: Uint8Array | number[], finish: ModemCallback): void {
    start('AT+PSEND=' + toHex(bytes), P2P_SEND_MS, (e) => e.type === 'TXP2P_DONE' && finish(null), finish);
  }

  function sleep(ms: number, finish: ModemCallback): void {
    if (!(ms >= 1)) return finish('param');
    // Whether OK comes before the module sleeps or when it wakes is not documented: allow for both (up to a day).
    cmd('AT+SLEEP=' + ms, (err) => finish(err), COMMAND_MS + Math.min(ms, 86400000));
  }

  /** Restarts the modem, waits for its banner (or goes on without), re-applies the configuration and rejoins. */
  function recover(finish: ModemCallback): void {
    counts.resets++;
    joined = false;
    mode = undefined;
    log('warn', 'resetting the modem');
    const rejoin = (err: ModemError | null): void => (err || !RADIO_LORAWAN || !joinOptions ? finish(err) : join(joinOptions, finish));
    const restore = (): void => (reapply ? reapply(rejoin) : cmd('AT', rejoin, PROBE_MS));
    expect(BOOT_MS, (e) => e.type === 'BOOT' && restore(), restore);
    if (o.hardReset) o.hardReset();
    else write('ATZ');
  }

  /** After a timeout: probes with AT, and resets the modem once MAX_TIMEOUTS came in a row. */
  function check(finish: ModemCallback): void {
    if (timeouts >= MAX_TIMEOUTS) recover(finish);
    else cmd('AT', (err) => (err === 'timeout' ? check(finish) : finish(null)), PROBE_MS);
  }

  // --- the operation queue ----------------------------------------------------------------------------------------

  function next(): void {
    const op = running ? undefined : queue.shift();
    if (!op) return;
    running = true;
    op(() => {
      running = false;
      timers.setTimeout(next, 0);
    });
  }

  /** Queues an operation; cb once it finished, then a check after a timeout or a rejoin after a lost session. */
  function run<T>(work: (finish: Finish<T>) => void, cb: Finish<T>): void {
    if (queue.length >= MAX_OPS) {
      timers.setTimeout(() => cb('busy'), 0);
      return;
    }
    queue.push((done) => {
      let over = false;
      work((err, result) => {
        if (over) return;
        over = true;
        clearWait();
        if (err === 'not_joined') joined = false;
        callApp(() => cb(err, result));
        const j = joinOptions;
        const tail = err === 'timeout' ? check : RADIO_LORAWAN && err === 'not_joined' && j ? (f: ModemCallback) => join(j, f) : undefined;
        if (!tail) return done();
        tail((err2) => {
          clearWait();
          if (err2) log('error', 'modem: ' + err2);
          done();
        });
      });
    });
    timers.setTimeout(next, 0);
  }

  /** The public form of a one-argument operation. */
  function queued<A, T>(work: (arg: A, finish: Finish<T>) => void): (arg: A, cb: Finish<T>) => void {
    return (arg, cb) => run((finish) => work(arg, finish), cb);
  }

  // Last: Espruino does not hoist the functions called from here.
  serial.on(
    'data',
    lineSplitter(onLine, () => counts.linesDropped++),
  );

  /** An operation of the radio mode this bundle was built without (firmware/core/radio.ts): 'mode'. */
  function absent(cb: (err: ModemError) => void): void {
    timers.setTimeout(() => cb('mode'), 0);
  }

  return {
    configure: RADIO_LORAWAN ? queued(applyLoRaWan) : (_s, cb) => absent(cb),
    join: RADIO_LORAWAN ? queued(join) : (_o, cb) => absent(cb),
    send: RADIO_LORAWAN
      ? (port, bytes, opts, cb) => {
          const confirmed = opts && opts.confirmed !== undefined ? opts.confirmed : !!(settings && settings.confirmed);
          run<SendResult>(
            (finish) => send(port, bytes, confirmed, finish),
            (err, result) => cb(err, result || {}),
          );
        }
      : (_p, _b, _o, cb) => absent((err) => cb(err, {})),
    onDownlink: (listener) => {
      listeners.push(listener);
    },
    configureP2P: RADIO_P2P ? queued(applyP2P) : (_s, cb) => absent(cb),
    sendP2P: RADIO_P2P ? queued(sendP2P) : (_b, cb) => absent(cb),
    receiveP2P: RADIO_P2P ? queued(receiveP2P) : (_w, cb) => absent(cb),
    sleep: queued(sleep),
    reset: (cb) => run(recover, cb),
    isJoined: () => joined,
    stats: () => Object.assign({}, counts),
  };
}
