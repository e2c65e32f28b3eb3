/**
 * Uplinks from the ChirpStack v4 MQTT integration (`application/<application id>/device/<DevEUI>/event/up`, the
 * protobuf JSON mapping of integration.UplinkEvent: camelCase keys, bytes as base64).
 *
 * Receive time per gateway: `gwTime` (ChirpStack sets it only for gateways with a GPS module; `time` in early v4
 * releases) gives clock 'gateway-gps'; otherwise ChirpStack's `nsTime`, then the event's `time`, give clock
 * 'network'. A missing or zero `fPort` is a frame without application payload.
 */
import { z } from 'zod';
import { sortRx } from '../../events/rx.ts';
import type { RxInfo } from '../../types.ts';
import {
  decodeBase64,
  describeIssues,
  guarded,
  hexId,
  normalizeTime,
  parseJson,
  receiveTime,
  reject,
  type ParseOptions,
  type ParseResult,
} from './common.ts';

const TOPIC = /^application\/([^/]+)\/device\/([^/]+)\/event\/up$/;

/** Subscription for uplinks of one application (its UUID) or, by default, of every application. */
export function chirpstackUplinkSubscription(applicationId = '+'): string {
  return `application/${applicationId}/device/+/event/up`;
}

const rxInfo = z.object({
  gatewayId: z.string().min(1),
  gwTime: z.string().optional(),
  time: z.string().optional(),
  nsTime: z.string().optional(),
  rssi: z.number().optional(),
  snr: z.number().optional(),
});

const uplinkEvent = z.object({
  deviceInfo: z.object({
    devEui: z.string(),
    deviceName: z.string().optional(),
    applicationId: z.string().optional(),
  }),
  time: z.string().optional(),
  devAddr: z.string().optional(),
  fCnt: z.number().int().min(0).max(0xffffffff).optional(),
  fPort: z.number().int().min(0).max(255).optional(),
  confirmed: z.boolean().optional(),
  data: z.string().optional(),
  rxInfo: z.array(rxInfo).optional(),
  txInfo: z
    .object({
      frequency: z.number().optional(),
      modulation: z.object({ lora: z.object({ spreadingFactor: z.number().int().optional() }).optional() }).optional(),
    })
    .optional(),
});

/** Never throws: the uplink, or an 'input-malformed' rejection saying what is wrong. */
export function parseChirpstackUplink(topic: string, payload: Uint8Array, opts: ParseOptions = {}): ParseResult {
  return guarded('chirpstack', payload, opts, () => parse(topic, payload, opts));
}

function parse(topic: string, payload: Uint8Array, opts: ParseOptions): ParseResult {
  const input = 'chirpstack';
  const t = TOPIC.exec(topic);
  if (!t) {
    return reject(input, `topic ${topic} is not a ChirpStack uplink topic (application/<id>/device/<DevEUI>/event/up)`, payload, opts);
  }
  const json = parseJson(payload);
  if (!json.ok) return reject(input, `invalid JSON: ${json.error}`, payload, opts);
  const parsed = uplinkEvent.safeParse(json.value);
  if (!parsed.success) return reject(input, `not a ChirpStack uplink event: ${describeIssues(parsed.error)}`, payload, opts);
  const msg = parsed.data;
  const devEui = hexId(msg.deviceInfo.devEui, 16);
  const devAddr = hexId(msg.devAddr, 8);
  const fCnt = msg.fCnt ?? 0;
  const known = { ...(devEui ? { devEui } : {}), ...(devAddr ? { devAddr } : {}), fCnt };
  if (!devEui) {
    return reject(input, `deviceInfo.devEui ${JSON.stringify(msg.deviceInfo.devEui)} is not 16 hex digits`, payload, opts, known);
  }
  if (t[2]!.toLowerCase() !== devEui) {
    return reject(input, `topic names device ${t[2]} but the event is from ${devEui}`, payload, opts, known);
  }
  if (msg.fPort === undefined || msg.fPort === 0) {
    return reject(input, `MAC-only frame from ${devEui} (no FPort): no application payload to decode`, payload, opts, known);
  }
  const bytes = msg.data === undefined ? new Uint8Array(0) : decodeBase64(msg.data);
  if (!bytes) return reject(input, `data is not base64`, payload, opts, { ...known, port: msg.fPort });
  if (!msg.rxInfo || msg.rxInfo.length === 0) {
    return reject(input, `rxInfo is missing: no gateway heard this frame`, payload, opts, { ...known, port: msg.fPort });
  }

  const eventTime = normalizeTime(msg.time);
  const frequency = msg.txInfo?.frequency;
  const spreadingFactor = msg.txInfo?.modulation?.lora?.spreadingFactor;
  const rx = msg.rxInfo.map((r): RxInfo => {
    const info: RxInfo = {
      gatewayId: r.gatewayId,
      input,
      rssi: r.rssi ?? 0,
      snr: r.snr ?? 0,
      ...receiveTime(normalizeTime(r.gwTime ?? r.time), normalizeTime(r.nsTime) ?? eventTime, opts),
    };
    if (frequency !== undefined) info.frequencyHz = frequency;
    if (spreadingFactor !== undefined) info.spreadingFactor = spreadingFactor;
    return info;
  });

  return {
    ok: true,
    uplink: {
      input,
      devEui,
      networkDeviceId: msg.deviceInfo.deviceName ?? devEui,
      ...(devAddr ? { devAddr } : {}),
      fCnt,
      fPort: msg.fPort,
      payload: bytes,
      confirmed: msg.confirmed ?? false,
      rx: sortRx(rx),
    },
  };
}
