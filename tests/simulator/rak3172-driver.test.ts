/**
 * The firmware's RUI3 driver (firmware/drivers/rui3.ts) against the simulated RAK3172: the two were written from the
 * same reference, so they must agree on every line. Virtual time, through the radio medium and the simulated network.
 */
import { describe, expect, it } from 'vitest';
import type { SerialPort, Timers } from '../../firmware/drivers/at-line.ts';
import type { LoRaWanSettings, ModemError, P2PPacket, P2PSettings, SendResult } from '../../firmware/drivers/modem.ts';
import { connect, type Rui3Modem } from '../../firmware/drivers/rui3.ts';
import type { SerialDevice } from '../../tools/simulator/contracts.ts';
import { SimulatedRak3172 } from '../../tools/simulator/devices/rak3172.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { SimulatedNetwork } from '../../tools/simulator/radio/network.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

const DEV_EUI = 'AC1F09FFFE000001';
const APP_EUI = '70B3D57ED0000001';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

/** The board side of the UART, as the driver sees Serial1 (no wire delays). */
class BoardSerial implements SerialPort {
  private readonly listeners: ((data: string) => void)[] = [];
  readonly written: string[] = [];
  constructor(private readonly device: SerialDevice, scheduler: VirtualScheduler) {
    device.connect((bytes) => {
      const text = String.fromCharCode(...bytes);
      for (const l of this.listeners) l(text);
    }, scheduler);
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
  driver: Rui3Modem;
  serial: BoardSerial;
}

function setup(): { scheduler: VirtualScheduler; medium: RadioMediumSim; network: SimulatedNetwork; station: (id: string, x: number, workMode?: 'lorawan' | 'p2p') => Station } {
  const scheduler = new VirtualScheduler({ seed: 21 });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const network = new SimulatedNetwork({ scheduler, medium, position: { x: 0, y: 0 } });
  network.register({ devEui: DEV_EUI, appKey: APP_KEY });
  const station = (id: string, x: number, workMode: 'lorawan' | 'p2p' = 'lorawan'): Station => {
    const modem = new SimulatedRak3172({ id, position: { x, y: 0 }, medium, devEui: DEV_EUI, workMode });
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
});
