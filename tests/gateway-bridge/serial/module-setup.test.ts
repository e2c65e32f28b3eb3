/** Module setup against the simulated RAK3172 on a real pseudo-terminal (socat), and RAK811 replies written raw. */
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { p2pCommand } from '../../../firmware/drivers/rui3/commands.ts';
import { AtError } from '../../../gateway-bridge/src/inputs/serial/at-session.ts';
import { createModuleDriver } from '../../../gateway-bridge/src/inputs/serial/module-setup.ts';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';
import { PtyRakModule, type PtyRakModuleOptions } from '../../../tools/simulator/pty/pty-module.ts';
import { PtyRak811 } from '../../../tools/simulator/pty/pty-rak811.ts';
import { timeOnAir } from '../../../firmware/core/airtime.ts';
import { RAK811_P2P_LIMITS } from '../../../gateway-bridge/src/inputs/serial/module-limits.ts';
import { openSession, P2P, type PortSession, until } from './support.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig(moduleOptions: Omit<PtyRakModuleOptions, 'path'> | null, timings = {}) {
  const pair = await PtyPair.create();
  cleanups.push(() => pair.close());
  let pty: PtyRakModule | undefined;
  if (moduleOptions) {
    pty = new PtyRakModule({ path: pair.pathB, bootMs: 150, ...moduleOptions });
    cleanups.push(() => pty!.close());
    await pty.start();
  }
  const driver = createModuleDriver('rui3', P2P, { probeTimeoutMs: 200, ...timings });
  const port: PortSession = await openSession(pair.pathA, driver);
  cleanups.push(() => port.close());
  return { pair, pty, driver, port };
}

describe('RUI3 module setup over a pty', () => {
  it('switches a LoRaWAN module to P2P, sets the radio and starts continuous receive', async () => {
    const { pty, driver, port } = await rig({ workMode: 'lorawan' });
    const result = await driver.configure(port.session);
    expect(result).toEqual({ modeChanged: true, resetSent: false });
    const commands = pty!.commands.filter((c) => c !== 'AT');
    expect(commands).toEqual(['AT+NWM=?', 'AT+NWM=0', 'AT+PRECV=0', p2pCommand(P2P), 'AT+PRECV=65533']);
    expect(pty!.module.workMode).toBe('p2p');
    expect(pty!.module.nvm.p2p).toEqual({ freqHz: 868_100_000, sf: 9, bwCode: 0, cr: 0, preamble: 8, txPowerDbm: 14 });
    expect(pty!.listening).toBe(true);
    expect(port.lines.some((l) => l.kind === 'banner' && l.p2p === true)).toBe(true);
  });

  it('leaves the work mode alone when the module is already in P2P (no restart)', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' });
    expect(await driver.configure(port.session)).toEqual({ modeChanged: false, resetSent: false });
    expect(pty!.commands).not.toContain('AT+NWM=0');
    expect(pty!.module.stats.reboots).toBe(1);
    expect(pty!.listening).toBe(true);
  });

  it('stops a receive left on by an earlier run before writing settings; without that the module refuses', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' });
    await driver.configure(port.session);
    expect(pty!.listening).toBe(true);
    // what a setup without AT+PRECV=0 would meet:
    const refused = await port.session.expectOk(p2pCommand(P2P), 1000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AtError);
    expect((refused as AtError).message).toBe(
      'AT+P2P=868100000:9:125:0:8:14 answered AT_BUSY_ERROR (after "P2P_RX_ON already, please disable P2P RX before setting.")',
    );
    // the setup itself copes: a second run (a bridge restart) succeeds on the receiving module
    await driver.configure(port.session);
    expect(pty!.listening).toBe(true);
  });

  it('names the command a hung module did not answer', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' }, { commandTimeoutMs: 300 });
    pty!.on('command', (c) => c === 'AT+NWM=?' && pty!.module.mute());
    const err = await driver.configure(port.session).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtError);
    expect((err as AtError).command).toBe('AT+NWM=?');
    expect((err as AtError).message).toBe('no answer to AT+NWM=? within 300 ms');
  });

  it('gives up on a port where nothing answers, naming the probe', async () => {
    const { pair, driver, port } = await rig(null, { wakeTimeoutMs: 800 });
    // the other end is open but silent: no module on the adapter
    const silent = new SerialPort({ path: pair.pathB, baudRate: 115200 });
    cleanups.push(() => new Promise((resolve) => silent.close(() => resolve())));
    const started = performance.now();
    const err = await driver.configure(port.session).catch((e: unknown) => e);
    expect((err as AtError).message).toMatch(/^no answer to AT within 800 ms/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('resets a module that hangs from the start (ATZ) and configures it', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' }, { wakeTimeoutMs: 1000 });
    await until(() => pty!.module.ready, 2000, 'module booted');
    pty!.module.mute();
    expect(await driver.configure(port.session)).toEqual({ modeChanged: false, resetSent: true });
    expect(pty!.commands).toContain('ATZ');
    expect(pty!.listening).toBe(true);
  });

  it('tolerates noise on the line before the module answers', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' });
    await until(() => pty!.module.ready, 2000, 'module booted');
    pty!.writeRaw(Uint8Array.from([0x00, 0xff, 0x13, 0x0d, 0x0a, 0x41, 0x54]));
    await driver.configure(port.session);
    expect(pty!.listening).toBe(true);
    expect(port.lines.some((l) => l.kind === 'rejected')).toBe(true);
  });

  it('sends a downlink with AT+PSEND, waits for TXP2P DONE and keeps receiving', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' });
    await driver.configure(port.session);
    const phy = Uint8Array.from([0x60, 0xda, 0x1b, 0x01, 0x26, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04]);
    await driver.sendDownlink(port.session, phy);
    expect(pty!.transmitted.map((f) => Array.from(f.payload))).toEqual([Array.from(phy)]);
    expect(pty!.transmitted[0]).toMatchObject({ freqHz: 868_100_000, sf: 9, bwHz: 125_000 });
    expect(port.lines.some((l) => l.kind === 'event' && l.event === 'tx-done')).toBe(true);
    expect(pty!.listening).toBe(true);
    await expect(driver.sendDownlink(port.session, new Uint8Array(240))).rejects.toThrow('1..239 bytes');
  });

  it('reports that the module still receives, and when it does not', async () => {
    const { pty, driver, port } = await rig({ workMode: 'p2p' });
    await driver.configure(port.session);
    expect(await driver.check(port.session)).toBe(true);
    await port.session.expectOk('AT+PRECV=0', 1000);
    expect(pty!.listening).toBe(false);
    expect(await driver.check(port.session)).toBe(false);
  });
});

describe('RAK811 module setup over a pty (replies written raw)', () => {
  /**
   * Answers as a RAK811 V3 does, one command after the other; `refuse` maps a command prefix to an error line;
   * the first reply comes after `firstReplyMs` (a module still booting), each one 10 ms after the one before.
   */
  async function rak811(refuse: Record<string, string> = {}, firstReplyMs = 0) {
    const pair = await PtyPair.create();
    cleanups.push(() => pair.close());
    const module = new SerialPort({ path: pair.pathB, baudRate: 115200 });
    cleanups.push(() => new Promise((resolve) => module.close(() => resolve())));
    const got: string[] = [];
    let partial = '';
    let busyUntil = performance.now() + firstReplyMs;
    module.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('latin1')).split('\r\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.length > 0)) {
        got.push(line);
        const error = Object.entries(refuse).find(([prefix]) => line.startsWith(prefix));
        let reply = error ? error[1] : 'OK ';
        if (line === 'at+version') reply = 'OK V3.0.0.14.H';
        if (line === 'at+set_config=lora:work_mode:1') reply = 'RAK811 Version:3.0.0.14.H\r\nCurrent work_mode:P2P\r\nInitialization OK';
        busyUntil = Math.max(busyUntil, performance.now()) + 10;
        setTimeout(() => module.write(reply + '\r\n'), busyUntil - performance.now());
      }
    });
    const driver = createModuleDriver('rak811', P2P, { probeTimeoutMs: 200 });
    const port = await openSession(pair.pathA, driver);
    cleanups.push(() => port.close());
    return { got, driver, port };
  }

  it('sets P2P mode, the radio and receive mode', async () => {
    const { got, driver, port } = await rak811();
    expect(await driver.configure(port.session)).toEqual({ modeChanged: true, resetSent: false });
    expect(got).toEqual([
      'at+version',
      'at+set_config=lora:work_mode:1',
      'at+version',
      'at+set_config=lorap2p:868100000:9:0:1:8:14',
      'at+set_config=lorap2p:transfer_mode:1',
    ]);
  });

  it('sends a downlink in transfer mode 2 and returns to receiving, also when the send fails', async () => {
    const ok = await rak811();
    await ok.driver.sendDownlink(ok.port.session, Uint8Array.from([0xab, 0xcd]));
    expect(ok.got).toEqual(['at+set_config=lorap2p:transfer_mode:2', 'at+send=lorap2p:abcd', 'at+set_config=lorap2p:transfer_mode:1']);
    const failing = await rak811({ 'at+send=': 'ERROR: 87' });
    await expect(failing.driver.sendDownlink(failing.port.session, Uint8Array.from([1]))).rejects.toThrow('at+send=lorap2p:01 answered ERROR: 87 (packet too long)');
    expect(failing.got.at(-1)).toBe('at+set_config=lorap2p:transfer_mode:1');
  });

  it('lets a late reply to a timed-out probe pass before the set-up, so each reply stays with its command', async () => {
    // a module still booting: it answers its first command after 350 ms (the probe gave up after 200), then in order
    const { got, driver, port } = await rak811({ 'at+set_config=lorap2p:868': 'ERROR: 2' }, 350);
    await expect(driver.configure(port.session)).rejects.toThrow('at+set_config=lorap2p:868100000:9:0:1:8:14 answered ERROR: 2 (invalid parameter)');
    expect(got.filter((c) => c === 'at+version').length).toBeGreaterThanOrEqual(3);
  });

  it('names the setting the module refused', async () => {
    const { driver, port } = await rak811({ 'at+set_config=lorap2p:868': 'ERROR: 2' });
    await expect(driver.configure(port.session)).rejects.toThrow('at+set_config=lorap2p:868100000:9:0:1:8:14 answered ERROR: 2 (invalid parameter)');
  });
});

describe('RAK811 module setup against the simulated RAK811 V3 on a pty', () => {
  /** The simulator's RAK811 behind a pty, in real time; what it puts on the air is recorded. */
  async function simulatedRak811(p2p = P2P) {
    const pair = await PtyPair.create();
    cleanups.push(() => pair.close());
    const pty = new PtyRak811({ path: pair.pathB, bootMs: 150 });
    cleanups.push(() => pty.close());
    await pty.start();
    const driver = createModuleDriver('rak811', p2p, { probeTimeoutMs: 200 });
    const port = await openSession(pair.pathA, driver);
    cleanups.push(() => port.close());
    return { driver, port, sent: pty.transmitted };
  }

  it('configures it and sends a long SF12 downlink, waiting for the OK that comes only after the airtime', async () => {
    const sf12 = { ...P2P, sf: 12 };
    const { driver, port, sent } = await simulatedRak811(sf12);
    expect(await driver.configure(port.session)).toEqual({ modeChanged: true, resetSent: false });
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    const airtimeMs = timeOnAir({ sf: 12, bwHz: 125_000, cr: 1, payloadBytes: 60, preamble: 8 });
    expect(airtimeMs).toBeGreaterThan(2000); // longer than one command's timeout: the old wait failed here
    const started = performance.now();
    await driver.sendDownlink(port.session, frame);
    expect(performance.now() - started).toBeGreaterThanOrEqual(airtimeMs - 50);
    expect(sent).toHaveLength(1);
    expect(Buffer.from(sent[0]!.payload)).toEqual(Buffer.from(frame));
    expect(sent[0]!.sf).toBe(12);
  }, 15_000);

  it('sends the longest downlink a RAK811 line holds and refuses one byte more before touching the module', async () => {
    const { driver, port, sent } = await simulatedRak811();
    await driver.configure(port.session);
    const longest = new Uint8Array(RAK811_P2P_LIMITS.maxDownlinkBytes).fill(0x5a);
    await driver.sendDownlink(port.session, longest);
    expect(sent.map((f) => f.payload.length)).toEqual([118]);
    await expect(driver.sendDownlink(port.session, new Uint8Array(119))).rejects.toThrow('a RAK811 P2P downlink has 1..118 bytes, not 119');
    expect(sent).toHaveLength(1);
  }, 15_000);
});
