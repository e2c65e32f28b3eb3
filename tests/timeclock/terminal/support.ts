/** Shared by the Pi terminal tests: temp dirs with a key file, a terminal configuration, a fake ledger on MQTT. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { TIMECLOCK_TOPICS, type BadgeListMessage, type Booking, type BookingBatchMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { terminalConfigFromObject, type TerminalConfig } from '../../../firmware/timeclock/terminal/config.ts';
import type { TapOutcome, TerminalDisplay, TerminalStatus } from '../../../firmware/timeclock/core/ports.ts';

/** 64 hex digits: the key of the tests (never a real one). */
export const TEST_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-timeclock-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes pseudonym.key (mode 600) into `dir`; returns its path. */
export function writeKeyFile(dir: string, mode = 0o600, text = TEST_KEY_HEX + '\n'): string {
  const file = join(dir, 'pseudonym.key');
  writeFileSync(file, text, { mode });
  return file;
}

export function testTerminalConfig(dir: string, extra: Record<string, unknown> = {}): TerminalConfig {
  writeKeyFile(dir);
  return terminalConfigFromObject(
    { terminal: { id: 'test-terminal' }, pseudonymKeyFile: 'pseudonym.key', outbox: { path: 'outbox.sqlite' }, clock: { trustWithoutTimesyncd: true }, ...extra },
    { baseDir: dir },
  );
}

export class RecordingDisplay implements TerminalDisplay {
  outcomes: TapOutcome[] = [];
  statuses: TerminalStatus[] = [];
  private waiters: { test: (s: TerminalStatus) => boolean; resolve: () => void }[] = [];
  showOutcome(outcome: TapOutcome): void {
    this.outcomes.push(outcome);
  }
  showStatus(status: TerminalStatus): void {
    this.statuses.push(status);
    this.waiters = this.waiters.filter((w) => (w.test(status) ? (w.resolve(), false) : true));
  }
  /** Resolves at the first status (already shown or coming) that passes `test`. */
  until(test: (s: TerminalStatus) => boolean, timeoutMs = 10_000): Promise<void> {
    const last = this.statuses[this.statuses.length - 1];
    if (last && test(last)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`status not reached within ${timeoutMs} ms; last: ${JSON.stringify(this.statuses.at(-1))}`)), timeoutMs);
      this.waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/**
 * A ledger for the tests: subscribes to every terminal's bookings, keeps each (terminal, sequence) once, and acks
 * cumulatively the highest sequence up to which it has everything. `dropNext` ignores batches (a lost delivery).
 */
export class FakeLedger {
  readonly received: Booking[][] = [];
  readonly committed = new Map<number, Booking>();
  dropNext = 0;
  acking = true;
  serverTime: () => number | null = () => Math.floor(Date.now() / 1000);
  private constructor(readonly client: MqttClient) {}

  static async connect(url: string): Promise<FakeLedger> {
    const client = await mqtt.connectAsync(url, { clientId: `fake-ledger-${process.pid}-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200 });
    const ledger = new FakeLedger(client);
    client.on('message', (topic, payload) => ledger.onMessage(topic, payload));
    await client.subscribeAsync(TIMECLOCK_TOPICS.allBookings, { qos: 1 });
    return ledger;
  }

  async publishBadgeList(list: BadgeListMessage): Promise<void> {
    await this.client.publishAsync(TIMECLOCK_TOPICS.badges, JSON.stringify(list), { qos: 1, retain: true });
  }

  ackedThrough(): number {
    let n = 0;
    while (this.committed.has(n + 1)) n++;
    return n;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const message = JSON.parse(payload.toString()) as BookingBatchMessage;
    if (topic !== TIMECLOCK_TOPICS.bookings(message.terminal)) return;
    if (this.dropNext > 0) {
      this.dropNext--;
      return;
    }
    this.received.push(message.bookings);
    for (const booking of message.bookings) if (!this.committed.has(booking.sequence)) this.committed.set(booking.sequence, booking);
    if (this.acking) void this.client.publishAsync(TIMECLOCK_TOPICS.ack(message.terminal), JSON.stringify({ ackedThrough: this.ackedThrough(), serverTime: this.serverTime() }), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export function waitFor(test: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (test()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`${what} not reached within ${timeoutMs} ms`));
      setTimeout(poll, 20);
    };
    poll();
  });
}
