/** MQTT uplinks from LoRaWAN network servers: one parser and one subscription per network. */
import { chirpstackUplinkSubscription, parseChirpstackUplink } from './chirpstack.ts';
import type { NetworkInput, ParseOptions, ParseResult } from './common.ts';
import { parseTtsUplink, ttsUplinkSubscription } from './ttn.ts';

export type { NetworkInput, ParseOptions, ParseResult } from './common.ts';
export { chirpstackUplinkSubscription, parseChirpstackUplink } from './chirpstack.ts';
export { parseTtsUplink, ttsUplinkSubscription } from './ttn.ts';

/** The topic filter to subscribe to; `applicationId` narrows it to one application (TTS: `app` or `app@tenant`). */
export function uplinkSubscription(input: NetworkInput, applicationId?: string): string {
  return input === 'ttn' ? ttsUplinkSubscription(applicationId) : chirpstackUplinkSubscription(applicationId);
}

/** Never throws: a NetworkUplink, or an 'input-malformed' Rejection saying what was wrong. */
export function parseNetworkUplink(input: NetworkInput, topic: string, payload: Uint8Array, opts?: ParseOptions): ParseResult {
  return input === 'ttn' ? parseTtsUplink(topic, payload, opts) : parseChirpstackUplink(topic, payload, opts);
}
