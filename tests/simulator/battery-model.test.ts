/** The battery model's arithmetic and the cells' figures, with results that can be worked out by hand. */
import { describe, expect, it } from 'vitest';
import {
  batteryLife,
  batteryYears,
  chargePerDay,
  coldShare,
  dailyBudget,
  dailyCharge,
  describeModel,
  describePack,
  usableMah,
  type BatteryPack,
  type CellSpec,
  type NodeActivity,
  type PowerModel,
} from '../../tools/simulator/power/battery-model.ts';
import { ALKALINE_AA, CELLS, DEFAULT_WINTER_C, LITHIUM_AA, twoAa } from '../../tools/simulator/power/cells.ts';
import { NRF52832, powerModelFor, RAK3172, SHT31, STM32F401 } from '../../tools/simulator/power/power-profiles.ts';
import { meetsTarget } from '../../tools/bench/firmware-bench.ts';
import { loadBoard } from '../../tools/firmware-build/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Round figures: 1 mA running, 0.01 mA asleep, 10 mA TX, 5 mA RX, 2 mA heater, nothing else. */
function model(over: Partial<PowerModel> = {}): PowerModel {
  const c = (mA: number) => ({ mA, source: 'test' });
  return {
    mcu: { name: 'mcu', runMa: c(1), sleepMa: c(0.01) },
    modem: { name: 'modem', txMa: { 14: c(10) }, rxMa: c(5), sleepMa: c(0), commandMa: c(0), commandMs: 0 },
    sensor: { name: 'sensor', measuringMa: c(0), idleMa: c(0), heaterMa: c(2) },
    sensorCount: 1,
    constantMa: c(0),
    ...over,
  };
}

function activity(over: Partial<NodeActivity> = {}): NodeActivity {
  return {
    spanMs: DAY,
    mcuAwakeMs: 0,
    uartOnMs: 0,
    deepSleepMs: 0,
    bleAdvertisingMs: 0,
    txMsByPower: {},
    rxMs: 0,
    modemCommands: 0,
    sensorMeasuringMs: 0,
    heaterOnMs: 0,
    ...over,
  };
}

/** 1000 mAh, half of it usable at room temperature, 0.8 of that at 0 °C, rated to -20 °C, 10 %/year self-discharge. */
const TEST_CELL: CellSpec = {
  id: 'test',
  name: 'test cell',
  ratedMah: { value: 1000, source: 'rated source' },
  usableShare: { value: 0.5, source: 'usable source', assumption: true },
  cold: { points: [{ tempC: 20, share: 1 }, { tempC: 0, share: 0.8 }], source: 'cold source' },
  ratedMinC: { value: -20, source: 'minimum source' },
  selfDischargePerYear: { value: 0.1, source: 'self-discharge source' },
};
const pack = (winterC: number, cell: CellSpec = TEST_CELL): BatteryPack => ({ cell, cellsInSeries: 2, winterC: { value: winterC, source: 'test winter' } });

const charge = (m: PowerModel, a: NodeActivity, part: string): number => dailyCharge(m, a).find((i) => i.part === part)!.mAhPerDay;

describe('daily charge', () => {
  it('is current times time in each state', () => {
    // 1 h running at 1 mA = 1 mAh; 23 h asleep at 0.01 mA = 0.23 mAh; 0.1 h TX at 10 mA = 1 mAh; 0.2 h RX at 5 mA = 1 mAh
    const a = activity({ mcuAwakeMs: HOUR, txMsByPower: { 14: 0.1 * HOUR }, rxMs: 0.2 * HOUR, heaterOnMs: 0.5 * HOUR });
    const m = model();
    expect(charge(m, a, 'mcu running')).toBeCloseTo(1, 9);
    expect(charge(m, a, 'mcu asleep')).toBeCloseTo(0.23, 9);
    expect(charge(m, a, 'modem TX 14 dBm')).toBeCloseTo(1, 9);
    expect(charge(m, a, 'modem RX')).toBeCloseTo(1, 9);
    expect(charge(m, a, 'sensor heater')).toBeCloseTo(1, 9);
    const day = chargePerDay(m, a);
    expect(day.mAhPerDay).toBeCloseTo(4.23, 9);
    expect(day.averageUa).toBeCloseTo((4.23 / 24) * 1000, 6);
  });

  it('scales a shorter run to 24 hours', () => {
    const half = activity({ spanMs: 12 * HOUR, txMsByPower: { 14: 0.1 * HOUR } });
    expect(charge(model(), half, 'modem TX 14 dBm')).toBeCloseTo(2, 9);
    expect(charge(model(), half, 'mcu asleep')).toBeCloseTo(0.24, 9);
  });

  it('charges an STM32 board the Sleep current unless deep sleep was allowed with no UART set up', () => {
    const m = model({ mcu: { name: 'stm', runMa: { mA: 30, source: 't' }, sleepMa: { mA: 0.02, source: 't' }, idleMa: { mA: 10, source: 't' } } });
    const a = activity({ mcuAwakeMs: 0, deepSleepMs: 22 * HOUR });
    expect(charge(m, a, 'stm deep sleep')).toBeCloseTo(0.44, 9);
    expect(charge(m, a, 'stm sleep without deep sleep')).toBeCloseTo(20, 9);
  });

  it('adds the nRF52 high-speed clock while a UART is set up and Bluetooth advertising', () => {
    const m = model({ mcu: NRF52832 });
    const a = activity({ uartOnMs: 2 * HOUR, bleAdvertisingMs: DAY });
    expect(charge(m, a, 'nRF52832 UART set up')).toBeCloseTo(2 * NRF52832.uartOnMa!.mA, 9);
    expect(charge(m, a, 'nRF52832 Bluetooth advertising')).toBeCloseTo(24 * NRF52832.bleAdvertisingMa!.mA, 9);
  });

  it('tells the radio exchanges from what grows with time', () => {
    const m = model({ mcu: NRF52832, modem: { ...model().modem, commandMa: { mA: 4, source: 't' }, commandMs: 10 } });
    const a = activity({ mcuAwakeMs: HOUR, uartOnMs: HOUR, txMsByPower: { 14: 0.1 * HOUR }, rxMs: 0.2 * HOUR, modemCommands: 90, heaterOnMs: HOUR });
    const sum = (tag: string): number => dailyCharge(m, a).filter((i) => i.scalesWith === tag).reduce((s, i) => s + i.mAhPerDay, 0);
    // uplinks: UART 1 h x 1 mA + TX 1 mAh + RX 1 mAh + 90 x 10 ms x 4 mA = 3.001 mAh
    expect(sum('uplinks')).toBeCloseTo(1 + 1 + 1 + (90 * 10 * 4) / HOUR, 9);
    // time: running 6 mAh + asleep 23 h x 3 µA + heater 2 mAh
    expect(sum('time')).toBeCloseTo(6 + 23 * 0.003 + 2, 9);
  });

  it('charges the modem its sleep current only while its low-power mode (AT+LPM=1) was on, else its idle current', () => {
    const c = (mA: number) => ({ mA, source: 't' });
    const m = model({ modem: { ...model().modem, sleepMa: c(0.002), idleMa: c(1.5) } });
    // 1 h on air and receiving, LPM on for the last 12 h: 12 h idle without it, 11 h asleep
    const a = activity({ txMsByPower: { 14: 0.5 * HOUR }, rxMs: 0.5 * HOUR, modemLowPowerMs: 12 * HOUR });
    expect(charge(m, a, 'modem asleep')).toBeCloseTo(11 * 0.002, 9);
    expect(charge(m, a, 'modem idle, low-power mode off')).toBeCloseTo(12 * 1.5, 9);
    // on all day (or not measured): no idle item
    expect(dailyCharge(m, activity({ modemLowPowerMs: DAY })).map((i) => i.part)).not.toContain('modem idle, low-power mode off');
    expect(charge(m, activity(), 'modem asleep')).toBeCloseTo(24 * 0.002, 9);
    expect(RAK3172.idleMa!.mA).toBeGreaterThan(RAK3172.sleepMa.mA * 100);
  });

  it('refuses a TX power it has no current for, and an empty span', () => {
    expect(() => dailyCharge(model(), activity({ txMsByPower: { 20: 1000 } }))).toThrow(/20 dBm/);
    expect(() => dailyCharge(model(), activity({ spanMs: 0 }))).toThrow(/no time/);
  });
});

describe('cells in the cold', () => {
  it('interpolates between the temperature points and gives nothing below the rated minimum', () => {
    expect(coldShare(TEST_CELL, 25)).toBe(1);
    expect(coldShare(TEST_CELL, 10)).toBeCloseTo(0.9, 12);
    expect(coldShare(TEST_CELL, 0)).toBeCloseTo(0.8, 12);
    expect(coldShare(TEST_CELL, -15)).toBeCloseTo(0.8, 12); // the coldest point's share holds down to the rating
    expect(coldShare(TEST_CELL, -20)).toBeCloseTo(0.8, 12);
    expect(coldShare(TEST_CELL, -21)).toBe(0);
  });

  it('derates the rated capacity by the usable share and the winter share', () => {
    expect(usableMah(pack(20))).toBeCloseTo(500, 9);
    expect(usableMah(pack(0))).toBeCloseTo(400, 9);
    expect(usableMah(pack(-30))).toBe(0);
  });
});

describe('battery life', () => {
  it('divides the usable capacity by the yearly use plus self-discharge', () => {
    // 400 mAh usable at 0 °C; 1 mAh/day = 365.25 mAh/year; 10 % of 1000 = 100 mAh/year
    expect(batteryYears(pack(0), 1)).toBeCloseTo(400 / (365.25 + 100), 9);
    const life = batteryLife(pack(20), 2);
    expect(life.usableMah).toBeCloseTo(500, 9);
    expect(life.selfDischargeMahPerYear).toBeCloseTo(100, 9);
    expect(life.years).toBeCloseTo(500 / (730.5 + 100), 9);
    expect(batteryYears(pack(0, { ...TEST_CELL, selfDischargePerYear: { value: 0, source: 't' } }), 0)).toBe(Infinity);
  });

  it('gives the daily budget that makes the pack last a number of years', () => {
    const budget = dailyBudget(pack(0), 2); // (400 / 2 - 100) / 365.25
    expect(budget).toBeCloseTo(100 / 365.25, 12);
    expect(batteryYears(pack(0), budget)).toBeCloseTo(2, 9);
    expect(dailyBudget(pack(0), 5)).toBeLessThan(0); // 80 mAh a year is less than the 100 lost to self-discharge
  });

  it('rates the BOM cells as their figures say', () => {
    const lithium = twoAa(LITHIUM_AA);
    const alkaline = twoAa(ALKALINE_AA);
    expect(DEFAULT_WINTER_C.value).toBe(-10);
    expect(usableMah(lithium)).toBeCloseTo(3500 * 0.9, 9); // no cold loss within -40..60 °C (an assumption)
    expect(usableMah(alkaline)).toBeCloseTo(2600 * 0.7 * 0.5, 9); // halved at 0 °C and below
    expect(usableMah(twoAa(ALKALINE_AA, { value: 21, source: 't' }))).toBeCloseTo(1820, 9);
    expect(usableMah(twoAa(ALKALINE_AA, { value: -19, source: 't' }))).toBe(0); // below its -18 °C rating
    expect(usableMah(twoAa(LITHIUM_AA, { value: -39, source: 't' }))).toBeCloseTo(3150, 9);
    expect(batteryYears(lithium, 1)).toBeCloseTo(3150 / (365.25 + (3500 * 0.1) / 15), 9);
    expect(batteryYears(alkaline, 1)).toBeCloseTo(910 / (365.25 + (2600 * 0.2) / 7), 9);
    expect(CELLS[0]).toBe(LITHIUM_AA);
  });

  it('says which cells last the target', () => {
    const life = (cell: CellSpec, years: number) => ({ pack: twoAa(cell), usableMah: 0, selfDischargeMahPerYear: 0, years });
    expect(meetsTarget([life(LITHIUM_AA, 6), life(ALKALINE_AA, 2)])).toBe('Li-FeS2');
    expect(meetsTarget([life(LITHIUM_AA, 6), life(ALKALINE_AA, 5)])).toBe('both');
    expect(meetsTarget([life(LITHIUM_AA, 4.99), life(ALKALINE_AA, 2)])).toBe('neither');
  });
});

describe('figures and their sources', () => {
  it('derive the divider current from the board profile', () => {
    const mdbt = powerModelFor(loadBoard('mdbt42q-rak3172'), { sensorCount: 2, batteryVolts: 3 });
    expect(mdbt.constantMa.mA).toBeCloseTo(3 / 2e6 * 1000, 12); // 1 MΩ + 1 MΩ
    expect(mdbt.mcu).toBe(NRF52832);
    const pico = powerModelFor(loadBoard('pico-rak3172'), { sensorCount: 2, batteryVolts: 3 });
    expect(pico.constantMa.mA).toBeCloseTo(3 / 1.47e6 * 1000, 12); // 1 MΩ + 470 kΩ
    expect(pico.mcu).toBe(STM32F401);
  });

  it('print every current with its source', () => {
    const lines = describeModel(powerModelFor(loadBoard('mdbt42q-rak3172'), { sensorCount: 2, batteryVolts: 3 }));
    for (const c of [NRF52832.runMa, NRF52832.sleepMa, NRF52832.uartOnMa!, RAK3172.txMa[14]!, RAK3172.rxMa, RAK3172.sleepMa, SHT31.heaterMa]) {
      expect(lines.some((l) => l.includes(`(${c.source})`))).toBe(true);
    }
  });

  it('print every cell figure with its source, and say which are assumptions', () => {
    const lines = describePack(pack(0)).join('\n');
    expect(lines).toContain('2 x test cell in series: 1000 mAh rated (rated source)');
    expect(lines).toContain('usable share at room temperature: 0.5 (assumption: usable source)');
    expect(lines).toContain('1 at 20 °C, 0.8 at 0 °C, none below -20 °C (cold source; rated minimum: minimum source)');
    expect(lines).toContain('cells at 0 °C in the node\'s last winter (test winter): share 0.80');
    expect(lines).toContain('self-discharge 10.00 %/year of the rated capacity (self-discharge source)');
    for (const cell of CELLS) {
      const text = describePack(twoAa(cell)).join('\n');
      for (const f of [cell.ratedMah, cell.usableShare, cell.cold, cell.ratedMinC, cell.selfDischargePerYear, DEFAULT_WINTER_C]) {
        expect(text).toContain(f.assumption ? `assumption: ${f.source}` : f.source);
      }
    }
  });
});
