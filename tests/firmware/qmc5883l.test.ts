/**
 * The QMC5883L driver against the simulated QMC5883L (tools/simulator/devices/qmc5883l.ts) on a virtual I2C bus
 * that throws on a NACK as Espruino does, both as TypeScript in Node and as a bundle in the Espruino sandbox.
 */
import { describe, expect, it } from 'vitest';
import * as driver from '../../firmware/drivers/qmc5883l.ts';
import type { Qmc5883lError, Qmc5883lReading } from '../../firmware/drivers/qmc5883l.ts';
import type { I2CBus } from '../../firmware/drivers/sht3x.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';
import { SimulatedQmc5883l, type Vector3 } from '../../tools/simulator/devices/qmc5883l.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import { bundleFirmwareModule } from '../support/firmware-module.ts';

class VirtualI2C implements I2CBus {
  constructor(private readonly device: SimulatedQmc5883l) {}
  writeTo(address: number, data: number[]): void {
    if (address !== this.device.address || !this.device.write(Uint8Array.from(data))) throw new Error('I2C Write Error 33281');
  }
  readFrom(address: number, quantity: number): Uint8Array {
    const bytes = address === this.device.address ? this.device.read(quantity) : undefined;
    if (!bytes) throw new Error('I2C Read Error');
    return bytes;
  }
}

const bundleDriver = (): Promise<string> => bundleFirmwareModule('firmware/drivers/qmc5883l.ts');

it('passes the Espruino compatibility check', async () => {
  expect(checkEspruinoCompat(await bundleDriver(), { sourceType: 'module' })).toEqual([]);
});

type DriverModule = typeof driver;
const IMPLEMENTATIONS: [string, () => Promise<DriverModule>][] = [
  ['TypeScript module in Node', () => Promise.resolve(driver)],
  ['bundle in the Espruino sandbox', () => bundleDriver().then((code) => loadEspruinoModule(code, {}, 'qmc5883l.js') as unknown as DriverModule)],
];

describe.each(IMPLEMENTATIONS)('QMC5883L driver: %s', (_name, load) => {
  function setup(field: Vector3, timerDelayMs = 0) {
    const scheduler = new VirtualScheduler({ seed: 3 });
    let truth = field;
    const device = new SimulatedQmc5883l(scheduler, () => truth, { noiseUt: 0, temperature: () => 21.5 });
    const timer = (fn: () => void, ms: number): unknown => scheduler.after(ms + timerDelayMs, fn);
    return { scheduler, device, timer, bus: new VirtualI2C(device), set: (f: Vector3) => (truth = f) };
  }

  async function readOnce(mod: DriverModule, s: ReturnType<typeof setup>, sensor: driver.QMC5883L): Promise<[Qmc5883lError | null, Qmc5883lReading | null]> {
    let result: [Qmc5883lError | null, Qmc5883lReading | null] | undefined;
    sensor.read((err, r) => (result = [err, r]));
    s.scheduler.runFor(100);
    expect(result).toBeDefined();
    void mod;
    return result!;
  }

  function init(s: ReturnType<typeof setup>, sensor: driver.QMC5883L): Qmc5883lError | null | undefined {
    let error: Qmc5883lError | null | undefined;
    sensor.init((err) => (error = err));
    s.scheduler.runFor(50);
    return error;
  }

  it('sets the chip up (soft reset, chip id, SET/RESET period 0x01) and reads the field in µT', async () => {
    const mod = await load();
    const s = setup({ x: 20.1, y: -3.4, z: -44.8 });
    const sensor = new mod.QMC5883L(s.bus, s.timer);
    expect(init(s, sensor)).toBeNull();
    expect(s.device.softResets).toBe(1);
    expect(s.device.peek(0x0b)).toBe(0x01);
    expect(s.device.peek(0x09) & 0x03).toBe(0); // standby between readings
    const [err, r] = await readOnce(mod, s, sensor);
    expect(err).toBeNull();
    // 120 LSB/µT at 2 G: within one LSB
    expect(r!.x).toBeCloseTo(20.1, 1);
    expect(r!.y).toBeCloseTo(-3.4, 1);
    expect(r!.z).toBeCloseTo(-44.8, 1);
    expect(r!.temperature).toBeCloseTo(21.5, 2);
    expect(r).toMatchObject({ range: 2, skipped: false });
    expect(s.device.peek(0x09) & 0x03).toBe(0);
    expect(s.device.activeMs).toBeLessThan(8);
  });

  it('reports NACKs as errors and never throws', async () => {
    const mod = await load();
    const s = setup({ x: 1, y: 2, z: 3 });
    const sensor = new mod.QMC5883L(s.bus, s.timer);
    s.device.setFault('nack');
    expect(init(s, sensor)).toBe('nack');
    expect(await readOnce(mod, s, sensor)).toEqual(['nack', null]);
    s.device.clearFault();
    expect(init(s, sensor)).toBeNull();
    // the chip stops answering between the switch to continuous mode and the data read
    sensor.read(() => undefined);
    let result: unknown;
    s.device.setFault('nack');
    s.scheduler.runFor(100);
    sensor.read((err, r) => (result = [err, r]));
    s.scheduler.runFor(100);
    expect(result).toEqual(['nack', null]);
  });

  it('rejects a chip with another id', async () => {
    const mod = await load();
    const s = setup({ x: 1, y: 2, z: 3 });
    // a read of 0x0D through a wrong pointer: shift the sensor's address to a device that is not a QMC5883L
    const sensor = new mod.QMC5883L({ writeTo: (a, d) => s.bus.writeTo(a, d[0] === 0x0d ? [0x0c] : d), readFrom: (a, n) => s.bus.readFrom(a, n) }, s.timer);
    expect(init(s, sensor)).toBe('chipId');
  });

  it('gives notReady when no sample comes, busy while a reading runs', async () => {
    const mod = await load();
    const s = setup({ x: 1, y: 2, z: 3 });
    const sensor = new mod.QMC5883L(s.bus, s.timer);
    init(s, sensor);
    s.device.setFault('noConversion');
    const results: unknown[] = [];
    sensor.read((err) => results.push(err));
    sensor.read((err) => results.push(err));
    s.scheduler.runFor(100);
    expect(results).toEqual(['busy', 'notReady']);
  });

  it('does not use an overflowed sample, and widens the range to 8 G after two in a row', async () => {
    const mod = await load();
    const s = setup({ x: 30, y: 0, z: -400 });
    const sensor = new mod.QMC5883L(s.bus, s.timer);
    init(s, sensor);
    expect(await readOnce(mod, s, sensor)).toEqual(['overflow', null]);
    expect(await readOnce(mod, s, sensor)).toEqual(['overflow', null]);
    expect(sensor.range).toBe(8);
    const [err, r] = await readOnce(mod, s, sensor);
    expect(err).toBeNull();
    expect(r!.range).toBe(8);
    expect(r!.z).toBeCloseTo(-400, 0);
    expect(s.device.peek(0x09) & 0x30).toBe(0x10);
    // beyond 8 G as well: every reading overflows
    s.set({ x: 0, y: 0, z: 1200 });
    expect((await readOnce(mod, s, sensor))[0]).toBe('overflow');
    // back to a normal field: after 32 quiet readings the driver returns to 2 G
    s.set({ x: 20, y: 0, z: -45 });
    for (let i = 0; i < 32; i++) expect((await readOnce(mod, s, sensor))[0]).toBeNull();
    expect(sensor.range).toBe(2);
    expect((await readOnce(mod, s, sensor))[1]!.z).toBeCloseTo(-45, 1);
  });

  it('reports skipped samples (DOR) when the timer runs late, and still returns the data', async () => {
    const mod = await load();
    const s = setup({ x: 5, y: 6, z: 7 }, 12);
    const sensor = new mod.QMC5883L(s.bus, s.timer);
    init(s, sensor);
    const [err, r] = await readOnce(mod, s, sensor);
    expect(err).toBeNull();
    expect(r).toMatchObject({ skipped: true });
    expect(r!.y).toBeCloseTo(6, 1);
  });
});
