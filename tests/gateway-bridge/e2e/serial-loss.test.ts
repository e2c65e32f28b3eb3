/**
 * Issue 5, acceptance: "Serial port removed and recreated: the bridge reopens it within 5 s and reconfigures the
 * module."
 *
 * The socat pair is the USB serial adapter: stopping it removes both pty links (SIGTERM) or leaves them dangling
 * (SIGKILL), as an unplugged adapter does; starting it again makes new /dev/pts devices behind the same links. The
 * simulated RAK3172 attaches again and is power-cycled (a USB-powered module loses power with its adapter), so it
 * boots not receiving, and only the bridge's setup (AT+P2P=..., AT+PRECV=65533) makes it hear frames again.
 * The clock starts when socat is started again; it stops when the module got AT+PRECV=65533 after AT+P2P, and when
 * the first frame heard after that reached a subscriber.
 *
 * Nothing is lost on the bridge's side: every frame that came through the port reached the subscriber. Lines still on
 * their way when the adapter goes are lost with it, as on a real one: those are the last frames heard before the
 * loss (how many depends on the machine's load, not on a fixed time). So every frame heard before the last one that
 * came through must have come through too; only a tail after it may be missing, and only where a loss followed.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import {
  feedSteadily,
  record,
  roadClimateStream,
  sleep,
  startBridge,
  startBroker,
  startRadio,
  tempDir,
  testDevices,
  waitConfigured,
  waitFor,
} from './stack.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Timed<T> {
  value: T;
  at: number;
}

it('reopens a vanished and recreated serial port within 5 s, reconfigures the module and publishes again', async () => {
  const started = performance.now();
  const temp = tempDir();
  cleanups.push(() => temp.cleanup());
  const broker = await startBroker('mosquitto');
  cleanups.push(() => broker.close());
  const radio = await startRadio();
  cleanups.push(() => radio.close());
  const sub = await record(broker.url, ['stadtsensor/+/up']);
  cleanups.push(() => sub.close());
  const published = new Map<string, number>();
  sub.client.on('message', (_topic, payload) => {
    const event = JSON.parse(payload.toString()) as { device: { id: string }; fCnt: number };
    const key = `${event.device.id}/${event.fCnt}`;
    if (!published.has(key)) published.set(key, performance.now());
  });
  const commands: Timed<string>[] = [];
  radio.module.on('command', (line) => commands.push({ value: line, at: performance.now() }));

  const devices = testDevices(20);
  const bridge = await startBridge({ brokerUrl: broker.url, serialPath: radio.path, outbox: join(temp.dir, 'bridge.sqlite'), devices });
  cleanups.push(() => bridge.stop(2_000));
  await waitConfigured(bridge);
  const closed: Timed<string>[] = [];
  bridge.serialInputs[0]!.on('status', (status) => {
    if (status.state === 'closed') closed.push({ value: status.reason, at: performance.now() });
  });
  // frames that came through the port, as `<device>/<fCnt>` (DevAddr and FCnt from the LoRaWAN header)
  const deviceOf = new Map(devices.map((d) => [d.devAddr, d.id]));
  const cameThrough = new Set<string>();
  bridge.serialInputs[0]!.on('frame', (frame: { phyPayload: Uint8Array }) => {
    const header = Buffer.from(frame.phyPayload);
    cameThrough.add(`${deviceOf.get(header.readUInt32LE(1).toString(16).padStart(8, '0'))}/${header.readUInt16LE(6)}`);
  });

  const frames = roadClimateStream(devices, 100);
  const heard: Timed<string>[] = [];
  const feeder = feedSteadily(radio.module, frames, 100, {
    onFrame: (frame, _index, ok) => {
      if (ok) heard.push({ value: `${frame.device.id}/${frame.fCnt}`, at: performance.now() });
    },
  });
  cleanups.push(() => feeder.stop());
  await waitFor('frames published before the port is lost', () => published.size >= 50);

  /** When the module got AT+PRECV=65533 following an AT+P2P=..., both after `since`. */
  const reconfiguredAt = (since: number): number | undefined => {
    const p2p = commands.find((c) => c.at >= since && c.value.startsWith('AT+P2P='));
    return p2p && commands.find((c) => c.at >= p2p.at && c.value === 'AT+PRECV=65533')?.at;
  };

  const cycles: Array<{ absentMs: number; signal: NodeJS.Signals }> = [
    { absentMs: 300, signal: 'SIGTERM' },
    { absentMs: 1_000, signal: 'SIGKILL' },
    { absentMs: 3_000, signal: 'SIGTERM' },
  ];
  const results: Array<{ absentMs: number; signal: string; noticed: string; linksMs: number; reconfiguredMs: number; publishedMs: number }> = [];
  // from each (re)configuration to the next loss (the last one: to the end of the feed)
  const liveWindows: Array<{ from: number; to: number }> = [];
  let liveFrom = 0;
  const inWindow = (w: { from: number; to: number }): Timed<string>[] => heard.filter((h) => h.at > w.from && h.at < w.to);
  for (const { absentMs, signal } of cycles) {
    const stoppedAt = performance.now();
    liveWindows.push({ from: liveFrom, to: stoppedAt });
    await radio.pair.stop(signal);
    await sleep(absentMs);
    const t0 = performance.now();
    await radio.pair.start();
    const linksMs = performance.now() - t0;
    await waitFor('the module reconfigured', () => reconfiguredAt(t0) !== undefined, 10_000);
    const reconfigured = reconfiguredAt(t0)!;
    await waitFor('a frame heard after the reconfiguration', () => heard.some((h) => h.at > reconfigured), 5_000);
    const first = heard.find((h) => h.at > reconfigured)!;
    await waitFor(`frame ${first.value} published`, () => published.has(first.value), 10_000);
    const loss = closed.find((c) => c.at >= stoppedAt);
    const noticed = loss ? `the bridge noticed after ${(loss.at - stoppedAt).toFixed(0)} ms (${loss.value})` : 'the bridge noticed nothing';
    results.push({ absentMs, signal, noticed, linksMs, reconfiguredMs: reconfigured - t0, publishedMs: published.get(first.value)! - t0 });
    liveFrom = reconfigured;
    await sleep(500);
  }
  feeder.stop();
  const lastWindow = { from: liveFrom, to: performance.now() };
  liveWindows.push(lastWindow);
  // no loss follows the last window: everything heard in it comes through
  await waitFor('the frames heard since the last reopen came through', () => inWindow(lastWindow).every((h) => cameThrough.has(h.value)), 5_000);
  await waitFor('the outbox drained', () => bridge.pending === 0);

  for (const r of results) {
    console.log(
      `serial port gone ${r.absentMs} ms (socat ${r.signal}; ${r.noticed}): links back after ${r.linksMs.toFixed(0)} ms, module reconfigured ` +
        `${r.reconfiguredMs.toFixed(0)} ms and the first new frame published ${r.publishedMs.toFixed(0)} ms after socat was started again`,
    );
  }
  const input = bridge.serialInputs[0]!;
  const stats = await bridge.metrics.snapshot();
  console.log(
    `serial loss: ${feeder.sent} frames fed, ${heard.length} heard (${radio.module.droppedBytes} bytes printed while no port was attached ` +
      `were lost with it), ${bridge.counts.accepted} accepted, rejected ${JSON.stringify(bridge.counts.rejected)}, ` +
      `${input.counters.reopens} reopens, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  for (const r of results) {
    expect(r.reconfiguredMs).toBeLessThan(5_000);
    expect(r.publishedMs).toBeLessThan(5_000);
  }
  expect(input.counters.reopens).toBe(cycles.length);
  expect(stats.serialReopens).toBeGreaterThanOrEqual(cycles.length);
  expect(input.configuredNow).toBe(true);
  // the bridge lost nothing that came through the port, before and after each reopen
  expect(cameThrough.size).toBeGreaterThan(50);
  expect([...cameThrough].filter((key) => !published.has(key))).toEqual([]);
  // and every frame the module heard while the line was there came through, but for a tail lost with the adapter
  for (const w of liveWindows) {
    const frames = inWindow(w);
    const through = frames.map((h) => cameThrough.has(h.value));
    const last = through.lastIndexOf(true);
    expect(last + 1, 'frames that came through in a window').toBeGreaterThan(5);
    const gaps = frames.slice(0, last + 1).filter((h) => !cameThrough.has(h.value));
    expect(gaps.map((h) => `${h.value} heard ${(w.to - h.at).toFixed(0)} ms before the loss`)).toEqual([]);
    const tail = frames.slice(last + 1);
    if (tail.length > 0) console.log(`lost with the adapter: ${tail.length} frames heard in the last ${(w.to - tail[0]!.at).toFixed(0)} ms before it went`);
  }
}, 60_000);
