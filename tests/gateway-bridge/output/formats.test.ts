/**
 * Output formats: the JSON event, SenML JSON and SenML CBOR (RFC 8428), checked against the RFC's own examples and
 * against events built from real encoded payloads.
 */
import { Decoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../../payload-schema/src/catalog/index.ts';
import { decode, encode } from '../../../payload-schema/src/codec.ts';
import {
  OUTPUT_FORMATS,
  SENML_CBOR_LABELS,
  decodeSenmlCbor,
  encodeSenmlCbor,
  eventToJson,
  resolveSenml,
  senmlRecords,
  serializeEvent,
  type SenmlRecord,
} from '../../../gateway-bridge/src/output/formats.ts';
import { unitsOf } from '../../../gateway-bridge/src/events/event-builder.ts';
import type { BridgeEvent } from '../../../gateway-bridge/src/types.ts';
import { messageArb } from '../../payload-schema/arbitraries.ts';

const RECEIVED_AT = '2024-02-07T10:00:00.123Z';
const BT = 1707300000.123;

function eventOf(messageName: string, input: Record<string, unknown>): BridgeEvent {
  const message = catalog.find((m) => m.name === messageName)!;
  const encoded = encode(message.port, input);
  if (!encoded.ok) throw encoded.error;
  const decoded = decode(message.port, encoded.bytes);
  if (!decoded.ok) throw decoded.error;
  return {
    id: 'a1b2c3',
    device: { id: 'road-3', name: 'Hauptstraße', devEui: '0004A30B001C0530', devAddr: '26011bda', type: 'roadClimate' },
    port: message.port,
    message: message.name,
    fCnt: 1234,
    confirmed: false,
    counterReset: false,
    data: decoded.data,
    units: unitsOf(message),
    payloadHex: Buffer.from(encoded.bytes).toString('hex'),
    receivedAt: RECEIVED_AT,
    rx: [
      { gatewayId: 'rak-1', input: 'serial', rssi: -97, snr: 7.5, receivedAt: RECEIVED_AT, clock: 'bridge', clockSynced: true, frequencyHz: 868100000, spreadingFactor: 9 },
      { gatewayId: 'rak-2', input: 'serial', rssi: -110, snr: -3, receivedAt: RECEIVED_AT, clock: 'bridge', clockSynced: null },
    ],
    input: 'serial',
  };
}

const roadClimate = () =>
  eventOf('roadClimate', { air: { temperature: 2.5, relativeHumidity: 80 }, surface: { temperature: -1.2 }, iceRisk: 'risk', status: { heaterOn: true }, battery: 3.3 });

describe('JSON', () => {
  it('is the event as is, with rx, units and receive clock', () => {
    const event = roadClimate();
    expect(JSON.parse(serializeEvent(event, 'json').toString())).toEqual(event);
    const json = JSON.parse(eventToJson(event)) as BridgeEvent;
    expect(json.rx[0]).toEqual({ gatewayId: 'rak-1', input: 'serial', rssi: -97, snr: 7.5, receivedAt: RECEIVED_AT, clock: 'bridge', clockSynced: true, frequencyHz: 868100000, spreadingFactor: 9 });
    expect(json.units['air.temperature']).toBe('Cel');
  });

  it('has one key order whatever order the event was built in', () => {
    const event = roadClimate();
    const shuffled = Object.fromEntries(Object.entries(event).reverse()) as unknown as BridgeEvent;
    shuffled.rx = event.rx.map((r) => Object.fromEntries(Object.entries(r).reverse()) as unknown as BridgeEvent['rx'][number]);
    shuffled.units = Object.fromEntries(Object.entries(event.units).reverse());
    expect(serializeEvent(shuffled, 'json').equals(serializeEvent(event, 'json'))).toBe(true);
    expect(Object.keys(JSON.parse(eventToJson(shuffled)) as object)).toEqual([
      'id', 'device', 'port', 'message', 'fCnt', 'confirmed', 'counterReset', 'receivedAt', 'input', 'data', 'units', 'rx', 'payloadHex',
    ]);
  });
});

/** Scalars other than null in a decoded object, counted independently of the code under test. */
function countNonNull(value: unknown): number {
  if (value === null) return 0;
  if (typeof value !== 'object') return 1;
  return Object.values(value as object).reduce((n: number, v) => n + countNonNull(v), 0);
}

describe('SenML JSON', () => {
  it('writes one record per reading under the DevEUI base name and the receive time', () => {
    expect(JSON.parse(serializeEvent(roadClimate(), 'senml-json').toString())).toEqual([
      { bn: 'urn:dev:mac:0004a30b001c0530:', bt: BT, n: 'air.temperature', u: 'Cel', v: 2.5 },
      { n: 'air.relativeHumidity', u: '%RH', v: 80 },
      { n: 'air.dewPoint', u: 'Cel', v: -0.6 },
      { n: 'air.frostPoint', u: 'Cel', v: -0.53 },
      { n: 'surface.temperature', u: 'Cel', v: -1.2 },
      { n: 'iceRisk', vs: 'risk' },
      { n: 'status.airSensorFailed', vb: false },
      { n: 'status.surfaceSensorFailed', vb: false },
      { n: 'status.heaterOn', vb: true },
      { n: 'battery', u: 'V', v: 3.3 },
    ]);
  });

  it('leaves out null readings instead of inventing a value', () => {
    const event = eventOf('roadClimate', { air: { temperature: null, relativeHumidity: 55 }, surface: { temperature: 1 }, iceRisk: 'unknown', status: { airSensorFailed: true }, battery: null });
    const names = senmlRecords(event).map((r) => r.n);
    expect(names).not.toContain('air.temperature');
    expect(names).not.toContain('air.dewPoint');
    expect(names).not.toContain('battery');
    expect(names).toContain('air.relativeHumidity');
    expect(senmlRecords(event)[0]).toMatchObject({ bn: 'urn:dev:mac:0004a30b001c0530:', bt: BT, n: 'air.relativeHumidity' });
  });

  it('converts centimetres, millimetres and minutes to the SenML units m and s, and indexes list items', () => {
    const single = senmlRecords(eventOf('waterLevel', { level: 123, distance: 2345, stage: 0, trend: 'steady', quality: {}, battery: 3.6 }));
    expect(single.slice(0, 2)).toEqual([
      { bn: 'urn:dev:mac:0004a30b001c0530:', bt: BT, n: 'level', u: 'm', v: 1.23 },
      { n: 'distance', u: 'm', v: 2.345 },
    ]);
    const batch = senmlRecords(eventOf('waterLevelBatch', { stage: 2, trend: 'rising', battery: 3.5, readings: [{ age: 10, level: 57, quality: {} }, { age: 0, level: null, quality: { noTarget: true } }] }));
    expect(batch.filter((r) => r.n!.startsWith('readings.'))).toEqual([
      { n: 'readings.0.age', u: 's', v: 600 },
      { n: 'readings.0.level', u: 'm', v: 0.57 },
      { n: 'readings.0.quality.noTarget', vb: false },
      { n: 'readings.0.quality.outOfRange', vb: false },
      { n: 'readings.0.quality.outliersRejected', vb: false },
      { n: 'readings.1.age', u: 's', v: 0 },
      { n: 'readings.1.quality.noTarget', vb: true },
      { n: 'readings.1.quality.outOfRange', vb: false },
      { n: 'readings.1.quality.outliersRejected', vb: false },
    ]);
  });

  it('finds units keyed with an index, with [] or without the index', () => {
    const event = eventOf('waterLevelBatch', { stage: 0, trend: 'steady', battery: 3.5, readings: [{ age: 3, level: 200, quality: {} }] });
    for (const key of ['readings[].level', 'readings[0].level', 'readings.level', 'readings.0.level']) {
      const records = senmlRecords({ ...event, units: { [key]: 'cm' } });
      expect(records.find((r) => r.n === 'readings.0.level'), key).toMatchObject({ u: 'm', v: 2 });
    }
    expect(senmlRecords({ ...event, units: {} }).find((r) => r.n === 'readings.0.level')).toEqual({ n: 'readings.0.level', v: 200 });
  });

  it('gives an empty pack for an event without readings', () => {
    const event = eventOf('deviceConfigReport', {});
    expect(senmlRecords(event)).toEqual([]);
    expect(JSON.parse(serializeEvent(event, 'senml-json').toString())).toEqual([]);
  });

  it('for any payload of any uplink message: valid RFC 8428 names, one record per non-null reading, CBOR equal to JSON', () => {
    const nameRule = /^[A-Za-z0-9][A-Za-z0-9\-:./_]*$/; // RFC 8428 section 4.5.1
    const uplinks = catalog.filter((m) => m.direction === 'uplink');
    fc.assert(
      fc.property(fc.constantFrom(...uplinks).chain((m) => messageArb(m).map((d) => ({ m, d }))), ({ m, d }) => {
        const event = eventOf(m.name, d.input);
        const records = senmlRecords(event);
        const resolved = resolveSenml(records);
        for (const r of resolved) {
          expect(r.n).toMatch(nameRule);
          expect([r.v, r.vs, r.vb].filter((x) => x !== undefined)).toHaveLength(1);
          expect(r.t).toBe(BT);
        }
        expect(records.length).toBe(countNonNull(event.data));
        expect(decodeSenmlCbor(serializeEvent(event, 'senml-cbor'))).toEqual(JSON.parse(serializeEvent(event, 'senml-json').toString()));
      }),
      { numRuns: 300 },
    );
  });

  it('every format is produced', () => {
    for (const format of OUTPUT_FORMATS) expect(serializeEvent(roadClimate(), format).length).toBeGreaterThan(20);
  });
});

// RFC 8428 section 5.1.3, "Multiple Measurements", as JSON records; the CBOR example of section 6 encodes the same
// pack with an explicit "t": 0 on the last record.
const RFC_EXAMPLE: SenmlRecord[] = [
  { bn: 'urn:dev:ow:10e2073a0108006:', bt: 1.276020076001e9, bu: 'A', bver: 5, n: 'voltage', u: 'V', v: 120.1 },
  { n: 'current', t: -5, v: 1.2 },
  { n: 'current', t: -4, v: 1.3 },
  { n: 'current', t: -3, v: 1.4 },
  { n: 'current', t: -2, v: 1.5 },
  { n: 'current', t: -1, v: 1.6 },
  { n: 'current', t: 0, v: 1.7 },
];
// RFC 8428 section 6, the CBOR representation of that pack.
const RFC_CBOR =
  '87a721781b75726e3a6465763a6f773a3130653230373361303130383030363a22fb41d303a15b00106223614120050067766f6c7461676501615602fb405e066666666666a3006763757272656e74062402fb3ff3333333333333a3006763757272656e74062302fb3ff4cccccccccccda3006763757272656e74062202fb3ff6666666666666a3006763757272656e74062102f93e00a3006763757272656e74062002fb3ff999999999999aa3006763757272656e74060002fb3ffb333333333333';

describe('SenML CBOR against RFC 8428', () => {
  it('uses the integer labels of RFC 8428 table 4', () => {
    expect(SENML_CBOR_LABELS).toEqual({ bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8 });
  });

  it('reads the RFC example into its records', () => {
    expect(decodeSenmlCbor(Buffer.from(RFC_CBOR, 'hex'))).toEqual(RFC_EXAMPLE);
  });

  it('writes the RFC example byte for byte, except 1.5 as a double where the RFC chose a half float', () => {
    // cbor-x writes non-integers as 64-bit floats; the RFC's encoder shortened the exactly representable 1.5 to f9 3e00
    const expected = RFC_CBOR.replace('02f93e00', '02fb3ff8000000000000');
    expect(encodeSenmlCbor(RFC_EXAMPLE).toString('hex')).toBe(expected);
    // and any CBOR decoder reads both encodings as the same data
    const plain = new Decoder({ mapsAsObjects: false, useRecords: false });
    expect(plain.decode(encodeSenmlCbor(RFC_EXAMPLE))).toEqual(plain.decode(Buffer.from(RFC_CBOR, 'hex')));
  });

  it('resolves the RFC example as in its section 5.1.4', () => {
    const resolved = resolveSenml(RFC_EXAMPLE);
    expect(resolved.map((r) => [r.n, r.u, r.v])).toEqual([
      ['urn:dev:ow:10e2073a0108006:voltage', 'V', 120.1],
      ...[1.2, 1.3, 1.4, 1.5, 1.6, 1.7].map((v) => ['urn:dev:ow:10e2073a0108006:current', 'A', v]),
    ]);
    [1276020076.001, 1276020071.001, 1276020072.001, 1276020073.001, 1276020074.001, 1276020075.001, 1276020076.001].forEach((t, i) =>
      expect(resolved[i]!.t).toBeCloseTo(t, 6),
    );
  });

  it('round-trips an event pack and every field type, data values included', () => {
    const records = senmlRecords(roadClimate());
    expect(decodeSenmlCbor(encodeSenmlCbor(records))).toEqual(records);
    const all: SenmlRecord[] = [{ bn: 'x:', bt: 1, bu: 'V', bv: 1, bs: 2, bver: 10, n: 'a', u: 'A', v: 1.5, s: 3, t: -1, ut: 60 }, { n: 'b', vs: 's' }, { n: 'c', vb: false }, { n: 'd', vd: 'AQID' }];
    expect(decodeSenmlCbor(encodeSenmlCbor(all))).toEqual(all);
    // a data value is a byte string in CBOR (RFC 8428 section 6)
    const raw = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(encodeSenmlCbor([{ n: 'd', vd: 'AQID' }])) as Map<number, unknown>[];
    expect(Buffer.from(raw[0]!.get(8) as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('refuses CBOR that is not a pack', () => {
    expect(() => decodeSenmlCbor(Buffer.from('a10001', 'hex'))).toThrow(/array/);
    expect(() => decodeSenmlCbor(Buffer.from('8101', 'hex'))).toThrow(/record 0/);
  });
});
