/**
 * The measurements the battery estimate rests on: the runtime's power states, the modem UART tap, the LoRaWAN
 * receive windows and the sensors' measuring and heater time, each against a case worked out by hand; and a
 * simulated day's estimate on both cells, with what would reach a target.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { symbolTimeMs, timeOnAir } from '../../firmware/core/airtime.ts';
import { P2P_RX_OPEN_MS, P2P_RX_WINDOW_MS } from '../../firmware/core/p2p-window.ts';
import type { RadioFrame, Scheduler, SerialDevice } from '../../tools/simulator/contracts.ts';
import { CMD_HEATER_OFF, CMD_HEATER_ON, MEASUREMENT_MS, SimulatedSht3x } from '../../tools/simulator/devices/sht3x.ts';
import { batteryYears, chargePerDay, dailyBudget } from '../../tools/simulator/power/battery-model.ts';
import { ALKALINE_AA, DEFAULT_WINTER_C, LITHIUM_AA, twoAa } from '../../tools/simulator/power/cells.ts';
import { loRaWanReceiveMs, nodeActivity } from '../../tools/simulator/power/node-activity.ts';
import { simulateNodeDay, type NodeDay } from '../../tools/simulator/power/node-day.ts';
import { activityAtSf, whatReaches } from '../../tools/simulator/power/target.ts';
import { buildDataFrame, buildJoinRequest, MTYPE } from '../../tools/simulator/radio/lorawan-frames.ts';
import { createEspruinoBoard, type BoardName } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { createClimateWorld, DEMO_P2P_KEYS, NODE_ID } from '../../tools/simulator/world/index.ts';
import { ModemActivity } from '../../tools/simulator/world/modem-activity.ts';
import { climateBundle } from './climate-bundle.ts';

function board(name: BoardName) {
  const scheduler = new VirtualScheduler({ seed: 1 });
  return { scheduler, board: createEspruinoBoard({ scheduler, board: name }) };
}

describe('runtime power states', () => {
  it('counts the time a UART is set up, deep sleep without a UART, and Bluetooth advertising', () => {
    const { scheduler, board: b } = board('MDBT42Q');
    b.load(`
      Serial1.setup(115200, { rx: D14, tx: D15 });
      setTimeout(function () { Serial1.unsetup(); }, 1000);
      setTimeout(function () { setDeepSleep(1); }, 2000);
      setTimeout(function () { NRF.sleep(); }, 3000);
      setTimeout(function () { Serial1.setup(115200, { rx: D14, tx: D15 }); }, 4000);
    `);
    const start = scheduler.now();
    scheduler.runFor(5000);
    expect(b.power.uartOnMs('Serial1')).toBeCloseTo(2000, 6); // 0-1000 and 4000-5000
    expect(b.power.anyUartOnMs).toBeCloseTo(2000, 6);
    expect(b.power.deepSleepMs).toBeCloseTo(2000, 6); // 2000-4000: allowed, and no UART set up
    expect(b.power.bleAdvertisingMs).toBeCloseTo(3000 + start, 6); // from the boot until NRF.sleep()
  });

  it('starts every boot without deep sleep and advertising again', () => {
    const { scheduler, board: b } = board('MDBT42Q');
    b.load('setDeepSleep(1); NRF.sleep();');
    scheduler.runFor(1000);
    expect(b.power.bleAdvertisingMs).toBeCloseTo(0, 6);
    b.powerCycle(); // the flash holds the code: it runs again
    scheduler.runFor(1000);
    expect(b.power.deepSleepMs).toBeCloseTo(2000, 6);
    b.load('1;');
    scheduler.runFor(1000);
    expect(b.power.deepSleepMs).toBeCloseTo(2000, 6);
    expect(b.power.bleAdvertisingMs).toBeCloseTo(1000, 6);
  });

  it('has no Bluetooth on an STM32 board', () => {
    const { scheduler, board: b } = board('PICO');
    b.load('setDeepSleep(1);');
    scheduler.runFor(1000);
    expect(b.power.bleAdvertisingMs).toBe(0);
    expect(b.power.deepSleepMs).toBeCloseTo(1000, 6);
  });
});

/** A stand-in modem that answers each command line from a script, after a delay. */
class ScriptedModem implements SerialDevice {
  private toBoard: ((bytes: Uint8Array) => void) | undefined;
  private scheduler: Scheduler | undefined;
  constructor(private readonly script: Record<string, [number, string][]>) {}
  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.toBoard = toBoard;
    this.scheduler = scheduler;
  }
  receive(bytes: Uint8Array): void {
    const line = Buffer.from(bytes).toString('latin1').trim();
    for (const [delay, reply] of this.script[line] ?? []) {
      this.scheduler!.after(delay, () => this.toBoard!(Buffer.from(reply + '\r\n', 'latin1')));
    }
  }
}

describe('modem activity on the UART', () => {
  function tap(script: Record<string, [number, string][]>) {
    const scheduler = new VirtualScheduler({ seed: 1 });
    const activity = new ModemActivity(new ScriptedModem(script));
    const seen: string[] = [];
    activity.connect((bytes) => seen.push(Buffer.from(bytes).toString('latin1')), scheduler);
    const send = (line: string): void => activity.receive(Buffer.from(line + '\r\n', 'latin1'));
    return { scheduler, activity, seen, send };
  }

  it('times P2P receive windows from AT+PRECV to their end and passes every byte on', () => {
    const { scheduler, activity, seen, send } = tap({
      'AT+PRECV=1000': [[4, 'OK'], [1004, '+EVT:RXP2P RECEIVE TIMEOUT']],
      'AT+PRECV=2000': [[4, 'OK'], [300, '+EVT:RXP2P:-80:9:40DA1B0126']],
      'AT+PRECV=5000': [[4, 'AT_BUSY_ERROR']],
    });
    send('AT+PRECV=1000');
    scheduler.runFor(2000);
    expect(activity.p2pReceiveMs).toBeCloseTo(1004, 6);
    send('AT+PRECV=2000');
    scheduler.runFor(2000);
    expect(activity.p2pReceiveMs).toBeCloseTo(1304, 6);
    send('AT+PRECV=5000'); // refused: no window
    scheduler.runFor(6000);
    expect(activity.p2pReceiveMs).toBeCloseTo(1304, 6);
    expect(seen.join('')).toContain('+EVT:RXP2P:-80:9:40DA1B0126\r\n');
    expect(activity.commands).toBe(3);
  });

  it('logs command names without their values (keys)', () => {
    const { activity, send } = tap({});
    send('AT+APPKEY=2B7E151628AED2A6ABF7158809CF4F3C');
    send('AT+SEND=20:0102');
    expect(activity.commandLog.map((c) => c.name)).toEqual(['AT+APPKEY', 'AT+SEND']);
    expect(JSON.stringify(activity.commandLog)).not.toContain('2B7E');
  });
});

describe('LoRaWAN receive windows', () => {
  const frame = (payload: Uint8Array, startMs: number, sf: number, freqHz = 868100000, from = NODE_ID): RadioFrame => ({
    from,
    freqHz,
    sf,
    bwHz: 125000,
    cr: 1,
    preamble: 8,
    txPowerDbm: 14,
    payload,
    startMs,
    airtimeMs: timeOnAir({ sf, bwHz: 125000, payloadBytes: payload.length }),
  });
  const data = buildDataFrame({ mtype: MTYPE.unconfirmedUp, devAddr: '26000001', fCtrl: 0, fCnt: 1, fPort: 20, payload: new Uint8Array(10) });
  const window = (sf: number): number => 2 + 8 * symbolTimeMs(sf, 125000);

  it('opens RX1 and RX2 of 8 symbols after an uplink that gets no answer', () => {
    expect(loRaWanReceiveMs([frame(data, 0, 9)], [])).toBeCloseTo(window(9) + window(12), 9);
    expect(window(9)).toBeCloseTo(34.768, 3);
  });

  it('stays in RX1 until the end of a downlink found there, and skips RX2', () => {
    const up = frame(data, 0, 9);
    const down = frame(new Uint8Array(12), up.airtimeMs + 1000, 9, 868100000, 'gateway');
    expect(loRaWanReceiveMs([up], [down])).toBeCloseTo(2 + down.airtimeMs, 9);
  });

  it('waits 5 and 6 s after a join request', () => {
    const join = frame(buildJoinRequest({ appEui: '70B3D57ED0000001', devEui: 'AC1F09FFFE0A1B2C', devNonce: 1 }, '2B7E151628AED2A6ABF7158809CF4F3C'), 0, 9);
    const accept = frame(new Uint8Array(17), join.airtimeMs + 5000, 9, 868100000, 'gateway');
    expect(loRaWanReceiveMs([join], [accept])).toBeCloseTo(2 + accept.airtimeMs, 9);
    const early = frame(new Uint8Array(17), join.airtimeMs + 1000, 9, 868100000, 'gateway'); // not in a join window
    expect(loRaWanReceiveMs([join], [early])).toBeCloseTo(window(9) + window(12), 9);
  });
});

describe('SHT3x measuring and heater time', () => {
  it('adds up measurements and the time the heater was on', () => {
    const scheduler = new VirtualScheduler({ seed: 1 });
    const sensor = new SimulatedSht3x(scheduler, () => ({ temperature: 10, humidity: 50 }));
    const command = (c: number): boolean => sensor.write(Uint8Array.of(c >> 8, c & 0xff));
    command(0x2400);
    scheduler.runFor(20);
    sensor.read(6);
    command(CMD_HEATER_ON);
    scheduler.runFor(10_000);
    command(CMD_HEATER_OFF);
    scheduler.runFor(5000);
    expect(sensor.measurements).toBe(1);
    expect(sensor.measuringMs).toBe(MEASUREMENT_MS.high);
    expect(sensor.heaterOnMs).toBeCloseTo(10_000, 6);
    expect(sensor.heaterSwitches.map((s) => s.on)).toEqual([true, false]);
  });
});

describe('a climate node over two hours', () => {
  it('listens about one P2P receive window per uplink and counts its airtime and sensor time', async () => {
    const w = createClimateWorld({ bundle: await climateBundle(), boardId: 'mdbt42q-rak3172', scenario: loadWeatherScenario('warm-day'), seed: 2, keys: DEMO_P2P_KEYS });
    w.run(2 * 3_600_000);
    const a = nodeActivity(w, [w.sensors.air, w.sensors.surface]);
    const frames = w.medium.framesFrom(NODE_ID);
    expect(frames.length).toBeGreaterThan(8);
    expect(a.txMsByPower[14]).toBeCloseTo(frames.reduce((s, f) => s + f.airtimeMs, 0), 6);
    // from P2P_RX_OPEN_MS to P2P_RX_WINDOW_MS after every uplink, plus the few ms until the module obeys
    const windowMs = P2P_RX_WINDOW_MS - P2P_RX_OPEN_MS;
    expect(a.rxMs).toBeGreaterThanOrEqual(frames.length * windowMs);
    expect(a.rxMs).toBeLessThan(frames.length * (windowMs + 50));
    // the driver switched the modem's low-power mode on at configuration, a few seconds after power-up
    expect(w.modem.lowPowerMode).toBe(true);
    expect(a.modemLowPowerMs).toBeGreaterThan(a.spanMs - 10_000);
    expect(a.sensorMeasuringMs).toBeCloseTo((w.sensors.air.measurements + w.sensors.surface.measurements) * MEASUREMENT_MS.high, 6);
    expect(w.sensors.air.measurements).toBeGreaterThanOrEqual(24); // every 5 minutes
    // the modem's UART is set up only around the exchanges, Bluetooth is off
    expect(a.uartOnMs).toBeLessThan(frames.length * 5000 + 70_000);
    expect(a.bleAdvertisingMs).toBeLessThan(1000);
    expect(a.spanMs).toBe(w.scheduler.now());
  }, 60_000);
});

describe('a simulated day at default settings', () => {
  let day: NodeDay;
  let p2pDay: NodeDay;
  beforeAll(async () => {
    day = simulateNodeDay({ bundle: await climateBundle('mdbt42q-rak3172', 'lorawan'), board: 'mdbt42q-rak3172', scenario: 'warm-day', network: 'lorawan' });
    p2pDay = simulateNodeDay({ bundle: await climateBundle(), board: 'mdbt42q-rak3172', scenario: 'warm-day', network: 'p2p' });
  }, 120_000);

  it('sums up airtime, duty cycle and the battery estimate on both cells from the same run', () => {
    const frames = day.world.medium.framesFrom(NODE_ID);
    const airtime = frames.reduce((s, f) => s + f.airtimeMs, 0);
    expect(day.airtimePerDayMs).toBeCloseTo(airtime, 6); // a 24 h run
    expect(day.airtimePerDayMs).toBeLessThanOrEqual(30_000);
    expect(day.busiestHour).toBeGreaterThan(0);
    expect(day.busiestHour).toBeLessThanOrEqual(0.01);
    expect(day.dutyCycleViolations).toBe(0);
    const tx = day.charge.items.find((i) => i.part === 'RAK3172 TX 14 dBm')!;
    expect(tx.mAhPerDay).toBeCloseTo((airtime / 3_600_000) * 90, 9);
    expect(day.charge.mAhPerDay).toBeCloseTo(day.charge.items.reduce((s, i) => s + i.mAhPerDay, 0), 12);
    expect(day.uplinks).toBe(day.world.uplinks.length);
    expect(day.lives.map((l) => l.pack.cell)).toEqual([LITHIUM_AA, ALKALINE_AA]);
    for (const life of day.lives) {
      expect(life.pack.winterC).toBe(DEFAULT_WINTER_C);
      expect(life.years).toBeCloseTo(batteryYears(life.pack, day.charge.mAhPerDay), 12);
    }
  });

  it('re-times every frame at a faster spreading factor, and its LoRaWAN RX1 window with it', () => {
    const frames = day.world.medium.framesFrom(NODE_ID);
    expect(new Set(frames.map((f) => f.sf))).toEqual(new Set([9]));
    const same = activityAtSf(day, 9);
    expect(same.airtimeMs).toBeCloseTo(frames.reduce((s, f) => s + f.airtimeMs, 0), 6);
    expect(same.activity.rxMs).toBeCloseTo(day.activity.rxMs, 6);
    const sf7 = activityAtSf(day, 7);
    const expected = frames.reduce((s, f) => s + timeOnAir({ sf: 7, bwHz: f.bwHz, cr: f.cr, preamble: f.preamble, payloadBytes: f.payload.length }), 0);
    expect(sf7.airtimeMs).toBeCloseTo(expected, 6);
    expect(sf7.activity.txMsByPower[14]).toBeCloseTo(expected, 6);
    // RX1 is 8 symbols at the uplink's SF, RX2 stays at SF12
    expect(day.activity.rxMs - sf7.activity.rxMs).toBeCloseTo(frames.length * 8 * (symbolTimeMs(9, 125000) - symbolTimeMs(7, 125000)), 6);
    // P2P receive windows have a fixed length
    expect(activityAtSf(p2pDay, 7).activity.rxMs).toBeCloseTo(p2pDay.activity.rxMs, 9);
  });

  it('finds the uplinks a day and the spreading factors that reach a target, from the same model', () => {
    const pack = twoAa(LITHIUM_AA);
    const target = 20; // beyond what this day reaches, so that the search has something to find
    const r = whatReaches(day, pack, target);
    const frames = day.world.medium.framesFrom(NODE_ID);
    expect(r.uplinksPerDay).toBeCloseTo(frames.length, 9); // a 24 h run
    expect(r.timeMahPerDay + r.perUplinkMah * r.uplinksPerDay).toBeCloseTo(day.charge.mAhPerDay, 9);
    expect(r.budgetMahPerDay).toBeCloseTo(dailyBudget(pack, target), 12);
    // at the allowed number of exchanges the pack lasts exactly the target
    expect(batteryYears(pack, r.timeMahPerDay + r.perUplinkMah * r.maxUplinksPerDay)).toBeCloseTo(target, 6);
    expect(r.maxUplinksPerDay).toBeLessThan(r.uplinksPerDay);
    expect(r.sfOptions.map((o) => o.sf)).toEqual([9, 8, 7]);
    expect(r.sfOptions[0]!.mAhPerDay).toBeCloseTo(day.charge.mAhPerDay, 9);
    for (const o of r.sfOptions) {
      expect(o.mAhPerDay).toBeCloseTo(chargePerDay(day.model, activityAtSf(day, o.sf).activity).mAhPerDay, 12);
      expect(o.years).toBeCloseTo(batteryYears(pack, o.mAhPerDay), 12);
    }
    expect(r.sfOptions[2]!.years).toBeGreaterThan(r.sfOptions[0]!.years);
    expect(r.sfOptions[2]!.airtimePerDayMs).toBeLessThan(r.sfOptions[0]!.airtimePerDayMs);
  });
});
