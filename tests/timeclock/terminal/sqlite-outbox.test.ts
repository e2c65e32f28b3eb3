/**
 * The Pi terminal's SQLite outbox: the BookingOutbox and BadgeListStore contracts, durability across reopening and
 * across a SIGKILL right after a confirmation, and the time from a tap to its confirmation with synchronous=FULL.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BadgeListMessage } from '../../../firmware/timeclock/core/contracts.ts';
import type { NewBooking } from '../../../firmware/timeclock/core/ports.ts';
import { createTerminal } from '../../../firmware/timeclock/core/terminal-core.ts';
import { nodePseudonymHmac, nodeTimers } from '../../../firmware/timeclock/terminal/node-platform.ts';
import { SqliteOutbox } from '../../../firmware/timeclock/terminal/sqlite-outbox.ts';
import { freePort } from '../../support/mosquitto.ts';
import { TEST_KEY_HEX, tempDir, writeKeyFile } from './support.ts';

const fixture = fileURLToPath(new URL('./fixtures/book-until-killed.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const KEY = Buffer.from(TEST_KEY_HEX, 'hex');
const UID = new Uint8Array([0x04, 0xa1, 0xb2, 0xc3]);
const BADGE = createHmac('sha256', KEY).update(UID).digest().subarray(0, 4).toString('hex');
const LIST: BadgeListMessage = { version: 1, badges: [{ badge: BADGE, greeting: 'Hallo' }], revoked: [] };

function booking(n: number): NewBooking {
  return { badge: BADGE, kind: n % 2 === 0 ? 'come' : 'go', time: 1795766400 + n, clockUnsynced: n % 3 === 0 };
}

let temp: ReturnType<typeof tempDir>;
let opened: SqliteOutbox[] = [];
const open = (file = join(temp.dir, 'outbox.sqlite')): SqliteOutbox => {
  const outbox = new SqliteOutbox(file);
  opened.push(outbox);
  return outbox;
};

beforeEach(() => {
  temp = tempDir();
  opened = [];
});
afterEach(() => {
  for (const outbox of opened) outbox.close();
  temp.remove();
});

describe('SqliteOutbox', () => {
  it('gives consecutive sequences from 1 and lists the unacknowledged oldest first', () => {
    const outbox = open();
    expect(outbox.nextSequence()).toBe(1);
    const stored = [1, 2, 3, 4, 5].map((n) => outbox.append(booking(n)));
    expect(stored.map((b) => b.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(outbox.unacknowledged(3)).toEqual(stored.slice(0, 3));
    expect(outbox.unacknowledged(3)[2]).toEqual({ sequence: 3, badge: BADGE, kind: 'go', time: 1795766403, clockUnsynced: true });
    expect(outbox.pendingCount()).toBe(5);
    expect(outbox.nextSequence()).toBe(6);
  });

  it('removes only through the acknowledged sequence, and never reuses a sequence', () => {
    const outbox = open();
    for (let n = 1; n <= 5; n++) outbox.append(booking(n));
    expect(outbox.acknowledge(3)).toBe(3);
    expect(outbox.unacknowledged(10).map((b) => b.sequence)).toEqual([4, 5]);
    expect(outbox.acknowledge(3)).toBe(0);
    expect(outbox.acknowledge(5)).toBe(2);
    expect(outbox.append(booking(6)).sequence).toBe(6);
  });

  it('moves the next sequence forward only', () => {
    const outbox = open();
    outbox.setNextSequence(100);
    outbox.setNextSequence(50);
    expect(outbox.append(booking(1)).sequence).toBe(100);
  });

  it('keeps bookings, the next sequence and the badge list across reopening', () => {
    const file = join(temp.dir, 'outbox.sqlite');
    const first = open(file);
    for (let n = 1; n <= 4; n++) first.append(booking(n));
    first.acknowledge(2);
    first.save(LIST);
    first.close();
    const second = open(file);
    expect(second.unacknowledged(10).map((b) => b.sequence)).toEqual([3, 4]);
    expect(second.nextSequence()).toBe(5);
    expect(second.load()).toEqual(LIST);
  });

  it('runs in WAL mode with synchronous=FULL', () => {
    const outbox = open();
    const db = (outbox as unknown as { db: { pragma(s: string, o: { simple: boolean }): unknown } }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('refuses a database written by a newer terminal', () => {
    const file = join(temp.dir, 'outbox.sqlite');
    const outbox = open(file);
    (outbox as unknown as { db: { pragma(s: string): unknown } }).db.pragma('user_version = 99');
    outbox.close();
    expect(() => new SqliteOutbox(file)).toThrow(/schema version 99/);
  });
});

describe('a terminal SIGKILLed right after confirmations', () => {
  /** Runs the child until it printed `count` confirmations, SIGKILLs it, returns the printed sequences. */
  async function bookUntilKilled(configFile: string, count: number): Promise<number[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, configFile, Buffer.from(UID).toString('hex')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const confirmed: number[] = [];
    let stderr = '';
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) confirmed.push(Number(line));
      if (confirmed.length >= count) child.kill('SIGKILL');
    });
    const signal = await exited;
    if (signal !== 'SIGKILL') throw new Error(`child ended by itself (${signal}): ${stderr}`);
    expect(stderr).toBe('');
    return confirmed;
  }

  it('has every confirmed booking in the outbox when reopened, with no gap in the sequences', async () => {
    writeKeyFile(temp.dir);
    const file = join(temp.dir, 'outbox.sqlite');
    const seed = open(file);
    seed.save(LIST);
    seed.close();
    const configFile = join(temp.dir, 'terminal.json');
    const port = await freePort(); // nothing listens: the terminal stays offline
    writeFileSync(configFile, JSON.stringify({ terminal: { id: 'crash-test' }, mqtt: { url: `mqtt://127.0.0.1:${port}` }, pseudonymKeyFile: 'pseudonym.key', outbox: { path: 'outbox.sqlite' }, booking: { debounceS: 0 } }));

    const first = await bookUntilKilled(configFile, 50);
    const second = await bookUntilKilled(configFile, 50);
    const outbox = open(file);
    const stored = outbox.unacknowledged(1_000_000).map((b) => b.sequence);
    const storedSet = new Set(stored);
    expect([...first, ...second].filter((sequence) => !storedSet.has(sequence))).toEqual([]);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    // the second run went on after the first one's last stored booking
    expect(second[0]).toBeGreaterThan(first[first.length - 1]!);
    expect(outbox.nextSequence()).toBe(stored.length + 1);
  }, 60_000);
});

describe('confirmation latency with the SQLite outbox (synchronous=FULL)', () => {
  it('shows the confirmation well within 1 s of the tap', () => {
    const outbox = open();
    outbox.save(LIST);
    let shownAt = 0;
    const terminal = createTerminal({
      outbox,
      badgeStore: outbox,
      clock: { now: () => Date.now() / 1000, synchronised: () => true },
      hmac: nodePseudonymHmac(KEY),
      transport: { maxBatch: 50, maxSpanS: null, start: () => {}, send: () => {} },
      display: { showOutcome: () => (shownAt = performance.now()), showStatus: () => {} },
      timers: nodeTimers,
      settings: { debounceMs: 0 },
    });
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const tappedAt = performance.now();
      expect(terminal.tap(UID).result).toBe('booked');
      latencies.push(shownAt - tappedAt);
    }
    terminal.stop();
    latencies.sort((a, b) => a - b);
    const median = latencies[100]!;
    const p99 = latencies[197]!;
    console.log(`tap -> confirmation with SQLite WAL synchronous=FULL: median ${median.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${latencies[199]!.toFixed(2)} ms (200 taps)`);
    expect(outbox.pendingCount()).toBe(200);
    expect(p99).toBeLessThan(1000);
  });
});
