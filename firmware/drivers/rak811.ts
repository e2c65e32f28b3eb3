/**
 * RAK811 (AT firmware V3.x) LoRa modem driver over UART AT commands, behind the same `Modem` interface as the RUI3
 * driver (rui3.ts), so an app runs on either modem:
 *
 *   const modem = connect(Serial1, { setTimeout, clearTimeout }, { hardReset: () => digitalPulse(RST, 0, 10) });
 *
 * Sources for the module's behaviour, cited below by tag: [manual] RAK811 Module / Breakout Board AT Command Manual
 * (rakwireless-docs, firmware V3.0.0.14.H); [rui] the RUI v3 application source of the RAK811 AT firmware;
 * [pyrak811] AmedeeBulle/pyrak811 rak811_v3.py; [ref] shared/reference/rak-rui3-at.md.
 *
 * Differences from RUI3 that shape this driver:
 * - Every command is answered by one status line, `OK [info]` or `ERROR: <code>` [manual]; a work-mode change and
 *   `at+set_config=device:restart` answer with the boot banner ending `Initialization OK` [manual, pyrak811].
 * - `at+join` and `at+send=lora:...` answer only when they are over: `OK Join Success` / `ERROR: 99` after up to 7
 *   join requests [rui: JOIN_MAX_CNT 6 retries]; `OK` once the receive windows closed, then `at+recv=...` for a
 *   downlink or an ACK [manual, rui, pyrak811]; an unacknowledged confirmed uplink ends `ERROR: 96` (RX2 timeout)
 *   [rui: LoRaWANSendsucceed_callback prints the MAC status]. So join() options `attemptsPerRound` and
 *   `retryIntervalS` have no effect here: each round is one `at+join`, whose 7 attempts the module spaces itself.
 * - The duty cycle answers `ERROR: 90` without saying for how long [manual], so send() fails with 'restricted' and
 *   no `waitMs`: the caller picks its own wait (firmware/core/node.ts waits RETRY_MS). The module only enforces the
 *   duty cycle after `lora:dutycycle_enable:1` (default off [manual]); configure() switches it on for EU868.
 * - A command line is at most 255 characters with its CR LF [manual]: payloads over 118 bytes are refused ('param').
 * - P2P has no timed receive: receiveP2P() switches `lorap2p:transfer_mode:1` (receiver), waits for
 *   `at+recv=<rssi>,<snr>,<len>:<hex>` or the end of the window, then switches back to `transfer_mode:2` (sender).
 *   The module cannot say that it found a preamble, so the window is kept open for one frame of MAX_DOWNLINK_BYTES
 *   longer (RUI3 keeps a window that found a preamble open to the frame's end);
 *   `at+send=lorap2p:<hex>` answers `OK` once the frame is out [rui: LoRaP2PSendsucceed_callback].
 * - Sleep has no duration: `at+set_config=device:sleep:1` (`OK Sleep`) lasts until a rising edge on the module's RX
 *   pin [manual]. sleep(ms) puts it to sleep and the next operation wakes it first with
 *   `at+set_config=device:sleep:0` (`OK Wake Up`); the bytes that woke it may be lost, so any status line (or a
 *   second try) counts as awake.
 *
 * As in rui3.ts: operations run one at a time; a timeout is followed by an `at+version` probe, and 3 in a row reset
 * the modem (reset pin, else `at+set_config=device:restart`), wait for its banner, re-apply the configuration and
 * rejoin; `ERROR: 86` (not joined) is followed by a rejoin. Keys never reach the log.
 */
import { toHex } from '../../payload-schema/generated/firmware/payload.js';
import { EU868_DATA_RATES, p2pAirtimeMs, uplinkAirtime } from '../core/airtime.ts';
import { RADIO_LORAWAN, RADIO_P2P } from '../core/radio.ts';
import { cancelTimer, lineSplitter, type Logger, type SerialPort, type Timers } from './at-line.ts';
import type { DownlinkListener, JoinOptions, LoRaWanSettings, Modem, ModemCallback, ModemError, ModemOptions, P2PPacket, P2PSettings, SendResult } from './modem.ts';
import { loRaWanCommands, MAX_COMMAND_LENGTH, modemError, p2pCommand, redact } from './rak811/commands.ts';
import { eventParser, type Rak811Event } from './rak811/events.ts';

/** Without hardReset the driver resets with `at+set_config=device:restart`. */
export type Rak811Options = ModemOptions;

/** [pyrak811] "The RAK811 typically respond in less than 1.5 seconds". */
const COMMAND_MS = 2000;
const PROBE_MS = 1000;
/** From a reset or a work-mode change to `Initialization OK`: [pyrak811] waits 2 s after a hard reset. */
const BOOT_MS = 5000;
/** One join request: RX2 of the join accept closes about 6 s after the request's end [manual: JOIN_ACCEPT_DELAY_2]. */
const JOIN_ATTEMPT_MS = 10000;
/** [rui] JOIN_MAX_CNT: the first request and 6 retries. */
const JOIN_ATTEMPTS = 7;
/** A join request: MHDR, AppEUI, DevEUI, DevNonce, MIC. */
const JOIN_REQUEST_BYTES = 23;
/** To the `OK` of an uplink: 51 bytes at DR0 take 2.8 s, RX2 opens 2 s after the uplink, a downlink takes 2.8 s more. */
const SEND_MS = 20000;
/** As SEND_MS, with retransmissions (`lora:send_repeat_cnt`, up to 8 [manual]). */
const CONFIRMED_MS = 60000;
/** The `at+recv` of an uplink's downlink follows its `OK` at once [pyrak811]. */
const DOWNLINK_GRACE_MS = 200;
/** 118 bytes at SF12/125 kHz, CR 4/8 take 7.7 s on air. */
const P2P_SEND_MS = 20000;
/**
 * The longest frame a receive window waits for after its end: the module cannot say that it found a preamble (RUI3
 * keeps such a window open to the frame's end), so the window is kept open for one such frame longer. 64 bytes: a
 * LoRaWAN frame with the 51 bytes every message stays within (shared/DESIGN.md) and its 13 bytes of overhead.
 */
const MAX_DOWNLINK_BYTES = 64;
/** How long to wait for a sleeping module to answer the wake-up command, per try. */
const WAKE_MS = 500;
const MAX_TIMEOUTS = 3;
/** Operations waiting behind the running one; more are refused with 'busy'. */
const MAX_OPS = 8;

const TRANSFER = 'at+set_config=lorap2p:transfer_mode:';
/** lorap2p:transfer_mode values [manual]. */
const RECEIVER = 1;
const SENDER = 2;

type Finish<T> = (err: ModemError | null, result?: T) => void;
type Waiter = (e: Rak811Event) => void;
/** A command's outcome: the error, the status line's info (`OK <info>`) and the module's error code. */
type Answer = (err: ModemError | null, info?: string, code?: number) => void;

function or(value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : value;
}

/** EspruinoDocs style: `require('rak811').connect(Serial1, timers, options)`. */
export function connect(serial: SerialPort, timers: Timers, options?: Rak811Options): Modem {
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
  /** lora:work_mode (0 LoRaWAN, 1 P2P), lora:confirm and lorap2p:transfer_mode as last seen; undefined: unknown. */
  let mode: number | undefined;
  let cfm: boolean | undefined;
  let transfer: number | undefined;
  /** After `OK Sleep`, until the module answers again. */
  let asleep = false;
  let settings: LoRaWanSettings | undefined;
  let p2pSettings: P2PSettings | undefined;
  let reapply: ((cb: ModemCallback) => void) | undefined;
  let joinOptions: JoinOptions | undefined;
  let timeouts = 0;

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
      transfer = undefined;
      asleep = false;
      mode = e.p2p ? 1 : 0;
    }
    if (e.type === 'OK' || e.type === 'ERROR') timeouts = 0;
    if (RADIO_LORAWAN && e.type === 'RX' && e.downlink.bytes.length > 0) {
      const d = e.downlink;
      listeners.forEach((listener) => callApp(() => listener(d.port, d.bytes, d.rssi, d.snr)));
    }
    if (waiter) waiter(e);
  }

  // --- waiting, commands ---------------------------------------------------------------------------------------

  function clearWait(): void {
    waiter = undefined;
    cancelTimer(timers, waitTimer);
    waitTimer = undefined;
  }

  function expect(ms: number, w: Waiter, onTimeout: () => void): void {
    clearWait();
    waiter = w;
    waitTimer = timers.setTimeout(() => {
      waitTimer = undefined;
      waiter = undefined;
      onTimeout();
    }, ms);
  }

  function write(text: string): void {
    trace('> ' + text);
    counts.commandsSent++;
    serial.write(text + '\r\n');
  }

  /**
   * One command; `answer` at its status line or after ms ('timeout', counted). A command that restarts the module
   * (`reboots`) is answered by the banner's `Initialization OK` or an ERROR. Other lines go to `onEvent`.
   */
  function cmd(text: string, answer: Answer, ms?: number, reboots?: boolean, onEvent?: Waiter): void {
    const end = (err: ModemError | null, info?: string, code?: number): void => {
      clearWait();
      if (err) log('warn', redact(text) + ': ' + err + (code ? ' (ERROR: ' + code + ')' : ''));
      answer(err, info, code);
    };
    const w = (e: Rak811Event): void => {
      if (e.type === 'ERROR') end(modemError(e.code), undefined, e.code);
      else if (reboots ? e.type === 'BOOT' : e.type === 'OK') end(null, e.type === 'OK' ? e.info : '');
      else if (onEvent) onEvent(e);
    };
    expect(ms || COMMAND_MS, w, () => {
      timeouts++;
      counts.timeouts++;
      end('timeout');
    });
    write(text);
  }

  function commands(list: string[], cb: ModemCallback): void {
    const text = list.shift();
    if (text === undefined) cb(null);
    else cmd(text, (err) => (err ? cb(err) : commands(list, cb)));
  }

  // --- operations ------------------------------------------------------------------------------------------------

  /** Work mode 0 (LoRaWAN) or 1 (P2P): known from the boot banner; a change restarts the module [manual]. */
  function ensureMode(target: number, cb: ModemCallback): void {
    if (mode === target) return cb(null);
    cmd('at+set_config=lora:work_mode:' + target, (err) => cb(err), BOOT_MS, true);
  }

  function applyLoRaWan(s: LoRaWanSettings, finish: ModemCallback): void {
    const list = loRaWanCommands(s);
    if (!list) return finish('param');
    settings = s;
    reapply = (cb) => applyLoRaWan(s, cb);
    joined = false;
    ensureMode(0, (err) =>
      err
        ? finish(err)
        : commands(list, (err2) => {
            cfm = err2 ? undefined : s.confirmed;
            finish(err2);
          }),
    );
  }

  function setTransfer(target: number, cb: ModemCallback): void {
    if (transfer === target) return cb(null);
    cmd(TRANSFER + target, (err) => {
      transfer = err ? undefined : target;
      cb(err);
    });
  }

  function applyP2P(s: P2PSettings, finish: ModemCallback): void {
    reapply = (cb) => applyP2P(s, cb);
    p2pSettings = s;
    joinOptions = undefined;
    ensureMode(1, (err) => (err ? finish(err) : cmd(p2pCommand(s), (err2) => (err2 ? finish(err2) : setTransfer(SENDER, finish)))));
  }

  /** `at+join` blocks for up to 7 join requests; the DR sets how long the duty cycle may space them. */
  function joinMs(): number {
    const dr = settings && settings.adr === false ? or(settings.dataRate, 0) : 0;
    return JOIN_ATTEMPTS * (JOIN_ATTEMPT_MS + 100 * uplinkAirtime(JOIN_REQUEST_BYTES, dr));
  }

  /** Rounds of `at+join` with a backoff between them (as rui3.ts); ABP answers `OK Join Success` at once. */
  function join(options: JoinOptions | undefined, finish: ModemCallback): void {
    const j = options || {};
    let round = 0;
    const done = (err: ModemError | null): void => {
      if (!err) {
        joined = true;
        joinOptions = j;
      }
      finish(err);
    };
    const attempt = (): void =>
      cmd('at+join', (err) => (err === 'no_network' || err === 'busy' || err === 'restricted' ? nextRound(err) : done(err)), joinMs());
    const nextRound = (err: ModemError): void => {
      if (++round >= or(j.rounds, 5)) return done(err);
      const d = Math.min(or(j.backoffMaxMs, 600000), or(j.backoffBaseMs, 15000) * Math.pow(2, round - 1));
      expect(Math.round(d / 2 + (random() * d) / 2), () => undefined, attempt);
    };
    joined = false;
    attempt();
  }

  function send(port: number, bytes: Uint8Array | number[], confirmed: boolean, finish: Finish<SendResult>): void {
    const text = 'at+send=lora:' + port + ':' + toHex(bytes);
    // [manual, Appendix III] EU868 payload limits by DR; with ADR on (or the DR unknown) the DR may be DR0's 51 bytes.
    const s = settings;
    const rate = s && s.band === 'EU868' && EU868_DATA_RATES[s.adr === false ? or(s.dataRate, 0) : 0];
    if (bytes.length < 1 || text.length > MAX_COMMAND_LENGTH || (rate && bytes.length > rate.maxPayload)) finish('param');
    else transmit(text, confirmed, finish);
  }

  function transmit(text: string, confirmed: boolean, finish: Finish<SendResult>): void {
    if (cfm !== confirmed) {
      return cmd('at+set_config=lora:confirm:' + (confirmed ? 1 : 0), (err) => {
        if (err) return finish(err);
        cfm = confirmed;
        transmit(text, confirmed, finish);
      });
    }
    const result: SendResult = {};
    const noteDownlink = (e: Rak811Event): void => {
      if (e.type === 'RX' && e.downlink.bytes.length > 0) result.downlink = e.downlink;
    };
    cmd(
      text,
      (err, _info, code) => {
        if (confirmed && (code === 95 || code === 96)) {
          result.confirmed = false;
          return finish('send_failed', result);
        }
        if (err) return finish(err, {});
        if (confirmed) result.confirmed = true;
        if (result.downlink) return finish(null, result);
        // the ACK or downlink line follows the OK
        expect(
          DOWNLINK_GRACE_MS,
          (e) => {
            if (e.type !== 'RX') return;
            noteDownlink(e);
            finish(null, result);
          },
          () => finish(null, result),
        );
      },
      confirmed ? CONFIRMED_MS : SEND_MS,
      false,
      noteDownlink,
    );
  }

  function receiveP2P(windowMs: number, finish: Finish<P2PPacket>): void {
    if (!(windowMs >= 1 && windowMs <= 65532)) return finish('param');
    // Back to sender whatever happened, so that the next send is not refused.
    const back = (packet?: P2PPacket): void => {
      transfer = undefined;
      setTransfer(SENDER, (err) => finish(err, packet));
    };
    const s = p2pSettings;
    const frameMs = s ? p2pAirtimeMs(s, MAX_DOWNLINK_BYTES) : 0;
    setTransfer(RECEIVER, (err) => {
      if (err) return finish(err);
      expect(windowMs + frameMs, (e) => e.type === 'RXP2P' && back(e.packet), () => back());
    });
  }

  function sendP2P(bytes: Uint8Array | number[], finish: ModemCallback): void {
    const text = 'at+send=lorap2p:' + toHex(bytes);
    if (bytes.length < 1 || text.length > MAX_COMMAND_LENGTH) return finish('param');
    setTransfer(SENDER, (err) => (err ? finish(err) : cmd(text, (err2) => finish(err2), P2P_SEND_MS)));
  }

  function sleep(ms: number, finish: ModemCallback): void {
    if (!(ms >= 1)) return finish('param');
    cmd('at+set_config=device:sleep:1', (err) => {
      if (!err) asleep = true;
      finish(err);
    });
  }

  /** A rising edge on RX wakes the module [manual]; what it was sent meanwhile may be lost: any answer will do. */
  function wake(next: () => void, tries?: number): void {
    const t = tries || 0;
    const done = (): void => {
      clearWait();
      asleep = false;
      next();
    };
    expect(WAKE_MS, (e) => (e.type === 'OK' || e.type === 'ERROR') && done(), () => (t < 1 ? wake(next, t + 1) : done()));
    write('at+set_config=device:sleep:0');
  }

  function recover(finish: ModemCallback): void {
    counts.resets++;
    joined = false;
    mode = undefined;
    transfer = undefined;
    asleep = false;
    log('warn', 'resetting the modem');
    const rejoin = (err: ModemError | null): void => (err || !RADIO_LORAWAN || !joinOptions ? finish(err) : join(joinOptions, finish));
    const restore = (): void => (reapply ? reapply(rejoin) : cmd('at+version', rejoin, PROBE_MS));
    expect(BOOT_MS, (e) => e.type === 'BOOT' && restore(), restore);
    if (o.hardReset) o.hardReset();
    else write('at+set_config=device:restart');
  }

  function check(finish: ModemCallback): void {
    if (timeouts >= MAX_TIMEOUTS) recover(finish);
    else cmd('at+version', (err) => (err === 'timeout' ? check(finish) : finish(null)), PROBE_MS);
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

  function run<T>(work: (finish: Finish<T>) => void, cb: Finish<T>): void {
    if (queue.length >= MAX_OPS) {
      timers.setTimeout(() => cb('busy'), 0);
      return;
    }
    queue.push((done) => {
      let over = false;
      const go = (): void =>
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
      if (asleep) wake(go);
      else go();
    });
    timers.setTimeout(next, 0);
  }

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
