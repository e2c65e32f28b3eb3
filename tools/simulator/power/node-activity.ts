/**
 * What a simulated node did, as the battery model needs it: the board's awake time and power states (runtime),
 * the modem's time on air (the radio medium), its receive windows and AT commands, and the sensors' measuring and
 * heater time. Counted from the creation of the world.
 *
 * Receive windows: in P2P mode the firmware opens them itself (`AT+PRECV`, timed on the UART by ModemActivity);
 * in LoRaWAN mode the module opens RX1 and RX2 after every join request and uplink. Those are computed here as the
 * simulated RAK3172 (and LoRaMac-node) opens them: 2 ms early, 8 symbols long, RX1 after 1 s (join: 5 s) at the
 * uplink's data rate, RX2 after 2 s (join: 6 s) at SF12; a window that finds a downlink stays open to its end and
 * ends the exchange.
 */
import { EU868_RX2_FREQ_HZ, symbolTimeMs } from '../../../firmware/core/airtime.ts';
import type { RadioFrame } from '../contracts.ts';
import { SimulatedRak3172 } from '../devices/rak3172.ts';
import type { SimulatedSht3x } from '../devices/sht3x.ts';
import { MTYPE, mtypeOf } from '../radio/lorawan-frames.ts';
import { GATEWAY_ID, NODE_ID, type NodeWorld } from '../world/node-world.ts';
import type { NodeActivity } from './battery-model.ts';

const WINDOW_LEAD_MS = 2;
const WINDOW_SYMBOLS = 8;
const RX2_SF = 12;

function windowMs(sf: number): number {
  return WINDOW_LEAD_MS + WINDOW_SYMBOLS * symbolTimeMs(sf, 125000);
}

/** Receive time of one window opening at `openMs`: until its end, or until the end of a downlink found in it. */
function windowReceive(openMs: number, sf: number, freqHz: number, downlinks: readonly RadioFrame[]): { ms: number; found: boolean } {
  const closeMs = openMs + windowMs(sf);
  const found = downlinks.find((d) => d.sf === sf && d.freqHz === freqHz && d.startMs >= openMs && d.startMs <= closeMs);
  return found ? { ms: found.startMs + found.airtimeMs - openMs, found: true } : { ms: closeMs - openMs, found: false };
}

/** Milliseconds the node's modem listened in LoRaWAN class A receive windows. */
export function loRaWanReceiveMs(uplinks: readonly RadioFrame[], downlinks: readonly RadioFrame[]): number {
  let total = 0;
  for (const up of uplinks) {
    const join = mtypeOf(up.payload) === MTYPE.joinRequest;
    const end = up.startMs + up.airtimeMs;
    const rx1 = windowReceive(end + (join ? 5000 : 1000) - WINDOW_LEAD_MS, up.sf, up.freqHz, downlinks);
    total += rx1.ms;
    if (!rx1.found) total += windowReceive(end + (join ? 6000 : 2000) - WINDOW_LEAD_MS, RX2_SF, EU868_RX2_FREQ_HZ, downlinks).ms;
  }
  return total;
}

export function nodeActivity(world: NodeWorld, sensors: readonly SimulatedSht3x[]): NodeActivity {
  const frames = world.medium.framesFrom(NODE_ID);
  const txMsByPower: Record<number, number> = {};
  for (const f of frames) txMsByPower[f.txPowerDbm] = (txMsByPower[f.txPowerDbm] ?? 0) + f.airtimeMs;
  const rxMs =
    world.keys.network === 'p2p' ? world.modemActivity.p2pReceiveMs : loRaWanReceiveMs(frames, world.medium.framesFrom(GATEWAY_ID));
  const power = world.board.power;
  const modem = world.modemDevice;
  return {
    spanMs: world.scheduler.now(),
    mcuAwakeMs: world.board.awakeMs,
    uartOnMs: power.anyUartOnMs,
    deepSleepMs: power.deepSleepMs,
    bleAdvertisingMs: power.bleAdvertisingMs,
    txMsByPower,
    rxMs,
    modemCommands: world.modemActivity.commands,
    // RUI3's AT+LPM; a RAK811's own sleep is not modelled here (power-profiles.ts has RAK3172 figures only)
    ...(modem instanceof SimulatedRak3172 ? { modemLowPowerMs: modem.lowPowerModeMs } : {}),
    sensorMeasuringMs: sensors.reduce((sum, s) => sum + s.measuringMs, 0),
    heaterOnMs: sensors.reduce((sum, s) => sum + s.heaterOnMs, 0),
  };
}
