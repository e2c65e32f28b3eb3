/**
 * The firmware's RAK811 driver (firmware/drivers/rak811.ts) against the simulated RAK811: every error path of the
 * Modem interface as the RUI3 driver has it (timeouts -> probe -> reset pin, busy, not joined -> rejoin, duty
 * cycle, payload too large, join rounds with backoff, confirmed uplinks, downlinks), P2P with transfer modes, sleep,
 * and keys kept out of the log. Virtual time, through the radio medium and the simulated network.
 */
import { describe, expect, it } from 'vitest';
import type { LogLevel, SerialPort, Timers } from '../../firmware/drivers/at-line.ts';
import type { LoRaWanSettings, Modem, ModemError, P2PPacket, P2PSettings, SendResult } from '../../firmware/drivers/modem.ts';
import { connect } from '../../firmware/drivers/rak811.ts';
import { SimulatedRak3172 } from '../../tools/simulator/devices/rak3172.ts';
import { SimulatedRak811 } from '../../tools/simulator/devices/rak811.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { SimulatedNetwork } from '../../tools/simulator/radio/network.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import { SerialTerminal } from '../../tools/simulator/terminal.ts';

const DEV_EUI = '60C5A8FFFE000001';
const APP_EUI = '70B3D57ED0000001';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const OTAA: LoRaWanSettings = { band: 'EU868', activation: 'otaa', devEui: DEV_EUI, appEui: APP_EUI, appKey: APP_KEY, dataRate: 5, adr: false, confirmed: false, deviceClass: 'A' };
const P2P: P2PSettings = { freqHz: 868100000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 };

/** The board side of the UART as the driver sees Serial1 (no wire delays); `inject` is another party on the line. */
class BoardSerial implements SerialPort {
  private readonly listeners: ((data: string) => void)[] = [];
  readonly written: string[] = [];
  constructor(private readonly device: SimulatedRak811, scheduler: VirtualScheduler) {
    device.connect((bytes) => {
      const text = String.fromCharCode(...bytes);
      for (const l of this.listeners) l(text);
    }, scheduler);
  }
  on(_event: 'data', listener: (data: string) => void): void {
    this.listeners.push(listener);
  }
  write(data: string): void {
    this.written.push(data.trim());
    this.inject(data);
  }
  inject(data: string): void {
    this.device.receive(Uint8Array.from(data, (c) => c.charCodeAt(0)));
  }
}

function virtualTimers(scheduler: VirtualScheduler): Timers {
  return { setTimeout: (fn, ms) => scheduler.after(ms, fn), clearTimeout: (h) => scheduler.cancel(h as number) };
}

interface Station {
  scheduler: VirtualScheduler;
  network: SimulatedNetwork;
  medium: RadioMediumSim;
  modem: SimulatedRak811;
  serial: BoardSerial;
  driver: Modem;
  log: string[];
}

function station(options: { workMode?: 'lorawan' | 'p2p'; x?: number; hardReset?: boolean } = {}): Station {
  const scheduler = new VirtualScheduler({ seed: 5 });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const network = new SimulatedNetwork({ scheduler, medium, position: { x: 0, y: 0 } });
  network.register({ devEui: DEV_EUI, appKey: APP_KEY });
  const modem = new SimulatedRak811({ id: 'node', position: { x: options.x ?? 1500, y: 0 }, medium, devEui: DEV_EUI, workMode: options.workMode ?? 'lorawan' });
  const serial = new BoardSerial(modem, scheduler);
  const log: string[] = [];
  const driver = connect(serial, virtualTimers(scheduler), {
    log: (level: LogLevel, message: string) => log.push(level + ' ' + message),
    random: () => scheduler.random(),
    ...(options.hardReset === false ? {} : { hardReset: () => modem.hardReset() }),
  });
  scheduler.runFor(1300); // the banner
  return { scheduler, network, medium, modem, serial, driver, log };
}

/** Runs the simulation until the callback of `start` has been called; returns its arguments and the time taken. */
function settle<A extends unknown[]>(scheduler: VirtualScheduler, start: (cb: (...args: A) => void) => void, maxMs = 3_600_000): A {
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

function joined(s: Station, settings: LoRaWanSettings = OTAA): void {
  expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.configure(settings, cb))[0]).toBeNull();
  expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.join({ rounds: 1 }, cb))[0]).toBeNull();
}

describe('LoRaWAN', () => {
  it('configures with the V3 commands, joins and sends; the network gets the payload; no key reaches the log', () => {
    const s = station();
    joined(s);
    expect(s.driver.isJoined()).toBe(true);
    expect(s.serial.written.slice(0, 3)).toEqual(['at+set_config=lora:region:EU868', 'at+set_config=lora:join_mode:0', 'at+set_config=lora:dev_eui:' + DEV_EUI]);
    expect(s.serial.written).toContain('at+set_config=lora:dutycycle_enable:1');
    expect(s.serial.written).toContain('at+join');
    s.scheduler.runFor(10_000); // the join request's sub-band reopens
    const [err, result] = settle<[ModemError | null, SendResult]>(s.scheduler, (cb) => s.driver.send(2, Uint8Array.of(1, 2, 3), {}, cb));
    expect([err, result]).toEqual([null, {}]);
    expect(s.network.uplinks.map((u) => [u.port, Array.from(u.payload)])).toEqual([[2, [1, 2, 3]]]);
    const text = s.log.join('\n');
    expect(text).toContain('at+set_config=lora:app_key:<redacted>');
    expect(text).not.toContain(APP_KEY);
    expect(s.driver.stats().timeouts).toBe(0);
  });

  it('gets an acknowledged confirmed uplink with its downlink, and reports an unacknowledged one as send_failed', () => {
    const s = station();
    joined(s);
    const heard: number[][] = [];
    s.driver.onDownlink((port, bytes) => heard.push([port, ...bytes]));
    s.network.queueDownlink(DEV_EUI, 9, Uint8Array.of(0xab, 0xcd));
    s.scheduler.runFor(10_000);
    const [err, result] = settle<[ModemError | null, SendResult]>(s.scheduler, (cb) => s.driver.send(1, [0x42], { confirmed: true }, cb));
    expect(err).toBeNull();
    expect(result.confirmed).toBe(true);
    expect(result.downlink).toMatchObject({ port: 9, bytes: Uint8Array.of(0xab, 0xcd) });
    expect(heard).toEqual([[9, 0xab, 0xcd]]);
    expect(s.serial.written).toContain('at+set_config=lora:confirm:1');
    s.modem.moveTo({ x: 300_000, y: 0 }); // out of the gateway's reach: no ACK, ERROR: 96
    s.scheduler.runFor(10_000);
    const [err2, result2] = settle<[ModemError | null, SendResult]>(s.scheduler, (cb) => s.driver.send(1, [0x43], { confirmed: true }, cb));
    expect(err2).toBe('send_failed');
    expect(result2).toEqual({ confirmed: false });
  });

  it('refuses payloads too large for the DR or the 255-character line before sending, and maps ERROR: 101 to param', () => {
    const s = station();
    joined(s, { ...OTAA, dataRate: 0 });
    const sends = (): number => s.serial.written.filter((w) => w.startsWith('at+send')).length;
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, new Uint8Array(52), {}, cb))[0]).toBe('param');
    expect(sends()).toBe(0);
    // DR5 allows 242 bytes, the command line only 118
    const fast = station();
    joined(fast, { ...OTAA, dataRate: 5 });
    expect(settle<[ModemError | null]>(fast.scheduler, (cb) => fast.driver.send(200, new Uint8Array(119), {}, cb))[0]).toBe('param');
    expect(fast.serial.written.filter((w) => w.startsWith('at+send'))).toEqual([]);
    // the module's DR changed behind the driver's back: the module answers ERROR: 101
    fast.modem.flash.dr = 0;
    fast.scheduler.runFor(10_000);
    expect(settle<[ModemError | null]>(fast.scheduler, (cb) => fast.driver.send(1, new Uint8Array(60), {}, cb))[0]).toBe('param');
    expect(fast.log.some((l) => l.includes('(ERROR: 101)'))).toBe(true);
  });

  it('reports the duty cycle (ERROR: 90) as restricted without a wait time', () => {
    const s = station();
    joined(s, { ...OTAA, dataRate: 0 });
    // the SF12 join request closed the sub-band for 100 x its airtime
    const [err, result] = settle<[ModemError | null, SendResult]>(s.scheduler, (cb) => s.driver.send(1, [1], {}, cb));
    expect(err).toBe('restricted');
    expect(result.waitMs).toBeUndefined();
    expect(s.modem.stats.restricted).toBe(1);
    s.scheduler.runFor(200_000);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, [1], {}, cb))[0]).toBeNull();
  });

  it('reports busy (ERROR: 80) while the module is in an exchange someone else started', () => {
    const s = station();
    joined(s);
    s.scheduler.runFor(10_000);
    s.serial.inject('at+send=lora:5:01\r\n'); // another party on the line
    s.scheduler.runFor(50);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, [1], {}, cb))[0]).toBe('busy');
  });

  it('rejoins after ERROR: 86 (the module lost its session)', () => {
    const s = station();
    joined(s);
    s.modem.hardReset(); // e.g. a brown-out: the module restarts, the session is gone
    s.scheduler.runFor(2000);
    s.scheduler.runFor(10_000);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, [1], {}, cb))[0]).toBe('not_joined');
    s.scheduler.runFor(30_000);
    expect(s.serial.written.filter((w) => w === 'at+join').length).toBe(2);
    expect(s.driver.isJoined()).toBe(true);
    expect(s.modem.joined).toBe(true);
    s.scheduler.runFor(10_000);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, [2], {}, cb))[0]).toBeNull();
  });

  it('joins in rounds of at+join (7 requests each, ERROR: 99) with a growing backoff, then gives up with no_network', () => {
    const s = station();
    settle(s.scheduler, (cb) => s.driver.configure({ ...OTAA, appKey: '11'.repeat(16) }, cb));
    const start = s.scheduler.now();
    const [err] = settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.join({ rounds: 3, backoffBaseMs: 20_000, backoffMaxMs: 40_000 }, cb));
    expect(err).toBe('no_network');
    expect(s.modem.stats.joinRequests).toBe(21);
    const joins = s.log.filter((l) => l.startsWith('debug > at+join')).length;
    expect(joins).toBe(3);
    // 21 requests of 7 s each (SF7: RX2 closes 6 s after), duty cycle, plus the backoffs: >= 10 s + 20 s
    expect(s.scheduler.now() - start).toBeGreaterThan(21 * 6000 + 30_000);
    expect(s.driver.isJoined()).toBe(false);
  });

  it('after 3 timeouts in a row resets the module with the reset pin, re-applies the configuration and rejoins', () => {
    const s = station();
    joined(s);
    s.modem.mute();
    s.scheduler.runFor(10_000);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, [1], {}, cb))[0]).toBe('timeout');
    s.scheduler.runFor(60_000);
    expect(s.driver.stats()).toMatchObject({ timeouts: 3, resets: 1 });
    expect(s.modem.isMuted).toBe(false);
    expect(s.modem.stats.reboots).toBe(2);
    expect(s.driver.isJoined()).toBe(true);
    s.scheduler.runFor(10_000);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.send(1, [2], {}, cb))[0]).toBeNull();
    expect(s.network.uplinks.map((u) => Array.from(u.payload))).toEqual([[2]]);
  });

  it('without a reset pin restarts with at+set_config=device:restart (which a hung module ignores)', () => {
    const s = station({ hardReset: false });
    joined(s);
    s.modem.mute();
    settle(s.scheduler, (cb) => s.driver.send(1, [1], {}, cb));
    s.scheduler.runFor(60_000);
    expect(s.serial.written).toContain('at+set_config=device:restart');
    expect(s.modem.stats.reboots).toBe(1);
  });
});

describe('LoRa P2P', () => {
  function gateway(s: Station): SerialTerminal {
    const gw = new SimulatedRak3172({ id: 'gw', position: { x: 0, y: 0 }, medium: s.medium, workMode: 'p2p' });
    const term = new SerialTerminal(gw, s.scheduler);
    s.scheduler.runFor(1100);
    term.command('AT+P2P=868100000:9:125:0:8:14');
    term.command('AT+PRECV=65533');
    return term;
  }

  it('switches the work mode (the module restarts), sends, and receives in a window through transfer_mode', () => {
    const s = station();
    const gw = gateway(s);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.configureP2P(P2P, cb))[0]).toBeNull();
    expect(s.modem.workMode).toBe('p2p');
    expect(s.serial.written.slice(0, 3)).toEqual(['at+set_config=lora:work_mode:1', 'at+set_config=lorap2p:868100000:9:0:1:8:14', 'at+set_config=lorap2p:transfer_mode:2']);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.sendP2P([1, 2, 3], cb))[0]).toBeNull();
    expect(gw.lines.at(-1)!.text).toMatch(/:010203$/);
    // the gateway answers 500 ms into a 1 s window
    s.scheduler.after(500, () => gw.write('AT+PSEND=CAFE'));
    const [err, packet] = settle<[ModemError | null, P2PPacket | undefined]>(s.scheduler, (cb) => s.driver.receiveP2P(1000, cb));
    expect(err).toBeNull();
    expect(Array.from(packet!.bytes)).toEqual([0xca, 0xfe]);
    expect(s.modem.transferMode).toBe('sender');
    // a frame that starts just before the window ends is still received (RUI3 keeps such a window open)
    s.scheduler.after(380, () => gw.write('AT+PSEND=' + '5A'.repeat(40)));
    const [late, long] = settle<[ModemError | null, P2PPacket | undefined]>(s.scheduler, (cb) => s.driver.receiveP2P(400, cb));
    expect([late, long?.bytes.length]).toEqual([null, 40]);
    // nothing in the window: undefined, and back to sender
    const [err2, nothing] = settle<[ModemError | null, P2PPacket | undefined]>(s.scheduler, (cb) => s.driver.receiveP2P(300, cb));
    expect([err2, nothing]).toEqual([null, undefined]);
    expect(s.modem.transferMode).toBe('sender');
    expect(s.serial.written.filter((w) => w.endsWith('transfer_mode:1')).length).toBe(3);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.sendP2P(new Uint8Array(119), cb))[0]).toBe('param');
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.receiveP2P(70_000, cb))[0]).toBe('param');
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.configureP2P({ ...P2P, txPowerDbm: 22 }, cb))[0]).toBe('param');
  });

  it('puts the module to sleep and wakes it before the next operation, whose command is not lost', () => {
    const s = station({ workMode: 'p2p' });
    const gw = gateway(s);
    settle(s.scheduler, (cb) => s.driver.configureP2P(P2P, cb));
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.sleep(60_000, cb))[0]).toBeNull();
    expect(s.modem.asleep).toBe(true);
    s.scheduler.runFor(60_000);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.sendP2P([7], cb))[0]).toBeNull();
    expect(s.modem.asleep).toBe(false);
    expect(s.modem.stats.bytesLostWaking).toBeGreaterThan(0);
    expect(gw.lines.at(-1)!.text).toMatch(/:07$/);
    expect(s.driver.stats().timeouts).toBe(0);
  });

  it('survives line noise between operations (the lines are dropped and counted)', () => {
    const s = station({ workMode: 'p2p' });
    settle(s.scheduler, (cb) => s.driver.configureP2P(P2P, cb));
    s.modem.sendGarbage(Uint8Array.of(0x41, 0x01, 0x42, 0x0d, 0x0a));
    s.scheduler.runFor(10);
    expect(settle<[ModemError | null]>(s.scheduler, (cb) => s.driver.sendP2P([7], cb))[0]).toBeNull();
    expect(s.driver.stats().linesDropped).toBe(1);
  });
});
