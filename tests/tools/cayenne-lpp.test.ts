/** The Cayenne LPP benchmark baseline: the published LPP examples, round trips and the errors it must raise. */
import { describe, expect, it } from 'vitest';
import { decodeLpp, encodeLpp, LPP_TYPES, lppSize, type LppRecord } from '../../tools/bench/cayenne-lpp.ts';

const hex = (text: string): Uint8Array => Uint8Array.from(text.split(/\s+/), (byte) => parseInt(byte, 16));

describe('published examples (myDevices Cayenne LPP documentation)', () => {
  const examples: [string, string, LppRecord[]][] = [
    [
      'two temperature sensors',
      '03 67 01 10 05 67 00 FF',
      [
        { channel: 3, type: 'temperature', value: 27.2 },
        { channel: 5, type: 'temperature', value: 25.5 },
      ],
    ],
    ['accelerometer', '06 71 04 D2 FB 2E 00 00', [{ channel: 6, type: 'accelerometer', value: [1.234, -1.234, 0] }]],
    [
      'GPS',
      '01 88 06 76 5f f2 96 0a 00 03 e8',
      [{ channel: 1, type: 'gps', value: { latitude: 42.3519, longitude: -87.9094, altitude: 10 } }],
    ],
  ];

  it.each(examples)('%s encodes to %s', (_name, bytes, records) => {
    expect(encodeLpp(records)).toEqual(hex(bytes));
    expect(lppSize(records)).toBe(hex(bytes).length);
  });

  it.each(examples)('%s decodes from %s', (_name, bytes, records) => {
    expect(decodeLpp(hex(bytes))).toEqual(records);
  });
});

describe('encodeLpp', () => {
  it('temperature + humidity + voltage take 11 bytes', () => {
    const records: LppRecord[] = [
      { channel: 1, type: 'temperature', value: 21.4 },
      { channel: 2, type: 'relativeHumidity', value: 55.5 },
      { channel: 3, type: 'voltage', value: 3.61 },
    ];
    expect(lppSize(records)).toBe(11);
    expect(encodeLpp(records)).toEqual(hex('01 67 00 D6 02 68 6F 03 74 01 69'));
  });

  it('writes negative values in two’s complement', () => {
    expect(encodeLpp([{ channel: 0, type: 'temperature', value: -4.1 }])).toEqual(hex('00 67 FF D7'));
    expect(encodeLpp([{ channel: 9, type: 'altitude', value: -1 }])).toEqual(hex('09 79 FF FF'));
    expect(encodeLpp([{ channel: 2, type: 'analogInput', value: -327.68 }])).toEqual(hex('02 02 80 00'));
    expect(encodeLpp([{ channel: 4, type: 'gyrometer', value: [-0.01, 327.67, -327.68] }])).toEqual(
      hex('04 86 FF FF 7F FF 80 00'),
    );
  });

  it('rounds to the resolution, half away from zero', () => {
    expect(encodeLpp([{ channel: 1, type: 'temperature', value: 20.04 }])).toEqual(hex('01 67 00 C8'));
    expect(encodeLpp([{ channel: 1, type: 'temperature', value: 20.05 }])).toEqual(hex('01 67 00 C9'));
    expect(encodeLpp([{ channel: 1, type: 'temperature', value: -20.05 }])).toEqual(hex('01 67 FF 37'));
    expect(encodeLpp([{ channel: 1, type: 'relativeHumidity', value: 40.3 }])).toEqual(hex('01 68 51'));
  });

  it('writes 4-byte unsigned values up to 2^32 - 1', () => {
    expect(encodeLpp([{ channel: 7, type: 'unixTime', value: 0xffffffff }])).toEqual(hex('07 85 FF FF FF FF'));
    expect(encodeLpp([{ channel: 7, type: 'unixTime', value: 1_700_000_000 }])).toEqual(hex('07 85 65 53 F1 00'));
    expect(encodeLpp([{ channel: 8, type: 'energy', value: 1234.567 }])).toEqual(hex('08 83 00 12 D6 87'));
  });

  it('encodes an empty list as an empty payload', () => {
    expect(encodeLpp([])).toEqual(new Uint8Array(0));
    expect(decodeLpp(new Uint8Array(0))).toEqual([]);
  });
});

describe('range errors name the channel and the type', () => {
  const cases: [string, LppRecord][] = [
    ['temperature above 3276.7', { channel: 3, type: 'temperature', value: 3276.8 }],
    ['temperature below -3276.8', { channel: 3, type: 'temperature', value: -3276.9 }],
    ['negative voltage', { channel: 4, type: 'voltage', value: -0.01 }],
    ['humidity above 127.5', { channel: 5, type: 'relativeHumidity', value: 128 }],
    ['digital input 256', { channel: 6, type: 'digitalInput', value: 256 }],
    ['unix time 2^32', { channel: 7, type: 'unixTime', value: 2 ** 32 }],
    ['accelerometer axis', { channel: 8, type: 'accelerometer', value: [0, 33, 0] }],
    ['GPS latitude', { channel: 9, type: 'gps', value: { latitude: 840, longitude: 0, altitude: 0 } }],
    ['GPS altitude', { channel: 10, type: 'gps', value: { latitude: 0, longitude: 0, altitude: -83886.09 } }],
    ['NaN', { channel: 11, type: 'illuminance', value: Number.NaN }],
    ['Infinity', { channel: 12, type: 'power', value: Number.POSITIVE_INFINITY }],
  ];

  it.each(cases)('%s', (_name, record) => {
    expect(() => encodeLpp([record])).toThrow(RangeError);
    expect(() => encodeLpp([record])).toThrow(new RegExp(`channel ${record.channel} ${record.type}\\b`));
  });

  it('accepts the limits themselves', () => {
    const records: LppRecord[] = [
      { channel: 1, type: 'temperature', value: 3276.7 },
      { channel: 1, type: 'temperature', value: -3276.8 },
      { channel: 2, type: 'relativeHumidity', value: 127.5 },
      { channel: 3, type: 'gps', value: { latitude: 838.8607, longitude: -838.8608, altitude: 83886.07 } },
    ];
    expect(decodeLpp(encodeLpp(records))).toEqual(records);
  });

  it('rejects a channel outside 0..255', () => {
    expect(() => encodeLpp([{ channel: 256, type: 'presence', value: 1 }])).toThrow(RangeError);
    expect(() => encodeLpp([{ channel: -1, type: 'presence', value: 1 }])).toThrow(/channel -1 presence/);
    expect(() => encodeLpp([{ channel: 1.5, type: 'presence', value: 1 }])).toThrow(RangeError);
  });

  it('rejects a value of the wrong shape', () => {
    expect(() => encodeLpp([{ channel: 1, type: 'accelerometer', value: 1 }])).toThrow(TypeError);
    expect(() => encodeLpp([{ channel: 1, type: 'accelerometer', value: [1, 2] }])).toThrow(/channel 1 accelerometer/);
    expect(() => encodeLpp([{ channel: 1, type: 'temperature', value: [1, 2, 3] }])).toThrow(TypeError);
    expect(() => encodeLpp([{ channel: 1, type: 'gps', value: 5 }])).toThrow(TypeError);
    expect(() => encodeLpp([{ channel: 1, type: 'nope' as never, value: 5 }])).toThrow(/unknown type nope/);
  });
});

describe('decodeLpp', () => {
  it('throws on an unknown type id', () => {
    expect(() => decodeLpp(hex('01 05 00'))).toThrow(/unknown type id 5/);
    expect(() => decodeLpp(hex('03 67 01 10 02 FF 00'))).toThrow(/channel 2: unknown type id 255/);
  });

  it('throws on truncated input', () => {
    expect(() => decodeLpp(hex('03'))).toThrow(/truncated/);
    expect(() => decodeLpp(hex('03 67 01'))).toThrow(/truncated: channel 3 temperature needs 2 data bytes, 1 left/);
    expect(() => decodeLpp(hex('03 67 01 10 05'))).toThrow(/truncated/);
    expect(() => decodeLpp(hex('01 88 06 76 5f f2 96 0a 00 03'))).toThrow(/truncated: channel 1 gps/);
  });

  it('reads negative values', () => {
    expect(decodeLpp(hex('00 67 FF D7 09 79 80 00'))).toEqual([
      { channel: 0, type: 'temperature', value: -4.1 },
      { channel: 9, type: 'altitude', value: -32768 },
    ]);
  });

  it('reads unsigned types without sign extension', () => {
    expect(decodeLpp(hex('01 74 FF FF 02 85 FF FF FF FF 03 65 80 00')).map((r) => r.value)).toEqual([
      655.35, 4294967295, 32768,
    ]);
  });
});

describe('round trips', () => {
  const samples: Record<keyof typeof LPP_TYPES, LppRecord['value'][]> = {
    digitalInput: [0, 1, 255],
    digitalOutput: [0, 1, 255],
    analogInput: [-327.68, -1.23, 0, 3.3, 327.67],
    analogOutput: [-327.68, 0, 12.34, 327.67],
    genericSensor: [0, 123456789, 4294967295],
    illuminance: [0, 800, 65535],
    presence: [0, 1],
    temperature: [-40, -0.1, 0, 27.2, 85.3],
    relativeHumidity: [0, 0.5, 55.5, 100, 127.5],
    accelerometer: [
      [1.234, -1.234, 0],
      [-32.768, 32.767, 0.001],
    ],
    barometricPressure: [0, 1013.2, 6553.5],
    voltage: [0, 3.61, 655.35],
    current: [0, 0.123, 65.535],
    frequency: [0, 868100000, 4294967295],
    percentage: [0, 42, 100],
    altitude: [-32768, -12, 0, 32767],
    concentration: [0, 415, 65535],
    power: [0, 2300, 65535],
    distance: [0, 1.234, 4294967.295],
    energy: [0, 1234.567, 4294967.295],
    direction: [0, 270, 359],
    unixTime: [0, 1_700_000_000, 4294967295],
    gyrometer: [
      [-327.68, 0, 327.67],
      [0.01, -0.01, 12.5],
    ],
    gps: [
      { latitude: 42.3519, longitude: -87.9094, altitude: 10 },
      { latitude: 51.5007, longitude: 7.4651, altitude: -12.34 },
      { latitude: -33.8568, longitude: 151.2153, altitude: 0 },
    ],
    switch: [0, 1],
  };

  it('covers every type in the table', () => {
    expect(Object.keys(samples).sort()).toEqual(Object.keys(LPP_TYPES).sort());
  });

  it('decodes what it encoded, one record per type and value', () => {
    const records: LppRecord[] = Object.entries(samples).flatMap(([type, values], i) =>
      values.map((value) => ({ channel: i, type: type as LppRecord['type'], value })),
    );
    const bytes = encodeLpp(records);
    expect(bytes.length).toBe(lppSize(records));
    expect(decodeLpp(bytes)).toEqual(records);
  });

  it('quantizes to the resolution on the way', () => {
    const decoded = decodeLpp(
      encodeLpp([
        { channel: 1, type: 'temperature', value: 21.456 },
        { channel: 2, type: 'relativeHumidity', value: 61.2 },
        { channel: 3, type: 'gps', value: { latitude: 52.520008, longitude: 13.404954, altitude: 34.567 } },
      ]),
    );
    expect(decoded).toEqual([
      { channel: 1, type: 'temperature', value: 21.5 },
      { channel: 2, type: 'relativeHumidity', value: 61 },
      { channel: 3, type: 'gps', value: { latitude: 52.52, longitude: 13.405, altitude: 34.57 } },
    ]);
  });
});

describe('LPP_TYPES', () => {
  it('has the ids and data sizes of the LPP specification and the ElectronicCats extensions', () => {
    const table = Object.fromEntries(Object.entries(LPP_TYPES).map(([name, t]) => [name, [t.id, t.size]]));
    expect(table).toEqual({
      digitalInput: [0, 1],
      digitalOutput: [1, 1],
      analogInput: [2, 2],
      analogOutput: [3, 2],
      genericSensor: [100, 4],
      illuminance: [101, 2],
      presence: [102, 1],
      temperature: [103, 2],
      relativeHumidity: [104, 1],
      accelerometer: [113, 6],
      barometricPressure: [115, 2],
      voltage: [116, 2],
      current: [117, 2],
      frequency: [118, 4],
      percentage: [120, 1],
      altitude: [121, 2],
      concentration: [125, 2],
      power: [128, 2],
      distance: [130, 4],
      energy: [131, 4],
      direction: [132, 2],
      unixTime: [133, 4],
      gyrometer: [134, 6],
      gps: [136, 9],
      switch: [142, 1],
    });
    for (const t of Object.values(LPP_TYPES)) expect(t.fields.reduce((n, f) => n + f.bytes, 0)).toBe(t.size);
  });
});
