/**
 * Uplinks from The Things Stack v3 MQTT integration (`v3/<app>@<tenant>/devices/<device>/up`, JSON as in
 * https://www.thethingsindustries.com/docs/integrations/data-formats/). The Things Stack omits every field whose
 * value is empty, 0 or false: a missing `f_cnt`, `snr` or `confirmed` means 0 or false, and a missing `f_port`
 * means a frame without application payload (MAC commands only), which has nothing to decode.
 *
 * Receive time per gateway: `gps_time` (set only by GPS-synchronised gateways) gives clock 'gateway-gps';
 * otherwise the network's own receive time (`received_at` of the gateway server, then of the network server, then
 * of the application server) gives clock 'network'. The gateway's `time` is not used: The Things Stack fills it
 * best-effort from whatever clock the gateway has.
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

const TOPIC = /^v3\/([^/]+)\/devices\/([^/]+)\/up$/;

/** Subscription for uplinks of one application (`app` or `app@tenant`) or, by default, of every application. */
export function ttsUplinkSubscription(applicationId = '+'): string {
  return `v3/${applicationId}/devices/+/up`;
}

const rxMetadata = z.object({
  gateway_ids: z.object({ gateway_id: z.string().min(1), eui: z.string().optional() }),
  gps_time: z.string().optional(),
  time: z.string().optional(),
  received_at: z.string().optional(),
  rssi: z.number().optional(),
  channel_rssi: z.number().optional(),
  snr: z.number().optional(),
});

const ttsUplink = z.object({
  end_device_ids: z.object({
    device_id: z.string().min(1),
    application_ids: z.object({ application_id: z.string() }).optional(),
    dev_eui: z.string().optional(),
    dev_addr: z.string().optional(),
  }),
  received_at: z.string().optional(),
  uplink_message: z.object({
    f_port: z.number().int().min(0).max(255).optional(),
    f_cnt: z.number().int().min(0).max(0xffffffff).optional(),
    frm_payload: z.string().optional(),
    confirmed: z.boolean().optional(),
    rx_metadata: z.array(rxMetadata).optional(),
    settings: z
      .object({
        data_rate: z.object({ lora: z.object({ spreading_factor: z.number().int().optional() }).optional() }).optional(),
        // uint64 in the protobuf JSON mapping: a decimal string
        frequency: z.union([z.string().regex(/^\d+$/), z.number()]).optional(),
      })
      .optional(),
    received_at: z.string().optional(),
  }),
});

/** Never throws: the uplink, or an 'input-malformed' rejection saying what is wrong. */
export function parseTtsUplink(topic: string, payload: Uint8Array, opts: ParseOptions = {}): ParseResult {
  return guarded('ttn', payload, opts, () => parse(topic, payload, opts));
}

function parse(topic: string, payload: Uint8Array, opts: ParseOptions): ParseResult {
  const input = 'ttn';
  const t = TOPIC.exec(topic);
  if (!t) return reject(input, `topic ${topic} is not a The Things Stack uplink topic (v3/<app>@<tenant>/devices/<device>/up)`, payload, opts);
  const json = parseJson(payload);
  if (!json.ok) return reject(input, `invalid JSON: ${json.error}`, payload, opts);
  const parsed = ttsUplink.safeParse(json.value);
  if (!parsed.success) return reject(input, `not a The Things Stack uplink: ${describeIssues(parsed.error)}`, payload, opts);
  const msg = parsed.data;
  const ids = msg.end_device_ids;
  const up = msg.uplink_message;
  const devEui = hexId(ids.dev_eui, 16);
  const devAddr = hexId(ids.dev_addr, 8);
  const fCnt = up.f_cnt ?? 0;
  const known = { ...(devEui ? { devEui } : {}), ...(devAddr ? { devAddr } : {}), fCnt };
  if (t[2] !== ids.device_id) {
    return reject(input, `topic names device ${t[2]} but the message is from ${ids.device_id}`, payload, opts, known);
  }
  if (!devEui) {
    return reject(
      input,
      `end_device_ids.dev_eui ${ids.dev_eui === undefined ? 'is missing' : `${JSON.stringify(ids.dev_eui)} is not 16 hex digits`} ` +
        `(device ${ids.device_id}): the bridge finds devices by DevEUI`,
      payload,
      opts,
      known,
    );
  }
  if (up.f_port === undefined || up.f_port === 0) {
    return reject(input, `MAC-only frame from ${ids.device_id} (no FPort): no application payload to decode`, payload, opts, known);
  }
  const bytes = up.frm_payload === undefined ? new Uint8Array(0) : decodeBase64(up.frm_payload);
  if (!bytes) return reject(input, `uplink_message.frm_payload is not base64`, payload, opts, { ...known, port: up.f_port });
  if (!up.rx_metadata || up.rx_metadata.length === 0) {
    return reject(input, `uplink_message.rx_metadata is missing: no gateway heard this frame`, payload, opts, { ...known, port: up.f_port });
  }

  const networkTime = normalizeTime(up.received_at) ?? normalizeTime(msg.received_at);
  const frequency = up.settings?.frequency === undefined ? undefined : Number(up.settings.frequency);
  const spreadingFactor = up.settings?.data_rate?.lora?.spreading_factor;
  const rx = up.rx_metadata.map((m): RxInfo => {
    const gps = normalizeTime(m.gps_time);
    const network = normalizeTime(m.received_at) ?? networkTime;
    const info: RxInfo = {
      gatewayId: m.gateway_ids.gateway_id,
      input,
      rssi: m.rssi ?? m.channel_rssi ?? 0,
      snr: m.snr ?? 0,
      ...receiveTime(gps, network, opts),
    };
    if (frequency !== undefined && Number.isFinite(frequency)) info.frequencyHz = frequency;
    if (spreadingFactor !== undefined) info.spreadingFactor = spreadingFactor;
    return info;
  });

  return {
    ok: true,
    uplink: {
      input,
      devEui,
      networkDeviceId: ids.device_id,
      ...(devAddr ? { devAddr } : {}),
      fCnt,
      fPort: up.f_port,
      payload: bytes,
      confirmed: up.confirmed ?? false,
      rx: sortRx(rx),
    },
  };
}
