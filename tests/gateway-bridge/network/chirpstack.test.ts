/** ChirpStack v4 uplink events: messages shaped as its integration publishes them, malformed ones, random ones. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../../payload-schema/src/codec.ts';
import { chirpstackUplinkSubscription, parseChirpstackUplink } from '../../../gateway-bridge/src/inputs/network/chirpstack.ts';
import { parseNetworkUplink, uplinkSubscription } from '../../../gateway-bridge/src/inputs/network/index.ts';
import type { ParseResult } from '../../../gateway-bridge/src/inputs/network/common.ts';

const NOW = new Date('2024-03-01T12:00:00.000Z');
const opts = { now: () => NOW };
const APP = '9f1832a7-2862-4e8e-9c20-0f8342e689de';
const DEV_EUI = 'a840415711866a85';
const TOPIC = `application/${APP}/device/${DEV_EUI}/event/up`;

const parking = encode(10, { occupied: true, sensorFault: false, changeCount: 17, fieldDeviation: 42.5, temperature: 8, battery: 3.02 });
if (!parking.ok) throw parking.error;
const PARKING_BYTES = parking.bytes;

/** An UplinkEvent in ChirpStack's JSON encoding (camelCase, bytes as base64). */
function event(): Obj {
  return {
    deduplicationId: '838f2b6e-a781-48ec-9a79-600442adbe7c',
    time: '2024-03-01T11:59:58.118252739+00:00',
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'Stadtwerke',
      applicationId: APP,
      applicationName: 'Parken',
      deviceProfileId: 'f35e1cad-8571-405d-85c3-e4c6b01c4e90',
      deviceProfileName: 'stadtsensor parking bay',
      deviceName: 'bay-marktplatz-07',
      devEui: DEV_EUI,
      deviceClassEnabled: 'CLASS_A',
      tags: {},
    },
    devAddr: '01272c9e',
    adr: true,
    dr: 5,
    fCnt: 1022,
    fPort: 10,
    confirmed: false,
    data: Buffer.from(PARKING_BYTES).toString('base64'),
    rxInfo: [
      {
        gatewayId: '0016c001f1427f6e',
        uplinkId: 1966232800,
        nsTime: '2024-03-01T11:59:57.868407010+00:00',
        rssi: -109,
        snr: -2.2,
        channel: 4,
        location: {},
        context: 'SWed3w==',
        metadata: { region_config_id: 'eu868', region_common_name: 'EU868' },
        crcStatus: 'CRC_OK',
      },
      {
        gatewayId: '50303541b0344750',
        uplinkId: 57857,
        gwTime: '2024-03-01T11:59:57.573381+00:00',
        nsTime: '2024-03-01T11:59:58.370171527+00:00',
        rssi: -54,
        snr: 8.5,
        channel: 6,
        location: { latitude: 50.69344, longitude: 8.47678 },
        context: '2tr9BA==',
        metadata: { region_config_id: 'eu868', region_common_name: 'EU868' },
        crcStatus: 'CRC_OK',
      },
    ],
    txInfo: { frequency: 867300000, modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } } },
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
const get = (obj: Obj, path: string): unknown => {
  const { parent, key } = holder(obj, path.split('.'));
  return parent[key];
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

describe('ChirpStack uplink events', () => {
  it('turns an event into a NetworkUplink with rx metadata per gateway, best first', () => {
    expect(uplink(parseChirpstackUplink(TOPIC, bytes(event()), opts))).toEqual({
      input: 'chirpstack',
      devEui: DEV_EUI,
      networkDeviceId: 'bay-marktplatz-07',
      devAddr: '01272c9e',
      fCnt: 1022,
      fPort: 10,
      payload: PARKING_BYTES,
      confirmed: false,
      rx: [
        { gatewayId: '50303541b0344750', input: 'chirpstack', rssi: -54, snr: 8.5, receivedAt: '2024-03-01T11:59:57.573Z', clock: 'gateway-gps', clockSynced: null, frequencyHz: 867300000, spreadingFactor: 7 },
        { gatewayId: '0016c001f1427f6e', input: 'chirpstack', rssi: -109, snr: -2.2, receivedAt: '2024-03-01T11:59:57.868Z', clock: 'network', clockSynced: null, frequencyHz: 867300000, spreadingFactor: 7 },
      ],
    });
  });

  it('reads the GPS time of early v4 releases (rxInfo.time) and falls back to the event time, then the host clock', () => {
    const msg = event();
    const first = get(msg, 'rxInfo.0') as Obj;
    first.time = '2024-03-01T11:59:57.5+01:00';
    let rx = uplink(parseChirpstackUplink(TOPIC, bytes(msg), opts)).rx.find((r) => r.gatewayId === first.gatewayId)!;
    expect(rx).toMatchObject({ receivedAt: '2024-03-01T10:59:57.500Z', clock: 'gateway-gps' });
    delete first.time;
    delete first.nsTime;
    rx = uplink(parseChirpstackUplink(TOPIC, bytes(msg), opts)).rx.find((r) => r.gatewayId === first.gatewayId)!;
    expect(rx).toMatchObject({ receivedAt: '2024-03-01T11:59:58.118Z', clock: 'network' });
    del(msg, 'time');
    rx = uplink(parseChirpstackUplink(TOPIC, bytes(msg), opts)).rx.find((r) => r.gatewayId === first.gatewayId)!;
    expect(rx).toMatchObject({ receivedAt: NOW.toISOString(), clock: 'bridge' });
  });

  it('accepts a confirmed uplink, a missing device name and an upper-case DevEUI in the topic', () => {
    const msg = event();
    put(msg, 'confirmed', true);
    del(msg, 'deviceInfo.deviceName');
    const up = uplink(parseChirpstackUplink(TOPIC.replace(DEV_EUI, DEV_EUI.toUpperCase()), bytes(msg), opts));
    expect(up).toMatchObject({ confirmed: true, networkDeviceId: DEV_EUI });
  });

  it('is reached through the network dispatcher and subscribes to every application or to one', () => {
    expect(uplink(parseNetworkUplink('chirpstack', TOPIC, bytes(event()), opts)).devEui).toBe(DEV_EUI);
    expect(chirpstackUplinkSubscription()).toBe('application/+/device/+/event/up');
    expect(uplinkSubscription('chirpstack', APP)).toBe(`application/${APP}/device/+/event/up`);
  });
});

describe('ChirpStack events the bridge refuses', () => {
  const cases: [string, (msg: Obj) => unknown, RegExp][] = [
    ['a frame without FPort', (m) => del(m, 'fPort'), /^MAC-only frame from a840415711866a85 \(no FPort\)/],
    ['FPort 0 (MAC commands)', (m) => put(m, 'fPort', 0), /^MAC-only frame/],
    ['data that is not base64', (m) => put(m, 'data', 'CmQC D3//'), /^data is not base64/],
    ['a DevEUI that is not hex', (m) => put(m, 'deviceInfo.devEui', 'a84041571186zz85'), /deviceInfo\.devEui "a84041571186zz85" is not 16 hex digits/],
    ['another device than the topic names', (m) => put(m, 'deviceInfo.devEui', 'a840415711866a86'), /topic names device a840415711866a85 but the event is from a840415711866a86/],
    ['no rxInfo', (m) => put(m, 'rxInfo', []), /rxInfo is missing/],
    ['no deviceInfo', (m) => del(m, 'deviceInfo'), /^not a ChirpStack uplink event: deviceInfo:/],
    ['a gateway without id', (m) => del(m, 'rxInfo.1.gatewayId'), /^not a ChirpStack uplink event: rxInfo\.1\.gatewayId:/],
    ['a negative frame counter', (m) => put(m, 'fCnt', -1), /fCnt:/],
  ];

  it.each(cases)('%s', (_what, mutate, detail) => {
    const msg = event();
    mutate(msg);
    const r = rejection(parseChirpstackUplink(TOPIC, bytes(msg), opts));
    expect(r).toMatchObject({ reason: 'input-malformed', input: 'chirpstack', receivedAt: NOW.toISOString() });
    expect(r.detail).toMatch(detail);
    expect(r.raw).toBe(Buffer.from(bytes(msg)).toString('hex').slice(0, 512));
  });

  it('refuses text that is not JSON and foreign topics', () => {
    expect(rejection(parseChirpstackUplink(TOPIC, bytes('not json'), opts)).detail).toMatch(/^invalid JSON: /);
    expect(rejection(parseChirpstackUplink(`application/${APP}/device/${DEV_EUI}/event/join`, bytes(event()), opts)).detail).toMatch(
      /is not a ChirpStack uplink topic/,
    );
  });

  it('never throws, whatever JSON or bytes arrive', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json().map((j) => bytes(j)), fc.uint8Array({ maxLength: 300 })), (payload) => {
        const r = parseChirpstackUplink(TOPIC, payload, opts);
        if (!r.ok) expect(r.rejection.detail.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on a real event with any field replaced by any JSON value, and what it accepts is well-formed', () => {
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      paths.push(p);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
    };
    walk(event(), []);
    fc.assert(
      fc.property(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.option(fc.jsonValue(), { nil: undefined }), (path, value) => {
        const msg = event();
        if (value === undefined) del(msg, path);
        else put(msg, path, value);
        const r = parseChirpstackUplink(TOPIC, bytes(msg), opts);
        if (!r.ok) return;
        expect(r.uplink.devEui).toBe(DEV_EUI);
        expect(r.uplink.fPort).toBeGreaterThanOrEqual(1);
        expect(r.uplink.rx.length).toBeGreaterThan(0);
        for (const rx of r.uplink.rx) expect(rx.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }),
      { numRuns: 500 },
    );
  });
});
