/**
 * The terminal's GPIO over libgpiod 1.6's command-line tools.
 *
 * What is real and what is simulated: this machine has no GPIO chip (no gpio-sim module), and the `gpiod` package
 * is not installed. The tools are SIMULATED by fake-gpiod.mjs (gpioset/gpiomon of libgpiod v1.6 as their source
 * behaves: option parsing, --mode=signal holding until SIGTERM, gpiomon's -F/%o %e %s %n and default output lines,
 * --active-low inverting edges, exit 1 with die_perror's message for a missing chip), started as real child
 * processes from a PATH directory, exactly as the terminal starts the real ones. The expected output lines below are
 * written from the printf formats in libgpiod v1.6's tools/gpiomon.c, not produced by the code under test.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createGpioButtons } from '../../../firmware/timeclock/terminal/gpio/gpio-buttons.ts';
import { createGpiodCliLines, type GpioLines } from '../../../firmware/timeclock/terminal/gpio/gpio-lines.ts';
import { createGpioSignals } from '../../../firmware/timeclock/terminal/gpio/gpio-signals.ts';
import { gpiomonArgs, gpiosetArgs, parseGpiomonLine } from '../../../firmware/timeclock/terminal/gpio/gpiod-cli.ts';
import { startTerminalService, type TerminalService } from '../../../firmware/timeclock/terminal/run.ts';
import type { Booking, BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { TapOutcome, TerminalStatus } from '../../../firmware/timeclock/core/ports.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { ManualTimers } from '../core/fakes.ts';
import { FakeLedger, TEST_KEY_HEX, tempDir, testTerminalConfig, waitFor } from '../terminal/support.ts';
import { installFakeGpiod, valuesOf, type FakeGpiod } from './fake-gpiod.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The real tools, where the `gpiod` package is installed (not on this machine; CI may install it). */
const REAL_GPIOMON = '/usr/bin/gpiomon';
const REAL_GPIOSET = '/usr/bin/gpioset';

describe('libgpiod 1.6 command lines and gpiomon output', () => {
  it.runIf(existsSync(REAL_GPIOMON) && existsSync(REAL_GPIOSET))('the installed tools (Debian gpiod 1.6) take the options used here', () => {
    const help = (tool: string): string => execFileSync(tool, ['--help'], { encoding: 'utf8' });
    const gpiomon = help(REAL_GPIOMON);
    for (const option of ['--active-low', '--bias=', '--line-buffered', '--format=FMT', '%o', '%e', '%s', '%n']) expect(gpiomon).toContain(option);
    const gpioset = help(REAL_GPIOSET);
    for (const option of ['--active-low', '--mode=[exit|wait|time|signal]', 'signal:']) expect(gpioset).toContain(option);
  });

  it('holds the outputs with gpioset --mode=signal and watches the buttons with gpiomon, line-buffered', () => {
    expect(gpiosetArgs({ chip: 'gpiochip0', activeLow: false, values: [[17, 0], [27, 1]] })).toEqual(['--mode=signal', 'gpiochip0', '17=0', '27=1']);
    expect(gpiosetArgs({ chip: '/dev/gpiochip4', activeLow: true, values: [[22, 1]] })).toEqual(['--active-low', '--mode=signal', '/dev/gpiochip4', '22=1']);
    expect(gpiomonArgs({ chip: 'gpiochip0', offsets: [5, 6, 13], activeLow: true, bias: 'pull-up' })).toEqual([
      '--active-low',
      '--bias=pull-up',
      '--line-buffered',
      '--format=%o %e %s %n',
      'gpiochip0',
      '5',
      '6',
      '13',
    ]);
  });

  it('reads the -F "%o %e %s %n" lines and the default lines of v1.6', () => {
    expect(parseGpiomonLine('13 1 5821 4001')).toEqual({ offset: 13, active: true, timeNs: 5_821_000_004_001n });
    expect(parseGpiomonLine('5 0 0 999999999\n')).toEqual({ offset: 5, active: false, timeNs: 999_999_999n });
    // printf("event: %s offset: %u timestamp: [%8ld.%09ld]\n", " RISING EDGE" | "FALLING EDGE", ...)
    expect(parseGpiomonLine('event:  RISING EDGE offset: 17 timestamp: [    1234.000000456]')).toEqual({ offset: 17, active: true, timeNs: 1_234_000_000_456n });
    expect(parseGpiomonLine('event: FALLING EDGE offset: 6 timestamp: [1700000000.123456789]')).toEqual({ offset: 6, active: false, timeNs: 1_700_000_000_123_456_789n });
    for (const junk of ['', 'gpiomon: error waiting for events: No such device', '13 2 1 1', '13 1 1 1000000000', 'event:  RISING EDGE offset: 17 timestamp: [1.5]']) {
      expect(parseGpiomonLine(junk), junk).toBeNull();
    }
  });
});

/** Records what the signals set, with the virtual time. */
class RecordingLines implements GpioLines {
  readonly sets: { atMs: number; values: Record<number, 0 | 1> }[] = [];
  constructor(private readonly timers: ManualTimers) {}
  setOutputs(values: Readonly<Record<number, 0 | 1>>): void {
    this.sets.push({ atMs: this.timers.nowMs, values: { ...values } });
  }
  onEdge(): void {}
  onError(): void {}
  async close(): Promise<void> {}
}

const status = (online: boolean): TerminalStatus => ({ online, pending: 0, clockSynced: true, clockProblem: null, kind: 'come', kindChosen: false, badgeListVersion: 1 });
const booked: TapOutcome = { result: 'booked', booking: { sequence: 1, badge: '01234567', kind: 'come', time: 1_800_000_000, clockUnsynced: false }, greeting: 'Hallo', repeated: false };
const refused: TapOutcome = { result: 'refused', reason: 'unknownBadge', badge: '01234567', message: 'unknown' };

describe('buzzer and LED patterns (virtual time)', () => {
  const OUT = { buzzer: 17, greenLed: 27, redLed: 22, offlineLed: 23 };

  it('booked: green 1.5 s and one 120 ms beep; refused: red 2 s and three beeps; offline: the offline LED', () => {
    const timers = new ManualTimers();
    const lines = new RecordingLines(timers);
    const signals = createGpioSignals(lines, OUT, timers);
    expect(lines.sets).toEqual([{ atMs: 0, values: { 17: 0, 27: 0, 22: 0, 23: 0 } }]);
    signals.showOutcome(booked);
    timers.advance(5000);
    signals.showOutcome(refused);
    timers.advance(5000);
    signals.showStatus(status(false));
    signals.showStatus(status(false));
    timers.advance(1000);
    signals.showStatus(status(true));
    expect(lines.sets.slice(1)).toEqual([
      { atMs: 0, values: { 17: 1, 27: 1 } },
      { atMs: 120, values: { 17: 0 } },
      { atMs: 1500, values: { 27: 0 } },
      { atMs: 5000, values: { 17: 1, 22: 1 } },
      { atMs: 5100, values: { 17: 0 } },
      { atMs: 5200, values: { 17: 1 } },
      { atMs: 5300, values: { 17: 0 } },
      { atMs: 5400, values: { 17: 1 } },
      { atMs: 5500, values: { 17: 0 } },
      { atMs: 7000, values: { 22: 0 } },
      { atMs: 10000, values: { 23: 1 } },
      { atMs: 11000, values: { 23: 0 } },
    ]);
    signals.stop();
    expect(timers.pending()).toBe(0);
  });

  it('without an offline LED the red LED flashes every 3 s while offline, and a new tap replaces a running pattern', () => {
    const timers = new ManualTimers();
    const lines = new RecordingLines(timers);
    const signals = createGpioSignals(lines, { redLed: 22, greenLed: 27 }, timers);
    signals.showStatus(status(false));
    timers.advance(6200);
    signals.showStatus(status(true));
    timers.advance(10_000);
    expect(lines.sets.slice(1)).toEqual([
      { atMs: 3000, values: { 22: 1 } },
      { atMs: 3150, values: { 22: 0 } },
      { atMs: 6000, values: { 22: 1 } },
      { atMs: 6150, values: { 22: 0 } },
    ]);
    signals.showOutcome(booked);
    timers.advance(1000);
    signals.showOutcome(booked);
    timers.advance(1400);
    // the second tap restarted the green 1.5 s: still on at 2.4 s after the first
    expect(signals.values()).toEqual({ redLed: false, greenLed: true });
    timers.advance(100);
    expect(signals.values()).toEqual({ redLed: false, greenLed: false });
    signals.stop();
  });
});

describe('gpioset and gpiomon as child processes (SIMULATED tools, see the top of this file)', () => {
  function fake(chips?: string[]): FakeGpiod {
    const gpiod = installFakeGpiod(chips);
    cleanups.push(() => gpiod.remove());
    return gpiod;
  }
  function lines(gpiod: FakeGpiod, extra: Partial<Parameters<typeof createGpiodCliLines>[0]> = {}): GpioLines {
    const created = createGpiodCliLines({ chip: 'gpiochip0', outputs: [17, 27], outputsActiveLow: false, env: gpiod.env, restartMs: 200, ...extra });
    cleanups.push(() => created.close());
    return created;
  }

  it('holds the outputs in one gpioset and replaces it (stop, then start) for each state asked for, in order', async () => {
    const gpiod = fake();
    const gpio = lines(gpiod);
    await waitFor(() => gpiod.runs().length === 1, 5000, 'gpioset to start');
    // a pulse on 17 while 27 goes on; each state gets its own process, a repeated one none
    gpio.setOutputs({ 27: 1, 17: 1 });
    // (a process killed before it ran would set nothing, here as with the real tool: wait until it runs)
    await waitFor(() => gpiod.runs().filter((r) => r.event === 'start').length === 2, 5000, 'the second gpioset');
    gpio.setOutputs({ 17: 0 });
    gpio.setOutputs({ 17: 0 });
    await waitFor(() => gpiod.runs().filter((r) => r.event === 'start').length === 3, 5000, 'the third gpioset');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const runs = gpiod.runs();
    expect(runs.map((r) => [r.tool, r.event, valuesOf(r.args)])).toEqual([
      ['gpioset', 'start', { 17: 0, 27: 0 }],
      ['gpioset', 'stop', { 17: 0, 27: 0 }],
      ['gpioset', 'start', { 17: 1, 27: 1 }],
      ['gpioset', 'stop', { 17: 1, 27: 1 }],
      ['gpioset', 'start', { 17: 0, 27: 1 }],
    ]);
    expect(runs[0]!.args).toEqual(['--mode=signal', 'gpiochip0', '17=0', '27=0']);
    await gpio.close();
    expect(gpiod.runs().at(-1)).toMatchObject({ event: 'stop', pid: runs[4]!.pid });
  });

  it('says why a tool failed (missing chip, tool not installed) and starts it again', async () => {
    const gpiod = fake(['gpiochip1']);
    const errors: string[] = [];
    const gpio = lines(gpiod, { inputs: { offsets: [5], activeLow: true, bias: 'pull-up' } });
    gpio.onError((error) => errors.push(error.message));
    await waitFor(() => errors.length >= 4, 5000, 'two rounds of errors');
    expect(errors).toContain('gpioset ended with exit code 1: gpioset: error setting the GPIO line values: No such file or directory');
    expect(errors).toContain('gpiomon ended with exit code 1: gpiomon: error waiting for events: No such file or directory');

    const missing: string[] = [];
    const none = createGpiodCliLines({ chip: 'gpiochip0', outputs: [17], outputsActiveLow: false, env: { ...process.env, PATH: gpiod.dir + '/none' }, restartMs: 10_000 });
    cleanups.push(() => none.close());
    none.onError((error) => missing.push(error.message));
    await waitFor(() => missing.length > 0, 5000, 'ENOENT');
    expect(missing).toEqual(['gpioset not found: install libgpiod\'s tools (apt install gpiod)']);
  });

  it('turns contact bounce into one press per push; only presses select a kind', async () => {
    const gpiod = fake();
    const gpio = lines(gpiod, { outputs: [], inputs: { offsets: [5, 13], activeLow: true, bias: 'pull-up' } });
    const buttons = createGpioButtons(gpio, { come: 5, breakStart: 13 }, 50);
    const kinds: BookingKind[] = [];
    buttons.onKindSelected((kind) => kinds.push(kind));
    await waitFor(() => gpiod.runs().some((r) => r.tool === 'gpiomon'), 5000, 'gpiomon to start');
    expect(gpiod.runs()[0]!.args).toEqual(['--active-low', '--bias=pull-up', '--line-buffered', '--format=%o %e %s %n', 'gpiochip0', '5', '13']);
    const ms = (t: number): bigint => BigInt(Math.round(t * 1_000_000));
    // button 13 (to ground, pull-up): pressed = the pin falls; bounce on press and on release
    for (const [t, high] of [[1000, false], [1000.8, true], [1001.5, false], [1300, true], [1300.5, false], [1301, true]] as const) gpiod.edge(13, high, ms(t));
    // button 5 pressed twice, 400 ms apart, cleanly; then 13 again
    for (const [t, high] of [[2000, false], [2100, true], [2500, false], [2600, true]] as const) gpiod.edge(5, high, ms(t));
    gpiod.edge(13, false, ms(3000));
    gpiod.edge(13, true, ms(3100));
    await waitFor(() => kinds.length >= 4, 5000, 'four presses');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(kinds).toEqual(['breakStart', 'come', 'come', 'breakStart']);
    expect(buttons.counts()).toEqual({ presses: 4, bounces: 4 });
  });
});

describe('the terminal with GPIO (SIMULATED tools, real Mosquitto, the real terminal service)', () => {
  let broker: Mosquitto;
  let ledger: FakeLedger;
  const UID = '04a23b1c';
  const CARD = '0077740828';
  const pseudonym = createHmac('sha256', Buffer.from(TEST_KEY_HEX, 'hex')).update(Buffer.from(UID, 'hex')).digest().subarray(0, 4).toString('hex');
  beforeAll(async () => {
    broker = await startMosquitto();
    ledger = await FakeLedger.connect(broker.url);
    await ledger.publishBadgeList({ version: 1, badges: [{ badge: pseudonym, greeting: 'Hallo' }], revoked: [] });
  });
  afterAll(async () => {
    await ledger.close();
    await broker.close();
  });

  it('a GPIO button chooses the kind of the next tap; the green LED for the booking, the red one for an unknown card', async () => {
    const temp = tempDir();
    cleanups.push(() => temp.remove());
    const gpiod = installFakeGpiod();
    cleanups.push(() => gpiod.remove());
    const config = testTerminalConfig(temp.dir, {
      mqtt: { url: broker.url },
      kiosk: { port: 0 },
      gpio: { buzzer: 17, greenLed: 27, redLed: 22, offlineLed: 23, buttons: { lines: { breakStart: 13, go: 6 } } },
    });
    const stdin = new PassThrough();
    const service: TerminalService = await startTerminalService(config, { stdin, log: () => {}, gpioEnv: gpiod.env });
    cleanups.push(() => service.close());
    const outputs = (): Record<number, number>[] => gpiod.runs().filter((r) => r.tool === 'gpioset' && r.event === 'start').map((r) => valuesOf(r.args));
    await waitFor(() => service.terminal.status().online, 10_000, 'online');
    await waitFor(() => outputs().at(-1)?.[23] === 0, 5000, 'the offline LED off');
    // all lines held inactive from the start (the offline LED's brief `on` before MQTT connects may be coalesced)
    expect(outputs()[0]).toEqual({ 17: 0, 27: 0, 22: 0, 23: 0 });

    await waitFor(() => gpiod.runs().some((r) => r.tool === 'gpiomon'), 5000, 'gpiomon');
    gpiod.edge(13, false, 5_000_000_000n);
    gpiod.edge(13, true, 5_200_000_000n);
    await waitFor(() => service.terminal.status().kind === 'breakStart', 5000, 'breakStart chosen');
    stdin.write(CARD + '\n');
    await waitFor(() => ledger.committed.size === 1, 10_000, 'the booking at the ledger');
    expect([...ledger.committed.values()].map((b: Booking) => [b.badge, b.kind])).toEqual([[pseudonym, 'breakStart']]);
    // the 1.5 s of the green LED; the 120 ms beep's timing is shown in virtual time above (a process start on this
    // loaded machine can take longer than the beep)
    await waitFor(() => outputs().some((o) => o[27] === 1), 5000, 'green LED');

    stdin.write('0000000001\n');
    await waitFor(() => outputs().some((o) => o[22] === 1), 5000, 'red LED');
    await service.close();
    const runs = gpiod.runs();
    // every tool started was stopped with the service
    expect(runs.filter((r) => r.event === 'start').length).toBe(runs.filter((r) => r.event === 'stop').length);
  }, 30_000);
});
