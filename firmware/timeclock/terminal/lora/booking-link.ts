/**
 * The booking core's transport over a RAK modem in LoRa P2P, on the firmware's Modem interface (drivers/modem.ts),
 * so the same logic drives the RUI3 driver on a Pi's serial port or on an Espruino board.
 *
 * Per uplink: the batch as a bookingBatch ABP frame (AT+PSEND, waiting for +EVT:TXP2P DONE), then a receive window
 * (AT+PRECV=<windowMs>) for a downlink, which is checked (MIC, counter), decrypted and decoded as a bookingAck.
 *
 * Class A through the gateway bridge: the bridge queues the ledger's ack and sends it after the device's NEXT uplink.
 * So an uplink's window normally brings the ack of the uplink before it. When a window brings no ack covering the
 * batch just sent, the link sends the same batch once more on its own (repeatsWithoutAck), whose window brings the
 * ack: two uplinks per batch, without waiting for the core's ack timeout. A stale ack (queued long ago) must not move
 * the clock check: serverTime is passed on only when the ack cannot be older than maxAckAgeMs (it covers a sequence
 * first sent within that time).
 *
 * Duty cycle: uplinks are spaced by the sub-band's off time after each frame (1 % in g1: 99 times the airtime).
 * send() while the radio is busy or the spacing runs keeps only the newest batch.
 */
import { aes128 } from '../../../core/aes128.ts';
import { EU868_SUB_BANDS, offTimeAfter, p2pAirtimeMs, subBandIndex } from '../../../core/airtime.ts';
import { createFrameCounter, type CounterStorage, type FrameCounter } from '../../../core/frame-counter.ts';
import type { Modem, ModemError, P2PPacket, P2PSettings } from '../../../drivers/modem.ts';
import { fromHex } from '../../../../payload-schema/generated/firmware/payload.js';
import { MAX_BOOKINGS_PER_LORA_BATCH, type Booking } from '../../core/contracts.ts';
import type { BookingTransport, CoreTimers, Logger, TransportEvents } from '../../core/ports.ts';
import { batchProblem, bookingBatchUplink, readAckDownlink, type AbpSession } from './booking-frames.ts';

/** 17 bits of seconds: a bookingBatch stores offsets from its first booking's time. */
export const LORA_MAX_SPAN_S = 131071;

export interface LoraSessionKeys {
  /** 8 hex digits. */
  devAddr: string;
  /** 32 hex digits each. */
  nwkSKey: string;
  appSKey: string;
}

/** Where the counters live (the Pi: SqliteLoraState; a test: memory). */
export interface LoraStateStore extends CounterStorage {
  downlinkCounter(): number;
  setDownlinkCounter(expected: number): void;
}

export interface LoraLinkSettings {
  /** Receive window after each uplink, ms (1..65532). Default 2000: the bridge answers 500 ms after the uplink. */
  receiveWindowMs: number;
  /** Minimum time from the end of one uplink to the next; default null: the sub-band's duty-cycle off time. */
  uplinkSpacingMs: number | null;
  /** Uplinks of a batch the link sends on its own when a window brought no ack covering it. Default 1. */
  repeatsWithoutAck: number;
  /** An ack's serverTime is passed on only when the ack is surely younger than this. Default 60000. */
  maxAckAgeMs: number;
  /** Uplink counters reserved per write of the counter store. Default 16. */
  counterBlockSize: number;
  /** After a failed configuration, try again after this long. Default 10000. */
  retryMs: number;
}

export const LORA_LINK_DEFAULTS: LoraLinkSettings = {
  receiveWindowMs: 2000,
  uplinkSpacingMs: null,
  repeatsWithoutAck: 1,
  maxAckAgeMs: 60000,
  counterBlockSize: 16,
  retryMs: 10000,
};

export interface LoraLinkOptions {
  modem: Modem;
  p2p: P2PSettings;
  keys: LoraSessionKeys;
  state: LoraStateStore;
  timers: CoreTimers;
  log?: Logger;
  settings?: Partial<LoraLinkSettings>;
}

export interface LoraLinkStats {
  uplinks: number;
  repeats: number;
  downlinks: number;
  acks: number;
  /** Acks whose serverTime was withheld as possibly stale. */
  staleServerTimes: number;
  downlinksRejected: number;
  sendErrors: number;
  receiveErrors: number;
}

export interface LoraBookingLink extends BookingTransport {
  stats(): LoraLinkStats;
  /** Stops timers; later events are ignored. The modem and the state store are their owner's to close. */
  stop(): void;
}

/** The off time after a frame of `airtimeMs` on the frequency's EU868 sub-band (1 % outside them). */
export function dutyCycleSpacingMs(freqHz: number, airtimeMs: number): number {
  const band = subBandIndex(freqHz);
  return offTimeAfter(airtimeMs, band < 0 ? 0.01 : EU868_SUB_BANDS[band]!.dutyCycle);
}

function keyBytes(hex: string, length: number, what: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length !== length * 2 || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`LoRa ${what}: expected ${length * 2} hex digits`);
  return fromHex(hex);
}

interface SentUplink {
  first: number;
  last: number;
  atMs: number;
}

export function createLoraBookingLink(options: LoraLinkOptions): LoraBookingLink {
  const settings: LoraLinkSettings = Object.assign({}, LORA_LINK_DEFAULTS, options.settings);
  const { modem, p2p, timers, state } = options;
  const log: Logger = options.log || function () {};
  const session: AbpSession = {
    devAddr: keyBytes(options.keys.devAddr, 4, 'devAddr'),
    nwkSKey: aes128(keyBytes(options.keys.nwkSKey, 16, 'nwkSKey')),
    appSKey: aes128(keyBytes(options.keys.appSKey, 16, 'appSKey')),
  };
  const stats: LoraLinkStats = { uplinks: 0, repeats: 0, downlinks: 0, acks: 0, staleServerTimes: 0, downlinksRejected: 0, sendErrors: 0, receiveErrors: 0 };
  let counter: FrameCounter | null = null;
  let events: TransportEvents | null = null;
  let ready = false;
  let stopped = false;
  let busy = false;
  /** The newest batch from the core, not sent yet. */
  let pending: Booking[] | null = null;
  /** The batch last sent and how many more times the link may repeat it on its own. */
  let current: Booking[] | null = null;
  let repeatsLeft = 0;
  let nextUplinkAtMs = 0;
  let pumpTimer: unknown;
  let retryTimer: unknown;
  /** Recent uplinks, for the age of an ack. */
  const sent: SentUplink[] = [];
  let highestAcked = 0;

  function later(fn: () => void, ms: number): unknown {
    return timers.setTimeout(function () {
      if (!stopped) fn();
    }, ms);
  }

  function configure(): void {
    modem.configureP2P(p2p, function (err: ModemError | null) {
      if (stopped) return;
      if (err) {
        log('error', 'LoRa modem: P2P configuration failed (' + err + '): trying again in ' + settings.retryMs + ' ms');
        // a module left receiving by an earlier run refuses settings: a reset ends that
        if (err === 'busy') modem.reset(function () {});
        retryTimer = later(configure, settings.retryMs);
        return;
      }
      ready = true;
      log('info', 'LoRa modem ready: P2P ' + p2p.freqHz + ' Hz SF' + p2p.sf + ' ' + p2p.bwKhz + ' kHz');
      if (events) events.online(true);
      pump();
    });
  }

  function pump(): void {
    if (stopped || !ready || busy) return;
    let batch = pending;
    let repeat = false;
    if (batch === null && current !== null && repeatsLeft > 0) {
      batch = current;
      repeat = true;
    }
    if (batch === null) return;
    const waitMs = nextUplinkAtMs - timers.monotonicMs();
    if (waitMs > 0) {
      if (pumpTimer === undefined) {
        pumpTimer = later(function () {
          pumpTimer = undefined;
          pump();
        }, waitMs);
      }
      return;
    }
    if (repeat) repeatsLeft--;
    else {
      pending = null;
      current = batch;
      repeatsLeft = settings.repeatsWithoutAck;
    }
    uplink(batch, repeat);
  }

  function uplink(batch: Booking[], repeat: boolean): void {
    if (counter === null) counter = createFrameCounter(state, 'lora.fCntUp', settings.counterBlockSize);
    let fCnt: number | null;
    try {
      fCnt = counter.next();
    } catch (error) {
      fCnt = null;
      log('error', 'LoRa uplink counter store failed: ' + String((error as Error).message));
    }
    if (fCnt === null) {
      stats.sendErrors++;
      log('error', 'LoRa: no uplink counter available (store failed or session used up): bookings stay in the outbox');
      nextUplinkAtMs = timers.monotonicMs() + settings.retryMs;
      pump();
      return;
    }
    const frame = bookingBatchUplink(batch, fCnt, session);
    const airtimeMs = p2pAirtimeMs(p2p, frame.length);
    const spacingMs = settings.uplinkSpacingMs !== null ? settings.uplinkSpacingMs : dutyCycleSpacingMs(p2p.freqHz, airtimeMs);
    const first = batch[0]!.sequence;
    const last = batch[batch.length - 1]!.sequence;
    busy = true;
    const startedMs = timers.monotonicMs();
    log('debug', 'LoRa uplink fCnt ' + fCnt + ': bookings ' + first + '..' + last + (repeat ? ' (repeat to fetch the ack)' : '') + ', ' + frame.length + ' bytes');
    modem.sendP2P(frame, function (err: ModemError | null) {
      if (stopped) return;
      // the spacing counts from the end of the frame; a failed send may still have gone on the air
      nextUplinkAtMs = timers.monotonicMs() + (err ? Math.max(spacingMs, settings.retryMs / 10) : spacingMs);
      if (err) {
        busy = false;
        stats.sendErrors++;
        log('warn', 'LoRa uplink of bookings ' + first + '..' + last + ' failed: ' + err);
        if (!repeat && pending === null) {
          pending = batch;
          current = null;
        }
        pump();
        return;
      }
      stats.uplinks++;
      if (repeat) stats.repeats++;
      sent.push({ first: first, last: last, atMs: startedMs });
      if (sent.length > 32) sent.shift();
      modem.receiveP2P(settings.receiveWindowMs, function (rxErr: ModemError | null, packet?: P2PPacket) {
        if (stopped) return;
        busy = false;
        if (rxErr) {
          stats.receiveErrors++;
          log('warn', 'LoRa receive window: ' + rxErr);
        }
        if (packet) onDownlink(packet);
        if (current !== null && highestAcked >= current[current.length - 1]!.sequence) current = null;
        pump();
      });
    });
  }

  /** The earliest time an uplink carried `sequence` (as far as this run remembers), or null. */
  function firstSentAt(sequence: number): number | null {
    for (let i = 0; i < sent.length; i++) {
      if (sent[i]!.first <= sequence && sequence <= sent[i]!.last) return sent[i]!.atMs;
    }
    return null;
  }

  function onDownlink(packet: P2PPacket): void {
    stats.downlinks++;
    const read = readAckDownlink(packet.bytes, { devAddr: session.devAddr, nwkSKey: session.nwkSKey, appSKey: session.appSKey, fCntDownExpected: state.downlinkCounter() });
    if (read.ok || read.authentic) {
      try {
        state.setDownlinkCounter(read.fCnt + 1);
      } catch (error) {
        log('error', 'LoRa downlink counter store failed: ' + String((error as Error).message));
      }
    }
    if (!read.ok) {
      stats.downlinksRejected++;
      // frames for other devices are normal on a shared channel: only authentic or broken ones of ours count
      if (read.authentic || read.reason !== 'devaddr') {
        if (events) events.invalid('loraDownlink-' + read.reason, read.detail);
      }
      return;
    }
    stats.acks++;
    const ack = read.ack;
    if (ack.ackedThrough > highestAcked) highestAcked = ack.ackedThrough;
    let serverTime = ack.serverTime;
    if (serverTime !== null) {
      const since = firstSentAt(ack.ackedThrough);
      if (since === null || timers.monotonicMs() - since > settings.maxAckAgeMs) {
        serverTime = null;
        stats.staleServerTimes++;
      }
    }
    log('debug', 'LoRa ack through ' + ack.ackedThrough);
    if (events) events.ack({ ackedThrough: ack.ackedThrough, serverTime: serverTime });
  }

  return {
    maxBatch: MAX_BOOKINGS_PER_LORA_BATCH,
    maxSpanS: LORA_MAX_SPAN_S,
    start(given: TransportEvents): void {
      if (events) throw new Error('LoRa transport already started');
      events = given;
      configure();
    },
    send(batch: Booking[]): void {
      const problem = batchProblem(batch);
      if (problem !== null) throw new RangeError(problem);
      if (!ready) throw new Error('LoRa modem not ready');
      pending = batch.slice();
      pump();
    },
    stats(): LoraLinkStats {
      return Object.assign({}, stats);
    },
    stop(): void {
      stopped = true;
      if (pumpTimer !== undefined) timers.clearTimeout(pumpTimer);
      if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    },
  };
}
