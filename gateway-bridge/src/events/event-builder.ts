/**
 * The event stage: an accepted frame decoded with payload-schema into a BridgeEvent, with units, a stable id and
 * its receivers best first. A payload the schema refuses becomes a rejection, never an event.
 */
import { createHash } from 'node:crypto';
import { codec as defaultCodec, type Codec } from '../../../payload-schema/src/codec.ts';
import type { MessageDef } from '../../../payload-schema/src/dsl.ts';
import { walkFields } from '../../../payload-schema/src/layout.ts';
import { buildRejection, toHex } from '../lorawan/rejection.ts';
import type { AcceptedFrame, BridgeEvent, Rejection } from '../types.ts';
import { sortRx } from './rx.ts';

export type BuildResult = { ok: true; event: BridgeEvent } | { ok: false; rejection: Rejection };

/**
 * The event id: the first 16 bytes of SHA-256 over `devEui|fCnt|port|payloadHex`, as 32 hex digits. Only what the
 * device sent goes in, so the same frame gets the same id from any module, any bridge and any restart.
 */
export function eventId(devEui: string, fCnt: number, port: number, payload: Uint8Array): string {
  const text = `${devEui.toLowerCase()}|${fCnt}|${port}|${toHex(payload)}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The id of the event an accepted frame gives (a duplicate's `frame` included). */
export function eventIdOf(frame: Pick<AcceptedFrame, 'device' | 'fCnt' | 'fPort' | 'payload'>): string {
  return eventId(frame.device.devEui, frame.fCnt, frame.fPort, frame.payload);
}

/**
 * Dotted path -> UCUM unit for every field and derived value of a message that has a unit. Fields inside a list
 * are named by the list path with `[]` and the item path (`bookings[].offset`): one entry for all items, the way
 * payload-schema's layout names them; a consumer finds the unit of `bookings[2].offset` by dropping the index.
 */
export function unitsOf(message: MessageDef): Record<string, string> {
  const units: Record<string, string> = {};
  for (const { path, field } of walkFields(message.fields)) if (field.unit) units[path] = field.unit;
  for (const value of message.derived) units[value.name] = value.unit;
  return units;
}

export interface EventBuilderOptions {
  codec?: Codec;
  /** Receive time when a frame carries no rx at all (a network uplink without metadata). */
  now?: () => number;
}

export class EventBuilder {
  readonly #codec: Codec;
  readonly #now: () => number;
  readonly #units = new Map<number, Record<string, string>>();

  constructor(options: EventBuilderOptions = {}) {
    this.#codec = options.codec ?? defaultCodec;
    this.#now = options.now ?? Date.now;
  }

  build(frame: AcceptedFrame): BuildResult {
    const rx = sortRx(frame.rx);
    const best = rx[0];
    const receivedAt = best?.receivedAt ?? new Date(this.#now()).toISOString();
    const payloadHex = toHex(frame.payload);
    const result = this.#codec.decodeUplink(frame.fPort, frame.payload);
    if (!result.ok) {
      const unknownPort = result.error.code === 'UNKNOWN_PORT' || result.error.code === 'WRONG_DIRECTION';
      const heard = { input: frame.input, gatewayId: best?.gatewayId ?? 'unknown', receivedAt };
      const name = this.#codec.message(frame.fPort)?.name;
      const what = unknownPort
        ? `FPort ${frame.fPort} of ${frame.device.id}: ${result.error.message}`
        : `payload of ${frame.device.id} on FPort ${frame.fPort} (${name}): ${result.error.message}`;
      const rejection = buildRejection(heard, unknownPort ? 'unknown-port' : 'payload-invalid', what, {
        devAddr: frame.device.devAddr,
        devEui: frame.device.devEui,
        device: frame.device.id,
        fCnt: frame.fCnt,
        port: frame.fPort,
        raw: payloadHex,
      });
      return { ok: false, rejection };
    }
    const { device } = frame;
    const event: BridgeEvent = {
      id: eventId(device.devEui, frame.fCnt, frame.fPort, frame.payload),
      device: { id: device.id, name: device.name, devEui: device.devEui, type: device.type },
      port: frame.fPort,
      message: result.message.name,
      fCnt: frame.fCnt,
      confirmed: frame.confirmed,
      counterReset: frame.counterReset,
      data: result.data,
      units: this.#unitsFor(frame.fPort, result.message),
      payloadHex,
      receivedAt,
      rx,
      input: frame.input,
    };
    if (device.devAddr !== undefined) event.device.devAddr = device.devAddr;
    if (device.location !== undefined) event.device.location = { ...device.location };
    return { ok: true, event };
  }

  #unitsFor(port: number, message: MessageDef): Record<string, string> {
    let units = this.#units.get(port);
    if (!units) {
      units = unitsOf(message);
      this.#units.set(port, units);
    }
    return { ...units };
  }
}
