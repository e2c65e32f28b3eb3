import { afterEach, describe, expect, it } from 'vitest';
import { terminal } from './terminal.ts';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';
import { PtyRakModule } from '../../../tools/simulator/pty/pty-module.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A RUI3 reply ends with OK or an AT_ error. */
const RUI3_STATUS = (x: string): boolean => x === 'OK' || x.startsWith('AT_');

async function rig(options: Partial<ConstructorParameters<typeof PtyRakModule>[0]> = {}) {
  const pair = await PtyPair.create();
  cleanups.push(() => pair.close());
  const pty = new PtyRakModule({ path: pair.pathB, bootMs: 100, workMode: 'p2p', ...options });
  cleanups.push(() => pty.close());
  const term = await terminal(pair.pathA, RUI3_STATUS, cleanups);
  await pty.start();
  await term.waitFor((l) => l.includes('Current Work Mode: LoRa P2P.'));
  return { pair, pty, term };
}

const frame = (n: number): Uint8Array => Uint8Array.from([0x40, 0xda, 0x1b, 0x01, 0x26, 0x00, n & 0xff, (n >> 8) & 0xff, 0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44]);

describe('PtyRakModule', () => {
  it('speaks RUI3 over the pty and prints what it hears only while receiving', async () => {
    const { pty, term } = await rig();
    expect(await term.command('AT+NWM=?')).toEqual(['AT+NWM=0', 'OK']);
    expect(pty.receive(frame(1), { rssi: -60, snr: 9 })).toBe(false);
    expect(await term.command('AT+PRECV=65533')).toEqual(['OK']);
    expect(pty.listening).toBe(true);
    expect(pty.receive(frame(2), { rssi: -60, snr: 9 })).toBe(true);
    expect(pty.receive(frame(3), { rssi: -60, snr: 9, freqHz: 868_300_000 })).toBe(false);
    await term.waitFor((l) => l.some((x) => x.startsWith('+EVT:RXP2P')));
    const received = term.lines.filter((x) => x.startsWith('+EVT:RXP2P'));
    expect(received).toEqual(['+EVT:RXP2P:-60:9:' + Buffer.from(frame(2)).toString('hex').toUpperCase()]);
    expect(pty.commands).toEqual(['AT+NWM=?', 'AT+PRECV=65533']);
  });

  it('reports what it transmits with AT+PSEND', async () => {
    const { pty, term } = await rig();
    const sent: Uint8Array[] = [];
    pty.on('transmit', (f) => sent.push(f.payload));
    await term.command('AT+PRECV=65533');
    expect(await term.command('AT+PSEND=0102A0')).toEqual(['OK']);
    await term.waitFor((l) => l.includes('+EVT:TXP2P DONE'));
    expect(sent.map((p) => Array.from(p))).toEqual([[1, 2, 0xa0]]);
    expect(pty.transmitted).toHaveLength(1);
  });

  it('writes raw bytes for garbage tests', async () => {
    const { pty, term } = await rig();
    pty.writeRaw('at+recv=-60,7,2:abcd\r\n');
    await term.waitFor((l) => l.includes('at+recv=-60,7,2:abcd'));
  });

  it('loses its pty when socat stops and comes back power-cycled when it restarts', async () => {
    const { pair, pty } = await rig();
    const detached = new Promise<string>((resolve) => pty.once('detached', resolve));
    await pair.stop();
    expect(await detached).toBeTruthy();
    expect(pty.attached).toBe(false);
    await pair.start();
    await pty.whenAttached(3000);
    expect(pty.module.stats.reboots).toBe(2);
    const term = await terminal(pair.pathA, RUI3_STATUS, cleanups);
    await term.waitFor((l) => l.includes('Current Work Mode: LoRa P2P.'));
    expect(await term.command('AT')).toEqual(['OK']);
  });

  it('keeps up with thousands of frames a second (the benchmark fast path)', async () => {
    const { pty, term } = await rig();
    await term.command('AT+PRECV=65533');
    const n = 10_000;
    const from = term.lines.length;
    const started = performance.now();
    // 100 frames per event-loop turn, as a benchmark feeding the module would
    for (let i = 0; i < n; i += 100) {
      for (let j = i; j < i + 100; j++) pty.receive(frame(j), { rssi: -60, snr: 9 });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await term.waitFor((l) => l.length - from >= n, 20_000);
    const seconds = (performance.now() - started) / 1000;
    const rate = n / seconds;
    const got = term.lines.slice(from);
    expect(got[0]).toBe('+EVT:RXP2P:-60:9:' + Buffer.from(frame(0)).toString('hex').toUpperCase());
    expect(got[n - 1]).toBe('+EVT:RXP2P:-60:9:' + Buffer.from(frame(n - 1)).toString('hex').toUpperCase());
    console.log(`PtyRakModule.receive through the pty: ${n} frames of 17 bytes in ${seconds.toFixed(2)} s = ${Math.round(rate)} frames/s`);
    expect(rate).toBeGreaterThan(2000);
  });
});
