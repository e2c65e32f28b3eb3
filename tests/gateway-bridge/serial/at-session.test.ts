import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtError, AtSession } from '../../../gateway-bridge/src/inputs/serial/at-session.ts';
import { cachedClockSync, systemdClockSynced } from '../../../gateway-bridge/src/inputs/serial/clock-sync.ts';
import { Rui3LineParser } from '../../../gateway-bridge/src/inputs/serial/rui3-lines.ts';

/** A session whose "module" answers each written command with the given lines, in the same read. */
function scripted(answers: Record<string, string[]>): { session: AtSession; written: string[] } {
  const parser = new Rui3LineParser();
  const written: string[] = [];
  const session: AtSession = new AtSession((text) => {
    written.push(text);
    const reply = answers[text.trim()];
    if (reply) queueMicrotask(() => reply.flatMap((l) => parser.parse(l)).forEach((l) => session.offer(l)));
  });
  return { session, written };
}

describe('AtSession', () => {
  it('collects the reply lines of a command up to its status', async () => {
    const { session } = scripted({ 'AT+NWM=?': ['AT+NWM=1', 'OK'] });
    expect(await session.command('AT+NWM=?', 500)).toEqual({ command: 'AT+NWM=?', status: 'OK', ok: true, lines: ['AT+NWM=1'] });
  });

  it('does not miss an event that arrives in the same read as the OK', async () => {
    const { session } = scripted({ 'AT+PSEND=01': ['OK', '+EVT:TXP2P DONE'] });
    const done = session.waitFor((l) => l.kind === 'event' && l.event === 'tx-done', 500, 'TXP2P DONE');
    await session.expectOk('AT+PSEND=01', 500);
    await expect(done.promise).resolves.toMatchObject({ event: 'tx-done' });
  });

  it('fails a command in flight and waiters when closed, and later commands at once', async () => {
    const { session } = scripted({});
    const pending = session.command('AT', 5000);
    const waiting = session.waitFor(() => true, 5000, 'banner');
    session.close('port closed: unplugged');
    await expect(pending).rejects.toThrow('AT: the port closed (port closed: unplugged)');
    await expect(waiting.promise).rejects.toMatchObject({ problem: 'closed' });
    await expect(session.command('AT', 100)).rejects.toBeInstanceOf(AtError);
  });

  it('runs exclusive sequences one after the other', async () => {
    const { session, written } = scripted({ A: ['OK'], B: ['OK'] });
    const seq = (x: string) => session.exclusive(async () => {
      await session.expectOk(x, 500);
      await session.expectOk(x, 500);
    });
    await Promise.all([seq('A'), seq('B')]);
    expect(written).toEqual(['A\r\n', 'A\r\n', 'B\r\n', 'B\r\n']);
  });
});

describe('clock sync check', () => {
  it('reads systemd-timesyncd: synchronised, not yet, absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'timesync-'));
    try {
      const timesync = join(dir, 'timesync');
      expect(systemdClockSynced(timesync)).toBeNull();
      mkdirSync(timesync);
      expect(systemdClockSynced(timesync)).toBe(false);
      writeFileSync(join(timesync, 'synchronized'), '');
      expect(systemdClockSynced(timesync)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks at most once per interval', () => {
    let calls = 0;
    let t = 0;
    const check = cachedClockSync(() => ++calls % 2 === 1, 1000, () => t);
    expect([check(), check()]).toEqual([true, true]);
    t = 1000;
    expect(check()).toBe(false);
    expect(calls).toBe(2);
  });
});
