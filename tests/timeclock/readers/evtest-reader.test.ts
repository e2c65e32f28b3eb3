/**
 * The evtest reader against a stand-in `evtest` (a shell script that checks its arguments, replays recorded evtest
 * output and then behaves as told: keep running, exit with an error, or print the grab banner) and against Debian's
 * real evtest on a file that is no input device. A real reader needs /dev/input, which this machine lacks.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BadgeReader } from '../../../firmware/timeclock/terminal/readers/badge-reader.ts';
import { createEvtestBadgeReader, evtestArguments } from '../../../firmware/timeclock/terminal/readers/evtest-reader.ts';

const RECORDING = new URL('./fixtures/evtest-wedge-reader.txt', import.meta.url).pathname;
const DEVICE = '/dev/input/by-id/usb-Sycreader_RFID_Technology_Co.__Ltd_SYC_ID_IC_USB_Reader_08FF20140315-event-kbd';

let dir: string;
let readers: BadgeReader[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'evtest-reader-'));
});
afterEach(async () => {
  await Promise.all(readers.map((r) => r.close()));
  readers = [];
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in evtest: logs its arguments and pid, prints `output`, then runs `then` (shell). */
function fakeEvtest(output: string, then: string): string {
  const path = join(dir, 'evtest');
  writeFileSync(join(dir, 'output.txt'), output);
  writeFileSync(
    path,
    `#!/bin/sh\necho "$@" >> "${dir}/args"\necho $$ > "${dir}/pid"\ncat "${dir}/output.txt"\n${then}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

function start(evtestPath: string, extra = {}) {
  const reader = createEvtestBadgeReader({ device: DEVICE, evtestPath, restartDelayMs: 50, ...extra });
  readers.push(reader);
  const uids: string[] = [];
  const refused: string[] = [];
  const errors: string[] = [];
  reader.onBadge((uid) => uids.push(Buffer.from(uid).toString('hex')));
  reader.onRejected((r) => refused.push(r.reason));
  reader.onError((e) => errors.push(e.message));
  return { reader, uids, refused, errors };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('evtest badge reader', () => {
  it('runs evtest with an exclusive grab on the device and reads the recorded cards', async () => {
    const { uids, refused, errors } = start(fakeEvtest(readFileSync(RECORDING, 'utf8'), 'exec sleep 30'));
    await until(() => uids.length === 5);
    expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe(evtestArguments(DEVICE).join(' '));
    expect(evtestArguments(DEVICE)).toEqual(['--grab', DEVICE]);
    expect(uids).toEqual(['04a23b1c', '04a23b1d', '499602d2', '04a23b1c', '0003bd7436b8be']);
    expect(refused).toEqual(['events-dropped', 'interrupted', 'unexpected-key']);
    expect(errors).toEqual([]);
  });

  it('stops evtest on close', async () => {
    const { reader } = start(fakeEvtest('Testing ... (interrupt to exit)\n', 'exec sleep 30'));
    await until(() => existsSync(join(dir, 'pid')));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    await reader.close();
    expect(alive(pid)).toBe(false);
  });

  it('reports an ended evtest with its message and starts it again', async () => {
    const { errors } = start(fakeEvtest('', 'echo "evtest: error reading: No such device" >&2; exit 1'));
    await until(() => errors.length >= 3);
    expect(errors[0]).toBe(`evtest for ${DEVICE} ended (exit code 1): evtest: error reading: No such device`);
    expect(readFileSync(join(dir, 'args'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(3);
  });

  it('reports a device grabbed by another process and retries', async () => {
    const banner = 'Testing ... (interrupt to exit)\n***\n  This device is grabbed by another process.\n  No events are available to evtest while the\n  other grab is active.\n';
    const { errors } = start(fakeEvtest(banner, 'exec sleep 30'));
    await until(() => errors.length >= 2);
    expect(errors[0]).toBe(`${DEVICE} is grabbed by another process; retrying`);
  });

  it('says which package is missing when there is no evtest', async () => {
    const { errors } = start(join(dir, 'no-such-evtest'));
    await until(() => errors.length >= 1);
    expect(errors[0]).toContain('install the Debian package evtest');
  });

  it.skipIf(!existsSync('/usr/bin/evtest'))("passes on Debian's evtest's own error for a file that is no input device", async () => {
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'evtest']).toString();
    const reader = createEvtestBadgeReader({ device: '/dev/null', evtestPath: '/usr/bin/evtest', restartDelayMs: 60_000 });
    readers.push(reader);
    const errors: string[] = [];
    reader.onError((e) => errors.push(e.message));
    await until(() => errors.length === 1);
    expect(errors[0], 'evtest ' + version).toBe(
      "evtest for /dev/null ended (exit code 1): evtest: can't get version: Inappropriate ioctl for device",
    );
  });
});
