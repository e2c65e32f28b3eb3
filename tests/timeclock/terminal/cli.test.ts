/**
 * `stadtsensor terminal --config <file>` as systemd runs it: a child process with examples/timeclock/terminal.yaml
 * (a temp key file, a Mosquitto started here, `reader: {type: stdin}`, the kiosk on a free port). Card numbers go in
 * on its standard input; the kiosk page's SSE stream shows the confirmation, a fake ledger on the broker gets the
 * bookings, SIGTERM ends it with exit 0 and `offline` on MQTT. Bad configurations end it with exit 2 and one line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { TIMECLOCK_TOPICS, type TerminalStatusMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { openViewStream, type ViewStream } from '../kiosk/sse-client.ts';
import { FakeLedger, TEST_KEY_HEX, tempDir, waitFor, writeKeyFile } from './support.ts';

const bin = fileURLToPath(new URL('../../../bin/stadtsensor.js', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/timeclock/terminal.yaml', import.meta.url));

/** The card as a "10 digits decimal" reader types it: UID 04 A2 3B 1C. */
const CARD_NUMBER = '0077740828';
const PSEUDONYM = createHmac('sha256', Buffer.from(TEST_KEY_HEX, 'hex')).update(Buffer.from('04a23b1c', 'hex')).digest().subarray(0, 4).toString('hex');
const GREETING = 'Guten Morgen, Frau Schmidt';
const TERMINAL_ID = 'zeit-eg-1';

let broker: Mosquitto;
let ledger: FakeLedger;
let temp: ReturnType<typeof tempDir>;
let children: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  ledger = await FakeLedger.connect(broker.url);
  await ledger.publishBadgeList({ version: 1, badges: [{ badge: PSEUDONYM, greeting: GREETING }], revoked: [] });
});
afterAll(async () => {
  await ledger.close();
  await broker.close();
});
beforeEach(() => {
  temp = tempDir();
});
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children = [];
  temp.remove();
});

/** The example, pointed at the test broker, standard input and a free kiosk port; `change` edits it further. */
function exampleConfig(change: (config: Record<string, Record<string, unknown>>) => void = () => {}): string {
  const config = parse(readFileSync(example, 'utf8')) as Record<string, Record<string, unknown>>;
  config.mqtt = { url: broker.url };
  config.outbox = { path: 'outbox.sqlite' };
  config.reader = { type: 'stdin' };
  config.kiosk!.port = 0;
  change(config);
  writeKeyFile(temp.dir);
  const file = join(temp.dir, 'terminal.yaml');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr (already there or coming). */
  stderrMatch(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'pipe' });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    async stderrMatch(pattern, ms = 20_000) {
      await waitFor(() => pattern.test(stderr) || child.exitCode !== null, ms, `${pattern} in stderr:\n${stderr}`);
      const match = pattern.exec(stderr);
      if (!match) throw new Error(`exited (${child.exitCode}) without ${pattern} in stderr:\n${stderr}`);
      return match;
    },
  };
}

/** Collects the terminal's status messages (the retained one first). */
async function watchStatus(): Promise<{ messages: TerminalStatusMessage[]; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(broker.url);
  const messages: TerminalStatusMessage[] = [];
  client.on('message', (_topic, payload) => messages.push(JSON.parse(payload.toString()) as TerminalStatusMessage));
  await client.subscribeAsync(TIMECLOCK_TOPICS.status(TERMINAL_ID), { qos: 1 });
  return { messages, close: () => client.endAsync() };
}

describe('stadtsensor terminal', () => {
  let stream: ViewStream | undefined;
  afterEach(() => stream?.close());

  it('books card numbers from standard input, shows them on the kiosk page, takes its buttons, stops on SIGTERM', async () => {
    // a tap without a button books `come` before goFromHour; 24 keeps it so at any hour the suite runs
    const run = cli(['terminal', '--config', exampleConfig((config) => (config.booking = { ...config.booking, goFromHour: 24 }))]);
    const url = (await run.stderrMatch(/kiosk page on (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    expect(await (await fetch(new URL('/healthz', url))).text()).toBe('ok');
    stream = await openViewStream(url);
    await stream.next((view) => view.online, 10_000);

    run.child.stdin.write(CARD_NUMBER + '\n');
    const first = await stream.next((view) => view.overlay?.type === 'confirmation');
    expect(first.overlay).toMatchObject({ greeting: GREETING, kind: 'come', sequence: 1 });

    // a button on the page, then the same card: a new booking of that kind (no debounce after a button)
    const kind = await fetch(new URL('/kind', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'breakStart' }) });
    expect(kind.status).toBe(200);
    run.child.stdin.write(CARD_NUMBER + '\n');
    const second = await stream.next((view) => view.overlay?.type === 'confirmation' && view.overlay.sequence === 2);
    expect(second.overlay).toMatchObject({ greeting: GREETING, kind: 'breakStart' });

    run.child.stdin.write('not a card\n');
    await run.stderrMatch(/badge reader: refused a read \(not-a-number\)/);

    await waitFor(() => ledger.committed.size >= 2, 10_000, 'two bookings at the ledger');
    expect([...ledger.committed.values()].map((b) => [b.sequence, b.kind, b.badge])).toEqual([
      [1, 'come', PSEUDONYM],
      [2, 'breakStart', PSEUDONYM],
    ]);
    await stream.next((view) => view.online && view.waiting === 0 && view.overlay?.type === 'confirmation' && view.overlay.sequence === 2);

    const status = await watchStatus();
    try {
      await waitFor(() => status.messages.length > 0, 5000, 'the retained status');
      expect(status.messages[0]).toEqual({ terminal: TERMINAL_ID, state: 'online' });
      run.child.kill('SIGTERM');
      expect(await run.exit).toEqual({ code: 0, signal: null });
      expect(run.stderr()).toMatch(/SIGTERM: stopping\n.*stopped\n$/);
      await waitFor(() => status.messages.some((m) => m.cause === 'stopped'), 5000, 'offline (stopped) on MQTT');
    } finally {
      await status.close();
    }
    await expect(fetch(new URL('/healthz', url))).rejects.toThrow();
    // neither the key nor a card number is ever logged
    for (const secret of [TEST_KEY_HEX, CARD_NUMBER, '04a23b1c']) expect(run.stderr() + run.stdout()).not.toContain(secret);
  }, 60_000);

  it('books `go` for a tap without a button from booking.goFromHour on', async () => {
    const run = cli(['terminal', '--config', exampleConfig((config) => (config.booking = { ...config.booking, goFromHour: 0 }))]);
    const url = (await run.stderrMatch(/kiosk page on (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    stream = await openViewStream(url);
    await stream.next((view) => view.online, 10_000);
    run.child.stdin.write(CARD_NUMBER + '\n');
    const booked = await stream.next((view) => view.overlay?.type === 'confirmation');
    expect(booked.overlay).toMatchObject({ greeting: GREETING, kind: 'go', sequence: 1 });
    run.child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('--check prints what the configuration sets up and exits 0', async () => {
    const file = exampleConfig((config) => (config.reader = { type: 'evtest', device: '/dev/input/badge-reader', byteOrder: 'reversed' }));
    const run = cli(['terminal', '--config', file, '--check']);
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toBe(
      [
        `${file}: ok`,
        `terminal ${TERMINAL_ID}: MQTT ${broker.url}, client id stadtsensor-terminal-${TERMINAL_ID}`,
        `pseudonym key ${join(temp.dir, 'pseudonym.key')} (32 bytes); outbox ${join(temp.dir, 'outbox.sqlite')}`,
        'badge reader: evtest --grab /dev/input/badge-reader (format auto, byte order reversed)',
        'kiosk page: http://127.0.0.1:0/ (times in the system time zone)',
        '',
      ].join('\n'),
    );
    expect(run.stderr()).toBe('');
  });

  it('refuses a bad configuration with one line naming the place, exit 2', async () => {
    const file = exampleConfig((config) => (config.reader = { type: 'evtest' }));
    const runs = [cli(['terminal', '--config', file, '--check']), cli(['terminal', '--config', file]), cli(['terminal', '--config', join(temp.dir, 'nope.yaml')])];
    const exits = await Promise.all(runs.map((run) => run.exit));
    expect(exits).toEqual(runs.map(() => ({ code: 2, signal: null })));
    const [checked, started, missing] = runs.map((run) => run.stderr());
    const line = new RegExp(`^stadtsensor: ${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: reader\\.device: required with type evtest[^\\n]*\\n$`);
    expect(checked).toMatch(line);
    expect(started).toMatch(line);
    expect(missing).toMatch(/^stadtsensor: \S+nope\.yaml: cannot read the file: no such file[^\n]*\n$/);
  });

  it('refuses a pseudonym key file others can read, and does not start', async () => {
    const file = exampleConfig();
    chmodSync(join(temp.dir, 'pseudonym.key'), 0o644);
    const run = cli(['terminal', '--config', file]);
    expect(await run.exit).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toBe(`stadtsensor: ${join(temp.dir, 'pseudonym.key')}: holds the pseudonym key and is readable by others (mode 644): run chmod 640 ${join(temp.dir, 'pseudonym.key')}\n`);
  });

  it('says in one line when the kiosk port is taken (exit 1)', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    try {
      const port = (squatter.address() as AddressInfo).port;
      const run = cli(['terminal', '--config', exampleConfig((config) => (config.kiosk!.port = port))]);
      expect(await run.exit).toEqual({ code: 1, signal: null });
      expect(run.stderr()).toBe(`stadtsensor: kiosk page: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    } finally {
      squatter.close();
    }
  });
});
