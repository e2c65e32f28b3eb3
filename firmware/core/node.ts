/**
 * What every sensor node does, whatever it measures: bring the modem up (LoRa P2P with self-built ABP frames, or
 * LoRaWAN through the modem), send the startup status and the configuration report, send the app's readings and
 * the heartbeat within the airtime budget, and apply configuration downlinks. Apps supply only `measure`.
 */
import {
  decodeDeviceConfig,
  encodeDeviceConfigReport,
  encodeDeviceStatus,
  fromHex,
  type DeviceConfigReport,
  type DeviceStatus,
} from '../../payload-schema/generated/firmware/payload.js';
import type { Logger, Timers } from '../drivers/at-line.ts';
import type { Band, Modem, ModemError, P2PPacket, P2PSettings } from '../drivers/modem.ts';
import { aes128 } from './aes128.ts';
import { p2pAirtimeMs, uplinkAirtime } from './airtime.ts';
import { createAirtimeBudget } from './airtime-budget.ts';
import { createFrameCounter, type CounterStorage } from './frame-counter.ts';
import { buildUplink, parseDownlink, type SessionKeys } from './lorawan-abp.ts';
import { P2P_RX_OPEN_MS, P2P_RX_WINDOW_MS } from './p2p-window.ts';
import { RADIO_LORAWAN, RADIO_P2P } from './radio.ts';
import { Settings, type SettingsTree } from './settings.ts';

export const PORT_STATUS = 1;
export const PORT_CONFIG_REPORT = 2;
export const PORT_CONFIG = 3;

/** The Storage file `ss.keys` written when the node is flashed; never part of the bundle. */
export type NodeKeys =
  | { network: 'p2p'; devAddr: string; nwkSKey: string; appSKey: string; p2p: P2PSettings }
  | { network: 'lorawan'; band: Band; activation: 'otaa'; devEui: string; appEui: string; appKey: string };

export type ErrorFlag =
  | 'sensorFailed'
  | 'sensorCrc'
  | 'modemTimeout'
  | 'modemReset'
  | 'storageError'
  | 'lowBattery'
  | 'airtimeExhausted';

export interface NodeEnvironment {
  modem: Modem;
  timers: Timers;
  /** Milliseconds since boot. */
  now(): number;
  storage: CounterStorage;
  log: Logger;
  keys: NodeKeys;
  /** A deviceStatus resetReason label. */
  resetReason: string;
  batteryVolts(): number | null;
  reboot(): void;
  /** Called whenever the node has nothing left to send: the modem has no more to say (the UART may sleep). */
  idle?(): void;
}

export interface Uplink {
  port: number;
  bytes: Uint8Array;
}

export interface NodeApp {
  deviceType: string;
  firmware: { major: number; minor: number; patch: number };
  /** The settings this app uses, named as in the deviceConfig message, with their defaults. */
  defaults: SettingsTree;
  /** Takes a reading; `done(uplink or null, seconds until the next reading)`. */
  measure(node: NodeContext, done: (uplink: Uplink | null, nextS: number) => void): void;
  /**
   * The longest a reading may take. A reading that has not called `done` by then (a sensor callback that never
   * came) is given up: the next one starts MEASURE_RETRY_S later, logs it and flags sensorFailed, and the late
   * `done` is ignored. Left out by an app that holds `done` until it has something to say (the garage counter).
   */
  measureTimeoutS?: number;
  onCommand?(command: string): void;
}

/** What an app can ask of the node while measuring. */
export interface NodeContext {
  settings: Settings;
  battery(): number | null;
  flag(error: ErrorFlag): void;
  log: Logger;
}

const LOW_BATTERY_V = 2.2;
/** The shortest wait after a reading that threw: a reading that always throws must not flood the log. */
const MEASURE_RETRY_S = 60;
/** Uplinks waiting for the radio; a full queue drops the oldest reading (status and reports are never dropped). */
const MAX_QUEUE = 4;
/** The first retry after a failed start or send; each failure in a row doubles it, up to RETRY_MAX_MS. */
const RETRY_MS = 30000;
/**
 * Four hours: a node without network sends about 8 rounds of join requests a day (~8 s of airtime at DR3), within
 * the 0.01 % (8.6 s a day) that LoRaWAN 1.0.3 allows join requests after the first 11 hours.
 */
const RETRY_MAX_MS = 14400000;
/** The RAK3172 answers about 1 s after power-up; both start together. */
const MODEM_BOOT_MS = 1500;

/** Settings every node has; an app adds its own and may change these defaults. */
export const NODE_DEFAULTS: SettingsTree = { sendInterval: 900, heartbeatInterval: 360, confirmedUplinks: false, adr: true, dataRate: 3 };

function sfToDataRate(sf: number): number {
  return sf >= 7 && sf <= 12 ? 12 - sf : 0;
}

export function startNode(env: NodeEnvironment, app: NodeApp): { settings: Settings; queue: Uplink[] } {
  const log = env.log;
  const keys = env.keys;
  const settings = new Settings(Object.assign({}, NODE_DEFAULTS, app.defaults), env.storage);
  const queue: Uplink[] = [];
  let errors: Record<string, boolean> = {};
  let busy = false;
  let sent = 0;
  let lastResets = 0;
  let measureTimer: unknown;
  /** Readings started, and the one waiting for its `done` (0: none). */
  let readings = 0;
  let reading = 0;
  let heartbeatTimer: unknown;
  /** Failed starts and sends in a row. */
  let failures = 0;
  /** LoRaWAN: a data rate below the configured one that the modem was found to use (ADR), else -1. */
  let slowDr = -1;
  /** LoRaWAN: start, frame bytes and counted airtime of the last uplink. */
  let last: { at: number; bytes: number; airtime: number } | undefined;

  // A constant in a bundle built for one radio mode (radio.ts): the other mode's code is left out.
  const isP2P = RADIO_P2P && (!RADIO_LORAWAN || keys.network === 'p2p');
  const p2p = isP2P ? (keys as Extract<NodeKeys, { network: 'p2p' }>).p2p : undefined;
  const budget = createAirtimeBudget({ frequenciesHz: p2p ? [p2p.freqHz] : [868100000, 868300000, 868500000] });
  let session: (SessionKeys & { devAddr: Uint8Array }) | undefined;
  let counter: ReturnType<typeof createFrameCounter> | undefined;
  let fCntDown = 0;
  if (isP2P && keys.network === 'p2p') {
    session = { devAddr: fromHex(keys.devAddr), nwkSKey: aes128(fromHex(keys.nwkSKey)), appSKey: aes128(fromHex(keys.appSKey)) };
    counter = createFrameCounter(env.storage, 'ss.fcnt', 100);
    fCntDown = parseInt(env.storage.read('ss.fcntdn') || '0', 10) || 0;
  }

  function flag(error: ErrorFlag): void {
    errors[error] = true;
  }

  function battery(): number | null {
    const v = env.batteryVolts();
    if (v !== null && v < LOW_BATTERY_V) flag('lowBattery');
    return v;
  }

  const context: NodeContext = { settings, battery, flag, log };

  function enqueue(uplink: Uplink, front?: boolean): void {
    if (queue.length >= MAX_QUEUE) {
      for (let i = 0; i < queue.length; i++) {
        if (queue[i]!.port > PORT_CONFIG) {
          queue.splice(i, 1);
          break;
        }
      }
    }
    // the head of the queue is on the air while busy: a report that jumps the queue goes right behind it
    if (front) queue.splice(busy ? 1 : 0, 0, uplink);
    else queue.push(uplink);
    pump();
  }

  function status(event: 'startup' | 'heartbeat'): Uplink {
    const s: DeviceStatus = {
      event: event,
      deviceType: app.deviceType as DeviceStatus['deviceType'],
      firmware: app.firmware,
      resetReason: env.resetReason as DeviceStatus['resetReason'],
      battery: battery(),
      uptime: Math.floor(env.now() / 1000),
      uplinkCounter: sent,
      errors: errors,
    };
    errors = {};
    return { port: PORT_STATUS, bytes: encodeDeviceStatus(s) };
  }

  function configReport(): Uplink {
    return { port: PORT_CONFIG_REPORT, bytes: encodeDeviceConfigReport(settings.current() as DeviceConfigReport) };
  }

  function handleDownlink(port: number | null, bytes: Uint8Array): void {
    if (port !== PORT_CONFIG) return;
    let update: Record<string, unknown>;
    try {
      update = decodeDeviceConfig(bytes) as unknown as Record<string, unknown>;
    } catch (e) {
      log('warn', 'config downlink refused: ' + (e as Error).message);
      return;
    }
    const result = settings.apply(update);
    if (result.ignored.length) log('info', 'settings not used here: ' + result.ignored.join(', '));
    const commands = (update.commands || {}) as Record<string, boolean>;
    if (commands.recalibrate && app.onCommand) app.onCommand('recalibrate');
    if (commands.reboot) {
      env.timers.setTimeout(env.reboot, 1000);
      return;
    }
    if (result.changed || commands.reportConfig) enqueue(configReport(), true);
    if (result.changed) {
      restartHeartbeat();
      scheduleMeasure(0);
    }
  }

  function loRaWanDr(): number {
    const dr = settings.get('dataRate') as number;
    return slowDr >= 0 && slowDr < dr ? slowDr : dr;
  }

  function finishSend(airtimeMs: number): void {
    budget.record(env.now(), airtimeMs, isP2P ? p2p!.freqHz : 868100000);
    failures = 0;
    sent++;
    queue.shift();
    busy = false;
    const resets = env.modem.stats().resets;
    if (resets > lastResets) flag('modemReset');
    lastResets = resets;
    pump();
  }

  function retryLater(ms: number): void {
    busy = false;
    env.timers.setTimeout(pump, ms);
  }

  /** Exponential backoff with equal jitter, so that nodes that lost the network together spread out. */
  function backoffMs(): number {
    const d = Math.min(RETRY_MS * Math.pow(2, failures++), RETRY_MAX_MS);
    return d / 2 + (Math.random() * d) / 2;
  }

  /**
   * The modem's sub-band (1 %) reopens at the start of its last frame + 100 x its airtime: a later reopening means
   * our last uplink was longer than counted, i.e. ADR lowered the data rate. Count it, and use that rate from now on.
   * A wait longer than even DR0 explains was caused by something else (a join request since).
   */
  function learnFromWait(waitMs: number): void {
    if (!last) return;
    const real = (env.now() + waitMs - last.at) * 0.01;
    let dr = loRaWanDr();
    while (dr > 0 && uplinkAirtime(last.bytes, dr) < real * 0.9) dr--;
    if (dr >= loRaWanDr() || uplinkAirtime(last.bytes, dr) < real * 0.9) return;
    slowDr = dr;
    budget.record(last.at, uplinkAirtime(last.bytes, dr) - last.airtime, 868100000);
    last = undefined;
    log('warn', 'modem sends at DR' + dr);
  }

  function sendP2P(uplink: Uplink): void {
    const fCnt = counter!.next();
    if (fCnt === null) {
      flag('storageError');
      retryLater(RETRY_MS);
      return;
    }
    const phy = buildUplink({ devAddr: session!.devAddr, fCnt: fCnt, fPort: uplink.port, payload: uplink.bytes }, session!);
    env.modem.sendP2P(phy, (err) => {
      if (err) {
        if (err === 'timeout') flag('modemTimeout');
        log('warn', 'P2P send failed: ' + err);
        retryLater(backoffMs());
        return;
      }
      const airtime = p2pAirtimeMs(p2p!, phy.length);
      const received = (rxErr: ModemError | null, packet?: P2PPacket): void => {
        if (!rxErr && packet) {
          const down = parseDownlink(packet.bytes, { devAddr: session!.devAddr, nwkSKey: session!.nwkSKey, appSKey: session!.appSKey, fCntDownExpected: fCntDown });
          if (typeof down === 'string') {
            log('warn', 'downlink refused: ' + down);
          } else {
            fCntDown = down.fCnt + 1;
            env.storage.write('ss.fcntdn', String(fCntDown));
            handleDownlink(down.fPort, down.payload);
          }
        }
        finishSend(airtime);
      };
      env.timers.setTimeout(() => env.modem.receiveP2P(P2P_RX_WINDOW_MS - P2P_RX_OPEN_MS, received), P2P_RX_OPEN_MS);
    });
  }

  function sendLoRaWan(uplink: Uplink): void {
    const at = env.now();
    env.modem.send(uplink.port, uplink.bytes, { confirmed: settings.get('confirmedUplinks') as boolean }, (err, result) => {
      if (err === 'restricted') {
        const wait = result.waitMs || RETRY_MS;
        learnFromWait(wait);
        budget.restrict(env.now(), wait);
        retryLater(wait);
        return;
      }
      if (err && err !== 'send_failed') {
        if (err === 'timeout') flag('modemTimeout');
        log('warn', 'send failed: ' + err);
        retryLater(backoffMs());
        return;
      }
      if (result.downlink) handleDownlink(result.downlink.port, result.downlink.bytes);
      const bytes = uplink.bytes.length + 13;
      last = { at: at, bytes: bytes, airtime: uplinkAirtime(bytes, loRaWanDr()) };
      finishSend(last.airtime);
    });
  }

  function pump(): void {
    if (busy) return;
    if (!queue.length) {
      if (env.idle) env.idle();
      return;
    }
    const uplink = queue[0]!;
    const dr = isP2P ? sfToDataRate(p2p!.sf) : loRaWanDr();
    const wait = budget.canSend(env.now(), uplink.bytes.length, dr);
    if (wait === Infinity) {
      flag('airtimeExhausted');
      queue.shift();
      pump();
      return;
    }
    if (wait > 0) {
      if (wait > 60000) flag('airtimeExhausted');
      env.timers.setTimeout(pump, wait);
      return;
    }
    busy = true;
    if (isP2P) sendP2P(uplink);
    else sendLoRaWan(uplink);
  }

  function measureFailed(why: string): void {
    log('error', why);
    flag('sensorFailed');
  }

  // A reading that throws or never answers (a driver's bug, a hardware error no driver expected) must not end the
  // readings: the watchdog is kicked apart from them, so nothing else would restart them. The next one follows at
  // least MEASURE_RETRY_S later, and a `done` from a reading that was given up is ignored.
  function scheduleMeasure(delayS: number, givenUp?: boolean): void {
    if (measureTimer !== undefined) env.timers.clearTimeout(measureTimer);
    measureTimer = env.timers.setTimeout(() => {
      measureTimer = undefined;
      if (givenUp) measureFailed('measure timed out');
      const mine = (reading = ++readings);
      // the next reading comes anyway should this one never answer
      if (app.measureTimeoutS) scheduleMeasure(app.measureTimeoutS + MEASURE_RETRY_S, true);
      try {
        app.measure(context, (uplink, nextS) => {
          if (mine !== reading) return;
          reading = 0;
          if (uplink) enqueue(uplink);
          scheduleMeasure(nextS);
        });
      } catch (e) {
        measureFailed('measure failed: ' + e);
        if (mine === reading) {
          reading = 0;
          scheduleMeasure(Math.max(delayS, MEASURE_RETRY_S));
        }
      }
    }, delayS * 1000);
  }

  function restartHeartbeat(): void {
    if (heartbeatTimer !== undefined) env.timers.clearTimeout(heartbeatTimer);
    heartbeatTimer = env.timers.setTimeout(() => {
      heartbeatTimer = undefined;
      // one status waiting is enough (the queue never drops one): its flags go out with the next
      if (!queue.some((u, i) => u.port === PORT_STATUS && !(busy && i === 0))) enqueue(status('heartbeat'));
      restartHeartbeat();
    }, (settings.get('heartbeatInterval') as number) * 60000);
  }

  function begin(err: string | null): void {
    if (err) {
      log('error', 'modem start failed: ' + err + ', retrying');
      flag('modemTimeout');
      env.timers.setTimeout(bringUp, backoffMs());
      return;
    }
    failures = 0;
    log('info', 'modem ready');
    enqueue(status('startup'));
    enqueue(configReport());
    restartHeartbeat();
    scheduleMeasure(1);
  }

  function bringUp(): void {
    if (isP2P) {
      env.modem.configureP2P(p2p!, begin);
      return;
    }
    if (keys.network === 'p2p') return;
    env.modem.configure(
      {
        band: keys.band,
        activation: 'otaa',
        devEui: keys.devEui,
        appEui: keys.appEui,
        appKey: keys.appKey,
        adr: settings.get('adr') as boolean,
        dataRate: settings.get('dataRate') as number,
      },
      (err) => (err ? begin(err) : env.modem.join({}, begin)),
    );
  }

  if (keys.network === (isP2P ? 'p2p' : 'lorawan')) env.timers.setTimeout(bringUp, MODEM_BOOT_MS);
  else log('error', 'no ' + keys.network + ' in this build (stadtsensor build --radio)');
  return { settings, queue };
}
