/**
 * The bytes of the LoRa booking path on the terminal side: a batch as a bookingBatch ABP uplink (FPort 40) and a
 * downlink read back as a bookingAck (FPort 41). Layouts come from payload-schema's firmware codec, frames from the
 * firmware's own ABP code (the bridge checks them with lora-packet), so nothing here writes a byte layout.
 */
import { buildUplink, parseDownlink, type DownlinkError, type DownlinkSession, type SessionKeys } from '../../../core/lorawan-abp.ts';
import { decodeBookingAck, encodeBookingBatch } from '../../../../payload-schema/generated/firmware/payload.js';
import { MAX_BOOKINGS_PER_LORA_BATCH, type Booking, type BookingAckMessage } from '../../core/contracts.ts';

export const BOOKING_BATCH_PORT = 40;
export const BOOKING_ACK_PORT = 41;

export interface AbpSession extends SessionKeys {
  /** 4 bytes, most significant first. */
  devAddr: Uint8Array;
}

/** Why a batch cannot go out as one bookingBatch, or null when it can. */
export function batchProblem(batch: Booking[]): string | null {
  if (batch.length < 1 || batch.length > MAX_BOOKINGS_PER_LORA_BATCH) return `a LoRa batch has 1..${MAX_BOOKINGS_PER_LORA_BATCH} bookings, not ${batch.length}`;
  for (let i = 1; i < batch.length; i++) {
    if (batch[i]!.sequence !== batch[0]!.sequence + i) return `sequences not consecutive at ${batch[i]!.sequence}`;
  }
  return null;
}

/** The PHYPayload of one bookingBatch uplink; throws (payload-schema's error) when a field does not fit. */
export function bookingBatchUplink(batch: Booking[], fCnt: number, session: AbpSession): Uint8Array {
  const problem = batchProblem(batch);
  if (problem !== null) throw new RangeError(problem);
  const baseTime = Math.floor(batch[0]!.time);
  const payload = encodeBookingBatch({
    sequence: batch[0]!.sequence,
    baseTime,
    bookings: batch.map((b) => ({ badge: b.badge, kind: b.kind, offset: Math.floor(b.time) - baseTime, clockUnsynced: b.clockUnsynced })),
  });
  return buildUplink({ devAddr: session.devAddr, fCnt, fPort: BOOKING_BATCH_PORT, payload }, session);
}

export type AckDownlink =
  | { ok: true; ack: BookingAckMessage; fCnt: number }
  /** An authentic frame (its counter must still be consumed) that is no bookingAck. */
  | { ok: false; authentic: true; fCnt: number; reason: 'unexpectedPort' | 'undecodable'; detail: string }
  | { ok: false; authentic: false; reason: DownlinkError; detail: string };

/** Checks MIC and counter, decrypts, and decodes a bookingAck. */
export function readAckDownlink(bytes: Uint8Array, session: DownlinkSession): AckDownlink {
  const frame = parseDownlink(bytes, session);
  if (typeof frame === 'string') return { ok: false, authentic: false, reason: frame, detail: `downlink of ${bytes.length} bytes refused: ${frame}` };
  if (frame.fPort !== BOOKING_ACK_PORT) {
    return { ok: false, authentic: true, fCnt: frame.fCnt, reason: 'unexpectedPort', detail: `downlink on FPort ${frame.fPort === null ? 'none' : frame.fPort}, expected ${BOOKING_ACK_PORT}` };
  }
  try {
    const ack = decodeBookingAck(frame.payload);
    return { ok: true, ack: { ackedThrough: ack.ackedThrough, serverTime: ack.serverTime }, fCnt: frame.fCnt };
  } catch (error) {
    return { ok: false, authentic: true, fCnt: frame.fCnt, reason: 'undecodable', detail: `bookingAck: ${(error as Error).message}` };
  }
}
