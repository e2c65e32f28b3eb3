/** The simulated QMC5883L register by register: what a driver sees on the bus. */
import { describe, expect, it } from 'vitest';
import { SimulatedQmc5883l, type Vector3 } from '../../tools/simulator/devices/qmc5883l.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

function chip(field: Vector3 = { x: 10, y: -20, z: -40 }, options = {}) {
  const scheduler = new VirtualScheduler({ seed: 5 });
  let truth = field;
  const device = new SimulatedQmc5883l(scheduler, () => truth, { noiseUt: 0, ...options });
  const read = (register: number, n: number): number[] => {
    expect(device.write(Uint8Array.of(register))).toBe(true);
    return Array.from(device.read(n)!);
  };
  const write = (register: number, value: number): void => void expect(device.write(Uint8Array.of(register, value))).toBe(true);
  return { scheduler, device, read, write, set: (f: Vector3) => (truth = f) };
}

const int16 = (lo: number, hi: number): number => ((hi << 8) | lo) << 16 >> 16;

describe('simulated QMC5883L', () => {
  it('has its id at 0x0D, 0x01 at 0x0C and powers up in standby with zeros', () => {
    const c = chip();
    expect(c.read(0x0d, 1)).toEqual([0xff]);
    expect(c.read(0x0c, 1)).toEqual([0x01]);
    expect(c.read(0x00, 9)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    c.scheduler.runFor(1000);
    expect(c.device.conversions).toBe(0);
  });

  it('converts every 1/ODR in continuous mode: DRDY after the period, not before', () => {
    for (const [odr, hz] of [[0x00, 10], [0x04, 50], [0x08, 100], [0x0c, 200]] as const) {
      const c = chip();
      c.write(0x09, odr | 0x01);
      c.scheduler.runFor(1000 / hz - 0.1);
      expect(c.read(0x06, 1)[0]! & 1).toBe(0);
      c.scheduler.runFor(0.2);
      expect(c.read(0x06, 1)[0]! & 1).toBe(1);
      c.scheduler.runFor(1000);
      c.device.peek(0x06); // conversions are applied when the bus (or a peek) looks
      expect(c.device.conversions).toBe(hz + 1);
    }
  });

  it('gives X, Y, Z LSB first at 120 LSB/µT (2 G) and 30 LSB/µT (8 G), temperature at 100 LSB/°C', () => {
    const c = chip({ x: 10, y: -20, z: -40 }, { temperature: () => 23.4, temperatureOffsetC: 1.5 });
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    const d = c.read(0x00, 9);
    expect([int16(d[0]!, d[1]!), int16(d[2]!, d[3]!), int16(d[4]!, d[5]!)]).toEqual([1200, -2400, -4800]);
    expect(d[6]! & 1).toBe(1);
    expect(int16(d[7]!, d[8]!)).toBe(2490);
    c.write(0x09, 0x1d);
    c.scheduler.runFor(6);
    const e = c.read(0x00, 6);
    expect([int16(e[0]!, e[1]!), int16(e[2]!, e[3]!), int16(e[4]!, e[5]!)]).toEqual([300, -600, -1200]);
  });

  it('clears DRDY when data is read, sets DOR when a sample was never read', () => {
    const c = chip();
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    expect(c.read(0x06, 1)).toEqual([0x01]); // reading the status alone does not clear it
    c.read(0x00, 6);
    expect(c.read(0x06, 1)).toEqual([0x00]);
    c.scheduler.runFor(11); // two conversions, neither read
    expect(c.read(0x06, 1)).toEqual([0x05]);
    c.read(0x00, 2);
    expect(c.read(0x06, 1)).toEqual([0x00]);
  });

  it('does not lock the data registers: a new conversion replaces data half read', () => {
    const c = chip({ x: 10, y: 0, z: 0 });
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    const first = c.read(0x00, 2);
    c.set({ x: 20, y: 0, z: 0 });
    c.scheduler.runFor(5);
    const rest = c.read(0x00, 2);
    expect(int16(first[0]!, first[1]!)).toBe(1200);
    expect(int16(rest[0]!, rest[1]!)).toBe(2400);
  });

  it('saturates and sets OVL beyond the range, clears it with the next sample in range', () => {
    const c = chip({ x: 300, y: 0, z: -10 });
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    const d = c.read(0x00, 7);
    expect(int16(d[0]!, d[1]!)).toBe(32767);
    expect(d[6]! & 0x02).toBe(0x02);
    c.set({ x: 100, y: 0, z: -10 });
    c.scheduler.runFor(5);
    expect(c.read(0x06, 1)[0]! & 0x02).toBe(0);
    c.set({ x: -300, y: 0, z: 0 });
    c.write(0x09, 0x1d); // 8 G: fits
    c.scheduler.runFor(6);
    const e = c.read(0x00, 7);
    expect(int16(e[0]!, e[1]!)).toBe(-9000);
    expect(e[6]! & 0x02).toBe(0);
  });

  it('stops converting in standby and keeps the last data', () => {
    const c = chip();
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    c.write(0x09, 0x0c);
    const n = c.device.conversions;
    c.scheduler.runFor(1000);
    expect(c.device.conversions).toBe(n);
    expect(int16(...(c.read(0x00, 2) as [number, number]))).toBe(1200);
    expect(c.device.activeMs).toBeCloseTo(6, 5);
  });

  it('restores every register on a soft reset, keeps 0x0B as written, rolls the pointer over with ROL_PNT', () => {
    const c = chip();
    c.write(0x0b, 0x01);
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    expect(c.read(0x0b, 1)).toEqual([0x01]);
    c.write(0x0a, 0x80);
    expect(c.read(0x09, 3)).toEqual([0, 0, 0]);
    expect(c.read(0x00, 2)).toEqual([0, 0]);
    expect(c.device.softResets).toBe(1);
    c.write(0x0a, 0x40);
    c.write(0x09, 0x0d);
    c.scheduler.runFor(6);
    const wrapped = c.read(0x05, 4); // 0x05, 0x06, then 0x00, 0x01
    expect(wrapped.slice(2)).toEqual(c.read(0x00, 2));
  });

  it('adds temperature drift per axis and Gaussian noise of the configured sigma', () => {
    const c = chip({ x: 0, y: 0, z: 0 }, { noiseUt: 2, temperature: () => 30, tempcoUtPerK: { x: 0.5, y: -0.2, z: 0 } });
    c.write(0x09, 0x0d);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 4000; i++) {
      c.scheduler.runFor(5);
      const d = c.read(0x00, 4);
      xs.push(int16(d[0]!, d[1]!) / 120);
      ys.push(int16(d[2]!, d[3]!) / 120);
    }
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    const sd = (a: number[]): number => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
    expect(mean(xs)).toBeCloseTo(5, 0);
    expect(mean(ys)).toBeCloseTo(-2, 0);
    expect(sd(xs)).toBeGreaterThan(1.9);
    expect(sd(xs)).toBeLessThan(2.1);
  });

  it('NACKs everything with the nack fault', () => {
    const c = chip();
    c.device.setFault('nack');
    expect(c.device.write(Uint8Array.of(0x0d))).toBe(false);
    expect(c.device.read(1)).toBeUndefined();
  });
});
