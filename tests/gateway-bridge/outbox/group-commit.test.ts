import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openBridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import { GroupCommit } from '../../../gateway-bridge/src/outbox/group-commit.ts';
import { SqliteCounterStore } from '../../../gateway-bridge/src/outbox/sqlite-counter-store.ts';
import { SqliteOutbox } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import { sampleEvent } from './sample-events.ts';

let dir: string;
let file: string;
let outbox: SqliteOutbox;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-group-'));
  file = join(dir, 'bridge.sqlite');
  outbox = SqliteOutbox.open(file);
});
afterEach(() => {
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The outbox's transaction(), counting the outermost ones: each is one commit. */
function countingCommits(target: SqliteOutbox) {
  let depth = 0;
  const counter = {
    commits: 0,
    transaction<T>(fn: () => T): T {
      if (depth++ === 0) counter.commits++;
      try {
        return target.transaction(fn);
      } finally {
        depth--;
      }
    },
  };
  return counter;
}

it('runs the jobs of one event-loop turn in one transaction, in order', async () => {
  const counting = countingCommits(outbox);
  const group = new GroupCommit(counting);
  const results = await Promise.all(Array.from({ length: 120 }, (_, n) => group.run(() => outbox.add(sampleEvent(n), 'up').status)));
  expect(results.every((status) => status === 'added')).toBe(true);
  expect(counting.commits).toBe(1);
  expect(outbox.nextBatch(200).rows.map((r) => (r.kind === 'up' ? r.event.fCnt : -1))).toEqual([...Array(120).keys()]);
  await group.run(() => outbox.add(sampleEvent(500), 'up'));
  expect(counting.commits).toBe(2);
});

it('bounds a transaction to maxBatch jobs', async () => {
  const counting = countingCommits(outbox);
  const group = new GroupCommit(counting, 50);
  await Promise.all(Array.from({ length: 120 }, (_, n) => group.run(() => outbox.add(sampleEvent(n), 'up'))));
  expect(counting.commits).toBe(3);
});

it('settles a job only after its rows are committed', async () => {
  const group = new GroupCommit(outbox);
  const reader = openBridgeDatabase(file);
  try {
    const seenByAnotherConnection = await group.run(() => outbox.add(sampleEvent(1), 'up')).then(() => reader.prepare('SELECT COUNT(*) AS n FROM outbox').get());
    expect(seenByAnotherConnection).toEqual({ n: 1 });
  } finally {
    reader.close();
  }
});

it('undoes only the job that failed, counter update included', async () => {
  const counters = new SqliteCounterStore(outbox.database);
  const group = new GroupCommit(outbox);
  const job = (n: number, fail = false) =>
    group.run(() => {
      counters.set(`dev-${n}`, { fCnt: n, startupMics: [] });
      outbox.add(sampleEvent(n), 'up');
      if (fail) throw new Error(`frame ${n} failed`);
      return n;
    });
  const outcomes = await Promise.allSettled([job(1), job(2, true), job(3)]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(outbox.nextBatch(10).rows.map((r) => r.id)).toEqual([sampleEvent(1).id, sampleEvent(3).id]);
  expect(outbox.stats().pending).toBe(2);
  expect(counters.get('dev-2')).toBeUndefined();
  expect(counters.get('dev-3')?.fCnt).toBe(3);
});
