import { afterEach, describe, expect, it } from 'vitest';
import { terminal } from './terminal.ts';
import { timeOnAir } from '../../../firmware/core/airtime.ts';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';
import { PtyRak811 } from '../../../tools/simulator/pty/pty-rak811.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A RAK811 reply ends with OK, ERROR: n, or Initialization OK after a restart. */
const RAK811_STATUS = (x: string): boolean => /^(OK|ERROR|Initialization OK)/.test(x);

async function rig() {
  const pair = await PtyPair.create();
  cleanups.push(() => pair.close());
  const pty = new PtyRak811({ path: pair.pathB, bootMs: 100, workMode: 'p2p' });
  cleanups.push(() => pty.close());
  const term = await terminal(pair.pathA, RAK811_STATUS, cleanups);
  await pty.start();
  await term.waitFor((l) => l.includes('Initialization OK'));
  return { pair, pty, term };
}

const frame = (n: number): Uint8Array => Uint8Array.from([0x40, 0xda, 0x1b, 0x01, 0x26, 0x00, n & 0xff, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]);
const line = (rssi: number, snr: number, bytes: Uint8Array): string =>
  `at+recv=${rssi},${snr},${bytes.length}:${Buffer.from(bytes).toString('hex').toUpperCase()}`;

describe('PtyRak811', () => {
  it('speaks RAK811 V3 over the pty and prints what it hears only as a receiver on its channel', async () => {
    const { pty, term } = await rig();
    expect(term.lines).toContain('LoRa P2P Transfer_mode: Sender');
    expect(await term.command('at+version')).toEqual(['OK V3.0.0.14.H']);
    expect(await term.command('at+set_config=lorap2p:868100000:9:0:1:8:14')).toEqual(['OK']);
    // a sender (the state after every boot) hears nothing
    expect(pty.listening).toBe(false);
    expect(pty.receive(frame(1), { rssi: -60, snr: 9 })).toBe(false);
    expect(await term.command('at+set_config=lorap2p:transfer_mode:1')).toEqual(['OK']);
    expect(pty.listening).toBe(true);
    expect(pty.receive(frame(2), { rssi: -60.5, snr: 20 })).toBe(true);
    expect(pty.receive(frame(3), { rssi: -60, snr: 9, freqHz: 868_300_000 })).toBe(false);
    expect(pty.receive(frame(4), { rssi: -60, snr: 9, sf: 7 })).toBe(false);
    expect(pty.receive(frame(5), { rssi: -60, snr: 9, bwHz: 250_000 })).toBe(false);
    await term.waitFor((l) => l.some((x) => x.startsWith('at+recv=')));
    // RSSI floored, SNR capped at 13, as the module prints them
    expect(term.lines.filter((x) => x.startsWith('at+recv='))).toEqual([line(-61, 13, frame(2))]);
    expect(pty.commands).toEqual(['at+version', 'at+set_config=lorap2p:868100000:9:0:1:8:14', 'at+set_config=lorap2p:transfer_mode:1']);
    expect(pty.module.stats.p2pReceived).toBe(1);
  });

  it('records what it transmits with at+send=lorap2p, answers OK after the airtime and is deaf meanwhile', async () => {
    const { pty, term } = await rig();
    const sent: Uint8Array[] = [];
    pty.on('transmit', (f) => sent.push(f.payload));
    await term.command('at+set_config=lorap2p:transfer_mode:1');
    expect(await term.command('at+send=lorap2p:0102a0')).toEqual(['ERROR: 80']);
    await term.command('at+set_config=lorap2p:transfer_mode:2');
    const started = performance.now();
    const reply = term.command('at+send=lorap2p:0102a0');
    await new Promise((resolve) => pty.once('transmit', resolve));
    expect(pty.receive(frame(6), { rssi: -60, snr: 9 })).toBe(false);
    expect(await reply).toEqual(['OK ']); // with its space [rui]
    const s = pty.module.flash.p2p;
    const airtimeMs = timeOnAir({ sf: s.sf, bwHz: 125_000, cr: s.cr, payloadBytes: 3, preamble: s.preamble });
    expect(performance.now() - started).toBeGreaterThanOrEqual(airtimeMs);
    expect(sent.map((p) => Array.from(p))).toEqual([[1, 2, 0xa0]]);
    expect(pty.transmitted).toHaveLength(1);
    expect(pty.transmitted[0]).toMatchObject({ freqHz: s.freqHz, sf: s.sf, bwHz: 125_000 });
  });

  it('writes raw bytes for garbage tests', async () => {
    const { pty, term } = await rig();
    pty.writeRaw('+EVT:RXP2P:-60:7:ABCD\r\n');
    await term.waitFor((l) => l.includes('+EVT:RXP2P:-60:7:ABCD'));
  });

  it('loses its pty when socat stops and comes back power-cycled: a sender again, with its settings kept', async () => {
    const { pair, pty, term: first } = await rig();
    await first.command('at+set_config=lorap2p:868300000:7:0:1:8:14');
    await first.command('at+set_config=lorap2p:transfer_mode:1');
    expect(pty.listening).toBe(true);
    const detached = new Promise<string>((resolve) => pty.once('detached', resolve));
    await pair.stop();
    expect(await detached).toBeTruthy();
    expect(pty.attached).toBe(false);
    await pair.start();
    await pty.whenAttached(3000);
    const term = await terminal(pair.pathA, RAK811_STATUS, cleanups);
    await term.waitFor((l) => l.includes('Initialization OK'));
    expect(pty.module.stats.reboots).toBe(2);
    expect(pty.listening).toBe(false);
    expect(pty.module.flash.p2p).toMatchObject({ freqHz: 868_300_000, sf: 7 });
    expect(await term.command('at+version')).toEqual(['OK V3.0.0.14.H']);
  });
});
