/**
 * The simulated RAK3172 in LoRaWAN mode against the simulated network: join, send, duty cycle, confirmed uplinks,
 * downlinks, through the radio medium.
 */
import { describe, expect, it } from 'vitest';
import { EU868_SUB_BANDS, offTimeAfter, timeOnAir, uplinkAirtime } from '../../firmware/core/airtime.ts';
import { SimulatedRak3172 } from '../../tools/simulator/devices/rak3172.ts';
import { SerialTerminal } from '../../tools/simulator/terminal.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { SimulatedNetwork } from '../../tools/simulator/radio/network.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

const DEV_EUI = 'AC1F09FFFE000001';
const APP_EUI = '70B3D57ED0000001';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

interface World {
  scheduler: VirtualScheduler;
  medium: RadioMediumSim;
  network: SimulatedNetwork;
  modem: SimulatedRak3172;
  term: SerialTerminal;
}

function world(options: { register?: boolean; appKey?: string; gatewayAt?: number; seed?: number } = {}): World {
  const scheduler = new VirtualScheduler({ seed: options.seed ?? 5 });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const network = new SimulatedNetwork({ scheduler, medium, position: { x: options.gatewayAt ?? 800, y: 0 } });
  if (options.register !== false) network.register({ devEui: DEV_EUI, appKey: options.appKey ?? APP_KEY });
  const modem = new SimulatedRak3172({ id: 'node', position: { x: 0, y: 0 }, medium, devEui: DEV_EUI });
  const term = new SerialTerminal(modem, scheduler);
  scheduler.runFor(1100);
  for (const c of [`AT+APPEUI=${APP_EUI}`, `AT+APPKEY=${APP_KEY}`]) expect(term.command(c)).toEqual(['OK']);
  return { scheduler, medium, network, modem, term };
}

function joined(options: Parameters<typeof world>[0] = {}, dr = 5): World {
  const w = world(options);
  expect(w.term.command(`AT+DR=${dr}`)).toEqual(['OK']);
  expect(w.term.command('AT+JOIN=1:0:8:0')).toEqual(['OK']);
  expect(w.term.waitFor('+EVT:', 10_000)?.text).toBe('+EVT:JOINED');
  // Let the join request's sub-band reopen (an SF12 request closes it for over two minutes).
  w.scheduler.runFor(200_000);
  return w;
}

describe('join', () => {
  it('joins when the network knows the DevEUI and AppKey: JOINED after the accept in RX1 (5 s)', () => {
    const { term, scheduler, medium, network, modem } = world();
    expect(term.command('AT+DR=5')).toEqual(['OK']);
    const t0 = scheduler.now();
    expect(term.command('AT+JOIN=1:0:8:0', 30)).toEqual(['OK']);
    const evt = term.waitFor('+EVT:', 10_000)!;
    expect(evt.text).toBe('+EVT:JOINED');
    const request = medium.frames[0]!.frame;
    expect(request.payload.length).toBe(23);
    expect(request.sf).toBe(7);
    expect([868100000, 868300000, 868500000]).toContain(request.freqHz);
    const accept = medium.frames[1]!.frame;
    expect(accept.from).toBe('gateway');
    expect(accept.startMs).toBeCloseTo(request.startMs + request.airtimeMs + 5000, 6);
    expect(accept.freqHz).toBe(request.freqHz);
    expect(evt.atMs).toBeCloseTo(accept.startMs + accept.airtimeMs, 6);
    expect(evt.atMs - t0).toBeLessThan(5200);
    expect(term.command('AT+NJS=?')).toEqual(['AT+NJS=1', 'OK']);
    expect(network.counters).toMatchObject({ joinRequests: 1, joinAccepts: 1 });
    expect(network.devAddrOf(DEV_EUI)).toMatch(/^26[0-9A-F]{6}$/);
    expect(modem.stats).toMatchObject({ joinRequests: 1, joinAccepts: 1, framesSent: 1 });
  });

  it('answers AT_BUSY_ERROR to a second join while joining, and sending needs a session', () => {
    const { term } = world();
    expect(term.command('AT+JOIN', 30)).toEqual(['OK']);
    expect(term.command('AT+JOIN', 30)).toEqual(['AT_BUSY_ERROR']);
    expect(term.command('AT+SEND=2:0102', 10)).toEqual(['AT_NO_NETWORK_JOINED']);
    expect(term.command('AT+NJS=?', 10)).toEqual(['AT+NJS=0', 'OK']);
  });

  it('fails with RX timeouts when the network does not know the device, retrying as RUI3 does', () => {
    const { term, scheduler, medium, network } = world({ register: false });
    expect(term.command('AT+DR=5')).toEqual(['OK']);
    const t0 = scheduler.now();
    expect(term.command('AT+JOIN=1:0:8:2', 30)).toEqual(['OK']);
    const events = term.wait(60_000).filter((l) => l.startsWith('+EVT'));
    // maxRetries 2: the first attempt and two retries, 8 s after each failure.
    expect(events).toEqual(['+EVT:JOIN_FAILED_RX_TIMEOUT', '+EVT:JOIN_FAILED_RX_TIMEOUT', '+EVT:JOIN_FAILED_RX_TIMEOUT']);
    const requests = medium.framesFrom('node');
    expect(requests).toHaveLength(3);
    const firstFailure = term.lines.find((l) => l.text.startsWith('+EVT:JOIN_FAILED'))!;
    // RX2 opens 6 s after the request and listens 8 SF12 symbols.
    expect(firstFailure.atMs - (requests[0]!.startMs + requests[0]!.airtimeMs)).toBeCloseTo(6000 + 8 * 32.768, 6);
    expect(requests[1]!.startMs - firstFailure.atMs).toBeCloseTo(8000, 6);
    expect(network.counters).toMatchObject({ joinRequests: 3, joinAccepts: 0, joinsIgnored: 3 });
    expect(scheduler.now() - t0).toBeLessThan(61_000);
  });

  it('ignores a join request with the wrong AppKey', () => {
    const { term, network } = world({ appKey: '00112233445566778899AABBCCDDEEFF' });
    expect(term.command('AT+JOIN=1:0:8:0', 30)).toEqual(['OK']);
    expect(term.waitFor('+EVT:', 15_000)?.text).toBe('+EVT:JOIN_FAILED_RX_TIMEOUT');
    expect(network.counters.joinsIgnored).toBe(1);
  });

  it('fails when the gateway is out of range', () => {
    const { term, network } = world({ gatewayAt: 60_000 });
    expect(term.command('AT+JOIN=1:0:8:0', 30)).toEqual(['OK']);
    expect(term.waitFor('+EVT:', 15_000)?.text).toBe('+EVT:JOIN_FAILED_RX_TIMEOUT');
    expect(network.counters.joinRequests).toBe(0);
  });

  it('stops retrying when a retry hits the duty cycle (SF12: the sub-band is off for minutes)', () => {
    const { term, medium } = world({ register: false });
    expect(term.command('AT+JOIN=1:0:8:5', 30)).toEqual(['OK']);
    const out = term.wait(120_000);
    const request = medium.framesFrom('node')[0]!;
    expect(request.sf).toBe(12);
    expect(out.filter((l) => l.startsWith('+EVT'))).toEqual(['+EVT:JOIN_FAILED_RX_TIMEOUT']);
    const restricted = out.find((l) => l.startsWith('Restricted_Wait_'));
    expect(restricted).toMatch(/^Restricted_Wait_[0-9]+_ms$/);
    const waitMs = Number(restricted!.split('_')[2]);
    expect(waitMs).toBeGreaterThan(100_000);
    expect(medium.framesFrom('node')).toHaveLength(1);
  });

  it('AT+JOIN=0 cancels the pending retries', () => {
    const { term, medium } = world({ register: false });
    expect(term.command('AT+DR=5')).toEqual(['OK']);
    expect(term.command('AT+JOIN=1:0:8:3', 30)).toEqual(['OK']);
    expect(term.waitFor('+EVT:JOIN_FAILED', 10_000)).toBeDefined();
    expect(term.command('AT+JOIN=0', 30)).toEqual(['OK']);
    term.wait(60_000);
    expect(medium.framesFrom('node')).toHaveLength(1);
  });
});

describe('send', () => {
  it('sends an uplink the network receives; TX_DONE comes after the receive windows', () => {
    const { term, network, medium, modem } = joined();
    expect(term.command('AT+SEND=12:A1B2C3', 10)).toEqual(['OK']);
    const done = term.waitFor('+EVT:', 5000)!;
    expect(done.text).toBe('+EVT:TX_DONE');
    const uplink = medium.framesFrom('node').at(-1)!;
    expect(uplink.payload.length).toBe(3 + 13);
    expect(uplink.airtimeMs).toBeCloseTo(uplinkAirtime(16, 5), 9);
    // RX2 at 2 s, 8 symbols at SF12.
    expect(done.atMs - (uplink.startMs + uplink.airtimeMs)).toBeCloseTo(2000 + 8 * 32.768, 6);
    expect(network.uplinks).toHaveLength(1);
    expect(network.uplinks[0]).toMatchObject({ devEui: DEV_EUI, port: 12, fCnt: 0, confirmed: false, duplicate: false });
    expect(Array.from(network.uplinks[0]!.payload)).toEqual([0xa1, 0xb2, 0xc3]);
    expect(modem.stats.uplinks).toBe(1);
    expect(modem.stats.airtimeBySubBand.g1).toBeCloseTo(medium.airtimeBySubBand('node').g1!, 9);
  });

  it('is busy while a send is in progress', () => {
    const { term } = joined();
    expect(term.command('AT+SEND=1:00', 10)).toEqual(['OK']);
    expect(term.command('AT+SEND=1:00', 10)).toEqual(['AT_BUSY_ERROR']);
    expect(term.command('AT+JOIN', 30)).toEqual(['AT_BUSY_ERROR']);
  });

  it('refuses a send while the sub-band is off and says for how long', () => {
    const { term, scheduler, medium } = joined({}, 0);
    expect(term.command('AT+SEND=1:0102030405', 10)).toEqual(['OK']);
    expect(term.waitFor('+EVT:TX_DONE', 5000)).toBeDefined();
    const first = medium.framesFrom('node').at(-1)!;
    const reopens = first.startMs + first.airtimeMs + offTimeAfter(first.airtimeMs, EU868_SUB_BANDS[0]!.dutyCycle);
    const out = term.command('AT+SEND=1:0102030405', 10);
    const asked = scheduler.now() - 10 + 4; // the command is handled 4 ms after it arrived
    expect(out).toEqual([`Restricted_Wait_${Math.ceil(reopens - asked)}_ms`, 'AT_BUSY_ERROR']);
    scheduler.runUntil(reopens - 100);
    expect(term.command('AT+SEND=1:0102030405', 10)[0]).toMatch(/^Restricted_Wait_/);
    scheduler.runUntil(reopens + 1);
    expect(term.command('AT+SEND=1:0102030405', 10)).toEqual(['OK']);
    expect(medium.offTimeViolations()).toEqual([]);
    expect(term.waitFor('+EVT:TX_DONE', 10_000)).toBeDefined();
  });

  it('sends an empty frame and answers AT_PARAM_ERROR when the payload is too long for the DR', () => {
    const { term, medium, network } = joined({}, 0);
    expect(term.command('AT+SEND=1:' + '00'.repeat(52), 10)).toEqual(['AT_PARAM_ERROR']);
    const frame = medium.framesFrom('node').at(-1)!;
    expect(frame.payload.length).toBe(12);
    expect(term.waitFor('+EVT:', 10_000)?.text).toBe('+EVT:TX_DONE');
    expect(network.uplinks.at(-1)).toMatchObject({ port: undefined, payload: new Uint8Array(0) });
  });

  it('takes 51 bytes at DR0 and 242 at DR5', () => {
    const dr0 = joined({}, 0);
    expect(dr0.term.command('AT+SEND=1:' + '00'.repeat(51), 10)).toEqual(['OK']);
    const dr5 = joined({}, 5);
    expect(dr5.term.command('AT+SEND=1:' + '00'.repeat(242), 10)).toEqual(['OK']);
    expect(dr5.term.waitFor('+EVT:', 10_000)?.text).toBe('+EVT:TX_DONE');
    expect(dr5.network.uplinks.at(-1)!.payload.length).toBe(242);
  });
});

describe('confirmed uplinks and downlinks', () => {
  it('reports SEND_CONFIRMED_OK when the network acknowledges, right after the ACK in RX1', () => {
    const { term, network, modem, medium } = joined();
    expect(term.command('AT+CFM=1')).toEqual(['OK']);
    expect(term.command('AT+SEND=5:CAFE', 10)).toEqual(['OK']);
    const evt = term.waitFor('+EVT:', 5000)!;
    expect(evt.text).toBe('+EVT:SEND_CONFIRMED_OK');
    const [uplink, ack] = medium.frames.slice(-2).map((r) => r.frame);
    expect(ack!.from).toBe('gateway');
    expect(ack!.startMs - (uplink!.startMs + uplink!.airtimeMs)).toBeCloseTo(1000, 6);
    expect(evt.atMs).toBeCloseTo(ack!.startMs + ack!.airtimeMs, 6);
    expect(network.counters.acks).toBe(1);
    expect(network.uplinks[0]!.confirmed).toBe(true);
    expect(term.command('AT+CFS=?')).toEqual(['AT+CFS=1', 'OK']);
    expect(modem.stats).toMatchObject({ confirmedOk: 1, uplinks: 1, downlinks: 1 });
  });

  it('reports SEND_CONFIRMED_FAILED(4) after the retransmissions when no ACK comes', () => {
    const { term, network, medium } = joined();
    network.lossRate = 1;
    expect(term.command('AT+CFM=1')).toEqual(['OK']);
    expect(term.command('AT+RETY=2')).toEqual(['OK']);
    const before = medium.framesFrom('node').length;
    expect(term.command('AT+SEND=5:CAFE', 10)).toEqual(['OK']);
    const evt = term.waitFor('+EVT:', 30_000)!;
    expect(evt.text).toBe('+EVT:SEND_CONFIRMED_FAILED(4)');
    const sent = medium.framesFrom('node').slice(before);
    expect(sent).toHaveLength(3);
    expect(sent.every((f) => f.payload.every((b, i) => b === sent[0]!.payload[i]))).toBe(true);
    for (let i = 1; i < sent.length; i++) {
      const gap = sent[i]!.startMs - (sent[i - 1]!.startMs + sent[i - 1]!.airtimeMs);
      expect(gap).toBeGreaterThanOrEqual(2000 + 1000);
    }
    expect(network.counters.lost).toBe(3);
    expect(term.command('AT+CFS=?')).toEqual(['AT+CFS=0', 'OK']);
  });

  it('counts a retransmission the network already has as a duplicate and acknowledges it again', () => {
    const { term, network, medium, modem } = joined();
    expect(term.command('AT+CFM=1')).toEqual(['OK']);
    expect(term.command('AT+RETY=1')).toEqual(['OK']);
    expect(term.command('AT+SEND=5:CAFE', 10)).toEqual(['OK']);
    const uplink = medium.framesFrom('node').at(-1)!;
    // The gateway gets the uplink, but the node is out of range while its receive windows are open.
    term.wait(uplink.airtimeMs + 500);
    modem.moveTo({ x: 1e6, y: 0 });
    term.wait(2500);
    modem.moveTo({ x: 0, y: 0 });
    const evt = term.waitFor('+EVT:', 10_000)!;
    expect(evt.text).toBe('+EVT:SEND_CONFIRMED_OK');
    expect(network.counters).toMatchObject({ uplinks: 1, duplicates: 1, acks: 2 });
    expect(network.uplinks.map((u) => u.duplicate)).toEqual([false, true]);
  });

  it('prints a queued downlink after TX_DONE as +EVT:RX_1 with lower-case hex, and AT+RECV returns it', () => {
    const { term, network } = joined();
    network.queueDownlink(DEV_EUI, 10, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(term.command('AT+SEND=1:00', 10)).toEqual(['OK']);
    const out = term.wait(3000).filter((l) => l.startsWith('+EVT'));
    expect(out).toHaveLength(2);
    expect(out[0]).toBe('+EVT:TX_DONE');
    expect(out[1]).toMatch(/^\+EVT:RX_1:-?[0-9]+:-?[0-9]+:UNICAST:10:deadbeef$/);
    const [, , rssi, snr] = out[1]!.split(':');
    expect(Number(rssi)).toBeLessThan(-60);
    expect(Number(snr)).toBeLessThanOrEqual(13);
    expect(term.command('AT+RECV=?')).toEqual(['AT+RECV=10:DEADBEEF', 'OK']);
    expect(term.command(`AT+RSSI=?`)).toEqual([`AT+RSSI=${rssi}`, 'OK']);
    expect(network.pendingDownlinks(DEV_EUI)).toBe(0);
  });

  it('delivers a downlink with the ACK of a confirmed uplink, after SEND_CONFIRMED_OK', () => {
    const { term, network } = joined();
    expect(term.command('AT+CFM=1')).toEqual(['OK']);
    network.queueDownlink(DEV_EUI, 3, Uint8Array.of(1, 2));
    expect(term.command('AT+SEND=1:00', 10)).toEqual(['OK']);
    const out = term.wait(3000).filter((l) => l.startsWith('+EVT'));
    expect(out[0]).toBe('+EVT:SEND_CONFIRMED_OK');
    expect(out[1]).toMatch(/:UNICAST:3:0102$/);
  });
});

describe('sessions', () => {
  it('ABP: the session exists as soon as NJM=0; the network knows the DevAddr', () => {
    const { term, network, scheduler } = world();
    network.register({ devEui: 'AC1F09FFFE0000AB', devAddr: '260B1234' });
    expect(term.command('AT+DEVADDR=260b1234')).toEqual(['OK']);
    expect(term.command('AT+NJM=0')).toEqual(['OK']);
    expect(term.command('AT+NJS=?')).toEqual(['AT+NJS=1', 'OK']);
    expect(term.command('AT+JOIN', 30)).toEqual(['OK']);
    expect(term.command('AT+DR=5')).toEqual(['OK']);
    expect(term.command('AT+SEND=7:01', 10)).toEqual(['OK']);
    scheduler.runFor(3000);
    expect(network.uplinks[0]).toMatchObject({ devEui: 'AC1F09FFFE0000AB', devAddr: '260B1234', port: 7 });
  });

  it('loses the session on a band change and on reset', () => {
    const a = joined();
    expect(a.term.command('AT+BAND=4')).toEqual(['OK']);
    expect(a.term.command('AT+NJS=?')).toEqual(['AT+NJS=0', 'OK']);
    expect(a.term.command('AT+SEND=1:00')).toEqual(['AT_NO_NETWORK_JOINED']);
    const b = joined();
    b.modem.hardReset();
    b.scheduler.runFor(1100);
    expect(b.term.command('AT+SEND=1:00')).toEqual(['AT_NO_NETWORK_JOINED']);
  });

  it('only simulates EU868', () => {
    const { term } = world();
    expect(term.command('AT+BAND=5')).toEqual(['OK']);
    expect(term.command('AT+JOIN')).toEqual(['AT_UNSUPPORTED_BAND']);
  });

  it('keeps its radio timing: the join request lasts its time on air', () => {
    const { term, medium } = world();
    expect(term.command('AT+JOIN', 30)).toEqual(['OK']);
    expect(medium.framesFrom('node')[0]!.airtimeMs).toBe(timeOnAir({ sf: 12, bwHz: 125000, payloadBytes: 23 }));
  });
});
