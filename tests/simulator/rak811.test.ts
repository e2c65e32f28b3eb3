/**
 * The simulated RAK811 (AT firmware V3.0.0.14.H) on its UART and on the air, line by line as the RAK811 AT command
 * manual, the RUI v3 application source and pyrak811 describe it (sources in tools/simulator/devices/rak811.ts):
 * banner, status strings, error codes, the 255-character limit, LoRaWAN join and send with the simulated network,
 * P2P transfer modes, sleep and the fault hooks.
 */
import { describe, expect, it } from 'vitest';
import { timeOnAir } from '../../firmware/core/airtime.ts';
import { SimulatedRak811, type SimulatedRak811Options } from '../../tools/simulator/devices/rak811.ts';
import { SimulatedRak3172 } from '../../tools/simulator/devices/rak3172.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { SimulatedNetwork } from '../../tools/simulator/radio/network.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import { SerialTerminal } from '../../tools/simulator/terminal.ts';

const BOOT_MS = 1200;
const DEV_EUI = '60C5A8FFFE000001';
const APP_EUI = '70B3D57ED0000001';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

function world(seed = 3): { scheduler: VirtualScheduler; medium: RadioMediumSim; network: SimulatedNetwork } {
  const scheduler = new VirtualScheduler({ seed });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const network = new SimulatedNetwork({ scheduler, medium, position: { x: 0, y: 0 } });
  network.register({ devEui: DEV_EUI, appKey: APP_KEY });
  return { scheduler, medium, network };
}

function module(w: ReturnType<typeof world>, options: Partial<SimulatedRak811Options> = {}): { modem: SimulatedRak811; term: SerialTerminal } {
  const modem = new SimulatedRak811({ id: 'node', position: { x: 1000, y: 0 }, medium: w.medium, devEui: DEV_EUI, ...options });
  const term = new SerialTerminal(modem, w.scheduler);
  w.scheduler.runFor(BOOT_MS + 10);
  return { modem, term };
}

function otaa(term: SerialTerminal, dr = 5): void {
  for (const c of [`lora:app_eui:${APP_EUI}`, `lora:app_key:${APP_KEY}`, `lora:dr:${dr}`, 'lora:adr:0']) expect(term.command('at+set_config=' + c)).toEqual(['OK']);
}

describe('start-up, framing and status lines', () => {
  it('prints the V3 banner ending in Initialization OK after booting, and is deaf before', () => {
    const w = world();
    const modem = new SimulatedRak811({ id: 'n', position: { x: 0, y: 0 }, medium: w.medium });
    const term = new SerialTerminal(modem, w.scheduler);
    expect(term.command('at+version', 500)).toEqual([]);
    const banner = term.wait(BOOT_MS);
    expect(banner[0]).toMatch(/^LoRa \(R\) is a registered trademark/);
    expect(banner.slice(1)).toEqual([
      'RAK811 Version:3.0.0.14.H',
      'UART1 work mode: RUI_UART_NORMAL, 115200, N81',
      'UART3 work mode: RUI_UART_NORMAL, 115200, N81',
      'LoRa work mode:LoRaWAN, join_mode:OTAA, MulticastEnable: false, Class: A',
      'Initialization OK',
    ]);
    expect(term.lines.at(-1)!.atMs).toBe(BOOT_MS);
    expect(term.command('at+version')).toEqual(['OK V3.0.0.14.H']);
    expect(term.command('AT+VERSION')).toEqual(['OK V3.0.0.14.H']);
  });

  it('answers unknown commands ERROR: 1 and bad values ERROR: 2, ignores blank lines, answers each line in turn', () => {
    const { term } = module(world());
    expect(term.command('at+nonsense')).toEqual(['ERROR: 1']);
    expect(term.command('AT')).toEqual(['ERROR: 1']);
    expect(term.command('at+set_config=lora:dev_eui:123')).toEqual(['ERROR: 2']);
    expect(term.command('at+set_config=lora:app_eui:0000000000000000')).toEqual(['ERROR: 2']);
    expect(term.command('at+set_config=lora:class:1')).toEqual(['ERROR: 2']);
    expect(term.command('at+set_config=lora:region:XX999')).toEqual(['ERROR: 89']);
    expect(term.command('at+set_config=lora:dr:9')).toEqual(['ERROR: 84']);
    expect(term.command('at+send=lora:0:1234')).toEqual(['ERROR: 2']);
    expect(term.command('at+send=lora:1:123')).toEqual(['ERROR: 2']);
    term.write('\r\n\r\nat+version\r\nat+set_config=lora:confirm:1', '\n');
    expect(term.wait(100)).toEqual(['OK V3.0.0.14.H', 'OK']);
    expect(term.raw.endsWith('OK V3.0.0.14.H\r\nOK\r\n')).toBe(true);
  });

  it('takes a command of 255 characters with its CR LF, and answers a longer one ERROR: 2', () => {
    const { term, modem } = module(world(), { workMode: 'p2p' });
    const fits = 'at+send=lorap2p:' + 'ab'.repeat((253 - 16) >> 1); // 253 characters
    expect(fits.length).toBe(252);
    expect(term.command(fits + 'a')).toEqual(['ERROR: 2']); // 253 characters, odd hex
    expect(term.command('at+send=lorap2p:' + 'ab'.repeat(119))).toEqual(['ERROR: 2']); // 254: cut at 253
    expect(modem.stats.p2pSent).toBe(0);
    expect(term.command(fits, 8000)).toEqual(['OK ']); // [rui] LoRaP2PSendsucceed_callback prints "OK "
    expect(modem.stats.p2pSent).toBe(1);
  });

  it('refuses LoRaWAN commands in P2P mode and the reverse with ERROR: 81', () => {
    const { term } = module(world(), { workMode: 'p2p' });
    expect(term.command('at+join')).toEqual(['ERROR: 81']);
    expect(term.command('at+send=lora:1:01')).toEqual(['ERROR: 81']);
    const wan = module(world());
    expect(wan.term.command('at+send=lorap2p:01')).toEqual(['ERROR: 81']);
    expect(wan.term.command('at+set_config=lorap2p:transfer_mode:1')).toEqual(['ERROR: 81']);
  });

  it('restarts on a work-mode change and on device:restart, keeping its settings', () => {
    const { term, modem } = module(world());
    term.command('at+set_config=lora:app_eui:' + APP_EUI);
    const lines = term.command('at+set_config=lora:work_mode:1', BOOT_MS + 50);
    expect(lines.slice(-3)).toEqual(['LoRa work mode: P2P', 'LoRa P2P Transfer_mode: Sender', 'Initialization OK']);
    expect(modem.workMode).toBe('p2p');
    expect(term.command('at+set_config=lorap2p:transfer_mode:1')).toEqual(['OK']);
    expect(modem.transferMode).toBe('receiver');
    expect(term.command('at+set_config=device:restart', BOOT_MS + 50).at(-1)).toBe('Initialization OK');
    expect(modem.transferMode).toBe('sender');
    expect(modem.flash.appEui).toBe(APP_EUI);
    expect(modem.stats.reboots).toBe(3);
  });
});

describe('LoRaWAN with the simulated network', () => {
  it('joins (OK Join Success), sends (OK when RX2 closed) and prints a downlink as at+recv with lower-case hex', () => {
    const w = world();
    const { term } = module(w);
    otaa(term);
    expect(term.command('at+send=lora:1:01')).toEqual(['ERROR: 86']);
    term.write('at+join');
    expect(term.waitUntil((l) => l.startsWith('OK') || l.startsWith('ERROR'), 20_000)!.text).toBe('OK Join Success');
    w.network.queueDownlink(DEV_EUI, 7, Uint8Array.of(0xab, 0xcd));
    const sentAt = w.scheduler.now();
    term.write('at+send=lora:2:48656c6c6f');
    const lines = term.wait(5000).map((l) => l.trim());
    expect(lines.length).toBe(2);
    expect(lines[0]).toBe('OK');
    expect(lines[1]).toMatch(/^at\+recv=7,-[0-9]+,-?[0-9]+,2:abcd$/);
    const okAt = term.lines.find((l) => l.text.trim() === 'OK' && l.atMs > sentAt)!.atMs;
    // the downlink came in RX1: OK right after it, about 1 s after the uplink (SF7, 18 bytes)
    expect(okAt - sentAt).toBeGreaterThan(1000);
    expect(okAt - sentAt).toBeLessThan(1300);
    expect(w.network.uplinks.map((u) => [u.port, Buffer.from(u.payload).toString()])).toEqual([[2, 'Hello']]);
  });

  it('fails a join with unknown keys after 7 join requests: 6 retry lines, then ERROR: 99', () => {
    const w = world();
    const { term, modem } = module(w);
    term.command('at+set_config=lora:app_eui:' + APP_EUI);
    term.command('at+set_config=lora:app_key:' + '11'.repeat(16));
    term.command('at+set_config=lora:dr:5');
    term.write('at+join');
    expect(term.command('at+join')).toEqual(['ERROR: 80']);
    const end = term.waitFor('ERROR', 120_000)!;
    expect(end.text).toBe('ERROR: 99');
    expect(term.lines.filter((l) => l.text.startsWith('[LoRa]:Join retry Cnt:')).map((l) => l.text.slice(-1))).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(modem.stats.joinRequests).toBe(7);
    expect(modem.joined).toBe(false);
  });

  it('acknowledges a confirmed uplink with at+recv=0,...,0, and ends an unacknowledged one with ERROR: 96 after the repeats', () => {
    const w = world();
    const { term, modem } = module(w);
    otaa(term);
    term.write('at+join');
    term.waitFor('OK Join Success', 20_000);
    term.command('at+set_config=lora:confirm:1');
    term.write('at+send=lora:3:01');
    const acked = term.wait(4000);
    expect(acked[0]!.trim()).toBe('OK');
    expect(acked[1]).toMatch(/^at\+recv=0,-[0-9]+,-?[0-9]+,0$/);
    // out of range of the gateway: no ACK; send_repeat_cnt 2 -> 3 transmissions
    term.command('at+set_config=lora:send_repeat_cnt:2');
    modem.moveTo({ x: 200_000, y: 0 });
    const before = modem.stats.uplinks;
    term.write('at+send=lora:3:02');
    expect(term.waitUntil((l) => l.startsWith('OK') || l.startsWith('ERROR'), 30_000)!.text).toBe('ERROR: 96');
    expect(modem.stats.uplinks - before).toBe(3);
  });

  it('answers ERROR: 101 for a payload over the DR limit, and ERROR: 90 while the duty cycle (when enabled) blocks', () => {
    const w = world();
    const { term, modem } = module(w);
    otaa(term, 0);
    term.write('at+join');
    term.waitFor('OK Join Success', 20_000);
    expect(term.command('at+send=lora:1:' + '00'.repeat(52))).toEqual(['ERROR: 101']);
    term.write('at+send=lora:1:' + '00'.repeat(51));
    expect(term.waitFor('OK', 10_000)).toBeDefined();
    // duty cycle off (the default): the next send goes out at once
    term.write('at+send=lora:1:01');
    expect(term.waitFor('OK', 10_000)).toBeDefined();
    expect(term.command('at+set_config=lora:dutycycle_enable:1')).toEqual(['OK']);
    term.write('at+send=lora:1:01');
    expect(term.waitFor('OK', 10_000)).toBeDefined();
    expect(term.command('at+send=lora:1:01')).toEqual(['ERROR: 90']);
    expect(modem.stats.restricted).toBe(1);
    // SF12, 14 bytes: the sub-band (1 %) reopens after 100 x the airtime
    const airtime = timeOnAir({ sf: 12, bwHz: 125000, payloadBytes: 14 });
    term.wait(Math.ceil(airtime * 100));
    term.write('at+send=lora:1:01');
    expect(term.waitUntil((l) => l.startsWith('OK') || l.startsWith('ERROR'), 10_000)!.text.trim()).toBe('OK');
  });
});

describe('LoRa P2P transfer modes', () => {
  const P2P = 'at+set_config=lorap2p:868100000:9:0:1:8:14';

  it('a sender reaches a receiver: OK once the frame is out, at+recv=<rssi>,<snr>,<len>:<HEX> on the other side', () => {
    const w = world();
    const a = module(w, { workMode: 'p2p' });
    const bModem = new SimulatedRak811({ id: 'b', position: { x: 0, y: 0 }, medium: w.medium, workMode: 'p2p' });
    const b = new SerialTerminal(bModem, w.scheduler);
    w.scheduler.runFor(BOOT_MS + 10);
    expect(a.term.command(P2P)).toEqual(['OK']);
    expect(b.command(P2P)).toEqual(['OK']);
    expect(b.command('at+set_config=lorap2p:transfer_mode:1')).toEqual(['OK']);
    const sentAt = w.scheduler.now();
    a.term.write('at+send=lorap2p:a1b2c3');
    expect(a.term.command('at+send=lorap2p:01')).toEqual(['ERROR: 80']); // still on the air
    a.term.waitFor('OK', 2000);
    const airtime = timeOnAir({ sf: 9, bwHz: 125000, cr: 1, payloadBytes: 3, preamble: 8 });
    expect(a.term.lines.at(-1)!.atMs - sentAt).toBeCloseTo(10 + airtime, 0);
    const got = b.lines.at(-1)!.text;
    expect(got).toMatch(/^at\+recv=-[0-9]+,-?[0-9]+,3:A1B2C3$/);
    // a sender hears nothing; a receiver cannot send
    expect(b.command('at+set_config=lorap2p:transfer_mode:2')).toEqual(['OK']);
    a.term.write('at+send=lorap2p:01');
    a.term.waitFor('OK', 2000);
    expect(b.lines.filter((l) => l.text.startsWith('at+recv')).length).toBe(1);
    expect(a.term.command('at+set_config=lorap2p:transfer_mode:1')).toEqual(['OK']);
    expect(a.term.command('at+send=lorap2p:01')).toEqual(['ERROR: 80']);
  });

  it('reaches a RAK3172 gateway module, and checks the P2P values', () => {
    const w = world();
    const node = module(w, { workMode: 'p2p' });
    const gw = new SimulatedRak3172({ id: 'gw', position: { x: 0, y: 0 }, medium: w.medium, workMode: 'p2p' });
    const gwTerm = new SerialTerminal(gw, w.scheduler);
    w.scheduler.runFor(1100);
    gwTerm.command('AT+P2P=868100000:9:125:0:8:14');
    gwTerm.command('AT+PRECV=65534');
    expect(node.term.command(P2P)).toEqual(['OK']);
    node.term.write('at+send=lorap2p:0102');
    node.term.waitFor('OK', 2000);
    expect(gwTerm.lines.at(-1)!.text).toMatch(/^\+EVT:RXP2P:-[0-9]+:-?[0-9]+:0102$/);
    for (const bad of ['868100000:5:0:1:8:14', '868100000:9:3:1:8:14', '868100000:9:0:0:8:14', '868100000:9:0:1:8:21', '100:9:0:1:8:14', '868100000:9:0:1:8']) {
      expect(node.term.command('at+set_config=lorap2p:' + bad), bad).toEqual(['ERROR: 2']);
    }
  });
});

describe('sleep and faults', () => {
  it('sleeps after OK Sleep; the first byte wakes it and what arrives within wakeUpMs is lost', () => {
    const { term, modem } = module(world(), { wakeUpMs: 2 });
    expect(term.command('at+set_config=device:sleep:1')).toEqual(['OK Sleep']);
    expect(modem.asleep).toBe(true);
    // 2 ms at 115200 baud: the first 24 bytes (waking byte included) are lost: the rest is not a command
    expect(term.command('at+set_config=device:sleep:0')).toEqual(['ERROR: 1']);
    expect(modem.stats.bytesLostWaking).toBe(24);
    expect(modem.asleep).toBe(false);
    expect(term.command('at+set_config=device:sleep:0')).toEqual(['OK Wake Up']);
    term.command('at+set_config=device:sleep:1');
    term.write('', '\r\n'); // a line end alone wakes it
    term.wait(5);
    expect(term.command('at+version')).toEqual(['OK V3.0.0.14.H']);
  });

  it('hangs when muted until the reset pin restarts it; sends garbage and boot noise on request', () => {
    const { term, modem } = module(world(), { bootGarbageBytes: 5 });
    modem.mute();
    expect(term.command('at+version')).toEqual([]);
    expect(term.command('at+set_config=device:restart', BOOT_MS + 50)).toEqual([]);
    modem.hardReset();
    term.wait(BOOT_MS + 10);
    expect(modem.stats.garbageBytes).toBe(10);
    expect(term.lines.at(-1)!.text).toBe('Initialization OK');
    expect(term.command('at+version')).toEqual(['OK V3.0.0.14.H']);
  });

  it('activates an ABP session at start and says so before Initialization OK', () => {
    const w = world();
    const { term, modem } = module(w);
    term.command('at+set_config=lora:join_mode:1');
    const lines = term.command('at+set_config=device:restart', BOOT_MS + 50);
    expect(lines.slice(-2)).toEqual(['OK Join Success', 'Initialization OK']);
    expect(modem.joined).toBe(true);
  });
});
