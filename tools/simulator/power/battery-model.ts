/**
 * A battery-life estimate for a sensor node from what it did in the simulator: the charge each part draws per day
 * (current x time in each state) and the years that a pack's usable capacity lasts at that rate, self-discharge
 * included. Pure arithmetic: the figures come from a PowerModel (power-profiles.ts: every current with its source),
 * a BatteryPack (cells.ts: every cell figure with its source) and a NodeActivity (node-activity.ts: times measured
 * in a simulated run).
 */

/** A current in milliamperes and where the figure comes from. */
export interface Current {
  mA: number;
  source: string;
}

/** A number and where it comes from; `assumption` where no published figure was found. */
export interface Figure {
  value: number;
  source: string;
  assumption?: boolean;
}

export interface McuPower {
  name: string;
  /** Running JavaScript. */
  runMa: Current;
  /** Asleep with nothing else on (nRF52: System ON idle; STM32: Stop, only with deep sleep and no UART). */
  sleepMa: Current;
  /** Asleep without deep sleep (STM32: Sleep mode, the clocks keep running). Absent: the chip always sleeps. */
  idleMa?: Current;
  /** Extra while a UART is set up (nRF52: its high-speed clock stays on). */
  uartOnMa?: Current;
  /** Extra while advertising over Bluetooth (nRF52). */
  bleAdvertisingMa?: Current;
}

export interface ModemPower {
  name: string;
  /** Transmitting, by TX power in dBm. */
  txMa: Record<number, Current>;
  rxMa: Current;
  /** Between commands and radio events with its low-power mode on (RUI3 AT+LPM=1). */
  sleepMa: Current;
  /** Between commands and radio events with its low-power mode off. Absent: always sleepMa. */
  idleMa?: Current;
  /** Awake handling one AT command, for commandMs. */
  commandMa: Current;
  commandMs: number;
}

export interface SensorPower {
  name: string;
  measuringMa: Current;
  idleMa: Current;
  heaterMa: Current;
}

export interface PowerModel {
  mcu: McuPower;
  modem: ModemPower;
  sensor: SensorPower;
  sensorCount: number;
  /** Constant loads such as the battery divider. */
  constantMa: Current;
}

/** One primary cell type, every figure with its source (cells.ts). */
export interface CellSpec {
  id: string;
  name: string;
  /** One cell, at the datasheet's light drain and 21 °C, to the datasheet's end voltage. */
  ratedMah: Figure;
  /** Share of the rated capacity the node can draw at room temperature: above its end-of-life voltage, under its pulses. */
  usableShare: Figure;
  /** Share of the usable capacity the cells still deliver at a temperature: linear between the points, the warmest
   *  point's share above them, nothing below `ratedMinC`. */
  cold: { points: ReadonlyArray<{ tempC: number; share: number }>; source: string; assumption?: boolean };
  /** The lowest temperature the cell is rated to operate at. */
  ratedMinC: Figure;
  /** Capacity lost per year without load, as a share of the rated capacity. */
  selfDischargePerYear: Figure;
}

/** Cells in series (the pack has one cell's capacity) and the coldest the cells get in the node's last winter. */
export interface BatteryPack {
  cell: CellSpec;
  cellsInSeries: number;
  winterC: Figure;
}

/** What the node did over `spanMs` of simulated time; every other field is milliseconds within that span. */
export interface NodeActivity {
  spanMs: number;
  mcuAwakeMs: number;
  /** A UART set up. */
  uartOnMs: number;
  /** Deep sleep allowed and no UART set up (only matters for MCUs with an idleMa). */
  deepSleepMs: number;
  bleAdvertisingMs: number;
  /** Time on air, by TX power in dBm. */
  txMsByPower: Record<number, number>;
  /** Receive windows. */
  rxMs: number;
  modemCommands: number;
  /** The modem's low-power mode in force (RUI3 AT+LPM=1). Absent: the whole span. */
  modemLowPowerMs?: number;
  /** All sensors together. */
  sensorMeasuringMs: number;
  heaterOnMs: number;
}

export interface ChargeItem {
  part: string;
  /** mAh per day. */
  mAhPerDay: number;
  /** How it was computed, e.g. `143.2 s x 90 mA`. */
  detail: string;
  /** What it grows with: the radio exchanges (one per uplink) or the time (sleep, sampling, constant loads). */
  scalesWith: 'uplinks' | 'time';
}

export interface DailyCharge {
  items: ChargeItem[];
  mAhPerDay: number;
  /** Average current in µA. */
  averageUa: number;
}

export interface BatteryLife {
  pack: BatteryPack;
  /** Rated x usable share x the winter share. */
  usableMah: number;
  selfDischargeMahPerYear: number;
  years: number;
}

export const DAY_MS = 86_400_000;
const MS_PER_HOUR = 3_600_000;
export const DAYS_PER_YEAR = 365.25;

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`;
}

function current(mA: number): string {
  return mA >= 1 ? `${mA} mA` : `${+(mA * 1000).toFixed(2)} µA`;
}

/** Charge per day (mAh) of a current flowing for `ms` within `spanMs`. */
function perDay(mA: number, ms: number, spanMs: number): number {
  return ((mA * ms) / MS_PER_HOUR) * (DAY_MS / spanMs);
}

/** The charge each part draws per day, scaled from the activity's span to 24 h. */
export function dailyCharge(model: PowerModel, activity: NodeActivity): ChargeItem[] {
  const span = activity.spanMs;
  if (!(span > 0)) throw new Error('the activity spans no time');
  const items: ChargeItem[] = [];
  const add = (part: string, mA: number, ms: number, scalesWith: ChargeItem['scalesWith'], detail?: string): void => {
    items.push({ part, mAhPerDay: perDay(mA, ms, span), detail: detail ?? `${seconds((ms * DAY_MS) / span)} x ${current(mA)}`, scalesWith });
  };
  const { mcu, modem, sensor } = model;

  const awake = Math.min(activity.mcuAwakeMs, span);
  add(`${mcu.name} running`, mcu.runMa.mA, awake, 'time');
  const asleep = span - awake;
  if (mcu.idleMa) {
    const stopped = Math.min(activity.deepSleepMs, asleep);
    add(`${mcu.name} deep sleep`, mcu.sleepMa.mA, stopped, 'time');
    // the firmware allows deep sleep except while the modem's UART is set up, i.e. around the radio exchanges
    add(`${mcu.name} sleep without deep sleep`, mcu.idleMa.mA, asleep - stopped, 'uplinks');
  } else {
    add(`${mcu.name} asleep`, mcu.sleepMa.mA, asleep, 'time');
  }
  if (mcu.uartOnMa) add(`${mcu.name} UART set up`, mcu.uartOnMa.mA, activity.uartOnMs, 'uplinks');
  if (mcu.bleAdvertisingMa) add(`${mcu.name} Bluetooth advertising`, mcu.bleAdvertisingMa.mA, activity.bleAdvertisingMs, 'time');

  let radioMs = activity.rxMs;
  for (const [dbm, ms] of Object.entries(activity.txMsByPower)) {
    const tx = modem.txMa[Number(dbm)];
    if (!tx) throw new Error(`no ${modem.name} TX current for ${dbm} dBm`);
    add(`${modem.name} TX ${dbm} dBm`, tx.mA, ms, 'uplinks');
    radioMs += ms;
  }
  add(`${modem.name} RX`, modem.rxMa.mA, activity.rxMs, 'uplinks');
  const commandMs = activity.modemCommands * modem.commandMs;
  add(
    `${modem.name} AT commands`,
    modem.commandMa.mA,
    commandMs,
    'uplinks',
    `${Math.round((activity.modemCommands * DAY_MS) / span)} x ${modem.commandMs} ms x ${current(modem.commandMa.mA)}`,
  );
  // Radio and commands happen after the firmware switched the low-power mode on (at configuration): they are
  // counted inside its time, and the rest of it is sleep.
  const idle = Math.max(0, span - radioMs - commandMs);
  const lowPower = Math.min(idle, Math.max(0, Math.min(activity.modemLowPowerMs ?? span, span) - radioMs - commandMs));
  add(`${modem.name} asleep`, modem.sleepMa.mA, lowPower, 'time');
  if (idle > lowPower) add(`${modem.name} idle, low-power mode off`, (modem.idleMa ?? modem.sleepMa).mA, idle - lowPower, 'time');

  add(`${model.sensorCount} x ${sensor.name} measuring`, sensor.measuringMa.mA, activity.sensorMeasuringMs, 'time');
  add(`${model.sensorCount} x ${sensor.name} idle`, sensor.idleMa.mA * model.sensorCount, span, 'time');
  add(`${sensor.name} heater`, sensor.heaterMa.mA, activity.heaterOnMs, 'time');
  add('constant loads', model.constantMa.mA, span, 'time');
  return items;
}

export function chargePerDay(model: PowerModel, activity: NodeActivity): DailyCharge {
  const items = dailyCharge(model, activity);
  const mAhPerDay = items.reduce((sum, i) => sum + i.mAhPerDay, 0);
  return { items, mAhPerDay, averageUa: (mAhPerDay / 24) * 1000 };
}

/** The cell's share of its usable capacity at `tempC` (see CellSpec.cold). */
export function coldShare(cell: CellSpec, tempC: number): number {
  if (tempC < cell.ratedMinC.value) return 0;
  const points = [...cell.cold.points].sort((a, b) => a.tempC - b.tempC);
  if (points.length === 0) throw new Error(`${cell.name}: no temperature points`);
  if (tempC <= points[0]!.tempC) return points[0]!.share;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (tempC <= b.tempC) return a.share + ((b.share - a.share) * (tempC - a.tempC)) / (b.tempC - a.tempC);
  }
  return points[points.length - 1]!.share;
}

/** What the node can draw from the pack: rated x usable share x the share left at the winter temperature. */
export function usableMah(pack: BatteryPack): number {
  const { cell } = pack;
  return cell.ratedMah.value * cell.usableShare.value * coldShare(cell, pack.winterC.value);
}

export function selfDischargeMahPerYear(pack: BatteryPack): number {
  return pack.cell.ratedMah.value * pack.cell.selfDischargePerYear.value;
}

/** Years until `mAhPerDay` plus self-discharge have used the pack's usable capacity. */
export function batteryYears(pack: BatteryPack, mAhPerDay: number): number {
  const usable = usableMah(pack);
  const perYear = mAhPerDay * DAYS_PER_YEAR + selfDischargeMahPerYear(pack);
  return perYear > 0 ? usable / perYear : Infinity;
}

export function batteryLife(pack: BatteryPack, mAhPerDay: number): BatteryLife {
  return { pack, usableMah: usableMah(pack), selfDischargeMahPerYear: selfDischargeMahPerYear(pack), years: batteryYears(pack, mAhPerDay) };
}

/** The most the node may draw per day (mAh) for the pack to last `years`; negative when self-discharge alone is too much. */
export function dailyBudget(pack: BatteryPack, years: number): number {
  return (usableMah(pack) / years - selfDischargeMahPerYear(pack)) / DAYS_PER_YEAR;
}

const tagged = (f: Figure | { source: string; assumption?: boolean }): string => (f.assumption ? `assumption: ${f.source}` : f.source);

/** The model's figures and their sources, one line each, so that an estimate can be checked. */
export function describeModel(model: PowerModel): string[] {
  const line = (what: string, c: Current): string => `${what}: ${current(c.mA)} (${c.source})`;
  const { mcu, modem, sensor } = model;
  const out = [line(`${mcu.name} running`, mcu.runMa), line(`${mcu.name} asleep`, mcu.sleepMa)];
  if (mcu.idleMa) out.push(line(`${mcu.name} asleep without deep sleep`, mcu.idleMa));
  if (mcu.uartOnMa) out.push(line(`${mcu.name} extra while a UART is set up`, mcu.uartOnMa));
  if (mcu.bleAdvertisingMa) out.push(line(`${mcu.name} extra while advertising`, mcu.bleAdvertisingMa));
  for (const [dbm, c] of Object.entries(modem.txMa)) out.push(line(`${modem.name} TX at ${dbm} dBm`, c));
  out.push(
    line(`${modem.name} RX`, modem.rxMa),
    line(`${modem.name} asleep`, modem.sleepMa),
    ...(modem.idleMa ? [line(`${modem.name} idle with its low-power mode off`, modem.idleMa)] : []),
    `${line(`${modem.name} per AT command`, modem.commandMa)}, ${modem.commandMs} ms each`,
    line(`${sensor.name} measuring`, sensor.measuringMa),
    line(`${sensor.name} idle (x ${model.sensorCount})`, sensor.idleMa),
    line(`${sensor.name} heater`, sensor.heaterMa),
    line('constant loads', model.constantMa),
  );
  return out;
}

/** The pack's figures and their sources; assumptions say so. */
export function describePack(pack: BatteryPack): string[] {
  const { cell } = pack;
  const winter = pack.winterC.value;
  const points = [...cell.cold.points].sort((a, b) => b.tempC - a.tempC).map((p) => `${p.share} at ${p.tempC} °C`).join(', ');
  return [
    `${pack.cellsInSeries} x ${cell.name} in series: ${cell.ratedMah.value} mAh rated (${tagged(cell.ratedMah)})`,
    `  usable share at room temperature: ${cell.usableShare.value} (${tagged(cell.usableShare)})`,
    `  share left in the cold: ${points}, none below ${cell.ratedMinC.value} °C (${tagged(cell.cold)}; rated minimum: ${tagged(cell.ratedMinC)})`,
    `  winter: the cells at ${winter} °C in the node's last winter (${tagged(pack.winterC)}): share ${coldShare(cell, winter).toFixed(2)}`,
    `  self-discharge ${(cell.selfDischargePerYear.value * 100).toFixed(2)} %/year of the rated capacity (${tagged(cell.selfDischargePerYear)})`,
  ];
}
