/**
 * The SHT3x driver: CRC and conversion against the datasheet's numbers, then the driver on a virtual I2C bus against
 * the simulated SHT3x (tools/simulator/devices/sht3x.ts), both as TypeScript in Node and as a bundle in the Espruino
 * sandbox.
 */
import { bundleFirmwareModule } from '../support/firmware-module.ts';
import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sensirionCrc8 } from '../../firmware/core/crc8.ts';
import * as driver from '../../firmware/drivers/sht3x.ts';
import type { I2CBus, Sht3xError, Sht3xReading, Sht3xStatus } from '../../firmware/drivers/sht3x.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';
import type { I2CDevice } from '../../tools/simulator/contracts.ts';
import { SimulatedSht3x, type Climate } from '../../tools/simulator/devices/sht3x.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

/** One raw step: 175/65535 degC and 100/65535 %RH; half of it is the quantization error. */
const T_STEP = 175 / 65535;
const RH_STEP = 100 / 65535;
/** 4 sigma of the high-repeatability noise (3 sigma = 0.04 degC / 0.08 %RH) plus quantization. */
const T_TOLERANCE = (4 * 0.04) / 3 + T_STEP;
const RH_TOLERANCE = (4 * 0.08) / 3 + RH_STEP;

function withCrc(word: number): number[] {
  const bytes = [(word >> 8) & 0xff, word & 0xff];
  return [bytes[0]!, bytes[1]!, sensirionCrc8(bytes, 0, 2)];
}

describe('Sensirion CRC-8', () => {
  it('matches the datasheet check values', () => {
    expect(sensirionCrc8([0xbe, 0xef], 0, 2)).toBe(0x92);
    expect(sensirionCrc8([0x66, 0x66], 0, 2)).toBe(0x93);
  });

  it('covers only the given range', () => {
    expect(sensirionCrc8([0x00, 0xbe, 0xef, 0x00], 1, 2)).toBe(0x92);
    expect(sensirionCrc8([], 0, 0)).toBe(0xff);
  });
});

/** A bus as Espruino's I2C1: writeTo/readFrom reach the device at the address, and a NACK throws. */
class VirtualI2C implements I2CBus {
  readonly log: { at: number; op: 'write' | 'read'; address: number; bytes: number[] }[] = [];
  private readonly devices: I2CDevice[];
  private readonly scheduler: VirtualScheduler;

  constructor(scheduler: VirtualScheduler, devices: I2CDevice[]) {
    this.scheduler = scheduler;
    this.devices = devices;
  }

  writeTo(address: number, data: number[]): void {
    const bytes = Uint8Array.from(data);
    this.log.push({ at: this.scheduler.now(), op: 'write', address, bytes: Array.from(bytes) });
    const device = this.devices.find((d) => d.address === address);
    if (!device || !device.write(bytes)) throw new Error('I2C Error: No ACK');
  }

  readFrom(address: number, quantity: number): Uint8Array {
    const device = this.devices.find((d) => d.address === address);
    const bytes = device ? device.read(quantity) : undefined;
    this.log.push({ at: this.scheduler.now(), op: 'read', address, bytes: bytes ? Array.from(bytes) : [] });
    if (!bytes) throw new Error('I2C Error: No ACK');
    return bytes;
  }
}

const bundleDriver = (): Promise<string> => bundleFirmwareModule('firmware/drivers/sht3x.ts');

describe('the driver bundle', () => {
  it('passes the Espruino compatibility check', async () => {
    expect(checkEspruinoCompat(await bundleDriver(), { sourceType: 'module' })).toEqual([]);
  });
});

type DriverModule = typeof driver;
const IMPLEMENTATIONS: [string, () => Promise<DriverModule>][] = [
  ['TypeScript module in Node', () => Promise.resolve(driver)],
  ['bundle in the Espruino sandbox', () => bundleDriver().then((code) => loadEspruinoModule(code, {}, 'sht3x.js') as unknown as DriverModule)],
];

/** Records callback calls; results are copied out of the sandbox's realm. */
function recorder<T>(): { cb: (err: Sht3xError | null, result?: T | null) => void; calls: [Sht3xError | null, T | null][] } {
  const calls: [Sht3xError | null, T | null][] = [];
  return {
    cb: (err, result) => calls.push([err, result === undefined || result === null ? null : (JSON.parse(JSON.stringify(result)) as T)]),
    calls,
  };
}

describe.each(IMPLEMENTATIONS)('SHT3x driver: %s', (_name, load) => {
  let impl: DriverModule;
  let scheduler: VirtualScheduler;
  let air: Climate;
  let sensor: SimulatedSht3x;
  let bus: VirtualI2C;
  const timer = (fn: () => void, ms: number): unknown => scheduler.after(ms, fn);

  beforeAll(async () => {
    impl = await load();
  });
  beforeEach(() => {
    scheduler = new VirtualScheduler(7);
    air = { temperature: 4.2, humidity: 87.5 };
    sensor = new SimulatedSht3x(scheduler, () => air);
    bus = new VirtualI2C(scheduler, [sensor]);
  });

  function readOnce(sht: driver.SHT3x): [Sht3xError | null, Sht3xReading | null] {
    const r = recorder<Sht3xReading>();
    sht.read(r.cb);
    scheduler.runFor(100);
    expect(r.calls).toHaveLength(1);
    return r.calls[0]!;
  }

  function statusOf(sht: driver.SHT3x): Sht3xStatus {
    const r = recorder<Sht3xStatus>();
    impl.readStatus(sht, r.cb);
    scheduler.runFor(10);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]![0]).toBeNull();
    return r.calls[0]![1]!;
  }

  describe('conversion', () => {
    it('converts raw 0x6666 to 25.0 degC and 40.0 %RH', () => {
      const reading = impl.decodeMeasurement([0x66, 0x66, 0x93, 0x66, 0x66, 0x93]);
      expect(reading!.temperature).toBeCloseTo(25.0, 9);
      expect(reading!.humidity).toBeCloseTo(40.0, 9);
    });

    it('accepts the datasheet CRC example and rejects a wrong CRC on either word', () => {
      expect(impl.decodeMeasurement([0xbe, 0xef, 0x92, 0x66, 0x66, 0x93])!.temperature).toBeCloseTo(-45 + (175 * 0xbeef) / 65535, 9);
      expect(impl.decodeMeasurement([0xbe, 0xef, 0x93, 0x66, 0x66, 0x93])).toBeNull();
      expect(impl.decodeMeasurement([0xbe, 0xef, 0x92, 0x66, 0x66, 0x92])).toBeNull();
      expect(impl.decodeMeasurement([0xbe, 0xef, 0x92, 0x66, 0x66])).toBeNull();
    });

    it('converts any raw pair by the datasheet formulas, within the sensor range', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (t, rh) => {
          const reading = impl.decodeMeasurement([...withCrc(t), ...withCrc(rh)]);
          expect(reading).not.toBeNull();
          expect(Math.abs(reading!.temperature - (-45 + (175 * t) / 65535))).toBeLessThan(1e-9);
          expect(Math.abs(reading!.humidity - (100 * rh) / 65535)).toBeLessThan(1e-9);
          expect(reading!.temperature).toBeGreaterThanOrEqual(-45);
          expect(reading!.temperature).toBeLessThanOrEqual(130);
          expect(reading!.humidity).toBeGreaterThanOrEqual(0);
          expect(reading!.humidity).toBeLessThanOrEqual(100);
        }),
      );
    });

    it('rejects every single-bit error in a measurement', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 47 }), (t, rh, bit) => {
          const bytes = [...withCrc(t), ...withCrc(rh)];
          bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
          expect(impl.decodeMeasurement(bytes)).toBeNull();
        }),
      );
    });

    it('decodes the status bits', () => {
      const status = impl.decodeStatus(0xa412);
      expect(JSON.parse(JSON.stringify(status))).toEqual({
        raw: 0xa412,
        alertPending: true,
        heater: true,
        humidityAlert: false,
        temperatureAlert: true,
        resetDetected: true,
        commandFailed: true,
        writeChecksumFailed: false,
      });
    });
  });

  describe('against the simulated sensor', () => {
    it('sends 0x2400, reads 6 bytes only after the 15.5 ms maximum, and returns the truth', () => {
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const [err, reading] = readOnce(sht);
      expect(err).toBeNull();
      expect(Math.abs(reading!.temperature - air.temperature)).toBeLessThan(T_TOLERANCE);
      expect(Math.abs(reading!.humidity - air.humidity)).toBeLessThan(RH_TOLERANCE);
      expect(bus.log.map((e) => [e.op, e.address, e.op === 'write' ? e.bytes : e.bytes.length])).toEqual([
        ['write', 0x44, [0x24, 0x00]],
        ['read', 0x44, 6],
      ]);
      expect(bus.log[1]!.at - bus.log[0]!.at).toBeGreaterThanOrEqual(15.5);
      expect(bus.log[1]!.at - bus.log[0]!.at).toBeLessThanOrEqual(20);
    });

    it('follows a changing truth within quantization and noise', () => {
      const truth = (ms: number): Climate => ({ temperature: -10 + ms / 60_000, humidity: 30 + ms / 20_000 });
      const moving = new SimulatedSht3x(scheduler, truth);
      const sht = new impl.SHT3x(new VirtualI2C(scheduler, [moving]), 0x44, timer);
      for (let i = 0; i < 20; i++) {
        const [err, reading] = readOnce(sht);
        expect(err).toBeNull();
        // The value is taken at the end of the measurement, at most 20 ms ago: the ramps move < 0.001 in that time.
        const expected = truth(scheduler.now());
        expect(Math.abs(reading!.temperature - expected.temperature)).toBeLessThan(T_TOLERANCE + 0.001);
        expect(Math.abs(reading!.humidity - expected.humidity)).toBeLessThan(RH_TOLERANCE + 0.001);
        scheduler.runFor(60_000);
      }
    });

    it('reports a corrupted CRC as crc with no reading', () => {
      sensor.setFault('crc');
      const sht = new impl.SHT3x(bus, 0x44, timer);
      expect(readOnce(sht)).toEqual(['crc', null]);
      const status = recorder<Sht3xStatus>();
      impl.readStatus(sht, status.cb);
      scheduler.runFor(10);
      expect(status.calls).toEqual([['crc', null]]);
      sensor.clearFault();
      expect(readOnce(sht)[0]).toBeNull();
    });

    it('reports a sensor that does not answer, or is absent, as nack without throwing', () => {
      sensor.setFault('nack');
      const sht = new impl.SHT3x(bus, 0x44, timer);
      expect(readOnce(sht)).toEqual(['nack', null]);
      const done = recorder<void>();
      sht.heater(true, done.cb);
      impl.clearStatus(sht, done.cb);
      impl.softReset(sht, done.cb);
      scheduler.runFor(10);
      expect(done.calls.map((c) => c[0])).toEqual(['nack', 'nack', 'nack']);
      expect(readOnce(new impl.SHT3x(bus, 0x45, timer))).toEqual(['nack', null]);
    });

    it('reports nack when the sensor stops answering between command and read', () => {
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const r = recorder<Sht3xReading>();
      sht.read(r.cb);
      scheduler.runFor(5);
      sensor.setFault('nack');
      scheduler.runFor(100);
      expect(r.calls).toEqual([['nack', null]]);
    });

    it('calls back from the timer, never during the call', () => {
      sensor.setFault('nack');
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const r = recorder<Sht3xReading>();
      sht.read(r.cb);
      expect(r.calls).toEqual([]);
      scheduler.runFor(1);
      expect(r.calls).toEqual([['nack', null]]);
    });

    it('answers busy to calls made while a measurement is pending, and works again afterwards', () => {
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const first = recorder<Sht3xReading>();
      const second = recorder<Sht3xReading>();
      const heater = recorder<void>();
      const status = recorder<Sht3xStatus>();
      sht.read(first.cb);
      scheduler.runFor(5);
      sht.read(second.cb);
      sht.heater(true, heater.cb);
      impl.readStatus(sht, status.cb);
      scheduler.runFor(100);
      expect(first.calls).toHaveLength(1);
      expect(first.calls[0]![0]).toBeNull();
      expect(second.calls).toEqual([['busy', null]]);
      expect(heater.calls).toEqual([['busy', null]]);
      expect(status.calls).toEqual([['busy', null]]);
      // Only one command reached the sensor, and the heater stayed off.
      expect(sensor.commands).toEqual([0x2400]);
      expect(sensor.heaterOn).toBe(false);
      expect(readOnce(sht)[0]).toBeNull();
    });

    it('starts the next operation from inside a callback', () => {
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const second = recorder<Sht3xReading>();
      sht.read(() => sht.read(second.cb));
      scheduler.runFor(100);
      expect(second.calls).toHaveLength(1);
      expect(second.calls[0]![0]).toBeNull();
    });

    it('switches the heater: status bit 13 follows, temperature rises and humidity drops', () => {
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const [, before] = readOnce(sht);
      expect(statusOf(sht).heater).toBe(false);
      const done = recorder<void>();
      sht.heater(true, done.cb);
      scheduler.runFor(10);
      expect(done.calls).toEqual([[null, null]]);
      expect(statusOf(sht).heater).toBe(true);
      scheduler.runFor(60_000);
      const [, heated] = readOnce(sht);
      expect(heated!.temperature - before!.temperature).toBeGreaterThan(2);
      expect(heated!.temperature - before!.temperature).toBeLessThan(4);
      expect(heated!.humidity).toBeLessThan(before!.humidity - 10);
      sht.heater(false, done.cb);
      scheduler.runFor(10);
      expect(statusOf(sht).heater).toBe(false);
      scheduler.runFor(60_000);
      const [, cooled] = readOnce(sht);
      expect(Math.abs(cooled!.temperature - air.temperature)).toBeLessThan(T_TOLERANCE + 0.01);
    });

    it('soft-resets: heater off, reset flag set; clearStatus clears the flags', () => {
      const sht = new impl.SHT3x(bus, 0x44, timer);
      const done = recorder<void>();
      impl.clearStatus(sht, done.cb);
      scheduler.runFor(10);
      sht.heater(true, done.cb);
      scheduler.runFor(10);
      let status = statusOf(sht);
      expect([status.heater, status.resetDetected, status.alertPending]).toEqual([true, false, false]);
      impl.softReset(sht, done.cb);
      scheduler.runFor(10);
      status = statusOf(sht);
      expect([status.heater, status.resetDetected, status.alertPending, status.raw]).toEqual([false, true, true, 0x8010]);
      impl.clearStatus(sht, done.cb);
      scheduler.runFor(10);
      expect(statusOf(sht).raw).toBe(0);
      expect(done.calls.map((c) => c[0])).toEqual([null, null, null, null]);
      // Each wait was long enough: the reset's 1.5 ms NACK window had passed before the status command.
      const writes = bus.log.filter((e) => e.op === 'write').map((e) => e.at);
      const resetAt = bus.log.find((e) => e.bytes[0] === 0x30 && e.bytes[1] === 0xa2)!.at;
      expect(writes.find((at) => at > resetAt)! - resetAt).toBeGreaterThanOrEqual(1.5);
    });

    it('reads two sensors on one bus at once (air at 0x44, road surface at 0x45)', () => {
      const surfaceTruth: Climate = { temperature: -1.5, humidity: 95 };
      const surfaceSensor = new SimulatedSht3x(scheduler, () => surfaceTruth, { address: 0x45 });
      const shared = new VirtualI2C(scheduler, [sensor, surfaceSensor]);
      const airSht = new impl.SHT3x(shared, 0x44, timer);
      const surfaceSht = new impl.SHT3x(shared, 0x45, timer);
      const a = recorder<Sht3xReading>();
      const s = recorder<Sht3xReading>();
      airSht.read(a.cb);
      surfaceSht.read(s.cb);
      scheduler.runFor(100);
      expect(a.calls[0]![0]).toBeNull();
      expect(s.calls[0]![0]).toBeNull();
      expect(Math.abs(a.calls[0]![1]!.temperature - air.temperature)).toBeLessThan(T_TOLERANCE);
      expect(Math.abs(s.calls[0]![1]!.temperature - surfaceTruth.temperature)).toBeLessThan(T_TOLERANCE);
    });

    it('treats a bus that throws anything, or returns too few bytes, as nack', () => {
      const odd: I2CBus = {
        writeTo: () => undefined,
        readFrom: () => new Uint8Array(2),
      };
      expect(readOnce(new impl.SHT3x(odd, 0x44, timer))).toEqual(['nack', null]);
      const throwing: I2CBus = {
        writeTo: () => {
          throw 'bus fault';
        },
        readFrom: () => new Uint8Array(6),
      };
      expect(readOnce(new impl.SHT3x(throwing, 0x44, timer))).toEqual(['nack', null]);
    });
  });
});
