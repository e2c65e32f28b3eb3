/**
 * What would make a node reach a battery-life target when its default settings do not, computed from the same
 * model and the same simulated day (never guessed):
 *  - fewer uplinks: the day's charge splits into what grows with the radio exchanges (TX, RX windows, AT commands,
 *    the MCU kept awake by the modem's UART) and what grows with time (sleep, sampling, heater, divider); the
 *    target's daily budget leaves room for so many exchanges at the measured cost of one;
 *  - a faster spreading factor: every frame of the day re-timed at that SF (Semtech formula, firmware/core/airtime.ts)
 *    and, in LoRaWAN, its RX1 window with it (RX2 stays at SF12; P2P windows have a fixed length), then the day's
 *    charge computed again. A faster SF needs a better link: it helps only where the gateway still hears the node.
 */
import { timeOnAir, type LoRaAirtimeParams } from '../../../firmware/core/airtime.ts';
import type { RadioFrame } from '../contracts.ts';
import { NODE_ID } from '../world/index.ts';
import { batteryYears, chargePerDay, dailyBudget, DAY_MS, type BatteryPack, type NodeActivity } from './battery-model.ts';
import { loRaWanReceiveMs } from './node-activity.ts';
import type { NodeDay } from './node-day.ts';

export interface SfOption {
  sf: number;
  mAhPerDay: number;
  years: number;
  airtimePerDayMs: number;
}

export interface TargetReach {
  pack: BatteryPack;
  targetYears: number;
  /** The most the node may draw per day for the pack to last targetYears. */
  budgetMahPerDay: number;
  mAhPerDay: number;
  /** The part of mAhPerDay that grows with time, and the charge of one radio exchange. */
  timeMahPerDay: number;
  perUplinkMah: number;
  /** Frames the node sent, per day, and how many the budget allows (0 or less: not even without any). */
  uplinksPerDay: number;
  maxUplinksPerDay: number;
  /** The frames' SF and every faster one, each with the day's charge and the years it gives. */
  sfOptions: SfOption[];
}

function airtimeParams(f: RadioFrame, sf: number): LoRaAirtimeParams {
  return { sf, bwHz: f.bwHz, cr: f.cr, preamble: f.preamble, payloadBytes: f.payload.length };
}

/** The frame as it would be at `sf`: its time on air scaled by the formula's ratio, so other framing is kept. */
function atSf(f: RadioFrame, sf: number): RadioFrame {
  const airtimeMs = (f.airtimeMs * timeOnAir(airtimeParams(f, sf))) / timeOnAir(airtimeParams(f, f.sf));
  return { ...f, sf, airtimeMs };
}

/** The day's activity with every frame sent at `sf`. */
export function activityAtSf(day: NodeDay, sf: number): { activity: NodeActivity; airtimeMs: number } {
  const frames = day.world.medium.framesFrom(NODE_ID);
  const moved = frames.map((f) => atSf(f, sf));
  const txMsByPower: Record<number, number> = {};
  for (const f of moved) txMsByPower[f.txPowerDbm] = (txMsByPower[f.txPowerDbm] ?? 0) + f.airtimeMs;
  // LoRaWAN: swap the windows an answerless exchange opens at the old SF for those at the new one
  const rxMs = day.network === 'lorawan' ? day.activity.rxMs - loRaWanReceiveMs(frames, []) + loRaWanReceiveMs(moved, []) : day.activity.rxMs;
  return { activity: { ...day.activity, txMsByPower, rxMs }, airtimeMs: moved.reduce((sum, f) => sum + f.airtimeMs, 0) };
}

export function whatReaches(day: NodeDay, pack: BatteryPack, targetYears: number): TargetReach {
  const span = day.activity.spanMs;
  const items = day.charge.items;
  const perUplinkPart = items.filter((i) => i.scalesWith === 'uplinks').reduce((sum, i) => sum + i.mAhPerDay, 0);
  const timeMahPerDay = day.charge.mAhPerDay - perUplinkPart;
  const frames = day.world.medium.framesFrom(NODE_ID);
  const uplinksPerDay = (frames.length * DAY_MS) / span;
  const perUplinkMah = uplinksPerDay > 0 ? perUplinkPart / uplinksPerDay : 0;
  const budgetMahPerDay = dailyBudget(pack, targetYears);
  const maxUplinksPerDay = perUplinkMah > 0 ? (budgetMahPerDay - timeMahPerDay) / perUplinkMah : budgetMahPerDay >= timeMahPerDay ? Infinity : 0;

  const sfs = [...new Set(frames.map((f) => f.sf))];
  const sfOptions: SfOption[] = [];
  if (sfs.length === 1) {
    for (let sf = sfs[0]!; sf >= 7; sf--) {
      const { activity, airtimeMs } = activityAtSf(day, sf);
      const mAhPerDay = chargePerDay(day.model, activity).mAhPerDay;
      sfOptions.push({ sf, mAhPerDay, years: batteryYears(pack, mAhPerDay), airtimePerDayMs: (airtimeMs * DAY_MS) / span });
    }
  }
  return { pack, targetYears, budgetMahPerDay, mAhPerDay: day.charge.mAhPerDay, timeMahPerDay, perUplinkMah, uplinksPerDay, maxUplinksPerDay, sfOptions };
}
