/**
 * What arrives on the ledger's subscriptions, checked with zod before anything is stored:
 * - LAN: a BookingBatchMessage (contracts.ts) on `stadtsensor/timeclock/<terminal>/bookings`;
 * - LoRa: the gateway bridge's JSON event (gateway-bridge/src/output/formats.ts) on `<prefix>/<device>/up` whose
 *   message is 'bookingBatch' (payload-schema, FPort 40): booking i has sequence `sequence + i` and time
 *   `baseTime + offset`; the terminal is the bridge's device id.
 * A message either becomes an IncomingBatch, is ignored (another device's uplink), or is rejected with a reason.
 */
import { z } from 'zod';
import {
  BOOKING_KINDS,
  MAX_BOOKINGS_PER_LORA_BATCH,
  MAX_BOOKINGS_PER_MESSAGE,
  type Booking,
  type BookingAckMessage,
} from '../../firmware/timeclock/core/contracts.ts';
import { TOPIC_SAFE_ID } from '../../gateway-bridge/src/config/defaults.ts';
import type { IncomingBatch } from './store/types.ts';

/** The largest body parsed: 50 bookings as JSON are about 5 KB; a bridge event with rx metadata a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;

export type RejectReason = 'too-large' | 'not-json' | 'invalid' | 'terminal-mismatch' | 'duplicate-sequence';

export type Parsed =
  | { kind: 'batch'; batch: IncomingBatch }
  | { kind: 'ignored' }
  | { kind: 'rejected'; reason: RejectReason; detail: string };

const UINT32_MAX = 2 ** 32 - 1;
const sequence = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const unixSeconds = z.number().int().min(0).max(UINT32_MAX);
const badge = z.string().regex(/^[0-9a-f]{8}$/, { error: 'expected 8 lower-case hex digits (the badge pseudonym)' });
const kind = z.enum(BOOKING_KINDS as [Booking['kind'], ...Booking['kind'][]]);

const lanBooking = z.strictObject({ sequence, badge, kind, time: unixSeconds, clockUnsynced: z.boolean() });
export const bookingBatchMessageSchema = z.strictObject({
  terminal: z.string().regex(TOPIC_SAFE_ID, { error: 'expected a topic-safe terminal id' }),
  bookings: z.array(lanBooking).min(1).max(MAX_BOOKINGS_PER_MESSAGE),
});

/** Only what the ledger reads of a bridge event; the rest (rx, units, ...) may be anything. */
const bridgeBookingBatch = z.looseObject({
  device: z.looseObject({ id: z.string().regex(TOPIC_SAFE_ID) }),
  message: z.literal('bookingBatch'),
  data: z.looseObject({
    sequence: sequence.max(UINT32_MAX),
    baseTime: unixSeconds,
    bookings: z
      .array(z.looseObject({ badge, kind, offset: z.number().int().min(0).max(2 ** 17 - 1), clockUnsynced: z.boolean() }))
      .min(1)
      .max(MAX_BOOKINGS_PER_LORA_BATCH),
  }),
});
const anyBridgeEvent = z.looseObject({ message: z.string() });

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(message)'}: ${issue.message}`)
    .join('; ');
}

function parseJson(body: Uint8Array): { ok: true; value: unknown } | { ok: false; parsed: Parsed } {
  if (body.length > MAX_BODY_BYTES) return { ok: false, parsed: { kind: 'rejected', reason: 'too-large', detail: `${body.length} bytes; at most ${MAX_BODY_BYTES}` } };
  try {
    return { ok: true, value: JSON.parse(Buffer.from(body).toString('utf8')) };
  } catch (error) {
    return { ok: false, parsed: { kind: 'rejected', reason: 'not-json', detail: (error as Error).message } };
  }
}

function checkedBatch(batch: IncomingBatch): Parsed {
  const seen = new Set<number>();
  for (const b of batch.bookings) {
    if (seen.has(b.sequence)) return { kind: 'rejected', reason: 'duplicate-sequence', detail: `sequence ${b.sequence} twice in one message` };
    seen.add(b.sequence);
  }
  return { kind: 'batch', batch };
}

/** A LAN message; `topicTerminal` is the terminal level of the topic it came on, and must be the one it names. */
export function parseLanBatch(topicTerminal: string, body: Uint8Array, receivedAt: number): Parsed {
  const json = parseJson(body);
  if (!json.ok) return json.parsed;
  const result = bookingBatchMessageSchema.safeParse(json.value);
  if (!result.success) return { kind: 'rejected', reason: 'invalid', detail: describeIssues(result.error) };
  const { terminal, bookings } = result.data;
  if (terminal !== topicTerminal) {
    return { kind: 'rejected', reason: 'terminal-mismatch', detail: `message of terminal ${terminal} on the topic of ${topicTerminal}` };
  }
  return checkedBatch({ terminal, bookings, via: 'lan', receivedAt });
}

/** A bridge `up` event; anything but a bookingBatch is ignored. */
export function parseBridgeUp(topicDevice: string, body: Uint8Array, receivedAt: number): Parsed {
  const json = parseJson(body);
  if (!json.ok) return json.parsed;
  const event = anyBridgeEvent.safeParse(json.value);
  if (event.success && event.data.message !== 'bookingBatch') return { kind: 'ignored' };
  const result = bridgeBookingBatch.safeParse(json.value);
  if (!result.success) return { kind: 'rejected', reason: 'invalid', detail: describeIssues(result.error) };
  const { device, data } = result.data;
  if (device.id !== topicDevice) {
    return { kind: 'rejected', reason: 'terminal-mismatch', detail: `event of device ${device.id} on the topic of ${topicDevice}` };
  }
  const bookings: Booking[] = data.bookings.map((b, i) => ({
    sequence: data.sequence + i,
    badge: b.badge,
    kind: b.kind,
    time: data.baseTime + b.offset,
    clockUnsynced: b.clockUnsynced,
  }));
  return checkedBatch({ terminal: device.id, bookings, via: 'lora', receivedAt });
}

/** The LAN acknowledgement (contracts.ts BookingAckMessage). */
export function lanAck(ackedThrough: number, serverTime: number): BookingAckMessage {
  return { ackedThrough, serverTime };
}

/** The body of a downlink request for the bridge (`<prefix>/<device>/down`), encoded there as bookingAck (FPort 41). */
export function loraAckRequest(ackedThrough: number, serverTime: number): { bookingAck: { ackedThrough: number; serverTime: number } } {
  return { bookingAck: { ackedThrough, serverTime } };
}
