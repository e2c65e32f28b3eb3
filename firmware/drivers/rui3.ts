/**
 * RAK3172 (RUI3 firmware) LoRa modem driver over UART AT commands (shared/reference/rak-rui3-at.md).
 *
 *   const modem = connect(Serial1, { setTimeout, clearTimeout }, { hardReset: () => digitalPulse(RST, 0, 10) });
 *   modem.configure({ band: 'EU868', activation: 'otaa', devEui, appEui, appKey }, (err) => ...);
 *
 * Operations run one at a time in call order. A command that times out fails its operation; the driver then probes
 * with `AT`, and after maxTimeouts timeouts in a row it resets the modem (reset pin, else ATZ), waits for the boot
 * banner or an `AT` reply, re-applies the configuration and rejoins. Operations queued meanwhile run afterwards.
 */
import { toHex } from '../../payload-schema/generated/firmware/payload.js';
import { AtLink, cancelTimer, type AtCommandOptions, type AtReply, type Logger, type SerialPort, type Timers } from './at-line.ts';
import type {
  Downlink,
  DownlinkListener,
  JoinOptions,
  LoRaWanSettings,
  Modem,
  ModemCallback,
  ModemError,
  ModemStats,
  P2PPacket,
  P2PSettings,
  SendOptions,
  SendResult,
} from './modem.ts';
import { BANNER, isIntegerIn, loRaWanCommands, modemError, p2pCommand, redactSecrets } from './rui3/commands.ts';
import { Rui3EventParser, type Rui3Event } from './rui3/events.ts';

export interface Rui3Options {
  log?: Logger;
  /** Pulls the module's reset pin. Without it the driver resets with ATZ (useless if the module hangs). */
  hardReset?: () => void;
  /** For the join backoff jitter; default Math.random. */
  random?: () => number;
  /** 2000: RUI3 answers at once; writes to its flash take up to ~100 ms. */
  commandTimeoutMs?: number;
  /** 1000: the `AT` probe after a timeout. */
  probeTimeoutMs?: number;
  /** 5000: from a reset or a work-mode change to the banner (about 1 s on a RAK3172). */
  bootTimeoutMs?: number;
  /** 3 timeouts in a row (commands, events or probes) reset the modem. */
  maxTimeouts?: number;
  /** 15000 per join request: RX2 of the join accept closes about 7.5 s after an SF12 join request starts. */
  joinAttemptTimeoutMs?: number;
  /** 20000 to +EVT:TX_DONE: 51 bytes at SF12 take 2.8 s on air, RX2 closes 2 s later; the rest is margin. */
  sendTimeoutMs?: number;
  /** 60000 to +EVT:SEND_CONFIRMED_*: the modem may retransmit an unacknowledged uplink several times. */
  confirmedSendTimeoutMs?: number;
  /** 200: a downlink line may follow the send's completion event; wait this long for it. */
  downlinkGraceMs?: number;
  /** 20000 to +EVT:TXP2P DONE: 239 bytes at SF12/125 kHz, CR 4/8 take 13.2 s on air. */
  p2pSendTimeoutMs?: number;
  /** 3000 past the receive window before the modem counts as mute. */
  p2pReceiveMarginMs?: number;
}

interface Timing {
  commandTimeoutMs: number;
  probeTimeoutMs: number;
  bootTimeoutMs: number;
  maxTimeouts: number;
  joinAttemptTimeoutMs: number;
  sendTimeoutMs: number;
  confirmedSendTimeoutMs: number;
  downlinkGraceMs: number;
  p2pSendTimeoutMs: number;
  p2pReceiveMarginMs: number;
}

type ResolvedJoin = Required<JoinOptions>;
type Finish<T> = (err: ModemError | null, result?: T) => void;
type Op = (done: () => void) => void;

/** Operations waiting behind the running one; more are refused with 'busy'. */
const MAX_OPS = 8;

function pick(value: number | undefined, fallback: number): number {
  return value !== undefined ? value : fallback;
}

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value !== undefined ? Math.floor(value) : fallback;
  return v >= min && v <= max ? v : fallback;
}

/**
 * Join defaults: 5 rounds of one join request each, 15 s, 30 s, 60 s, 120 s apart (+-25 % jitter, so nodes that
 * lost the network together do not rejoin together); the modem itself also enforces the join duty cycle.
 */
export function resolveJoinOptions(options: JoinOptions | undefined): ResolvedJoin {
  const o = options || {};
  return {
    rounds: clamp(o.rounds, 5, 1, 1000),
    attemptsPerRound: clamp(o.attemptsPerRound, 1, 1, 255),
    retryIntervalS: clamp(o.retryIntervalS, 8, 7, 255),
    backoffBaseMs: clamp(o.backoffBaseMs, 15000, 0, 86400000),
    backoffMaxMs: clamp(o.backoffMaxMs, 600000, 0, 86400000),
  };
}

export class Rui3Modem implements Modem {
  private readonly link: AtLink;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly hardReset: (() => void) | undefined;
  private readonly random: () => number;
  private readonly t: Timing;
  private readonly parser = new Rui3EventParser();
  private readonly downlinkListeners: DownlinkListener[] = [];
  private readonly ops: Op[] = [];
  private opRunning = false;
  /** The running operation's interest in +EVT: events, and its deadline. */
  private waiter: ((e: Rui3Event) => void) | undefined;
  private waitTimer: unknown;

  private joined = false;
  /** AT+NWM as last read or written (0 P2P, 1 LoRaWAN); unknown after a reset. */
  private workMode: number | undefined;
  /** AT+CFM as last written; unknown after a reset. */
  private cfm: boolean | undefined;
  private settings: LoRaWanSettings | undefined;
  private p2pSettings: P2PSettings | undefined;
  private lastMode: 'lorawan' | 'p2p' | undefined;
  /** Set by the first successful join: a lost session or a reset rejoins with these. */
  private joinOptions: ResolvedJoin | undefined;
  private consecutiveTimeouts = 0;
  private eventTimeouts = 0;
  private resets = 0;

  constructor(serial: SerialPort, timers: Timers, options?: Rui3Options) {
    const o = options || {};
    this.timers = timers;
    this.log = o.log || function () {};
    this.hardReset = o.hardReset;
    this.random = o.random || Math.random;
    this.t = {
      commandTimeoutMs: pick(o.commandTimeoutMs, 2000),
      probeTimeoutMs: pick(o.probeTimeoutMs, 1000),
      bootTimeoutMs: pick(o.bootTimeoutMs, 5000),
      maxTimeouts: pick(o.maxTimeouts, 3),
      joinAttemptTimeoutMs: pick(o.joinAttemptTimeoutMs, 15000),
      sendTimeoutMs: pick(o.sendTimeoutMs, 20000),
      confirmedSendTimeoutMs: pick(o.confirmedSendTimeoutMs, 60000),
      downlinkGraceMs: pick(o.downlinkGraceMs, 200),
      p2pSendTimeoutMs: pick(o.p2pSendTimeoutMs, 20000),
      p2pReceiveMarginMs: pick(o.p2pReceiveMarginMs, 3000),
    };
    this.link = new AtLink(serial, timers, { log: o.log, redact: redactSecrets, defaultTimeoutMs: this.t.commandTimeoutMs });
    this.link.onLine((line) => this.handleLine(line));
  }

  configure(settings: LoRaWanSettings, cb: ModemCallback): void {
    this.run<void>((finish) => this.applyLoRaWan(settings, finish), cb);
  }

  join(options: JoinOptions, cb: ModemCallback): void {
    const o = resolveJoinOptions(options);
    this.run<void>((finish) => this.doJoin(o, finish), cb);
  }

  send(port: number, bytes: Uint8Array | number[], options: SendOptions, cb: (err: ModemError | null, result: SendResult) => void): void {
    const s = this.settings;
    const confirmed = options && options.confirmed !== undefined ? options.confirmed : !!(s && s.confirmed);
    this.run<SendResult>(
      (finish) => this.doSend(port, bytes, confirmed, finish),
      (err, result) => cb(err, result || {}),
    );
  }

  onDownlink(listener: DownlinkListener): void {
    this.downlinkListeners.push(listener);
  }

  configureP2P(settings: P2PSettings, cb: ModemCallback): void {
    this.run<void>((finish) => this.applyP2P(settings, finish), cb);
  }

  sendP2P(bytes: Uint8Array | number[], cb: ModemCallback): void {
    this.run<void>((finish) => this.doSendP2P(bytes, finish), cb);
  }

  receiveP2P(windowMs: number, cb: (err: ModemError | null, packet?: P2PPacket) => void): void {
    this.run<P2PPacket>((finish) => this.doReceiveP2P(windowMs, finish), cb);
  }

  sleep(ms: number, cb: ModemCallback): void {
    this.run<void>((finish) => {
      if (!isIntegerIn(ms, 1, 4294967295)) {
        finish('param');
        return;
      }
      // Whether OK comes before the module sleeps or after it wakes is not documented: allow for both (up to a day).
      this.command('AT+SLEEP=' + ms, { timeoutMs: this.t.commandTimeoutMs + Math.min(ms, 86400000) }, (err) => finish(err));
    }, cb);
  }

  reset(cb: ModemCallback): void {
    this.run<void>((finish) => this.recover(finish), cb, false);
  }

  isJoined(): boolean {
    return this.joined;
  }

  stats(): ModemStats {
    const s = this.link.stats();
    return { commandsSent: s.commandsSent, timeouts: s.timeouts + this.eventTimeouts, resets: this.resets, linesDropped: s.linesDropped };
  }

  // --- operations -------------------------------------------------------------------------------------------

  private applyLoRaWan(s: LoRaWanSettings, finish: Finish<void>): void {
    const commands = loRaWanCommands(s);
    if (!commands) {
      this.log('warn', 'configure: a setting is missing or out of range');
      finish('param');
      return;
    }
    this.settings = s;
    this.lastMode = 'lorawan';
    this.ensureWorkMode(1, (err) => {
      if (err) {
        finish(err);
        return;
      }
      this.commands(commands, (err2) => {
        if (!err2 && s.confirmed !== undefined) this.cfm = s.confirmed;
        finish(err2);
      });
    });
  }

  private doJoin(o: ResolvedJoin, finish: Finish<void>): void {
    const abp = this.settings !== undefined && this.settings.activation === 'abp';
    let round = 0;
    let settled = false;
    const succeed = (): void => {
      if (settled) return;
      settled = true;
      this.endWait();
      this.joined = true;
      this.joinOptions = o;
      this.log('info', 'joined');
      finish(null);
    };
    const retry = (err: ModemError, waitMs: number): void => {
      if (settled) return;
      round++;
      if (round >= o.rounds) {
        settled = true;
        this.endWait();
        this.log('warn', 'join failed: ' + err);
        finish(err);
        return;
      }
      const delay = Math.max(this.backoffMs(o, round - 1), waitMs);
      this.log('info', 'join: ' + err + ', next round in ' + delay + ' ms');
      // A late +EVT:JOINED (the modem retrying on its own) ends the wait early.
      this.beginWait((e) => e.type === 'joined' && succeed(), delay, attempt);
    };
    const attempt = (): void => {
      let failures = 0;
      const deadline = o.attemptsPerRound * this.t.joinAttemptTimeoutMs + (o.attemptsPerRound - 1) * o.retryIntervalS * 1000;
      this.beginWait(
        (e) => {
          if (e.type === 'joined') succeed();
          else if (e.type === 'join_failed' && ++failures >= o.attemptsPerRound) retry('no_network', 0);
        },
        deadline,
        () => {
          this.noteEventTimeout();
          retry('timeout', 0);
        },
      );
      this.command('AT+JOIN=1:0:' + o.retryIntervalS + ':' + o.attemptsPerRound, undefined, (err, reply) => {
        if (settled) return;
        if (err === 'busy' || err === 'restricted') {
          retry(err, reply.waitMs || 0);
        } else if (err) {
          settled = true;
          this.endWait();
          finish(err);
        } else if (abp) {
          succeed(); // ABP activates at once; RUI3 may or may not print +EVT:JOINED
        }
      });
    };
    this.joined = false;
    attempt();
  }

  /** Equal jitter: half the exponential delay fixed, half random. */
  private backoffMs(o: ResolvedJoin, n: number): number {
    const d = Math.min(o.backoffMaxMs, o.backoffBaseMs * Math.pow(2, n));
    return Math.round(d / 2 + (this.random() * d) / 2);
  }

  private doSend(port: number, bytes: Uint8Array | number[], confirmed: boolean, finish: Finish<SendResult>): void {
    if (!isIntegerIn(port, 1, 223) || !bytes || bytes.length < 1 || bytes.length > 250) {
      finish('param', {});
      return;
    }
    const hex = toHex(bytes);
    this.commands(this.cfm === confirmed ? [] : ['AT+CFM=' + (confirmed ? 1 : 0)], (err) => {
      if (err) {
        finish(err, {});
        return;
      }
      this.cfm = confirmed;
      let downlink: Downlink | undefined;
      let outcome: { err: ModemError | null; result: SendResult } | undefined;
      const settle = (): void => {
        this.endWait();
        const r = outcome || { err: 'unknown', result: {} };
        if (downlink) r.result.downlink = downlink;
        finish(r.err, r.result);
      };
      this.beginWait(
        (e) => {
          if (e.type === 'downlink') {
            downlink = { port: e.port, bytes: e.bytes, rssi: e.rssi, snr: e.snr };
            if (outcome) settle();
            return;
          }
          if (outcome) return;
          if (e.type === 'tx_done') outcome = { err: null, result: {} };
          else if (e.type === 'confirmed') outcome = { err: e.ok ? null : 'send_failed', result: { confirmed: e.ok } };
          else return;
          if (downlink) settle();
          else this.setWaitTimer(this.t.downlinkGraceMs, settle);
        },
        confirmed ? this.t.confirmedSendTimeoutMs : this.t.sendTimeoutMs,
        () => {
          this.noteEventTimeout();
          finish('timeout', {});
        },
      );
      this.command('AT+SEND=' + port + ':' + hex, undefined, (err2, reply) => {
        if (!err2) return;
        this.endWait();
        if (err2 === 'not_joined') this.sessionLost();
        finish(err2, err2 === 'restricted' ? { waitMs: reply.waitMs } : {});
      });
    });
  }

  private applyP2P(s: P2PSettings, finish: Finish<void>): void {
    const command = p2pCommand(s);
    if (!command) {
      this.log('warn', 'configureP2P: a setting is out of range');
      finish('param');
      return;
    }
    this.p2pSettings = s;
    this.lastMode = 'p2p';
    this.ensureWorkMode(0, (err) => {
      if (err) finish(err);
      else this.command(command, undefined, (err2) => finish(err2));
    });
  }

  private doSendP2P(bytes: Uint8Array | number[], finish: Finish<void>): void {
    if (!bytes || bytes.length < 1 || bytes.length > 239) {
      finish('param');
      return;
    }
    this.beginWait(
      (e) => {
        if (e.type !== 'p2p_tx_done') return;
        this.endWait();
        finish(null);
      },
      this.t.p2pSendTimeoutMs,
      () => {
        this.noteEventTimeout();
        finish('timeout');
      },
    );
    this.command('AT+PSEND=' + toHex(bytes), undefined, (err) => {
      if (!err) return;
      this.endWait();
      finish(err);
    });
  }

  private doReceiveP2P(windowMs: number, finish: Finish<P2PPacket>): void {
    if (!isIntegerIn(windowMs, 1, 65532)) {
      finish('param');
      return;
    }
    // After a packet (or an error) the receiver is switched off explicitly so that the next PSEND is not refused.
    const stop = (err: ModemError | null, packet?: P2PPacket): void => {
      this.endWait();
      this.command('AT+PRECV=0', undefined, () => finish(err, packet));
    };
    this.beginWait(
      (e) => {
        if (e.type === 'p2p_rx') stop(null, { bytes: e.bytes, rssi: e.rssi, snr: e.snr });
        else if (e.type === 'p2p_rx_error') stop('unknown');
        else if (e.type === 'p2p_rx_timeout') {
          this.endWait();
          finish(null, undefined);
        }
      },
      windowMs + this.t.p2pReceiveMarginMs,
      () => {
        this.noteEventTimeout();
        finish('timeout');
      },
    );
    this.command('AT+PRECV=' + windowMs, undefined, (err) => {
      if (!err) return;
      this.endWait();
      finish(err);
    });
  }

  /** Restart (reset pin or ATZ), then the last configuration and, if the node had joined, a rejoin. */
  private recover(finish: Finish<void>): void {
    this.resets++;
    this.joined = false;
    this.workMode = undefined;
    this.cfm = undefined;
    this.log('warn', 'resetting the modem (' + (this.hardReset ? 'reset pin' : 'ATZ') + ')');
    const options: AtCommandOptions = { until: BANNER, timeoutMs: this.t.bootTimeoutMs };
    if (this.hardReset) options.action = this.hardReset;
    this.link.cmd(this.hardReset ? 'reset pin' : 'ATZ', options, (err) => {
      if (err === null) this.restore(finish);
      else this.probe(3, (alive) => (alive ? this.restore(finish) : finish('timeout')));
    });
  }

  private restore(finish: Finish<void>): void {
    this.consecutiveTimeouts = 0;
    const rejoin = (err: ModemError | null): void => {
      const o = this.joinOptions;
      if (err || !o || this.lastMode !== 'lorawan') finish(err);
      else this.doJoin(o, finish);
    };
    if (this.lastMode === 'p2p' && this.p2pSettings) this.applyP2P(this.p2pSettings, rejoin);
    else if (this.lastMode === 'lorawan' && this.settings) this.applyLoRaWan(this.settings, rejoin);
    else rejoin(null);
  }

  /** `AT` up to n times; cb(true) at the first answer of any kind. */
  private probe(n: number, cb: (alive: boolean) => void): void {
    this.link.cmd('AT', { timeoutMs: this.t.probeTimeoutMs }, (err) => {
      if (err !== 'timeout') cb(true);
      else if (n > 1) this.probe(n - 1, cb);
      else cb(false);
    });
  }

  /** After an operation failed with a timeout: probe, and reset once maxTimeouts timeouts came in a row. */
  private checkHealth(done: () => void): void {
    if (this.consecutiveTimeouts >= this.t.maxTimeouts) {
      this.recover((err) => {
        if (err) this.log('error', 'modem recovery failed: ' + err);
        done();
      });
      return;
    }
    this.link.cmd('AT', { timeoutMs: this.t.probeTimeoutMs }, (err) => {
      if (err !== 'timeout') {
        done();
        return;
      }
      this.consecutiveTimeouts++;
      this.checkHealth(done);
    });
  }

  /** AT_NO_NETWORK_JOINED: the session is gone (a modem restart, a band change); rejoin before the next operation. */
  private sessionLost(): void {
    this.joined = false;
    const o = this.joinOptions;
    if (!o) return;
    this.log('warn', 'no network session, rejoining');
    this.enqueue((done) => this.doJoin(o, () => done()), true);
  }

  // --- plumbing ---------------------------------------------------------------------------------------------

  private ensureWorkMode(target: number, cb: ModemCallback): void {
    if (this.workMode === target) {
      cb(null);
      return;
    }
    this.command('AT+NWM=?', undefined, (err, reply) => {
      if (err) {
        cb(err);
        return;
      }
      if (reply.value !== undefined && parseInt(reply.value, 10) === target) {
        this.workMode = target;
        cb(null);
        return;
      }
      this.log('info', 'switching the modem to ' + (target === 0 ? 'LoRa P2P' : 'LoRaWAN'));
      // OK, then the module reboots and prints its banner.
      this.command('AT+NWM=' + target, { until: BANNER, timeoutMs: this.t.bootTimeoutMs }, (err2) => {
        if (!err2) {
          this.workMode = target;
          this.joined = false;
          this.cfm = undefined;
        }
        cb(err2);
      });
    });
  }

  private command(text: string, options: AtCommandOptions | undefined, cb: (err: ModemError | null, reply: AtReply) => void): void {
    this.link.cmd(text, options, (err, reply) => {
      if (err === 'timeout') this.consecutiveTimeouts++;
      cb(err === null ? null : modemError(err, reply.waitMs), reply);
    });
  }

  /** Runs the commands in order; stops at the first error. */
  private commands(list: string[], cb: ModemCallback): void {
    let i = 0;
    const step = (): void => {
      const text = list[i++];
      if (text === undefined) {
        cb(null);
        return;
      }
      this.command(text, undefined, (err) => {
        if (!err) {
          step();
          return;
        }
        this.log('warn', redactSecrets(text) + ': ' + err);
        cb(err);
      });
    };
    step();
  }

  private noteEventTimeout(): void {
    this.eventTimeouts++;
    this.consecutiveTimeouts++;
  }

  private handleLine(line: string): void {
    const e = this.parser.parse(line);
    if (!e) {
      if (line.indexOf(BANNER) === 0) {
        this.joined = false;
        this.log('warn', 'the modem restarted by itself');
      }
      return;
    }
    if (e.type === 'joined') this.joined = true;
    if (e.type === 'downlink') {
      for (let i = 0; i < this.downlinkListeners.length; i++) {
        const listener = this.downlinkListeners[i];
        try {
          if (listener) listener(e.port, e.bytes, e.rssi, e.snr);
        } catch {
          this.log('error', 'a downlink listener threw');
        }
      }
    }
    if (this.waiter) this.waiter(e);
  }

  private beginWait(onEvent: (e: Rui3Event) => void, timeoutMs: number, onTimeout: () => void): void {
    this.waiter = onEvent;
    this.setWaitTimer(timeoutMs, () => {
      this.waiter = undefined;
      onTimeout();
    });
  }

  private setWaitTimer(ms: number, fn: () => void): void {
    cancelTimer(this.timers, this.waitTimer);
    this.waitTimer = this.timers.setTimeout(() => {
      this.waitTimer = undefined;
      fn();
    }, ms);
  }

  private endWait(): void {
    this.waiter = undefined;
    cancelTimer(this.timers, this.waitTimer);
    this.waitTimer = undefined;
  }

  /** Queues an operation; `track` lets a timeout start the health check. cb('busy') when the queue is full. */
  private run<T>(work: (finish: Finish<T>) => void, cb: Finish<T>, track?: boolean): void {
    const op: Op = (done) => {
      let finished = false;
      work((err, result) => {
        if (finished) return;
        finished = true;
        this.endWait();
        if (track !== false) {
          if (err === 'timeout') this.enqueue((next) => this.checkHealth(next), true);
          else this.consecutiveTimeouts = 0;
        }
        done();
        try {
          cb(err, result);
        } catch (e) {
          // The driver's state is already consistent; an exception must not cut off the lines still to be parsed.
          this.log('error', 'a modem callback threw: ' + e);
        }
      });
    };
    if (!this.enqueue(op, false)) this.timers.setTimeout(() => cb('busy'), 0);
  }

  private enqueue(op: Op, front: boolean): boolean {
    if (this.ops.length >= MAX_OPS) return false;
    if (front) this.ops.unshift(op);
    else this.ops.push(op);
    this.timers.setTimeout(() => this.kick(), 0);
    return true;
  }

  private kick(): void {
    if (this.opRunning) return;
    const op = this.ops.shift();
    if (!op) return;
    this.opRunning = true;
    let done = false;
    op(() => {
      if (done) return;
      done = true;
      this.opRunning = false;
      this.timers.setTimeout(() => this.kick(), 0);
    });
  }
}

/** EspruinoDocs style: `require('rui3').connect(Serial1, timers, options)`. */
export function connect(serial: SerialPort, timers: Timers, options?: Rui3Options): Rui3Modem {
  return new Rui3Modem(serial, timers, options);
}
