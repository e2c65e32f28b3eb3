/**
 * The Pi terminal (startTerminal: core + SQLite outbox + MQTT transport) against a real Mosquitto and a fake ledger
 * written here: delivery in order, acks emptying the outbox, the retained badge list, an outage of the broker, a
 * lost delivery, the last will, TLS with a password.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TIMECLOCK_TOPICS, type BadgeListMessage, type TerminalStatusMessage } from '../../../firmware/timeclock/core/contracts.ts';
import type { MqttTransport } from '../../../firmware/timeclock/terminal/mqtt-transport.ts';
import { startTerminal, type RunningTerminal } from '../../../firmware/timeclock/terminal/terminal.ts';
import { SqliteOutbox } from '../../../firmware/timeclock/terminal/sqlite-outbox.ts';
import { freePort, startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';
import { FakeLedger, RecordingDisplay, TEST_KEY_HEX, tempDir, testTerminalConfig, waitFor } from './support.ts';

const KEY = Buffer.from(TEST_KEY_HEX, 'hex');
const pseudonym = (uid: Uint8Array): string => createHmac('sha256', KEY).update(uid).digest().subarray(0, 4).toString('hex');
const ALICE = new Uint8Array([0x04, 0xa1, 0xb2, 0xc3]);
const BOB = new Uint8Array([0x04, 0x11, 0x22, 0x33]);
const CAROL = new Uint8Array([0x04, 0x99, 0x88, 0x77]);
const STRANGER = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
const LIST: BadgeListMessage = {
  version: 7,
  badges: [
    { badge: pseudonym(ALICE), greeting: 'Guten Morgen, Frau Schmidt' },
    { badge: pseudonym(BOB), greeting: 'Hallo Herr Weber' },
  ],
  revoked: [pseudonym(CAROL)],
};
const TUNING = { reconnectPeriodMs: 200, connectTimeoutMs: 2000 };

let broker: Mosquitto;
let cleanups: (() => Promise<void> | void)[] = [];
let terminalCount = 0;

beforeAll(async () => {
  broker = await startMosquitto();
  const ledger = await FakeLedger.connect(broker.url);
  await ledger.publishBadgeList(LIST);
  await ledger.close();
});
afterAll(async () => {
  await broker.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function ledger(url = broker.url): Promise<FakeLedger> {
  const l = await FakeLedger.connect(url);
  cleanups.push(() => l.close());
  // retained, but a broker killed by an earlier test has lost it
  await l.publishBadgeList(LIST);
  return l;
}

function terminal(extra: Record<string, unknown> = {}, url = broker.url): { t: RunningTerminal; display: RecordingDisplay; id: string; outboxPath: string; logs: string[] } {
  const temp = tempDir();
  const id = `t-${++terminalCount}`;
  // no debounce: the tests tap the same badges in quick succession
  const config = testTerminalConfig(temp.dir, { terminal: { id }, mqtt: { url }, ...extra, booking: { debounceS: 0, ...(extra.booking as object) } });
  const display = new RecordingDisplay();
  const logs: string[] = [];
  const t = startTerminal(config, { display, log: (level, message) => logs.push(`${level} ${message}`) }, { mqttTuning: TUNING });
  cleanups.push(async () => {
    await t.close();
    temp.remove();
  });
  return { t, display, id, outboxPath: config.outbox.path, logs };
}

/** Every retained-or-live status message of a terminal, as they arrive. */
async function watchStatus(id: string): Promise<TerminalStatusMessage[]> {
  const seen: TerminalStatusMessage[] = [];
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 200 });
  cleanups.push(() => client.endAsync(true));
  client.on('message', (_topic, payload) => seen.push(JSON.parse(payload.toString()) as TerminalStatusMessage));
  await client.subscribeAsync(TIMECLOCK_TOPICS.status(id), { qos: 1 });
  return seen;
}

describe('the terminal on MQTT', () => {
  it('delivers bookings in order and removes them from the outbox only on the ledger acks', async () => {
    const l = await ledger();
    l.acking = false;
    const { t, display, id } = terminal();
    const status = await watchStatus(id);
    await display.until((s) => s.online && s.badgeListVersion === 7);
    for (const uid of [ALICE, BOB, ALICE, BOB]) {
      expect(t.tap(uid).result).toBe('booked');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor(() => l.committed.size === 1, 5000, 'first booking at the ledger');
    // the terminal waits for the ack of its batch in flight before it sends more; nothing is removed yet
    expect(t.status().pending).toBe(4);
    l.acking = true;
    await l.client.publishAsync(TIMECLOCK_TOPICS.ack(id), JSON.stringify({ ackedThrough: 1, serverTime: Math.floor(Date.now() / 1000) }), { qos: 1 });
    await display.until((s) => s.pending === 0);
    expect([...l.committed.keys()]).toEqual([1, 2, 3, 4]);
    expect([...l.committed.values()].map((b) => b.badge)).toEqual([ALICE, BOB, ALICE, BOB].map(pseudonym));
    expect([...l.committed.values()].every((b) => b.kind === t.status().kind && !b.clockUnsynced)).toBe(true);
    expect(l.received.flat().map((b) => b.sequence)).toEqual([1, 2, 3, 4]);
    expect(status.at(-1)).toEqual({ terminal: id, state: 'online' });
  });

  it('refuses unknown and revoked badges from the retained badge list, and keeps the list for an offline restart', async () => {
    await ledger();
    const { t, display, outboxPath } = terminal();
    await display.until((s) => s.badgeListVersion === 7);
    expect(t.tap(STRANGER)).toMatchObject({ result: 'refused', reason: 'unknownBadge' });
    expect(t.tap(CAROL)).toMatchObject({ result: 'refused', reason: 'revokedBadge' });
    expect(t.status().pending).toBe(0);
    await t.close();
    const reopened = new SqliteOutbox(outboxPath);
    expect(reopened.load()).toEqual(LIST);
    reopened.close();
  });

  it('books while the broker is down, shows the offline state, and delivers everything once it is back', async () => {
    const l = await ledger();
    // the ledger may subscribe again after the terminal has sent: the resend after the ack timeout covers that
    const { t, display } = terminal({ booking: { ackTimeoutS: 1 } });
    await display.until((s) => s.online);
    await broker.kill();
    cleanups.push(async () => {
      if (!broker.running) await broker.restart();
    });
    await display.until((s) => !s.online);
    for (const uid of [ALICE, BOB, ALICE]) expect(t.tap(uid)).toMatchObject({ result: 'booked', repeated: false });
    expect(t.status()).toMatchObject({ online: false, pending: 3 });
    await broker.restart();
    await display.until((s) => s.online && s.pending === 0, 15_000);
    expect([...l.committed.keys()]).toEqual([1, 2, 3]);
  }, 30_000);

  it('delivers after a restart what was booked offline before it, and goes on with the next sequence', async () => {
    const l = await ledger();
    const temp = tempDir();
    cleanups.push(() => temp.remove());
    const offlineUrl = `mqtt://127.0.0.1:${await freePort()}`;
    const configFor = (url: string) => testTerminalConfig(temp.dir, { terminal: { id: 'restarted' }, mqtt: { url }, booking: { debounceS: 0 } });
    const seeded = new SqliteOutbox(configFor(offlineUrl).outbox.path);
    seeded.save(LIST);
    seeded.close();
    const before = startTerminal(configFor(offlineUrl), { display: new RecordingDisplay(), log: () => {} }, { mqttTuning: TUNING });
    expect(before.tap(ALICE).result).toBe('booked');
    expect(before.tap(BOB).result).toBe('booked');
    await before.close();
    const display = new RecordingDisplay();
    const after = startTerminal(configFor(broker.url), { display, log: () => {} }, { mqttTuning: TUNING });
    cleanups.push(() => after.close());
    await display.until((s) => s.online && s.pending === 0);
    expect(after.tap(ALICE)).toMatchObject({ booking: { sequence: 3 } });
    await display.until((s) => s.pending === 0);
    expect([...l.committed.values()].map((b) => [b.sequence, b.badge])).toEqual([
      [1, pseudonym(ALICE)],
      [2, pseudonym(BOB)],
      [3, pseudonym(ALICE)],
    ]);
  });

  it('sends a batch again when the ledger missed it, and the ledger keeps one copy', async () => {
    const l = await ledger();
    l.dropNext = 1;
    const { t, display } = terminal({ booking: { ackTimeoutS: 0.5 } });
    await display.until((s) => s.online && s.badgeListVersion !== null);
    t.tap(ALICE);
    t.tap(BOB);
    await display.until((s) => s.pending === 0, 5000);
    expect(t.counters().resend).toBeGreaterThanOrEqual(1);
    expect([...l.committed.keys()]).toEqual([1, 2]);
  });

  it('counts a malformed acknowledgement and ignores it', async () => {
    const l = await ledger();
    l.acking = false;
    const { t, display, id } = terminal();
    await display.until((s) => s.online && s.badgeListVersion !== null);
    t.tap(ALICE);
    await waitFor(() => l.committed.size === 1);
    await l.client.publishAsync(TIMECLOCK_TOPICS.ack(id), '{"ackedThrough": ', { qos: 1 });
    await l.client.publishAsync(TIMECLOCK_TOPICS.ack(id), '{"ackedThrough": -5, "serverTime": null}', { qos: 1 });
    await waitFor(() => (t.counters().invalidJson ?? 0) === 1 && (t.counters().invalidAck ?? 0) === 1);
    expect(t.status().pending).toBe(1);
  });

  it('says offline through its last will when the connection breaks, online again after reconnecting, offline when stopped', async () => {
    await ledger();
    const { t, display, id } = terminal();
    await display.until((s) => s.online);
    const status = await watchStatus(id);
    await waitFor(() => status.length === 1);
    (t.transport as MqttTransport).mqttClient!.stream.destroy();
    await waitFor(() => status.some((s) => s.state === 'offline'), 5000, 'last will');
    await waitFor(() => status.at(-1)?.state === 'online', 5000, 'online again');
    await t.close();
    await waitFor(() => status.at(-1)?.state === 'offline');
    expect(status.map((s) => `${s.state}${s.cause ? ` ${s.cause}` : ''}`)).toEqual(['online', 'offline last-will', 'online', 'offline stopped']);
  });
});

describe('the terminal on MQTT over TLS with a password', () => {
  let secure: Mosquitto;
  beforeAll(async () => {
    secure = await startMosquitto({ users: { 'eg-1': 'pw-eg-1', ledger: 'pw-ledger' }, tls: true });
  });
  afterAll(async () => {
    await secure.close();
  });

  it('connects with the private CA and delivers', async () => {
    const l = await FakeLedger.connect(secure.url.replace('mqtt://', 'mqtt://ledger:pw-ledger@'));
    cleanups.push(() => l.close());
    await l.publishBadgeList(LIST);
    const temp = tempDir();
    writeFileSync(join(temp.dir, 'mqtt.password'), 'pw-eg-1\n', { mode: 0o600 });
    const config = testTerminalConfig(temp.dir, { terminal: { id: 'tls-terminal' }, mqtt: { url: secure.tlsUrl, username: 'eg-1', passwordFile: 'mqtt.password', ca: secure.certs!.caFile } });
    const display = new RecordingDisplay();
    const t = startTerminal(config, { display, log: () => {} }, { mqttTuning: TUNING });
    cleanups.push(async () => {
      await t.close();
      temp.remove();
    });
    await display.until((s) => s.online && s.badgeListVersion === 7);
    t.tap(ALICE);
    await display.until((s) => s.pending === 0);
    expect([...l.committed.values()].map((b) => b.badge)).toEqual([pseudonym(ALICE)]);
  });
});
