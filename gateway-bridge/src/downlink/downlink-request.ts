/**
 * A downlink asked for over MQTT on `<prefix>/<device>/down`. The body is the data a TTN/ChirpStack formatter's
 * `encodeDownlink` takes, naming its message: `{"deviceConfig":{"sendInterval":600}}`. It is encoded by
 * payload-schema's downlink encoder, so the bytes on the air are the ones every other part of the toolkit expects.
 */
import { codec } from '../../../payload-schema/src/codec.ts';
import type { DownlinkRequest } from '../types.ts';

/** The largest MQTT body we parse: a downlink is at most 51 bytes on the air, its JSON a few hundred characters. */
const MAX_BODY_BYTES = 4096;

export type ParsedDownlink = { ok: true; request: DownlinkRequest } | { ok: false; error: string };

export function parseDownlinkRequest(deviceId: string, body: Uint8Array): ParsedDownlink {
  if (body.length > MAX_BODY_BYTES) return { ok: false, error: `downlink body of ${body.length} bytes; at most ${MAX_BODY_BYTES}` };
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (e) {
    return { ok: false, error: `downlink body is not JSON: ${(e as Error).message}` };
  }
  const encoded = codec.encodeDownlink(data);
  if (!encoded.ok) return { ok: false, error: `downlink refused: ${encoded.error.message}` };
  return { ok: true, request: { deviceId, port: encoded.port, payload: encoded.bytes, confirmed: false } };
}
