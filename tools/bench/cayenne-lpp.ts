/**
 * Cayenne Low Power Payload (LPP) encoder and decoder — a BASELINE FOR THE BENCHMARK ONLY (tools/bench), used to
 * compare payload size and speed with the project's own payload schema. Nothing on the air uses it.
 *
 * Written from the myDevices Cayenne LPP specification (types 0–3, 101–104, 113, 115, 134, 136) and the extended
 * types of the ElectronicCats/CayenneLPP Arduino library (100, 116–132, 133, 142). Each record is
 * `channel (1 byte) · type id (1 byte) · data`, data big-endian, every value an integer count of the type's
 * resolution (rounded half away from zero). A value that does not fit its field throws a RangeError naming the
 * channel and type: unlike the C libraries, this encoder never wraps or truncates silently.
 */

/** One fixed-size integer inside a record's data: `bytes` big-endian, value = raw / `scale`. */
export type LppField = { readonly bytes: 1 | 2 | 3 | 4; readonly scale: number; readonly signed: boolean };

/** A type's wire id, data size in bytes (without the 2 header bytes), shape of its value and its fields. */
export type LppTypeInfo = {
  readonly id: number;
  readonly size: number;
  readonly shape: 'scalar' | 'xyz' | 'gps';
  readonly fields: readonly LppField[];
};

const u = (bytes: LppField['bytes'], scale = 1): LppField => ({ bytes, scale, signed: false });
const s = (bytes: LppField['bytes'], scale = 1): LppField => ({ bytes, scale, signed: true });
const scalar = (id: number, field: LppField): LppTypeInfo => ({ id, size: field.bytes, shape: 'scalar', fields: [field] });
const xyz = (id: number, field: LppField): LppTypeInfo => ({ id, size: 3 * field.bytes, shape: 'xyz', fields: [field, field, field] });

/** The LPP data types, by name. Resolution of a field is 1 / scale (temperature: scale 10 = 0.1 °C). */
export const LPP_TYPES = {
  digitalInput: scalar(0, u(1)), //             1 B
  digitalOutput: scalar(1, u(1)), //            1 B
  analogInput: scalar(2, s(2, 100)), //         2 B, 0.01 signed
  analogOutput: scalar(3, s(2, 100)), //        2 B, 0.01 signed
  genericSensor: scalar(100, u(4)), //          4 B, unsigned
  illuminance: scalar(101, u(2)), //            2 B, 1 lux unsigned
  presence: scalar(102, u(1)), //               1 B
  temperature: scalar(103, s(2, 10)), //        2 B, 0.1 °C signed
  relativeHumidity: scalar(104, u(1, 2)), //    1 B, 0.5 % unsigned
  accelerometer: xyz(113, s(2, 1000)), //       3 × 2 B, 0.001 G signed
  barometricPressure: scalar(115, u(2, 10)), // 2 B, 0.1 hPa unsigned
  voltage: scalar(116, u(2, 100)), //           2 B, 0.01 V unsigned
  current: scalar(117, u(2, 1000)), //          2 B, 0.001 A unsigned
  frequency: scalar(118, u(4)), //              4 B, 1 Hz unsigned
  percentage: scalar(120, u(1)), //             1 B, 1 % unsigned
  altitude: scalar(121, s(2)), //               2 B, 1 m signed
  concentration: scalar(125, u(2)), //          2 B, 1 ppm unsigned
  power: scalar(128, u(2)), //                  2 B, 1 W unsigned
  distance: scalar(130, u(4, 1000)), //         4 B, 0.001 m unsigned
  energy: scalar(131, u(4, 1000)), //           4 B, 0.001 kWh unsigned
  direction: scalar(132, u(2)), //              2 B, 1 deg unsigned
  unixTime: scalar(133, u(4)), //               4 B, 1 s unsigned
  gyrometer: xyz(134, s(2, 100)), //            3 × 2 B, 0.01 °/s signed
  gps: { id: 136, size: 9, shape: 'gps', fields: [s(3, 10000), s(3, 10000), s(3, 100)] }, // lat, lon 0.0001°, alt 0.01 m
  switch: scalar(142, u(1)), //                 1 B, 0/1
} as const satisfies Record<string, LppTypeInfo>;

export type LppTypeName = keyof typeof LPP_TYPES;
export type LppGps = { latitude: number; longitude: number; altitude: number };
/** `value`: a number for scalar types, `[x, y, z]` for accelerometer and gyrometer, an LppGps for gps. */
export type LppRecord = { channel: number; type: LppTypeName; value: number | number[] | LppGps };

const TYPE_NAMES = Object.keys(LPP_TYPES) as LppTypeName[];
const BY_ID = new Map<number, LppTypeName>(TYPE_NAMES.map((name) => [LPP_TYPES[name].id, name]));

function typeInfo(record: LppRecord): LppTypeInfo {
  const info: LppTypeInfo | undefined = Object.hasOwn(LPP_TYPES, record.type) ? LPP_TYPES[record.type] : undefined;
  if (info === undefined) throw new TypeError(`LPP channel ${record.channel}: unknown type ${String(record.type)}`);
  return info;
}

/** The value's components in field order, checking its shape. */
function components(record: LppRecord, info: LppTypeInfo): readonly number[] {
  const { value } = record;
  if (info.shape === 'scalar' && typeof value === 'number') return [value];
  if (info.shape === 'xyz' && Array.isArray(value) && value.length === 3) return value;
  if (info.shape === 'gps' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return [value.latitude, value.longitude, value.altitude];
  }
  const expected = info.shape === 'scalar' ? 'a number' : info.shape === 'xyz' ? '[x, y, z]' : '{ latitude, longitude, altitude }';
  throw new TypeError(`LPP channel ${record.channel} ${record.type}: value must be ${expected}`);
}

/** Bytes of the encoded payload: 2 header bytes plus the data size, per record. */
export function lppSize(records: readonly LppRecord[]): number {
  let size = 0;
  for (const record of records) size += 2 + typeInfo(record).size;
  return size;
}

/** Encodes records in order. Throws a RangeError for a channel or value that does not fit. */
export function encodeLpp(records: readonly LppRecord[]): Uint8Array {
  const out = new Uint8Array(lppSize(records));
  let offset = 0;
  for (const record of records) {
    const info = typeInfo(record);
    const { channel } = record;
    if (!Number.isInteger(channel) || channel < 0 || channel > 255) {
      throw new RangeError(`LPP channel ${channel} ${record.type}: channel must be an integer 0..255`);
    }
    out[offset++] = channel;
    out[offset++] = info.id;
    const values = components(record, info);
    info.fields.forEach((field, i) => {
      const value = values[i] as number;
      const bits = 8 * field.bytes;
      const min = field.signed ? -(2 ** (bits - 1)) : 0;
      const max = field.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      const scaled = value * field.scale;
      // Round half away from zero, so that -x encodes as the negation of x.
      const raw = Number.isFinite(scaled) ? Math.sign(scaled) * Math.round(Math.abs(scaled)) : NaN;
      if (!(raw >= min && raw <= max)) {
        throw new RangeError(
          `LPP channel ${channel} ${record.type}: value ${value} out of range ${min / field.scale}..${max / field.scale}`,
        );
      }
      let v = raw < 0 ? raw + 2 ** bits : raw; // two's complement
      for (let b = field.bytes - 1; b >= 0; b--) {
        out[offset + b] = v & 0xff;
        v = Math.floor(v / 256);
      }
      offset += field.bytes;
    });
  }
  return out;
}

/** Decodes a whole payload. Throws on an unknown type id or a record cut short. */
export function decodeLpp(bytes: Uint8Array): LppRecord[] {
  const records: LppRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw new Error(`LPP truncated: record header at byte ${offset} is cut short`);
    const channel = bytes[offset] as number;
    const id = bytes[offset + 1] as number;
    const type = BY_ID.get(id);
    if (type === undefined) throw new Error(`LPP channel ${channel}: unknown type id ${id} at byte ${offset + 1}`);
    const info: LppTypeInfo = LPP_TYPES[type];
    offset += 2;
    if (offset + info.size > bytes.length) {
      throw new Error(`LPP truncated: channel ${channel} ${type} needs ${info.size} data bytes, ${bytes.length - offset} left`);
    }
    const values = info.fields.map((field) => {
      let v = 0;
      for (let b = 0; b < field.bytes; b++) v = v * 256 + (bytes[offset + b] as number);
      const bits = 8 * field.bytes;
      if (field.signed && v >= 2 ** (bits - 1)) v -= 2 ** bits;
      offset += field.bytes;
      return v / field.scale;
    });
    const [a = 0, b = 0, c = 0] = values;
    const value = info.shape === 'scalar' ? a : info.shape === 'xyz' ? [a, b, c] : { latitude: a, longitude: b, altitude: c };
    records.push({ channel, type, value });
  }
  return records;
}
