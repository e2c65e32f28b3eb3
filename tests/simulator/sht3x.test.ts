/**
 * The simulated SHT3x at the byte level: commands, timing, CRCs, status register, heater, noise and faults as
 * Datasheet SHT3x-DIS describes them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { sensirionCrc8 } from '../../firmware/core/crc8.ts';
import {
  REPEATABILITY,
  SimulatedSht3x,
  SOFT_RESET_MS,
  STATUS_AFTER_RESET,
  type Climate,
  type Repeatability,
} from '../../tools/simulator/devices/sht3x.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

const cmd = (command: number): Uint8Array => Uint8Array.of(command >> 8, command & 0xff);
const word = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
const celsius = (raw: number): number => -45 + (175 * raw) / 65535;
const percent = (raw: number): number => (100 * raw) / 65535;

function expectValidCrcs(bytes: Uint8Array): void {
  for (let at = 0; at + 2 < bytes.length; at += 3) expect(bytes[at + 2], `CRC at byte ${at + 2}`).toBe(sensirionCrc8(bytes, at, 2));
}

/** Command, repeatability, clock stretching, maximum measurement time (datasheet Table 4, 2.15-2.4 V). */
const SINGLE_SHOT: [number, Repeatability, boolean, number][] = [
  [0x2400, 'high', false, 15.5],
  [0x240b, 'medium', false, 6.5],
  [0x2416, 'low', false, 4.5],
  [0x2c06, 'high', true, 15.5],
  [0x2c0d, 'medium', true, 6.5],
  [0x2c10, 'low', true, 4.5],
];

describe('simulated SHT3x', () => {
  let scheduler: VirtualScheduler;
  let air: Climate;
  let sensor: SimulatedSht3x;

  beforeEach(() => {
    scheduler = new VirtualScheduler(11);
    air = { temperature: 21.3, humidity: 55.2 };
    sensor = new SimulatedSht3x(scheduler, () => air);
  });

  /** Sends a command, waits the measurement time, reads 6 bytes. */
  function measure(device: SimulatedSht3x = sensor, command = 0x2400): Uint8Array {
    expect(device.write(cmd(command))).toBe(true);
    scheduler.runFor(15.5);
    const bytes = device.read(6);
    expect(bytes).toBeDefined();
    return bytes!;
  }

  function status(): number {
    expect(sensor.write(cmd(0xf32d))).toBe(true);
    const bytes = sensor.read(3)!;
    expectValidCrcs(bytes);
    return word(bytes, 0);
  }

  it('answers at 0x44 by default and at 0x45 when ADDR is high', () => {
    expect(sensor.address).toBe(0x44);
    expect(new SimulatedSht3x(scheduler, () => air, { address: 0x45 }).address).toBe(0x45);
  });

  const SINGLE_SHOT_CASES = SINGLE_SHOT.map(
    ([command, repeatability, stretching, maxMs]) => ['0x' + command.toString(16), command, repeatability, stretching, maxMs] as const,
  );
  describe.each(SINGLE_SHOT_CASES)('single shot %s', (_label, command, repeatability, stretching, maxMs) => {
    it(stretching ? 'returns the result at once (clock stretching)' : 'NACKs a read before the maximum measurement time', () => {
      expect(sensor.write(cmd(command))).toBe(true);
      if (stretching) {
        expect(sensor.read(6)).toBeDefined();
        return;
      }
      expect(sensor.read(6)).toBeUndefined();
      scheduler.runFor(maxMs - 0.01);
      expect(sensor.read(6)).toBeUndefined();
      expect(sensor.write(cmd(0xf32d))).toBe(false); // busy measuring: nothing is acknowledged
      scheduler.runFor(0.01);
      expect(sensor.read(6)).toBeDefined();
    });

    it('sends T, CRC, RH, CRC within quantization and noise of the truth', () => {
      expect(sensor.write(cmd(command))).toBe(true);
      scheduler.runFor(maxMs);
      const bytes = sensor.read(6)!;
      expectValidCrcs(bytes);
      const rep = REPEATABILITY[repeatability];
      expect(Math.abs(celsius(word(bytes, 0)) - air.temperature)).toBeLessThan((5 * rep.temperature) / 3 + 175 / 65535);
      expect(Math.abs(percent(word(bytes, 3)) - air.humidity)).toBeLessThan((5 * rep.humidity) / 3 + 100 / 65535);
    });
  });

  it('has noise with 3 sigma equal to the datasheet repeatability, and an unbiased mean', () => {
    for (const repeatability of ['high', 'low'] as const) {
      const command = repeatability === 'high' ? 0x2400 : 0x2416;
      const temps: number[] = [];
      const hums: number[] = [];
      for (let i = 0; i < 400; i++) {
        const bytes = measure(sensor, command);
        temps.push(celsius(word(bytes, 0)));
        hums.push(percent(word(bytes, 3)));
      }
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
      const rep = REPEATABILITY[repeatability];
      expect(Math.abs(mean(temps) - air.temperature)).toBeLessThan(rep.temperature / 3 / 5);
      expect(Math.abs(mean(hums) - air.humidity)).toBeLessThan(rep.humidity / 3 / 5);
      expect(sd(temps) / (rep.temperature / 3)).toBeGreaterThan(0.8);
      expect(sd(temps) / (rep.temperature / 3)).toBeLessThan(1.2);
      expect(sd(hums) / (rep.humidity / 3)).toBeGreaterThan(0.8);
      expect(sd(hums) / (rep.humidity / 3)).toBeLessThan(1.2);
    }
  });

  it('quantizes to whole 16-bit steps and clamps at the ends of the range', () => {
    air = { temperature: 200, humidity: -5 };
    let bytes = measure();
    expect([word(bytes, 0), word(bytes, 3)]).toEqual([0xffff, 0]);
    air = { temperature: -60, humidity: 130 };
    bytes = measure();
    expect([word(bytes, 0), word(bytes, 3)]).toEqual([0, 0xffff]);
  });

  it('samples the truth at the end of the measurement', () => {
    const ramp = new SimulatedSht3x(scheduler, (ms) => ({ temperature: ms < 10 ? 0 : 50, humidity: 50 }));
    const bytes = measure(ramp);
    expect(celsius(word(bytes, 0))).toBeGreaterThan(49);
  });

  it('repeats from its seed and differs between seeds', () => {
    const run = (seed: number): number[] => {
      scheduler = new VirtualScheduler(seed);
      const device = new SimulatedSht3x(scheduler, () => air);
      return [...measure(device), ...measure(device)];
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('hands out a result once, may stop early, and pads a longer read with 0xFF', () => {
    expect(sensor.write(cmd(0x2400))).toBe(true);
    scheduler.runFor(20);
    const three = sensor.read(3)!;
    expect(three).toHaveLength(3);
    expectValidCrcs(three);
    expect(sensor.read(6)).toBeUndefined();
    expect(sensor.write(cmd(0x2400))).toBe(true);
    scheduler.runFor(20);
    const eight = sensor.read(8)!;
    expectValidCrcs(eight.subarray(0, 6));
    expect([eight[6], eight[7]]).toEqual([0xff, 0xff]);
  });

  it('NACKs a read with nothing to return', () => {
    expect(sensor.read(6)).toBeUndefined();
    expect(sensor.write(new Uint8Array(0))).toBe(true); // address probe
  });

  describe('status register', () => {
    it('reads 0x8010 after power-up (alert pending, reset detected) and 0 after clear status', () => {
      expect(status()).toBe(STATUS_AFTER_RESET);
      expect(STATUS_AFTER_RESET).toBe(0x8010);
      expect(sensor.write(cmd(0x3041))).toBe(true);
      expect(status()).toBe(0);
    });

    it('sets bit 13 while the heater is on', () => {
      expect(sensor.write(cmd(0x3041))).toBe(true);
      expect(sensor.write(cmd(0x306d))).toBe(true);
      expect(status()).toBe(0x2000);
      expect(sensor.heaterOn).toBe(true);
      expect(sensor.write(cmd(0x3066))).toBe(true);
      expect(status()).toBe(0);
    });

    it('NACKs an unknown command or a write of the wrong length and sets bit 1 until the next good command', () => {
      expect(sensor.write(cmd(0x3041))).toBe(true);
      expect(sensor.write(cmd(0x2130))).toBe(false); // periodic mode: not simulated
      expect(status()).toBe(0x0002);
      expect(sensor.write(Uint8Array.of(0x24))).toBe(false);
      expect(status()).toBe(0x0002);
      expect(sensor.write(cmd(0x3066))).toBe(true);
      expect(status()).toBe(0);
      expect(sensor.commands).toEqual([0x3041, 0xf32d, 0xf32d, 0x3066, 0xf32d]);
    });
  });

  it('soft reset: NACKs everything for tSR, then heater off and status 0x8010', () => {
    expect(sensor.write(cmd(0x3041))).toBe(true);
    expect(sensor.write(cmd(0x306d))).toBe(true);
    expect(sensor.write(cmd(0x2400))).toBe(true);
    scheduler.runFor(20);
    expect(sensor.write(cmd(0x30a2))).toBe(true);
    expect(sensor.read(6)).toBeUndefined(); // the pending result is gone
    scheduler.runFor(SOFT_RESET_MS - 0.01);
    expect(sensor.write(cmd(0xf32d))).toBe(false);
    scheduler.runFor(0.01);
    expect(status()).toBe(0x8010);
    expect(sensor.heaterOn).toBe(false);
  });

  describe('heater', () => {
    it('warms the element by a few kelvin with a first-order lag and lowers RH at constant vapour pressure', () => {
      air = { temperature: 10, humidity: 80 };
      expect(sensor.write(cmd(0x306d))).toBe(true);
      const on = scheduler.now();
      expect(sensor.heaterWarmingAt(on)).toBe(0);
      expect(sensor.heaterWarmingAt(on + 5000)).toBeCloseTo(3 * (1 - Math.exp(-1)), 6);
      scheduler.runFor(60_000);
      const bytes = measure();
      const t = celsius(word(bytes, 0));
      const rh = percent(word(bytes, 3));
      expect(t - air.temperature).toBeGreaterThan(2.9);
      expect(t - air.temperature).toBeLessThan(3.1);
      // Magnus: e = 0.8 * es(10 degC) held; RH at 13 degC = e / es(13 degC) ~ 65.1 %.
      const es = (x: number): number => 6.112 * Math.exp((17.62 * x) / (243.12 + x));
      expect(rh).toBeCloseTo((80 * es(10)) / es(13), 0);
      expect(sensor.write(cmd(0x3066))).toBe(true);
      const off = scheduler.now();
      expect(sensor.heaterWarmingAt(off + 5000)).toBeCloseTo(sensor.heaterWarmingAt(off) * Math.exp(-1), 6);
    });

    it('takes its rise and time constant from the options', () => {
      const strong = new SimulatedSht3x(scheduler, () => air, { heaterRiseK: 6, heaterTimeConstantMs: 1000 });
      expect(strong.write(cmd(0x306d))).toBe(true);
      expect(strong.heaterWarmingAt(scheduler.now() + 1000)).toBeCloseTo(6 * (1 - Math.exp(-1)), 6);
    });
  });

  describe('faults', () => {
    it("'nack': acknowledges nothing until cleared", () => {
      sensor.setFault('nack');
      expect(sensor.write(cmd(0x2400))).toBe(false);
      expect(sensor.write(new Uint8Array(0))).toBe(false);
      expect(sensor.read(6)).toBeUndefined();
      sensor.clearFault();
      expect(measure()).toHaveLength(6);
    });

    it("'crc': the data bytes are right, every CRC byte is wrong", () => {
      const good = new SimulatedSht3x(new VirtualScheduler(5), () => air);
      const bad = new SimulatedSht3x(new VirtualScheduler(5), () => air);
      bad.setFault('crc');
      const a = measureOn(good);
      const b = measureOn(bad);
      expect([b[0], b[1], b[3], b[4]]).toEqual([a[0], a[1], a[3], a[4]]);
      expect(b[2]).not.toBe(sensirionCrc8(b, 0, 2));
      expect(b[5]).not.toBe(sensirionCrc8(b, 3, 2));
      expect(bad.write(cmd(0xf32d))).toBe(true);
      const st = bad.read(3)!;
      expect(st[2]).not.toBe(sensirionCrc8(st, 0, 2));

      function measureOn(device: SimulatedSht3x): Uint8Array {
        device.write(cmd(0x2c06));
        return device.read(6)!;
      }
    });

    it("'stuck': repeats the last result with valid CRCs while the truth moves on", () => {
      const first = measure();
      sensor.setFault('stuck');
      air = { temperature: -5, humidity: 99 };
      const stuck = measure();
      expect(Array.from(stuck)).toEqual(Array.from(first));
      expectValidCrcs(stuck);
      sensor.clearFault();
      expect(celsius(word(measure(), 0))).toBeLessThan(-4.9);
    });
  });
});
