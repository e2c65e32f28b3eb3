/**
 * The gateway bridge's RAK811 receiver setup (gateway-bridge/src/inputs/serial/module-setup.ts, rak811-lines.ts)
 * against the simulated RAK811, in real time: the bridge switches it to P2P, sets the radio and the receiver
 * transfer mode, parses what a RAK811 node sends it, and sends a downlink through it. The bridge's session and
 * parser are wired as its SerialInput wires them (tests/gateway-bridge/serial/support.ts), without a pty.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { P2PSettings } from '../../firmware/drivers/modem.ts';
import { AtSession } from '../../gateway-bridge/src/inputs/serial/at-session.ts';
import { LineFramer } from '../../gateway-bridge/src/inputs/serial/line-framer.ts';
import type { ModuleLine } from '../../gateway-bridge/src/inputs/serial/module-lines.ts';
import { createModuleDriver } from '../../gateway-bridge/src/inputs/serial/module-setup.ts';
import { SimulatedRak811 } from '../../tools/simulator/devices/rak811.ts';
import { RealtimeScheduler } from '../../tools/simulator/pty/realtime-scheduler.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';

const P2P: P2PSettings = { freqHz: 868_100_000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 };
const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('gateway bridge with a RAK811 receiver', () => {
  it('configures it (work_mode:1, lorap2p, transfer_mode:1), receives a node, and sends a downlink', async () => {
    const scheduler = new RealtimeScheduler();
    stops.push(() => scheduler.stop());
    const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
    const gateway = new SimulatedRak811({ id: 'gw', position: { x: 0, y: 0 }, medium, bootMs: 150, replyDelayMs: 2 });
    const driver = createModuleDriver('rak811', P2P, { probeTimeoutMs: 300 });
    const framer = new LineFramer();
    const parser = driver.createParser();
    const lines: ModuleLine[] = [];
    const written: string[] = [];
    const session = new AtSession((text) => {
      written.push(text.trim());
      gateway.receive(Buffer.from(text, 'latin1'));
    }, (s) => driver.describeStatus(s));
    stops.push(() => session.close('test done'));
    gateway.connect((bytes) => {
      for (const framed of framer.push(Buffer.from(bytes).toString('latin1'))) {
        for (const line of parser.parse(framed.text)) {
          lines.push(line);
          if (line.kind !== 'packet' && line.kind !== 'rejected') session.offer(line);
        }
      }
    }, scheduler);

    expect(await driver.configure(session)).toMatchObject({ modeChanged: true });
    expect(gateway.workMode).toBe('p2p');
    expect(gateway.transferMode).toBe('receiver');
    expect(gateway.flash.p2p).toEqual({ freqHz: 868_100_000, sf: 9, bwCode: 0, cr: 1, preamble: 8, powerDbm: 14 });
    expect(written).toContain('at+set_config=lorap2p:868100000:9:0:1:8:14');

    // a RAK811 node sends: the bridge's parser turns the at+recv line into a packet
    const node = new SimulatedRak811({ id: 'node', position: { x: 500, y: 0 }, medium, workMode: 'p2p', bootMs: 150, replyDelayMs: 2 });
    let printed = '';
    node.connect((bytes) => (printed += Buffer.from(bytes).toString('latin1')), scheduler);
    const term = { write: (text: string) => node.receive(Buffer.from(text + '\r\n', 'latin1')), lines: () => printed.split('\r\n') };
    await until(() => node.ready, 2000);
    term.write('at+set_config=lorap2p:868100000:9:0:1:8:14');
    await new Promise((resolve) => setTimeout(resolve, 50));
    term.write('at+send=lorap2p:40da1b01260000010f');
    await until(() => lines.some((l) => l.kind === 'packet'), 3000);
    const packet = lines.find((l) => l.kind === 'packet') as Extract<ModuleLine, { kind: 'packet' }>;
    expect(Array.from(packet.packet.bytes)).toEqual([0x40, 0xda, 0x1b, 0x01, 0x26, 0x00, 0x00, 0x01, 0x0f]);

    // the downlink: sender, send (OK once on the air), receiver again; the node hears it in receive mode
    term.write('at+set_config=lorap2p:transfer_mode:1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await driver.sendDownlink(session, Uint8Array.of(0x60, 1, 2, 3));
    expect(gateway.transferMode).toBe('receiver');
    await until(() => term.lines().some((l) => l.startsWith('at+recv=')), 2000);
    expect(term.lines().find((l) => l.startsWith('at+recv='))).toMatch(/,4:60010203$/);
  }, 20_000);
});
