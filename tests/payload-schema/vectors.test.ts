/**
 * The golden vectors (payload-schema/vectors) against all three implementations: the TypeScript codec,
 * the generated TTN/ChirpStack formatter and the generated firmware-side module.
 */
import { describe, expect, it } from 'vitest';
import { codec } from '../../payload-schema/src/codec.ts';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { loadFirmwareModule, loadFormatter, loadVectors, plain } from './support.ts';

const vectors = loadVectors();
const { formatter } = loadFormatter();
const { module: firmware } = loadFirmwareModule();

/** Runs f in the firmware sandbox: its result, or the message of the Error it threw. */
function firmwareCall<T>(f: () => T): { value?: T; error?: string } {
  try {
    return { value: f() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('golden vectors', () => {
  it('cover every message of the catalog with valid, boundary and malformed cases', () => {
    expect(vectors.map((v) => v.message).sort()).toEqual(catalog.map((m) => m.name).sort());
    for (const file of vectors) {
      expect(file.decoder.some((v) => v.output.data !== undefined), file.message).toBe(true);
      expect(file.decoder.some((v) => v.output.errors !== undefined), file.message).toBe(true);
      expect(file.encoder.some((v) => v.output.errors !== undefined), file.message).toBe(true);
    }
  });

  for (const file of vectors) {
    describe(`${file.message} (FPort ${file.fPort})`, () => {
      for (const v of file.decoder) {
        it(`decodes: ${v.description}`, () => {
          const bytes = v.input.bytes as number[];
          // TypeScript codec
          const ts = codec.decode(file.fPort, bytes);
          if (v.output.data !== undefined) {
            expect(ts.ok && ts.data).toEqual(v.output.data);
          } else {
            expect(ts.ok ? 'decoded' : [ts.error.message]).toEqual(v.output.errors);
          }
          // formatter
          const up = file.direction === 'uplink';
          const result = plain(up ? formatter.decodeUplink(v.input) : formatter.decodeDownlink(v.input));
          if (v.output.data !== undefined) {
            expect(result.errors).toEqual([]);
            expect(result.data).toEqual(up ? v.output.data : { [file.message]: v.output.data });
          } else {
            expect(result.errors).toEqual(v.output.errors);
            expect(result.data).toBeUndefined();
          }
          // firmware module
          const fw = firmwareCall(() => plain(firmware.decode(file.fPort, bytes)));
          if (v.output.data !== undefined) expect(fw).toEqual({ value: v.output.data });
          else expect([fw.error]).toEqual(v.output.errors);
        });
      }
      for (const v of file.encoder) {
        it(`encodes: ${v.description}`, () => {
          const ts = codec.encode(file.fPort, v.input.data);
          if (v.output.bytes) expect(ts.ok && [...ts.bytes]).toEqual(v.output.bytes);
          else expect(ts.ok ? 'encoded' : [ts.error.message]).toEqual(v.output.errors);

          if (file.direction === 'downlink') {
            const result = plain(formatter.encodeDownlink({ data: { [file.message]: v.input.data } }));
            if (v.output.bytes) expect(result).toEqual({ bytes: v.output.bytes, fPort: file.fPort, warnings: [], errors: [] });
            else expect(result).toEqual({ warnings: [], errors: v.output.errors });
          }

          // the firmware module leaves field-name checks to TypeScript (payload.d.ts) to save flash
          const namesOnly = v.output.errors?.every((e) => e.endsWith(': unknown field'));
          if (namesOnly) return;
          const fw = firmwareCall(() => [...firmware.encode(file.fPort, v.input.data)]);
          if (v.output.bytes) expect(fw).toEqual({ value: v.output.bytes });
          else expect([fw.error]).toEqual(v.output.errors);
        });
      }
    });
  }
});

describe('formatter envelope', () => {
  it('reports an unknown FPort like the TTN device repository examples', () => {
    expect(plain(formatter.decodeUplink({ fPort: 42, bytes: [1, 42] }))).toEqual({ warnings: [], errors: ['unknown FPort 42'] });
    const ts = codec.decode(42, [1, 42]);
    expect(!ts.ok && ts.error.code).toBe('UNKNOWN_PORT');
  });

  it('refuses a downlink port in decodeUplink and an uplink port in decodeDownlink', () => {
    expect(plain(formatter.decodeUplink({ fPort: 3, bytes: [0x80, 0, 0x96, 0] })).errors).toEqual([
      'FPort 3 (deviceConfig) is for downlinks',
    ]);
    expect(plain(formatter.decodeDownlink({ fPort: 20, bytes: [0, 0, 0, 0, 0, 0] })).errors).toEqual([
      'FPort 20 (roadClimate) is for uplinks',
    ]);
    const ts = codec.decodeUplink(3, [0x80, 0, 0x96, 0]);
    expect(!ts.ok && ts.error.message).toBe('FPort 3 (deviceConfig) is for downlinks');
  });

  it('names the downlink messages when the data names none or an uplink', () => {
    const expected = ['data: expected an object with exactly one key of: deviceConfig, bookingAck'];
    for (const data of [{}, { roadClimate: {} }, { deviceConfig: {}, bookingAck: {} }, 'reboot', null]) {
      expect(plain(formatter.encodeDownlink({ data })).errors).toEqual(expected);
      const ts = codec.encodeDownlink(data);
      expect(ts.ok ? 'encoded' : [ts.error.message]).toEqual(expected);
    }
  });

  it('never throws on a missing or malformed input object', () => {
    for (const input of [undefined, null, 42, 'x', [], { fPort: 20 }, { fPort: 20, bytes: null }, { fPort: '20', bytes: [] }]) {
      expect(plain(formatter.decodeUplink(input)).errors?.length).toBe(1);
      expect(plain(formatter.decodeDownlink(input)).errors?.length).toBe(1);
      expect(plain(formatter.encodeDownlink(input)).errors?.length).toBe(1);
    }
  });

  it('names an object it cannot print instead of throwing while describing it', () => {
    // String() of these throws: no callable toString, or no prototype at all
    const unprintable = [{ toString: false }, Object.create(null) as object, [{ toString: 1 }]];
    const names = ['an object', 'an object', 'an array'];
    const data = (iceRisk: unknown) => ({ air: { temperature: 1, relativeHumidity: 50 }, surface: { temperature: 0 }, iceRisk, status: {}, battery: 3 });
    unprintable.forEach((value, i) => {
      const expected = [`iceRisk: unknown value ${names[i]} (expected one of: clear, watch, risk, unknown)`];
      const ts = codec.encode(20, data(value));
      expect(ts.ok ? 'encoded' : [ts.error.message]).toEqual(expected);
      expect([firmwareCall(() => firmware.encode(20, data(value))).error]).toEqual(expected);
      const downlink = plain(formatter.encodeDownlink({ data: { deviceConfig: { sendInterval: value } } }));
      expect(downlink.errors).toHaveLength(1);
    });
  });

  it('round-trips a downlink through encodeDownlink and decodeDownlink', () => {
    const data = { deviceConfig: { sendInterval: 600, commands: { reportConfig: true } } };
    const encoded = plain(formatter.encodeDownlink({ data }));
    expect(encoded.errors).toEqual([]);
    const decoded = plain(formatter.decodeDownlink({ fPort: encoded.fPort, bytes: encoded.bytes }));
    expect(decoded.data).toEqual({
      deviceConfig: { sendInterval: 600, commands: { reboot: false, recalibrate: false, reportConfig: true } },
    });
  });
});
