/**
 * The booking core's transport over LoRa on the Pi terminal: a RAK3172 (RUI3) on a serial port, driven by the
 * firmware's RUI3 driver (drivers/rui3.ts) through a Node serial adapter, with the booking link of
 * lora/booking-link.ts (bookingBatch ABP uplinks, bookingAck downlinks in a receive window after each uplink). The
 * session counters live in the terminal's SQLite file (table lora_state). `online` means: the module answers and is
 * in P2P; whether a gateway hears it shows only in the acks (the terminal's pending count).
 *
 * The badge list does not travel over LoRa: a LoRa terminal keeps the last list it got (SqliteOutbox's badge store),
 * from a badge list file the ledger exported (badge-list-file.ts, config badgeListFile).
 */
import { connect as connectRui3 } from '../../drivers/rui3.ts';
import type { P2PSettings } from '../../drivers/modem.ts';
import type { Booking } from '../core/contracts.ts';
import type { BookingTransport, CoreTimers, Logger, TransportEvents } from '../core/ports.ts';
import { createLoraBookingLink, LORA_MAX_SPAN_S, type LoraBookingLink, type LoraLinkSettings, type LoraLinkStats, type LoraSessionKeys } from './lora/booking-link.ts';
import { openNodeSerial, type NodeSerial } from './lora/node-serial.ts';
import { SqliteLoraState } from './lora/sqlite-lora-state.ts';
import { MAX_BOOKINGS_PER_LORA_BATCH } from '../core/contracts.ts';
import { nodeTimers } from './node-platform.ts';

export interface LoraTransportOptions {
  /** The module's serial port, e.g. /dev/ttyUSB0. */
  path: string;
  baudRate?: number;
  p2p: P2PSettings;
  keys: LoraSessionKeys;
  /** The SQLite file for the session counters: the terminal's outbox file. */
  statePath: string;
  /** Bookings per uplink, 1..MAX_BOOKINGS_PER_LORA_BATCH (default): fewer make shorter frames. */
  maxBatch?: number;
  log?: Logger;
  timers?: CoreTimers;
  settings?: Partial<LoraLinkSettings>;
}

export interface LoraTransport extends BookingTransport {
  stats(): LoraLinkStats;
  close(): Promise<void>;
}

export function createLoraTransport(options: LoraTransportOptions): LoraTransport {
  const maxBatch = options.maxBatch ?? MAX_BOOKINGS_PER_LORA_BATCH;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_BOOKINGS_PER_LORA_BATCH) throw new RangeError(`LoRa batch size: expected 1..${MAX_BOOKINGS_PER_LORA_BATCH}, got ${maxBatch}`);
  const log: Logger = options.log ?? (() => {});
  const timers = options.timers ?? nodeTimers;
  // opened here, so that bad keys or an unusable state file fail at start-up with a clear error
  const state = new SqliteLoraState(options.statePath);
  let link: LoraBookingLink | null = null;
  let serial: NodeSerial | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const open = (events: TransportEvents): void => {
    openNodeSerial(options.path, options.baudRate, (message) => log('warn', `LoRa serial: ${message}`)).then(
      (port) => {
        if (closed) {
          void port.close();
          return;
        }
        serial = port;
        const modem = connectRui3(port, timers, { log });
        link = createLoraBookingLink({ modem, p2p: options.p2p, keys: options.keys, state, timers, log, ...(options.settings ? { settings: options.settings } : {}) });
        link.start(events);
      },
      (error: Error) => {
        if (closed) return;
        const retryMs = options.settings?.retryMs ?? 10_000;
        log('error', `LoRa: ${error.message}: trying again in ${retryMs} ms`);
        retry = setTimeout(() => open(events), retryMs);
      },
    );
  };

  return {
    maxBatch,
    maxSpanS: LORA_MAX_SPAN_S,
    start(events: TransportEvents): void {
      open(events);
    },
    send(batch: Booking[]): void {
      if (!link) throw new Error('LoRa modem not ready');
      link.send(batch);
    },
    stats(): LoraLinkStats {
      return link ? link.stats() : { uplinks: 0, repeats: 0, downlinks: 0, acks: 0, staleServerTimes: 0, downlinksRejected: 0, sendErrors: 0, receiveErrors: 0 };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      link?.stop();
      await serial?.close();
      state.close();
    },
  };
}
