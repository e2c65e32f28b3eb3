/** The Things Stack v3 uplinks: messages shaped as in its data-formats documentation, malformed ones, random ones. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../../payload-schema/src/codec.ts';
import { parseTtsUplink, ttsUplinkSubscription } from '../../../gateway-bridge/src/inputs/network/ttn.ts';
import { uplinkSubscription } from '../../../gateway-bridge/src/inputs/network/index.ts';
import type { ParseResult } from '../../../gateway-bridge/src/inputs/network/common.ts';

const NOW = new Date('2024-03-01T12:00:00.000Z');
const opts = { now: () => NOW };
const TOPIC = 'v3/stadt-sensoren@ttn/devices/road-3/up';

const climate = encode(20, { air: { temperature: 2.5, relativeHumidity: 80 }, surface: { temperature: -1.2 }, iceRisk: 'risk', status: {}, battery: 3.3 });
if (!climate.ok) throw climate.error;
const CLIMATE_BYTES = climate.bytes;

/** An uplink as The Things Stack publishes it (fields per its data-formats page; empty fields omitted). */
function ttsMessage(): Obj {
  return {
    end_device_ids: {
      device_id: 'road-3',
      application_ids: { application_id: 'stadt-sensoren' },
      dev_eui: '70B3D57ED0065A1C',
      join_eui: '0000000000000000',
      dev_addr: '260B1A2F',
    },
    correlation_ids: ['as:up:01HQ8ZJ3W1Q0S8K4Y2V6T5R3N1', 'gs:uplink:01HQ8ZJ3PZ7M4X2C9B8A6D5E4F'],
    received_at: '2024-03-01T11:59:59.912345678Z',
    uplink_message: {
      session_key_id: 'AY3mZt1X3kqZp9T0eS8JvA==',
      f_port: 20,
      f_cnt: 4711,
      frm_payload: Buffer.from(CLIMATE_BYTES).toString('base64'),
      decoded_payload: { air: { temperature: 2.5 } },
      rx_metadata: [
        {
          gateway_ids: { gateway_id: 'eui-a84041ffff24a438', eui: 'A84041FFFF24A438' },
          time: '2024-03-01T11:59:59.621391Z',
          timestamp: 1010590159,
          rssi: -112,
          channel_rssi: -112,
          snr: -4.25,
          frequency_offset: '-2414',
          uplink_token: 'CiIKIAoUZXVpLWE4NDA0MWZmZmYyNGE0MzgSCKhAQf//JKQ4EM+5/OEDGgwI',
          channel_index: 5,
          received_at: '2024-03-01T11:59:59.549107273Z',
        },
        {
          gateway_ids: { gateway_id: 'rathaus-dach', eui: '0016C001F1427F6E' },
          gps_time: '2024-03-01T11:59:59.620000123Z',
          time: '2024-03-01T11:59:59.620000123Z',
          rssi: -81,
          channel_rssi: -81,
          snr: 9.5,
          received_at: '2024-03-01T11:59:59.602000000Z',
        },
      ],
      settings: {
        data_rate: { lora: { bandwidth: 125000, spreading_factor: 9, coding_rate: '4/5' } },
        frequency: '867500000',
        timestamp: 1010590159,
      },
      received_at: '2024-03-01T11:59:59.656299995Z',
      consumed_airtime: '0.246784s',
      network_ids: { net_id: '000013', tenant_id: 'ttn', cluster_id: 'eu1', cluster_address: 'eu1.cloud.thethings.network' },
    },
  };
}

type Obj = Record<string, unknown>;

/** The object holding the last key of a dotted path (array indexes are keys too). */
function holder(obj: Obj, path: string[]): { parent: Obj; key: string } {
  let node = obj;
  for (const key of path.slice(0, -1)) node = node[key] as Obj;
  return { parent: node, key: path.at(-1)! };
}
const del = (obj: Obj, path: string | string[]): void => {
  const { parent, key } = holder(obj, typeof path === 'string' ? path.split('.') : path);
  delete parent[key];
};
const put = (obj: Obj, path: string | string[], value: unknown): void => {
  const { parent, key } = holder(obj, typeof path === 'string' ? path.split('.') : path);
  parent[key] = value;
};

const bytes = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

function uplink(result: ParseResult) {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.detail}`);
  return result.uplink;
}

function rejection(result: ParseResult) {
  if (result.ok) throw new Error('accepted');
  return result.rejection;
}

describe('The Things Stack uplinks', () => {
  it('turns an uplink into a NetworkUplink with rx metadata per gateway, best first', () => {
    expect(uplink(parseTtsUplink(TOPIC, bytes(ttsMessage()), opts))).toEqual({
      input: 'ttn',
      devEui: '70b3d57ed0065a1c',
      networkDeviceId: 'road-3',
      devAddr: '260b1a2f',
      fCnt: 4711,
      fPort: 20,
      payload: CLIMATE_BYTES,
      confirmed: false,
      rx: [
        { gatewayId: 'rathaus-dach', input: 'ttn', rssi: -81, snr: 9.5, receivedAt: '2024-03-01T11:59:59.620Z', clock: 'gateway-gps', clockSynced: null, frequencyHz: 867500000, spreadingFactor: 9 },
        { gatewayId: 'eui-a84041ffff24a438', input: 'ttn', rssi: -112, snr: -4.25, receivedAt: '2024-03-01T11:59:59.549Z', clock: 'network', clockSynced: null, frequencyHz: 867500000, spreadingFactor: 9 },
      ],
    });
  });

  it('reads the fields The Things Stack leaves out when they are 0 or false', () => {
    const msg = ttsMessage();
    del(msg, 'uplink_message.f_cnt');
    del(msg, 'uplink_message.rx_metadata.0.snr');
    del(msg, 'uplink_message.rx_metadata.0.rssi');
    put(msg, 'uplink_message.confirmed', true);
    const up = uplink(parseTtsUplink(TOPIC, bytes(msg), opts));
    expect(up.fCnt).toBe(0);
    expect(up.confirmed).toBe(true);
    expect(up.rx.find((r) => r.gatewayId.startsWith('eui-'))).toMatchObject({ snr: 0, rssi: -112 });
  });

  it('takes the network time when a gateway gives none, and the host clock when the network gives none either', () => {
    const msg = ttsMessage();
    del(msg, 'uplink_message.rx_metadata.0.received_at');
    let rx = uplink(parseTtsUplink(TOPIC, bytes(msg), opts)).rx.find((r) => r.gatewayId.startsWith('eui-'))!;
    expect(rx).toMatchObject({ receivedAt: '2024-03-01T11:59:59.656Z', clock: 'network' });
    del(msg, 'uplink_message.received_at');
    rx = uplink(parseTtsUplink(TOPIC, bytes(msg), opts)).rx.find((r) => r.gatewayId.startsWith('eui-'))!;
    expect(rx).toMatchObject({ receivedAt: '2024-03-01T11:59:59.912Z', clock: 'network' });
    del(msg, 'received_at');
    rx = uplink(parseTtsUplink(TOPIC, bytes(msg), opts)).rx.find((r) => r.gatewayId.startsWith('eui-'))!;
    expect(rx).toMatchObject({ receivedAt: NOW.toISOString(), clock: 'bridge', clockSynced: null });
  });

  it('accepts an empty application payload and the topic of a single-tenant deployment', () => {
    const msg = ttsMessage();
    del(msg, 'uplink_message.frm_payload');
    const up = uplink(parseTtsUplink('v3/stadt-sensoren/devices/road-3/up', bytes(msg), opts));
    expect(up.payload).toEqual(new Uint8Array(0));
  });

  it('subscribes to every application or to one', () => {
    expect(ttsUplinkSubscription()).toBe('v3/+/devices/+/up');
    expect(ttsUplinkSubscription('stadt-sensoren@ttn')).toBe('v3/stadt-sensoren@ttn/devices/+/up');
    expect(uplinkSubscription('ttn')).toBe('v3/+/devices/+/up');
  });
});

describe('The Things Stack messages the bridge refuses', () => {
  const cases: [string, (msg: Obj) => unknown, RegExp][] = [
    ['a MAC-only frame (no f_port)', (m) => del(m, 'uplink_message.f_port'), /^MAC-only frame from road-3 \(no FPort\)/],
    ['a payload that is not base64', (m) => put(m, 'uplink_message.frm_payload', 'gkH*e'), /frm_payload is not base64/],
    ['a payload with impossible padding', (m) => put(m, 'uplink_message.frm_payload', 'g==='), /frm_payload is not base64/],
    ['a device without DevEUI', (m) => del(m, 'end_device_ids.dev_eui'), /dev_eui is missing \(device road-3\)/],
    ['a malformed DevEUI', (m) => put(m, 'end_device_ids.dev_eui', '70B3D57ED0065A1'), /dev_eui "70B3D57ED0065A1" is not 16 hex digits/],
    ['no gateway metadata', (m) => del(m, 'uplink_message.rx_metadata'), /rx_metadata is missing/],
    ['no uplink_message (another event)', (m) => del(m, 'uplink_message'), /not a The Things Stack uplink: uplink_message:/],
    ['a frame counter that is a string', (m) => put(m, 'uplink_message.f_cnt', '4711'), /not a The Things Stack uplink: uplink_message\.f_cnt:/],
    ['an FPort beyond 255', (m) => put(m, 'uplink_message.f_port', 256), /uplink_message\.f_port:/],
    ['another device than the topic names', (m) => put(m, 'end_device_ids.device_id', 'road-4'), /topic names device road-3 but the message is from road-4/],
  ];

  it.each(cases)('%s', (_what, mutate, detail) => {
    const msg = ttsMessage();
    mutate(msg);
    const r = rejection(parseTtsUplink(TOPIC, bytes(msg), { ...opts, sourceId: 'ttn-stadt' }));
    expect(r.reason).toBe('input-malformed');
    expect(r.input).toBe('ttn');
    expect(r.detail).toMatch(detail);
    expect(r.receivedAt).toBe(NOW.toISOString());
    expect(r.raw).toBe(Buffer.from(bytes(msg)).toString('hex').slice(0, 512));
    expect(r.raw!.length).toBeLessThanOrEqual(512);
  });

  it('names the device and frame counter in a rejection when it knows them', () => {
    const msg = ttsMessage();
    del(msg, 'uplink_message.f_port');
    expect(rejection(parseTtsUplink(TOPIC, bytes(msg), opts))).toMatchObject({ devEui: '70b3d57ed0065a1c', devAddr: '260b1a2f', fCnt: 4711, gatewayId: 'ttn' });
  });

  it('refuses text that is not JSON, JSON that is not an uplink, and foreign topics', () => {
    expect(rejection(parseTtsUplink(TOPIC, bytes('{"end_device_ids": '), opts)).detail).toMatch(/^invalid JSON: /);
    expect(rejection(parseTtsUplink(TOPIC, bytes('[1,2]'), opts)).detail).toMatch(/^not a The Things Stack uplink: message: /);
    expect(rejection(parseTtsUplink(TOPIC, new Uint8Array([0xff, 0xfe, 0x00]), opts)).detail).toMatch(/^invalid JSON/);
    expect(rejection(parseTtsUplink('v3/app@ttn/devices/road-3/join', bytes(ttsMessage()), opts)).detail).toMatch(/is not a The Things Stack uplink topic/);
  });

  it('never throws, whatever JSON or bytes arrive', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json().map((j) => bytes(j)), fc.uint8Array({ maxLength: 300 })), (payload) => {
        const r = parseTtsUplink(TOPIC, payload, opts);
        if (!r.ok) expect(r.rejection.detail.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on a real message with any field replaced by any JSON value, and what it accepts is well-formed', () => {
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      paths.push(p);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
    };
    walk(ttsMessage(), []);
    fc.assert(
      fc.property(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.option(fc.jsonValue(), { nil: undefined }), (path, value) => {
        const msg = ttsMessage();
        if (value === undefined) del(msg, path);
        else put(msg, path, value);
        const r = parseTtsUplink(TOPIC, bytes(msg), opts);
        if (!r.ok) return;
        const up = r.uplink;
        expect(up.devEui).toMatch(/^[0-9a-f]{16}$/);
        expect(up.fPort).toBeGreaterThanOrEqual(1);
        expect(up.fPort).toBeLessThanOrEqual(255);
        expect(Number.isInteger(up.fCnt) && up.fCnt >= 0).toBe(true);
        expect(up.rx.length).toBeGreaterThan(0);
        for (const rx of up.rx) {
          expect(rx.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          expect(typeof rx.rssi === 'number' && typeof rx.snr === 'number').toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
