/**
 * How long one LoRa booking batch takes on the air and around it, for the configuration's checks: the airtime of a
 * full batch frame, the spacing the link keeps after it (given, or the sub-band's duty-cycle off time), and the ack
 * timeout the booking core needs so that it does not resend a batch the link is still delivering.
 *
 * Why twice the cycle: through the bridge an ack comes in the receive window after the NEXT uplink (class A), so the
 * link sends a batch once more on its own when a window brought no ack (booking-link.ts repeatsWithoutAck). The ack
 * of a batch can thus take two uplink cycles; a core that resends sooner only queues more uplinks behind the duty
 * cycle.
 */
import { aes128 } from '../../../core/aes128.ts';
import type { P2PSettings } from '../../../drivers/modem.ts';
import { BUILD_FLOOR_S } from '../../core/defaults.ts';
import type { Booking } from '../../core/contracts.ts';
import { bookingBatchUplink } from './booking-frames.ts';
import { p2pAirtimeMs } from '../../../core/airtime.ts';
import { dutyCycleSpacingMs } from './booking-link.ts';

/** The PHYPayload length of a bookingBatch uplink with `bookings` bookings (the layout has a fixed size per count). */
export function batchFrameBytes(bookings: number): number {
  const batch: Booking[] = [];
  for (let i = 0; i < bookings; i++) batch.push({ sequence: 1 + i, badge: '00000000', kind: 'come', time: BUILD_FLOOR_S, clockUnsynced: false });
  const zeroKey = aes128(new Uint8Array(16));
  return bookingBatchUplink(batch, 0, { devAddr: new Uint8Array(4), nwkSKey: zeroKey, appSKey: zeroKey }).length;
}

export interface LoraTiming {
  /** Airtime of a full batch frame, ms. */
  airtimeMs: number;
  /** Spacing after each uplink, ms: the configured one or the duty-cycle off time of a full frame. */
  spacingMs: number;
  receiveWindowMs: number;
  /** The least ack timeout for the booking core: 2 x (airtime + spacing + receive window), ms. */
  minAckTimeoutMs: number;
}

export function loraTiming(p2p: P2PSettings, batchSize: number, uplinkSpacingMs: number | null, receiveWindowMs: number): LoraTiming {
  const airtimeMs = p2pAirtimeMs(p2p, batchFrameBytes(batchSize));
  const spacingMs = uplinkSpacingMs ?? dutyCycleSpacingMs(p2p.freqHz, airtimeMs);
  return { airtimeMs, spacingMs, receiveWindowMs, minAckTimeoutMs: 2 * (airtimeMs + spacingMs + receiveWindowMs) };
}
