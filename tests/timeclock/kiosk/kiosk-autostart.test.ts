/**
 * hardware/timeclock/kiosk-autostart/stadtsensor-kiosk.sh against a real kiosk server and a stand-in `chromium` on
 * the PATH that records its arguments: the script waits for /healthz, then starts the browser in kiosk mode on the
 * page, and starts it again when it ends.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKioskServer, type KioskServer } from '../../../firmware/timeclock/terminal/kiosk/kiosk-server.ts';

const SCRIPT = new URL('../../../hardware/timeclock/kiosk-autostart/stadtsensor-kiosk.sh', import.meta.url).pathname;
let dir = '';
let kiosk: KioskServer | null = null;
let stopScript: (() => void) | null = null;

afterEach(async () => {
  stopScript?.();
  await kiosk?.close();
  kiosk = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!existsSync('/usr/bin/curl'))('kiosk autostart script', () => {
  it('waits for the terminal, then runs Chromium in kiosk mode on the page, again after it ends', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiosk-autostart-'));
    const log = join(dir, 'chromium.log');
    writeFileSync(join(dir, 'chromium'), `#!/bin/sh\necho "$@" >> "${log}"\nsleep 0.2\n`);
    chmodSync(join(dir, 'chromium'), 0o755);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;

    const child = spawn('sh', [SCRIPT], {
      env: { PATH: `${dir}:/usr/bin:/bin`, STADTSENSOR_KIOSK_URL: url, XDG_RUNTIME_DIR: dir },
      stdio: 'ignore',
      detached: true,
    });
    stopScript = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    // no terminal yet: no browser
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(log)).toBe(false);

    kiosk = await startKioskServer({ port });
    await until(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length >= 2);
    const first = readFileSync(log, 'utf8').split('\n')[0]!.split(' ');
    expect(first.slice(0, 2)).toEqual(['--kiosk', url]);
    expect(first).toContain(`--user-data-dir=${dir}/stadtsensor-kiosk-profile`);
    expect(first).toContain('--noerrdialogs');
  });
});
