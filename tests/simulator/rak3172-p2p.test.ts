/**
 * Simulated RAK3172 modules in LoRa P2P mode talking to each other through the radio medium: PSEND, the PRECV
 * modes, the busy rules, received packet events, and collisions between senders.
 */
import { describe, expect, it } from 'vitest';
import { timeOnAir } from '../../firmware/core/airtime.ts';
import { SimulatedRak3172, type SimulatedRak3172Options } from '../../tools/simulator/devices/rak3172.ts';
import { SerialTerminal } from '../../tools/simulator/terminal.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { noiseFloorDbm, type Point } from '../../tools/simulator/radio/propagation.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

interface Node {
  modem: SimulatedRak3172;
  term: SerialTerminal;
}

function world(): { scheduler: VirtualScheduler; medium: RadioMediumSim; node: (id: string, at: Point, options?: Partial<SimulatedRak3172Options>) => Node } {
  const scheduler = new VirtualScheduler({ seed: 11 });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const node = (id: string, position: Point, options: Partial<SimulatedRak3172Options> = {}): Node => {
    const modem = new SimulatedRak3172({ id, position, medium, workMode: 'p2p', ...options });
    const term = new SerialTerminal(modem, scheduler);
    scheduler.runFor(1100);
    return { modem, term };
  };
  return { scheduler, medium, node };
}

const PAYLOAD = '40F17DBE4900020001954378762B11FF0D';
const PAYLOAD_BYTES = PAYLOAD.length / 2;

describe('P2P between two modules', () => {
  it('sends a frame that the other module prints with RSSI, SNR and the bytes in upper-case hex', () => {
    const { medium, node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const sensor = node('sensor', { x: 4000, y: 0 });
    expect(gw.term.command('AT+PRECV=65534')).toEqual(['OK']);
    expect(sensor.term.command(`AT+PSEND=${PAYLOAD.toLowerCase()}`, 10)).toEqual(['OK']);
    const airtime = timeOnAir({ sf: 7, bwHz: 125000, payloadBytes: PAYLOAD_BYTES });
    const done = sensor.term.waitFor('+EVT:', 1000)!;
    expect(done.text).toBe('+EVT:TXP2P DONE');
    const frame = medium.framesFrom('sensor')[0]!;
    expect(frame).toMatchObject({ freqHz: 868000000, sf: 7, bwHz: 125000, cr: 1, preamble: 8, txPowerDbm: 14 });
    expect(frame.airtimeMs).toBe(airtime);
    expect(done.atMs).toBeCloseTo(frame.startMs + airtime, 9);
    const rx = gw.term.lines.at(-1)!;
    const rssi = medium.meanRssi(14, 868000000, { x: 4000, y: 0 }, { x: 0, y: 0 });
    const snr = rssi - noiseFloorDbm(125000, 6);
    expect(snr).toBeLessThan(13);
    expect(rx.text).toBe(`+EVT:RXP2P:${Math.floor(rssi)}:${Math.round(snr)}:${PAYLOAD}`);
    expect(rx.atMs).toBeCloseTo(frame.startMs + airtime, 9);
    expect(gw.modem.stats.p2pReceived).toBe(1);
    expect(sensor.modem.stats).toMatchObject({ p2pSent: 1, framesSent: 1 });
  });

  it('caps the reported SNR of a strong signal, as real modules do', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const sensor = node('sensor', { x: 10, y: 0 });
    gw.term.command('AT+PRECV=65534');
    sensor.term.command('AT+PSEND=0102', 500);
    expect(gw.term.lines.at(-1)!.text).toMatch(/^\+EVT:RXP2P:-[0-9]+:13:0102$/);
  });

  it('prints the older two-line receive event when asked to', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 }, { legacyP2pRxEvents: true });
    const sensor = node('sensor', { x: 100, y: 0 });
    gw.term.command('AT+PRECV=65534');
    sensor.term.command('AT+PSEND=AABBCCDD');
    gw.term.wait(500);
    const [header, data] = gw.term.lines.slice(-2).map((l) => l.text);
    expect(header).toMatch(/^\+EVT:RXP2P, RSSI -[0-9]+, SNR 13$/);
    expect(data).toBe('+EVT:AABBCCDD');
  });

  it('hears only its own frequency, spreading factor and bandwidth', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const sensor = node('sensor', { x: 100, y: 0 });
    gw.term.command('AT+PRECV=65534');
    const attempts: [string, string][] = [
      ['AT+P2P=868000000:8:125:0:8:14', '01'], // other SF
      ['AT+P2P=868300000:7:125:0:8:14', '02'], // other frequency
      ['AT+P2P=868000000:7:250:0:8:14', '03'], // other bandwidth
      ['AT+P2P=868000000:7:125:3:12:20', '04'], // coding rate, preamble and power do not matter
    ];
    for (const [setting, payload] of attempts) {
      expect(sensor.term.command(setting)).toEqual(['OK']);
      sensor.term.command(`AT+PSEND=${payload}`, 500);
    }
    const received = gw.term.lines.filter((l) => l.text.startsWith('+EVT:RXP2P'));
    expect(received.map((l) => l.text.slice(-2))).toEqual(['04']);
  });

  it('uses the P2P settings for the airtime: SF12, CR 4/8, long preamble', () => {
    const { medium, node } = world();
    const sensor = node('sensor', { x: 0, y: 0 });
    expect(sensor.term.command('AT+P2P=869525000:12:125:3:16:20')).toEqual(['OK']);
    expect(sensor.term.command('AT+PSEND=' + '00'.repeat(239), 10)).toEqual(['OK']);
    const frame = medium.framesFrom('sensor')[0]!;
    expect(frame).toMatchObject({ freqHz: 869525000, sf: 12, cr: 4, preamble: 16, txPowerDbm: 20 });
    expect(frame.airtimeMs).toBe(timeOnAir({ sf: 12, bwHz: 125000, cr: 4, preamble: 16, payloadBytes: 239 }));
    expect(sensor.term.waitFor('+EVT:TXP2P DONE', 20_000)!.atMs).toBeCloseTo(frame.startMs + frame.airtimeMs, 6);
  });
});

describe('PRECV modes', () => {
  it('times out after the window with RECEIVE TIMEOUT, at least 15 ms', () => {
    const { node, scheduler } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const t0 = scheduler.now();
    expect(gw.term.command('AT+PRECV=3000', 10)).toEqual(['OK']);
    expect(gw.term.command('AT+PRECV=?', 10)).toEqual(['P2P_RX_ON', 'OK']);
    const timeout = gw.term.waitFor('+EVT:', 5000)!;
    expect(timeout.text).toBe('+EVT:RXP2P RECEIVE TIMEOUT');
    expect(timeout.atMs - t0).toBe(4 + 3000);
    expect(gw.term.command('AT+PRECV=?')).toEqual(['P2P_RX_OFF', 'OK']);
    const t1 = scheduler.now();
    gw.term.command('AT+PRECV=5', 10);
    expect(gw.term.waitFor('+EVT:', 100)!.atMs - t1).toBe(4 + 15);
    expect(gw.modem.stats.p2pTimeouts).toBe(2);
  });

  it('ends a timed receive with the first packet: no timeout afterwards, radio off', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const a = node('a', { x: 100, y: 0 });
    const from = gw.term.lines.length;
    gw.term.command('AT+PRECV=5000', 10);
    a.term.command('AT+PSEND=01', 200);
    a.term.command('AT+PSEND=02', 200);
    gw.term.wait(6000);
    const events = gw.term.lines.slice(from).filter((l) => l.text.startsWith('+EVT'));
    expect(events.map((l) => l.text)).toEqual([expect.stringMatching(/^\+EVT:RXP2P:.*:01$/)]);
    expect(gw.term.command('AT+PRECV=?')).toEqual(['P2P_RX_OFF', 'OK']);
  });

  it('keeps receiving a frame whose preamble came before the window closed', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const a = node('a', { x: 100, y: 0 });
    a.term.command('AT+PSF=12');
    gw.term.command('AT+PSF=12');
    gw.term.command('AT+PRECV=100', 10);
    a.term.command('AT+PSEND=' + '00'.repeat(20), 10); // about 1.2 s on air, starts inside the 100 ms window
    const out = gw.term.wait(3000).filter((l) => l.startsWith('+EVT'));
    expect(out).toEqual([expect.stringMatching(/^\+EVT:RXP2P:-[0-9]+:13:0{40}$/)]);
  });

  it('65535 takes one packet; 65534 keeps listening; 0 stops', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const a = node('a', { x: 100, y: 0 });
    gw.term.command('AT+PRECV=65535');
    for (const b of ['01', '02']) a.term.command(`AT+PSEND=${b}`, 200);
    expect(gw.term.lines.filter((l) => l.text.startsWith('+EVT:RXP2P')).map((l) => l.text.slice(-2))).toEqual(['01']);
    gw.term.command('AT+PRECV=65534');
    for (const b of ['03', '04']) a.term.command(`AT+PSEND=${b}`, 200);
    gw.term.command('AT+PRECV=0');
    a.term.command('AT+PSEND=05', 200);
    expect(gw.term.lines.filter((l) => l.text.startsWith('+EVT:RXP2P')).map((l) => l.text.slice(-2))).toEqual(['01', '03', '04']);
    expect(gw.term.lines.some((l) => l.text.includes('TIMEOUT'))).toBe(false);
  });

  it('refuses sending and settings while receiving, and a new PRECV in a continuous mode', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    expect(gw.term.command('AT+PRECV=65534')).toEqual(['OK']);
    expect(gw.term.command('AT+PSEND=01')).toEqual(['AT_BUSY_ERROR']);
    expect(gw.term.command('AT+PSF=9')).toEqual(['P2P_RX_ON already, please disable P2P RX before setting.', 'AT_BUSY_ERROR']);
    expect(gw.term.command('AT+P2P=868100000:9:125:1:8:14')).toEqual(['P2P_RX_ON already, please disable P2P RX before setting.', 'AT_BUSY_ERROR']);
    expect(gw.term.command('AT+PSF=?')).toEqual(['AT+PSF=7', 'OK']);
    expect(gw.term.command('AT+PRECV=65535')).toEqual(['AT_BUSY_ERROR']);
    expect(gw.term.command('AT+PRECV=1000')).toEqual(['AT_BUSY_ERROR']);
    expect(gw.term.command('AT+PRECV=0')).toEqual(['OK']);
    expect(gw.term.command('AT+PSF=9')).toEqual(['OK']);
    expect(gw.term.command('AT+PSEND=01', 10)).toEqual(['OK']);
    expect(gw.term.command('AT+PSEND=01', 10)).toEqual(['AT_BUSY_ERROR']); // still transmitting
  });

  it('65533 allows PSEND while receiving and listens again afterwards', () => {
    const { node } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const a = node('a', { x: 100, y: 0 });
    expect(gw.term.command('AT+PRECV=65533')).toEqual(['OK']);
    expect(gw.term.command('AT+PSEND=AA', 10)).toEqual(['OK']);
    expect(gw.term.waitFor('+EVT:', 500)!.text).toBe('+EVT:TXP2P DONE');
    a.term.command('AT+PSEND=BB', 500);
    expect(gw.term.lines.at(-1)!.text).toMatch(/:BB$/);
  });
});

describe('collisions between P2P senders', () => {
  function race(distanceA: number, distanceB: number, sfB = 7): string[] {
    const { node, scheduler } = world();
    const gw = node('gw', { x: 0, y: 0 });
    const a = node('a', { x: distanceA, y: 0 });
    const b = node('b', { x: -distanceB, y: 0 });
    if (sfB !== 7) b.term.command(`AT+PSF=${sfB}`);
    gw.term.command('AT+PRECV=65534');
    a.term.write('AT+PSEND=0A0A0A0A');
    scheduler.runFor(5);
    b.term.write('AT+PSEND=0B0B0B0B');
    scheduler.runFor(2000);
    return gw.term.lines.filter((l) => l.text.startsWith('+EVT:RXP2P')).map((l) => l.text.slice(-8));
  }

  it('loses both frames when two senders at the same distance overlap', () => {
    expect(race(1000, 1000)).toEqual([]);
  });

  it('receives the much stronger one (capture)', () => {
    expect(race(200, 2000)).toEqual(['0A0A0A0A']);
    expect(race(2000, 200)).toEqual(['0B0B0B0B']);
  });

  it('is not disturbed by a sender on another SF it does not listen to', () => {
    expect(race(1000, 1000, 9)).toEqual(['0A0A0A0A']);
  });
});
