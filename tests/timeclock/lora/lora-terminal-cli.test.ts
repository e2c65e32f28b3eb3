/**
 * A LoRa-only terminal as systemd runs it: `stadtsensor terminal --config <file>` in a child process, from
 * examples/timeclock/terminal-lora.yaml (its serial port pointed at a pty, the uplink spacing shortened), with the
 * badge list exported by `stadtsensor ledger badge export-list` (run in this process through the same commander
 * program: a CLI child takes ~18 s to start on this loaded machine) as its badgeListFile.
 *
 * Real parts: the terminal CLI, the ledger's admin command, the terminal's RUI3 driver on a socat pty, the gateway bridge on its own pty, aedes, the
 * ledger on SQLite. Simulated: the two RAK3172 modules (tools/simulator/pty) and the radio medium between them.
 * A card number typed on the terminal's standard input is confirmed on the kiosk page with the exported greeting,
 * travels as a bookingBatch uplink to the ledger, and the ledger's ack comes back as a downlink that empties the
 * terminal's outbox (the page's waiting count goes to 0).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import type { BadgeListMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { registerLedgerCommands } from '../../../ledger/src/cli.ts';
import { ledgerConfigFromObject } from '../../../ledger/src/config.ts';
import { loadTerminalConfig } from '../../../firmware/timeclock/terminal/config.ts';
import { summarizeTerminalConfig } from '../../../tools/cli/timeclock-commands.ts';
import { Ledger } from '../../../ledger/src/ledger.ts';
import { startBroker, tempDir, waitFor, type BrokerUnderTest } from '../../gateway-bridge/e2e/stack.ts';
import { startLoraRig, type LoraRig } from './lora-rig.ts';
import { openViewStream, type ViewStream } from '../kiosk/sse-client.ts';
import { TEST_KEY_HEX, writeKeyFile } from '../terminal/support.ts';

const bin = fileURLToPath(new URL('../../../bin/stadtsensor.js', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/timeclock/terminal-lora.yaml', import.meta.url));

/** `stadtsensor ledger ...` through the CLI's own commander program; returns what it printed. */
async function ledgerCli(...args: string[]): Promise<string> {
  const program = new Command('stadtsensor').exitOverride();
  registerLedgerCommands(program);
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  try {
    await program.parseAsync(['ledger', ...args], { from: 'user' });
  } finally {
    log.mockRestore();
  }
  return out.join('\n');
}

/** UID 04 A2 3B 1C as a "10 digits decimal" reader types it. */
const CARD_NUMBER = '0077740828';
const PSEUDONYM = createHmac('sha256', Buffer.from(TEST_KEY_HEX, 'hex')).update(Buffer.from('04a23b1c', 'hex')).digest().subarray(0, 4).toString('hex');
const GREETING = 'Moin, Herr Lorenz';

type ExampleConfig = Record<string, Record<string, unknown>>;
const exampleConfig = parse(readFileSync(example, 'utf8')) as ExampleConfig;
const TERMINAL_ID = String(exampleConfig.terminal!.id);
const lora = exampleConfig.lora as { devAddr: string; nwkSKey: string; appSKey: string };

let temp: ReturnType<typeof tempDir>;
let broker: BrokerUnderTest;
let rig: LoraRig | undefined;
let ledger: Ledger | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
let stream: ViewStream | undefined;

beforeAll(async () => {
  temp = tempDir('stadtsensor-lora-cli-');
  broker = await startBroker('aedes');
  const device = { id: TERMINAL_ID, name: 'Time clock, Bauhof', devEui: '70b3d57ed00500ff', devAddr: lora.devAddr, nwkSKey: lora.nwkSKey, appSKey: lora.appSKey, type: 'timeClock' as const };
  rig = await startLoraRig({ brokerUrl: broker.url, outbox: join(temp.dir, 'bridge.sqlite'), device, distanceM: 300 });

  // the ledger service, and its configuration file for the admin CLI (same SQLite store)
  writeFileSync(join(temp.dir, 'ledger.yaml'), stringify({ store: { kind: 'sqlite', path: 'ledger.db' }, mqtt: { url: broker.url, clientId: `ledger-lora-cli-${process.pid}` }, log: { level: 'silent' } }));
  ledger = await Ledger.start({ config: ledgerConfigFromObject({ mqtt: { url: broker.url, clientId: `ledger-lora-cli-${process.pid}` }, store: { kind: 'sqlite', path: 'ledger.db' }, log: { level: 'silent' } }, temp.dir) });
  await ledger.ready();
  const by = { actor: 'test', now: Math.floor(Date.now() / 1000) };
  await ledger.store.addEmployee({ id: 'e1', name: 'Lars Lorenz', greeting: GREETING }, by);
  await ledger.store.addBadge({ badge: PSEUDONYM, employeeId: 'e1', validFrom: by.now - 60 }, by);
}, 30_000);

afterAll(async () => {
  stream?.close();
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rig?.close();
  await ledger?.stop();
  await broker?.close();
  temp?.cleanup();
});

it('runs the LoRa transport from the configuration file: a tap is confirmed, reaches the ledger, and its ack empties the outbox', async () => {
  // 1. the badge list for a site without MQTT, exported by the ledger's admin CLI
  const exported = await ledgerCli('badge', 'export-list', '--config', join(temp.dir, 'ledger.yaml'), '--actor', 'hr-admin', '--out', join(temp.dir, 'badges.json'));
  expect(exported).toMatch(/^badge list version \d+: 1 badges, 0 revoked -> .*badges\.json$/);
  const list = JSON.parse(readFileSync(join(temp.dir, 'badges.json'), 'utf8')) as BadgeListMessage;
  expect(list).toMatchObject({ badges: [{ badge: PSEUDONYM, greeting: GREETING }], revoked: [] });
  expect(statSync(join(temp.dir, 'badges.json')).mode & 0o777).toBe(0o600);
  // pseudonyms and greetings only: no employee id, no name
  expect(readFileSync(join(temp.dir, 'badges.json'), 'utf8')).not.toMatch(/e1|Lars Lorenz"/);

  // 2. the example, pointed at the pty, with a short uplink spacing (the 1 % duty cycle would wait ~37 s)
  const config = structuredClone(exampleConfig);
  Object.assign(config.lora!, { path: rig!.terminalPath, uplinkSpacingS: 0.3 });
  config.outbox = { path: 'outbox.sqlite' };
  config.reader = { type: 'stdin' };
  config.kiosk = { port: 0 };
  config.clock = { trustWithoutTimesyncd: true };
  delete config.gpio;
  writeKeyFile(temp.dir);
  const file = join(temp.dir, 'terminal.yaml');
  // the session keys are in it: private (config.test.ts shows a readable one refused)
  writeFileSync(file, stringify(config), { mode: 0o600 });
  const summary = summarizeTerminalConfig(loadTerminalConfig(file));
  expect(summary).toContain(`terminal ${TERMINAL_ID}: LoRa ${rig!.terminalPath} at 115200 baud, P2P 868100000 Hz SF9 125 kHz, DevAddr ${lora.devAddr}, 6 bookings per uplink, 300 ms spacing, receive window 2000 ms, ack timeout 30 s`);
  expect(summary).toContain(`badge list file: ${join(temp.dir, 'badges.json')}`);
  for (const secret of [lora.nwkSKey, lora.appSKey, TEST_KEY_HEX]) expect(summary).not.toContain(secret);

  // 3. the terminal service
  child = spawn(process.execPath, [bin, 'terminal', '--config', file], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code)));
  // a CLI child needs up to ~20 s to start when the machine is loaded
  await waitFor('the kiosk page', () => /kiosk page on (http:\/\/127\.0\.0\.1:\d+\/)/.test(stderr), 60_000);
  const url = /kiosk page on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)![1]!;
  stream = await openViewStream(url);
  await stream.next((view) => view.online, 20_000);
  expect(stderr).toContain(`badge list version ${list.version}: 1 badges, 0 revoked`);

  const t0 = performance.now();
  child.stdin.write(CARD_NUMBER + '\n');
  const confirmed = await stream.next((view) => view.overlay?.type === 'confirmation', 5_000);
  const tConfirmed = performance.now();
  expect(confirmed.overlay).toMatchObject({ greeting: GREETING, kind: expect.stringMatching(/^(come|go)$/), sequence: 1 });

  await waitFor('the booking in the ledger', () => (ledger!.stats().inserted ?? 0) >= 1, 30_000);
  const stored = (await ledger!.store.bookingsBetween(0, 4_000_000_000)).filter((b) => b.terminal === TERMINAL_ID);
  expect(stored.map((b) => [b.sequence, b.badge, b.via])).toEqual([[1, PSEUDONYM, 'lora']]);
  // the page shows the booking waiting, then delivered: the ack came back as a downlink
  await stream.next((view) => view.waiting === 1, 5_000);
  await stream.next((view) => view.online && view.waiting === 0, 30_000);
  const tAcked = performance.now();
  expect(await ledger!.store.ackedThrough(TERMINAL_ID)).toBe(1);
  // the bridge counts a downlink once its module reports the transmission done
  await waitFor('the bridge to count the downlink', () => rig!.bridge.counts.downlinksSent >= 1, 5_000);
  expect(rig!.gatewayModule.transmitted.length).toBe(rig!.bridge.counts.downlinksSent);

  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  for (const secret of [lora.nwkSKey, lora.appSKey, TEST_KEY_HEX, CARD_NUMBER, '04a23b1c']) expect(stderr).not.toContain(secret);
  console.log(`LoRa terminal CLI: confirmed on the page after ${Math.round(tConfirmed - t0)} ms, acknowledged (outbox empty) after ${Math.round(tAcked - t0)} ms`);
}, 120_000);
