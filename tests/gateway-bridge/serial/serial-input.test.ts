/** SerialInput end to end: the simulated RAK3172 on a real pseudo-terminal (socat), in real time. */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { p2pCommand } from '../../../firmware/drivers/rui3/commands.ts';
import { SerialInput, type SerialInputOptions, type SerialInputStatus } from '../../../gateway-bridge/src/inputs/serial/serial-input.ts';
import type { RawFrame, Rejection } from '../../../gateway-bridge/src/types.ts';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';
import { PtyRakModule, type PtyRakModuleOptions } from '../../../tools/simulator/pty/pty-module.ts';
import { P2P, until } from './support.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Rig {
  pair: PtyPair;
  pty: PtyRakModule;
  input: SerialInput;
  frames: RawFrame[];
  rejections: Rejection[];
  statuses: { at: number; status: SerialInputStatus }[];
}

/** The last status of a kind, with when it came. */
function last(r: Rig, state: SerialInputStatus['state']): { at: number; status: SerialInputStatus } {
  const found = r.statuses.filter((s) => s.status.state === state).at(-1);
  if (!found) throw new Error(`no ${state} status`);
  return found;
}

async function rig(moduleOptions: Omit<PtyRakModuleOptions, 'path'> = {}, inputOptions: Partial<SerialInputOptions> = {}, start = true): Promise<Rig> {
  const pair = await PtyPair.create();
  cleanups.push(() => pair.close());
  const pty = new PtyRakModule({ path: pair.pathB, bootMs: 150, workMode: 'p2p', ...moduleOptions });
  cleanups.push(() => pty.close());
  await pty.start();
  const input = new SerialInput({ id: 'gw-test-1', path: pair.pathA, p2p: P2P, clockSynced: () => false, timings: { probeTimeoutMs: 200 }, ...inputOptions });
  cleanups.push(() => input.close());
  const r: Rig = { pair, pty, input, frames: [], rejections: [], statuses: [] };
  input.on('frame', (f) => r.frames.push(f));
  input.on('rejected', (x) => r.rejections.push(x));
  input.on('status', (status) => r.statuses.push({ at: performance.now(), status }));
  if (start) {
    input.start();
    await input.configured(5000);
  }
  return r;
}

const phy = (n: number): Uint8Array => Uint8Array.from([0x40, 0xda, 0x1b, 0x01, 0x26, 0x00, n & 0xff, n >> 8, 0x01, 0xaa, 0xbb, 0x11, 0x22, 0x33, 0x44]);

describe('SerialInput over a pty', () => {
  it('emits frames with their receive metadata', async () => {
    const r = await rig({ workMode: 'lorawan' });
    expect(r.statuses.map((s) => s.status.state)).toEqual(['open', 'configured']);
    expect(r.statuses[1]!.status).toMatchObject({ state: 'configured', modeChanged: true });
    const before = Date.now();
    expect(r.pty.receive(phy(1), { rssi: -71.4, snr: 7.2 })).toBe(true);
    expect(r.pty.receive(phy(2), { rssi: -90, snr: -3 })).toBe(true);
    await until(() => r.frames.length === 2, 2000, 'two frames');
    const after = Date.now();
    expect(Array.from(r.frames[0]!.phyPayload)).toEqual(Array.from(phy(1)));
    expect(r.frames[0]!.rx).toMatchObject({
      gatewayId: 'gw-test-1',
      input: 'serial',
      rssi: -72,
      snr: 7,
      clock: 'bridge',
      clockSynced: false,
      frequencyHz: 868_100_000,
      spreadingFactor: 9,
    });
    expect(r.frames[1]!.rx).toMatchObject({ rssi: -90, snr: -3 });
    const at = Date.parse(r.frames[0]!.rx.receivedAt);
    expect(r.frames[0]!.rx.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(r.input.counters).toMatchObject({ frames: 2, opens: 1, reopens: 0, setupFailures: 0 });
  });

  it('carries thousands of frames a second from the module to frame events, none lost', async () => {
    const r = await rig();
    const n = 10_000;
    const started = performance.now();
    for (let i = 0; i < n; i += 100) {
      for (let j = i; j < i + 100; j++) r.pty.receive(phy(j), { rssi: -60, snr: 7 });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => r.frames.length === n, 20_000, `${n} frames`);
    const rate = n / ((performance.now() - started) / 1000);
    expect(r.frames.map((f) => f.phyPayload[6]! | (f.phyPayload[7]! << 8))).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(r.rejections).toEqual([]);
    console.log(`SerialInput: ${n} frames from the simulated module through the pty at ${Math.round(rate)} frames/s`);
    expect(rate).toBeGreaterThan(2000);
  });

  it('reads the two-line receive events of older firmware', async () => {
    const r = await rig({ legacyP2pRxEvents: true });
    r.pty.receive(phy(7), { rssi: -60, snr: 11 });
    await until(() => r.frames.length === 1, 2000, 'a frame');
    expect(Array.from(r.frames[0]!.phyPayload)).toEqual(Array.from(phy(7)));
    expect(r.frames[0]!.rx).toMatchObject({ rssi: -60, snr: 11 });
    expect(r.rejections).toEqual([]);
  });

  it('counts garbage, overlong lines and truncated hex, and keeps running', async () => {
    const r = await rig();
    r.pty.writeRaw(Uint8Array.from([0x00, 0xff, 0x7f, 0x0d, 0x0a]));
    r.pty.writeRaw('x'.repeat(5000) + '\r\n');
    r.pty.writeRaw('+EVT:RXP2P:-60:7:40DA1B012600010001AABB1\r\n');
    r.pty.writeRaw('2P:-60:7:40DA1B\r\n');
    r.pty.receive(phy(3), { rssi: -60, snr: 7 });
    await until(() => r.frames.length === 1, 2000, 'the frame after the garbage');
    expect(r.rejections.map((x) => x.reason)).toEqual(['line-garbage', 'line-too-long', 'hex-invalid', 'line-garbage']);
    expect(r.input.counters.rejected).toEqual({ 'line-garbage': 2, 'line-too-long': 1, 'hex-invalid': 1 });
    expect(r.rejections[1]!.detail).toContain('line of 5000 characters');
    expect(r.rejections[1]!.raw).toHaveLength(512);
    expect(r.rejections[2]).toMatchObject({ input: 'serial', gatewayId: 'gw-test-1', raw: Buffer.from('+EVT:RXP2P:-60:7:40DA1B012600010001AABB1').toString('hex') });
    expect(r.input.configuredNow).toBe(true);
  });

  it('reopens a port whose pty vanished (socat killed and restarted) within 5 s and reconfigures the module', async () => {
    const r = await rig();
    const stoppedAt = performance.now();
    await r.pair.stop('SIGKILL');
    await until(() => r.statuses.some((s) => s.status.state === 'closed'), 2000, 'the input to notice');
    const noticedMs = r.statuses.find((s) => s.status.state === 'closed')!.at - stoppedAt;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const commandsBefore = r.pty.commands.length;
    const restartedAt = performance.now();
    await r.pair.start();
    await until(() => r.input.counters.reopens === 1 && r.input.configuredNow, 5000, 'reopened and configured');
    const reopenMs = last(r, 'open').at - restartedAt;
    const configuredMs = last(r, 'configured').at - restartedAt;
    expect(reopenMs).toBeLessThan(5000);
    const again = r.pty.commands.slice(commandsBefore);
    expect(again).toContain(p2pCommand(P2P));
    expect(again.at(-1)).toBe('AT+PRECV=65533');
    expect(r.pty.listening).toBe(true);
    expect(r.pty.module.stats.reboots).toBe(2);
    const reopening = r.statuses.filter((s) => s.status.state === 'reopening').map((s) => s.status);
    expect(reopening[0]).toMatchObject({ attempt: 1, delayMs: 250 });
    r.pty.receive(phy(4), { rssi: -60, snr: 7 });
    await until(() => r.frames.length === 1, 2000, 'a frame after the reopen');
    console.log(`pty killed: noticed after ${noticedMs.toFixed(1)} ms; restarted pty reopened after ${reopenMs.toFixed(0)} ms, module configured after ${configuredMs.toFixed(0)} ms`);
  });

  it('notices a pty replaced at once (killed and restarted between two path checks)', async () => {
    const r = await rig({}, { pathCheckMs: 200 });
    for (let round = 1; round <= 3; round++) {
      await r.pair.stop('SIGKILL');
      await r.pair.start();
      // serialport reports some of these losses and not others; the path check catches the rest
      await until(() => r.input.counters.reopens === round && r.input.configuredNow, 3000, `reopen ${round}`);
      r.pty.receive(phy(round), { rssi: -60, snr: 7 });
      await until(() => r.frames.length === round, 2000, `frame ${round}`);
    }
    expect(r.statuses.filter((s) => s.status.state === 'closed')).toHaveLength(3);
  });

  it('notices a path that disappears while the port still works (periodic check)', async () => {
    const r = await rig({}, { pathCheckMs: 100 });
    rmSync(r.pair.pathA);
    await until(() => r.statuses.some((s) => s.status.state === 'closed'), 2000, 'the path check');
    expect(r.statuses.find((s) => s.status.state === 'closed')!.status).toMatchObject({ reason: expect.stringContaining('vanished') });
    await r.pair.stop();
    await r.pair.start();
    await until(() => r.input.counters.reopens === 1 && r.input.configuredNow, 5000, 'reopened');
    expect(r.pty.listening).toBe(true);
  });

  it('keeps trying with backoff while the device is missing, then opens it', async () => {
    const r = await rig({}, { reopen: { initialDelayMs: 50, maxDelayMs: 200 } }, false);
    await r.pair.stop();
    r.input.start();
    await until(() => r.input.counters.openFailures >= 5, 3000, 'five failed opens');
    const delays = r.statuses.filter((s) => s.status.state === 'reopening').map((s) => (s.status as { delayMs: number }).delayMs);
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 200, 200]);
    await r.pair.start();
    await r.input.configured(5000);
    expect(r.pty.listening).toBe(true);
    // the backoff starts over after a successful setup
    await r.pair.stop();
    await until(() => r.statuses.filter((s) => s.status.state === 'reopening').length > delays.length, 2000, 'a new reopen');
    expect(last(r, 'reopening').status).toMatchObject({ attempt: 1, delayMs: 50 });
  });

  it('opens a device that was missing for a long time as soon as it is back, not after the backoff delay', async () => {
    const r = await rig();
    await r.pair.stop();
    // 250 + 500 + 1000 ms of failed opens: the next backoff delay is 2 s
    await until(() => r.input.counters.openFailures >= 3, 3000, 'three failed opens');
    expect(last(r, 'reopening').status).toMatchObject({ delayMs: 2000 });
    const back = performance.now();
    await r.pair.start();
    await until(() => r.input.configuredNow, 3000, 'configured');
    const reopenedMs = last(r, 'open').at - back;
    // well before the 2 s backoff delay would have run out, with room for a loaded machine
    expect(reopenedMs).toBeLessThan(1_500);
    expect(r.pty.listening).toBe(true);
  });

  it('configures the module again when it restarts on its own', async () => {
    const r = await rig();
    r.pty.module.hardReset();
    await until(() => r.input.counters.reconfigures === 1 && r.input.configuredNow, 3000, 'reconfigured');
    expect(r.statuses.find((s) => s.status.state === 'reconfiguring')!.status).toMatchObject({ reason: expect.stringContaining('restarted') });
    expect(r.pty.listening).toBe(true);
    expect(r.input.counters.reopens).toBe(0);
  });

  it('finds a hung module with the periodic check and brings it back with a reset', async () => {
    const r = await rig({}, { healthCheckMs: 200, timings: { probeTimeoutMs: 150, commandTimeoutMs: 300, wakeTimeoutMs: 800 } });
    r.pty.module.mute();
    await until(() => r.input.counters.reconfigures === 1 && r.input.configuredNow, 4000, 'reconfigured');
    expect(r.statuses.find((s) => s.status.state === 'reconfiguring')!.status).toMatchObject({ reason: 'health check: no answer to AT+PRECV=? within 300 ms' });
    expect(last(r, 'configured').status).toMatchObject({ resetSent: true });
    expect(r.pty.listening).toBe(true);
  });

  it('sends downlinks through the module and refuses them while it is not ready', async () => {
    const r = await rig();
    await r.input.sendDownlink(phy(9));
    expect(r.pty.transmitted.map((f) => Array.from(f.payload))).toEqual([Array.from(phy(9))]);
    expect(r.input.counters.downlinks).toBe(1);
    await r.pair.stop();
    await until(() => !r.input.configuredNow, 2000, 'the port lost');
    await expect(r.input.sendDownlink(phy(10))).rejects.toThrow('module not ready');
  });

  it('classifies the line a closing port cut off, and leaves no timer after close()', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const r = await rig({}, { healthCheckMs: 100, pathCheckMs: 100 });
    r.pty.writeRaw('+EVT:RXP2P:-60:7:40DA1B01');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const beforeClose = timers();
    await r.input.close();
    expect(r.rejections.map((x) => [x.reason, x.detail])).toEqual([['hex-invalid', 'line cut off by the port closing: "+EVT:RXP2P:-60:7:40DA1B01"']]);
    expect(r.statuses.at(-1)!.status).toEqual({ state: 'stopped' });
    // the health and path timers are gone (the module's own timer may remain until the pty module closes)
    expect(timers()).toBeLessThanOrEqual(beforeClose - 2);
  });
});
