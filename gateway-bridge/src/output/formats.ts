/**
 * Payload formats of the `up` topic: the event as JSON (default), or its readings as SenML (RFC 8428) in JSON or
 * CBOR.
 *
 * SenML mapping, one pack per event:
 * - base name `urn:dev:mac:<deveui>:` (RFC 9039 `mac` URNs cover EUI-64 identifiers such as a DevEUI), base time
 *   the receive time in seconds with milliseconds; no `t` on the records, so every record has the receive time;
 * - one record per scalar of `data`, named by its path as in the JSON event (`air.temperature`; list items
 *   indexed: `readings.0.level`). RFC 8428 section 4.5.1 allows `.` in names, so the names stay the JSON paths;
 * - numbers as `v`, booleans as `vb`, strings (enum labels, hex bytes) as `vs`;
 * - a null reading (failed sensor) has no record: SenML has no null value, and a made-up number would lie;
 * - units from the event's `units`, converted to SenML primary units where SenML has no unit of that name
 *   (`cm` and `mm` to `m`, `min` to `s`, `uT` to `T`, values scaled accordingly); a unit SenML cannot express
 *   is left out rather than misnamed;
 * - an event without any non-null reading gives an empty pack `[]`.
 *
 * The retained `state` topic is JSON whatever the `up` format (stateToJson): one object per device,
 *   { "device": {...}, "updatedAt": "<ISO time>", "messages": { "<message name>": <event JSON>, ... } }
 * with the newest event of every message the device sent (each exactly as the `up` topic gives it in JSON), and
 * `device` and `updatedAt` from the newest of them.
 */
import { Decoder, Encoder } from 'cbor-x';
import type { BridgeEvent, RxInfo } from '../types.ts';
import { newestEvent, type DeviceState } from './device-state.ts';
import { dataLeaves, unitOf } from './readings.ts';

export type OutputFormat = 'json' | 'senml-json' | 'senml-cbor';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'senml-json', 'senml-cbor'];

/** The MQTT 5 content type of each format (the IANA media types of RFC 8428 for SenML). */
export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  json: 'application/json',
  'senml-json': 'application/senml+json',
  'senml-cbor': 'application/senml+cbor',
};

export function serializeEvent(event: BridgeEvent, format: OutputFormat): Buffer {
  switch (format) {
    case 'json':
      return Buffer.from(eventToJson(event));
    case 'senml-json':
      return Buffer.from(JSON.stringify(senmlRecords(event)));
    case 'senml-cbor':
      return encodeSenmlCbor(senmlRecords(event));
  }
}

// ---------------------------------------------------------------------------------------------- JSON

/** The event as JSON with a fixed key order, whatever order the event object was built in. */
export function eventToJson(event: BridgeEvent): string {
  return JSON.stringify(eventJson(event));
}

/** The state payload as a subscriber parses it. */
export interface StateJson {
  device: BridgeEvent['device'];
  updatedAt: string;
  messages: Record<string, BridgeEvent>;
}

/** The retained state payload (see the top of this file); messages in name order. */
export function stateToJson(state: DeviceState): string {
  const newest = newestEvent(state);
  if (newest === undefined) throw new Error('a device state needs at least one event');
  const names = [...state.keys()].sort();
  return JSON.stringify({
    device: eventJson(newest).device,
    updatedAt: newest.receivedAt,
    messages: Object.fromEntries(names.map((name) => [name, eventJson(state.get(name)!)])),
  });
}

/** The object eventToJson writes, keys in their fixed order. */
function eventJson(event: BridgeEvent): Record<string, unknown> {
  const d = event.device;
  return {
    id: event.id,
    device: compact({ id: d.id, name: d.name, devEui: d.devEui, devAddr: d.devAddr, type: d.type, location: d.location }),
    port: event.port,
    message: event.message,
    fCnt: event.fCnt,
    confirmed: event.confirmed,
    counterReset: event.counterReset,
    receivedAt: event.receivedAt,
    input: event.input,
    data: event.data,
    units: Object.fromEntries(Object.keys(event.units).sort().map((key) => [key, event.units[key]])),
    rx: event.rx.map(rxJson),
    payloadHex: event.payloadHex,
  };
}

function rxJson(rx: RxInfo): Record<string, unknown> {
  return compact({
    gatewayId: rx.gatewayId,
    input: rx.input,
    rssi: rx.rssi,
    snr: rx.snr,
    receivedAt: rx.receivedAt,
    clock: rx.clock,
    clockSynced: rx.clockSynced,
    frequencyHz: rx.frequencyHz,
    spreadingFactor: rx.spreadingFactor,
  });
}

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const key of Object.keys(obj)) if (obj[key] === undefined) delete obj[key];
  return obj;
}

// ---------------------------------------------------------------------------------------------- SenML

/** A SenML record (RFC 8428 section 4) with the fields this module writes or reads. */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  bu?: string;
  bv?: number;
  bs?: number;
  bver?: number;
  n?: string;
  u?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  /** Data value, base64url without padding in JSON, a byte string in CBOR. */
  vd?: string;
  s?: number;
  t?: number;
  ut?: number;
}

/** How a UCUM unit of the schema is written in SenML: the registered name, and the factor to it. */
interface SenmlUnit {
  u: string;
  /** SenML value = value * multiply / divide (integer factors keep decimal values exact). */
  multiply?: number;
  divide?: number;
}

/** UCUM units of the catalog (and their SenML registry names, RFC 8428 section 12.1). */
export const SENML_UNITS: Readonly<Record<string, SenmlUnit>> = {
  Cel: { u: 'Cel' },
  K: { u: 'K' },
  '%RH': { u: '%RH' },
  '%': { u: '%' },
  V: { u: 'V' },
  m: { u: 'm' },
  cm: { u: 'm', divide: 100 },
  mm: { u: 'm', divide: 1000 },
  s: { u: 's' },
  min: { u: 's', multiply: 60 },
  T: { u: 'T' },
  uT: { u: 'T', divide: 1_000_000 },
  dB: { u: 'dB' },
};

/** The SenML base name of a device: RFC 9039 `mac` URN of its DevEUI, ending in `:` so names append. */
export function senmlBaseName(devEui: string): string {
  return `urn:dev:mac:${devEui.toLowerCase()}:`;
}

/** The event's readings as one SenML pack (see the mapping at the top of this file). */
export function senmlRecords(event: BridgeEvent): SenmlRecord[] {
  const records: SenmlRecord[] = [];
  for (const leaf of dataLeaves(event.data)) {
    const { path, value } = leaf;
    if (value === null) continue;
    const record: SenmlRecord = { n: path };
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) continue;
      const ucum = unitOf(event.units, path);
      const unit = ucum === undefined ? undefined : SENML_UNITS[ucum];
      if (unit) record.u = unit.u;
      record.v = unit ? convert(value, unit) : value;
    } else if (typeof value === 'boolean') {
      record.vb = value;
    } else {
      record.vs = value;
    }
    records.push(record);
  }
  const first = records[0];
  if (first) {
    const bt = Date.parse(event.receivedAt) / 1000;
    records[0] = { bn: senmlBaseName(event.device.devEui), ...(Number.isFinite(bt) ? { bt } : {}), ...first };
  }
  return records;
}

function convert(value: number, unit: SenmlUnit): number {
  let out = value;
  if (unit.multiply !== undefined) out *= unit.multiply;
  if (unit.divide !== undefined) out /= unit.divide;
  return out;
}

/**
 * Resolved records (RFC 8428 section 4.6): base name prepended, base time added, base unit and base value applied,
 * base fields removed. `bver` stays on every record when it is not the default 10.
 */
export function resolveSenml(records: readonly SenmlRecord[]): SenmlRecord[] {
  let bn = '';
  let bt = 0;
  let bu: string | undefined;
  let bv = 0;
  let bs = 0;
  let bver: number | undefined;
  return records.map((record) => {
    if (record.bn !== undefined) bn = record.bn;
    if (record.bt !== undefined) bt = record.bt;
    if (record.bu !== undefined) bu = record.bu;
    if (record.bv !== undefined) bv = record.bv;
    if (record.bs !== undefined) bs = record.bs;
    if (record.bver !== undefined) bver = record.bver;
    const out: SenmlRecord = { n: bn + (record.n ?? '') };
    const u = record.u ?? bu;
    if (u !== undefined) out.u = u;
    if (record.v !== undefined) out.v = bv + record.v;
    if (record.vs !== undefined) out.vs = record.vs;
    if (record.vb !== undefined) out.vb = record.vb;
    if (record.vd !== undefined) out.vd = record.vd;
    if (record.s !== undefined) out.s = bs + record.s;
    // RFC 8428 section 4.5.3: times below 2**28 are relative to now; a resolved record keeps them relative
    out.t = bt + (record.t ?? 0);
    if (record.ut !== undefined) out.ut = record.ut;
    if (bver !== undefined && bver !== 10) out.bver = bver;
    return out;
  });
}

// ---------------------------------------------------------------------------------------------- SenML CBOR

/** RFC 8428 section 6, table 4: CBOR labels of the SenML fields. */
export const SENML_CBOR_LABELS = {
  bver: -1,
  bn: -2,
  bt: -3,
  bu: -4,
  bv: -5,
  bs: -6,
  n: 0,
  u: 1,
  v: 2,
  vs: 3,
  vb: 4,
  s: 5,
  t: 6,
  ut: 7,
  vd: 8,
} as const satisfies Record<keyof SenmlRecord, number>;

type SenmlKey = keyof typeof SENML_CBOR_LABELS;
const KEY_OF_LABEL = new Map<number, SenmlKey>(
  (Object.entries(SENML_CBOR_LABELS) as [SenmlKey, number][]).map(([key, label]) => [label, key]),
);

// Maps with integer keys, no cbor-x record extension, no tag 259: plain RFC 8949 maps any CBOR decoder reads.
const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: false, variableMapSize: true });
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** A SenML pack in CBOR with the integer labels, each record's fields in the order given. */
export function encodeSenmlCbor(records: readonly SenmlRecord[]): Buffer {
  const maps = records.map((record) => {
    const map = new Map<number, unknown>();
    for (const key of Object.keys(record) as SenmlKey[]) {
      const value = record[key];
      if (value === undefined) continue;
      if (!(key in SENML_CBOR_LABELS)) continue;
      map.set(SENML_CBOR_LABELS[key], key === 'vd' ? Buffer.from(value as string, 'base64url') : value);
    }
    return map;
  });
  return cborEncoder.encode(maps);
}

/** Reads a SenML CBOR pack back into records; throws on anything that is not an array of maps. */
export function decodeSenmlCbor(bytes: Uint8Array): SenmlRecord[] {
  const pack: unknown = cborDecoder.decode(bytes);
  if (!Array.isArray(pack)) throw new Error('SenML CBOR: expected an array of records');
  return pack.map((entry, i) => {
    if (!(entry instanceof Map)) throw new Error(`SenML CBOR: record ${i} is not a map`);
    const record: Record<string, unknown> = {};
    for (const [label, value] of entry as Map<unknown, unknown>) {
      const key = typeof label === 'number' ? KEY_OF_LABEL.get(label) : undefined;
      if (key === undefined) continue; // unknown labels carry no field this module knows
      record[key] = key === 'vd' && value instanceof Uint8Array ? Buffer.from(value).toString('base64url') : value;
    }
    return record as SenmlRecord;
  });
}
