/**
 * The firmware's RUI3 driver (firmware/drivers/rui3.ts) against the simulated RAK3172: the two were written from the
 * same reference, so they must agree on every line. Virtual time, through the radio medium and the simulated network.
 */
import { describe, expect, it } from 'vitest';
import type { SerialPort, Timers } from '../../firmware/drivers/at-line.ts';
import type { LoRaWanSettings, Modem, ModemError, P2PPacket, P2PSettings, SendResult } from '../../firmware/drivers/modem.ts';
import { connect } from '../../firmware/drivers/rui3.ts';
import type { SerialDevice } from '../../tools/simulator/contracts.ts';
import { SimulatedRak3172 } from '../../tools/simulator/devices/rak3172.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { SimulatedNetwork } from '../../tools/simulator/radio/network.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import { uplinkAirtime } from '../../firmware/core/airtime.ts';

const DEV_EUI = 'AC1F09FFFE000001';
const APP_EUI = '70B3D57ED0000001';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

/** The board side of the UART, as the driver sees Serial1 (no wire delays). */
class BoardSerial implements SerialPort {
  private readonly listeners: ((data: string) => void)[] = [];
  readonly written: string[] = [];
  /** Everything the module printed, as text. */
  printed = '';
  constructor(private readonly device: SerialDevice, scheduler: VirtualScheduler) {
    device.connect((bytes) => {
      const text = String.fromCharCode(...bytes);
      this.printed += text;
      for (const l of this.listeners) l(text);
    }, scheduler);
  }

  /** The lines the module printed. */
  lines(): string[] {
    return this.printed.split('\r\n').filter((l) => l !== '');
  }
  on(_event: 'data', listener: (data: string) => void): void {
    this.listeners.push(listener);
  }
  write(data: string): void {
    this.written.push(data);
    this.device.receive(Uint8Array.from(data, (c) => c.charCodeAt(0)));
  }
}

function virtualTimers(scheduler: VirtualScheduler): Timers {
  return { setTimeout: (fn, ms) => scheduler.after(ms, fn), clearTimeout: (h) => scheduler.cancel(h as number) };
}

interface Station {
  modem: SimulatedRak3172;
  driver: Modem;
  serial: BoardSerial;
}

type Extra = Partial<ConstructorParameters<typeof SimulatedRak3172>[0]>;

function setup(): {
  scheduler: VirtualScheduler;
  medium: RadioMediumSim;
  network: SimulatedNetwork;
  station: (id: string, x: number, workMode?: 'lorawan' | 'p2p', extra?: Extra) => Station;
} {
  const scheduler = new VirtualScheduler({ seed: 21 });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const network = new SimulatedNetwork({ scheduler, medium, position: { x: 0, y: 0 } });
  network.register({ devEui: DEV_EUI, appKey: APP_KEY });
  const station = (id: string, x: number, workMode: 'lorawan' | 'p2p' = 'lorawan', extra: Extra = {}): Station => {
    const modem = new SimulatedRak3172({ id, position: { x, y: 0 }, medium, devEui: DEV_EUI, workMode, ...extra });
    const serial = new BoardSerial(modem, scheduler);
    scheduler.runFor(1100);
    const driver = connect(serial, virtualTimers(scheduler), { hardReset: () => modem.hardReset(), random: () => scheduler.random() });
    return { modem, driver, serial };
  };
  return { scheduler, medium, network, station };
}

/** Runs the simulation until the callback of `start` has been called; returns its arguments. */
function settle<A extends unknown[]>(scheduler: VirtualScheduler, start: (cb: (...args: A) => void) => void, maxMs = 600_000): A {
  let result: A | undefined;
  start((...args) => {
    result = args;
  });
  const deadline = scheduler.now() + maxMs;
  while (!result && scheduler.now() < deadline && scheduler.step()) {
    // step until the callback ran
  }
  if (!result) throw new Error('the operation never finished');
  return result;
}

const OTAA: LoRaWanSettings = { band: 'EU868', activation: 'otaa', devEui: DEV_EUI, appEui: APP_EUI, appKey: APP_KEY, dataRate: 5, adr: false, confirmed: false, deviceClass: 'A' };

describe('RUI3 driver and simulated RAK3172', () => {
  it('configures, joins and sends; the network receives the payload', () => {
    const { scheduler, network, station } = setup();
    const { driver } = station('node', 1500);
    expect(settle<[ModemError | null]>(scheduler, (cb) => driver.configure(OTAA, cb))[0]).toBeNull();
    expect(settle<[ModemError | null]>(scheduler, (cb) => driver.join({ rounds: 1, attemptsPerRound: 1 }, cb))[0]).toBeNull();
    expect(driver.isJoined()).toBe(true);
    scheduler.runFor(10_000); // the join request's sub-band reopens
    const [err, result] = settle<[ModemError | null, SendResult]>(scheduler, (cb) => driver.send(2, Uint8Array.of(1, 2, 3), {}, cb));
    expect(err).toBeNull();
    expect(result).toEqual({});
    expect(network.uplinks.map((u) => [u.port, Array.from(u.payload)])).toEqual([[2, [1, 2, 3]]]);
    expect(driver.stats().timeouts).toBe(0);
  });

  it('gets an acknowledged confirmed uplink and the downlink that came with it', () => {
    const { scheduler, network, station } = setup();
    const { driver } = station('node', 1500);
    settle(scheduler, (cb) => driver.configure(OTAA, cb));
    settle(scheduler, (cb) => driver.join({ rounds: 1 }, cb));
    const heard: number[][] = [];
    driver.onDownlink((port, bytes) => heard.push([port, ...bytes]));
    network.queueDownlink(DEV_EUI, 9, Uint8Array.of(0xab, 0xcd));
    scheduler.runFor(200_000); // the join request's sub-band reopens
    const [err, result] = settle<[ModemError | null, SendResult]>(scheduler, (cb) => driver.send(1, [0x42], { confirmed: true }, cb));
    expect(err).toBeNull();
    expect(result.confirmed).toBe(true);
    expect(result.downlink).toMatchObject({ port: 9, bytes: Uint8Array.of(0xab, 0xcd) });
    expect(heard).toEqual([[9, 0xab, 0xcd]]);
  });

  it('reports the duty-cycle wait as restricted', () => {
    const { scheduler, station } = setup();
    const { driver } = station('node', 1500);
    settle(scheduler, (cb) => driver.configure({ ...OTAA, dataRate: 0 }, cb));
    settle(scheduler, (cb) => driver.join({ rounds: 1 }, cb));
    const [err, result] = settle<[ModemError | null, SendResult]>(scheduler, (cb) => driver.send(1, [1], {}, cb));
    expect(err).toBe('restricted');
    expect(result.waitMs).toBeGreaterThan(60_000);
  });

  it('sends P2P frames from one module to another', () => {
    const { scheduler, station } = setup();
    const gw = station('gw', 0, 'p2p');
    const node = station('node', 2000, 'p2p');
    const settings: P2PSettings = { freqHz: 869525000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 };
    expect(settle<[ModemError | null]>(scheduler, (cb) => gw.driver.configureP2P(settings, cb))[0]).toBeNull();
    expect(settle<[ModemError | null]>(scheduler, (cb) => node.driver.configureP2P(settings, cb))[0]).toBeNull();
    let packet: [ModemError | null, P2PPacket?] | undefined;
    gw.driver.receiveP2P(10_000, (...args) => {
      packet = args;
    });
    scheduler.runFor(50);
    expect(settle<[ModemError | null]>(scheduler, (cb) => node.driver.sendP2P(Uint8Array.of(0x40, 0x01, 0x02), cb))[0]).toBeNull();
    scheduler.runFor(500);
    expect(packet?.[0]).toBeNull();
    expect(Array.from(packet![1]!.bytes)).toEqual([0x40, 0x01, 0x02]);
    expect(packet![1]!.snr).toBeLessThanOrEqual(13);
  });

  it('receives the older two-line P2P form, and recovers through line noise before the banner', () => {
    const { scheduler, station } = setup();
    const settings: P2PSettings = { freqHz: 869525000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 };
    const gw = station('gw', 0, 'p2p', { legacyP2pRxEvents: true, bootGarbageBytes: 8, blankLinesAroundStatus: true });
    const node = station('node', 2000, 'p2p');
    settle(scheduler, (cb) => gw.driver.configureP2P(settings, cb));
    settle(scheduler, (cb) => node.driver.configureP2P(settings, cb));
    let packet: [ModemError | null, P2PPacket?] | undefined;
    gw.driver.receiveP2P(10_000, (...args) => {
      packet = args;
    });
    scheduler.runFor(50);
    settle(scheduler, (cb) => node.driver.sendP2P(Uint8Array.of(0x40, 0x09), cb));
    scheduler.runFor(500);
    expect(packet?.[0]).toBeNull();
    expect(Array.from(packet![1]!.bytes)).toEqual([0x40, 0x09]);
    expect(gw.serial.lines().some((l) => l.indexOf('+EVT:RXP2P, RSSI') === 0)).toBe(true);
    gw.modem.mute();
    const written = gw.serial.written.length;
    expect(settle<[ModemError | null]>(scheduler, (cb) => gw.driver.sendP2P([1], cb))[0]).toBe('timeout');
    scheduler.runFor(30_000); // probes, reset pin, banner behind noise, P2P settings again
    expect(gw.driver.stats().resets).toBe(1);
    expect(gw.driver.stats().linesDropped).toBeGreaterThan(0);
    expect(gw.serial.written.slice(written)).toEqual(['AT+PSEND=01\r\n', 'AT\r\n', 'AT\r\n', 'AT+P2P=869525000:9:125:0:8:14\r\n', 'AT+LPM=1\r\n']);
    expect(settle<[ModemError | null]>(scheduler, (cb) => gw.driver.sendP2P([2], cb))[0]).toBeNull();
  });

  it('recovers a muted module with the reset pin', () => {
    const { scheduler, station } = setup();
    const { driver, modem } = station('node', 1500);
    settle(scheduler, (cb) => driver.configure(OTAA, cb));
    modem.mute();
    const [err] = settle<[ModemError | null]>(scheduler, (cb) => driver.sleep(1000, cb));
    expect(err).toBe('timeout');
    scheduler.runFor(60_000); // the driver probes, then resets and reconfigures
    expect(modem.isMuted).toBe(false);
    expect(driver.stats().resets).toBeGreaterThanOrEqual(1);
    expect(settle<[ModemError | null]>(scheduler, (cb) => driver.join({ rounds: 1 }, cb))[0]).toBeNull();
  });

  describe('agrees with RUI3 where the simulator\'s author checked its source', () => {
    it('AT+JOIN=1:0:8:2 makes 3 attempts: a failing round ends before the next begins, and nothing is left over', () => {
      const { scheduler, station } = setup();
      const { driver, modem, serial } = station('node', 1500);
      // An AppKey the network does not know: every join request goes unanswered.
      settle(scheduler, (cb) => driver.configure({ ...OTAA, appKey: '00112233445566778899AABBCCDDEEFF' }, cb));
      const [err] = settle<[ModemError | null]>(scheduler, (cb) => driver.join({ rounds: 2, attemptsPerRound: 3, backoffBaseMs: 1000 }, cb));
      expect(err).toBe('no_network');
      expect(modem.stats.joinRequests).toBe(6);
      expect(serial.lines().filter((l) => l.indexOf('+EVT:JOIN_FAILED') === 0)).toHaveLength(6);
      expect(serial.lines()).not.toContain('AT_BUSY_ERROR');
      scheduler.runFor(120_000);
      expect(modem.stats.joinRequests).toBe(6);
      expect(driver.stats().timeouts).toBe(0);
      expect(serial.written.filter((w) => w.indexOf('AT+JOIN=') === 0)).toEqual(['AT+JOIN=1:0:8:2\r\n', 'AT+JOIN=1:0:8:2\r\n']);
    });

    it('TX_DONE comes when the receive windows close; a downlink stays with its own send', () => {
      const { scheduler, network, station } = setup();
      const { driver } = station('node', 1500);
      settle(scheduler, (cb) => driver.configure({ ...OTAA, dataRate: 0 }, cb));
      settle(scheduler, (cb) => driver.join({ rounds: 1 }, cb));
      const heard: number[][] = [];
      driver.onDownlink((port, bytes) => heard.push([port, ...bytes]));
      scheduler.runFor(300_000); // the SF12 join request's sub-band reopens
      network.queueDownlink(DEV_EUI, 9, Uint8Array.of(0xab));
      const airtime = uplinkAirtime(51 + 13, 0);
      let start = scheduler.now();
      const [err1, first] = settle<[ModemError | null, SendResult]>(scheduler, (cb) => driver.send(2, new Uint8Array(51), {}, cb));
      // The downlink came in RX1: TX_DONE, then the RX_1 line, right after it.
      expect(err1).toBeNull();
      expect(first.downlink).toMatchObject({ port: 9, bytes: Uint8Array.of(0xab) });
      expect(scheduler.now() - start).toBeGreaterThan(airtime + 1000);
      scheduler.runFor(400_000);
      start = scheduler.now();
      const [err2, second] = settle<[ModemError | null, SendResult]>(scheduler, (cb) => driver.send(2, new Uint8Array(51), {}, cb));
      // No downlink: TX_DONE once RX2 (2 s after the uplink, SF12) has closed.
      expect(err2).toBeNull();
      expect(second).toEqual({});
      expect(scheduler.now() - start).toBeGreaterThan(airtime + 2000 + 250);
      expect(heard).toEqual([[9, 0xab]]);
      expect(driver.stats().timeouts).toBe(0);
    });

    it('refuses a payload too long for the data rate before RUI3 sends an empty frame for it; the next send works', () => {
      const { scheduler, network, station } = setup();
      const { driver, modem, serial } = station('node', 1500);
      settle(scheduler, (cb) => driver.configure({ ...OTAA, dataRate: 0 }, cb));
      settle(scheduler, (cb) => driver.join({ rounds: 1 }, cb));
      scheduler.runFor(300_000);
      const uplinks = modem.stats.uplinks;
      let tooLong: [ModemError | null, SendResult] | undefined;
      driver.send(2, new Uint8Array(52), {}, (...args) => {
        tooLong = args;
      });
      const [err, result] = settle<[ModemError | null, SendResult]>(scheduler, (cb) => driver.send(3, new Uint8Array(51).fill(7), {}, cb));
      expect(tooLong).toEqual(['param', {}]);
      expect(err).toBeNull();
      expect(result).toEqual({});
      expect(serial.written.filter((w) => w.indexOf('AT+SEND=') === 0)).toHaveLength(1);
      expect(modem.stats.uplinks).toBe(uplinks + 1);
      expect(network.uplinks.map((u) => [u.port, u.payload.length])).toEqual([[3, 51]]);
      scheduler.runFor(60_000);
      expect(serial.lines().filter((l) => l === '+EVT:TX_DONE')).toHaveLength(1);
    });
  });
});
