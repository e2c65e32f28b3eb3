/**
 * `stadtsensor demo` (what `npm start` runs) and `stadtsensor bridge --check` as people run them: child processes,
 * their output and exit codes. The demo must work on a machine where the standard MQTT port is taken.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/stadtsensor.js', import.meta.url));
const example = fileURLToPath(new URL('../../examples/bridge/minimal.yaml', import.meta.url));

function run(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const temp = mkdtempSync(join(tmpdir(), 'stadtsensor-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('stadtsensor demo', () => {
  let squatter: Server | undefined;
  afterAll(() => squatter?.close());

  it('shows readings flowing through a broker on another port when its preferred port is taken', async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter!.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    const result = await run(['demo', '--port', String(taken), '--duration', '6', '--interval', '0.25']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`MQTT port ${taken} is in use: using`);
    const readings = result.stdout.split('\n').filter((line) => / roadClimate {4}air\.temperature -?\d/.test(line));
    expect(readings.length).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/ rejected +(fcnt-replay|line-garbage) /);
    const summary = /summary +(\d+) uplinks sent, \d+ frames heard by the module, (\d+) accepted, (\d+) published/.exec(result.stdout);
    expect(summary).not.toBeNull();
    const [, sent, accepted, published] = summary!.map(Number);
    expect(sent).toBeGreaterThan(5);
    expect(accepted).toBe(sent);
    expect(published).toBe(accepted);
  });
});

describe('stadtsensor bridge --check', () => {
  it('prints what a valid configuration sets up', async () => {
    const file = join(temp, 'ok.yaml');
    copyFileSync(example, file);
    chmodSync(file, 0o600);
    const result = await run(['bridge', '--config', file, '--check']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok\ngateway \S+: 1 devices; inputs: serial/);
  });

  it('refuses a configuration with keys that others can read, and says how to fix it (exit 2)', async () => {
    const file = join(temp, 'open.yaml');
    copyFileSync(example, file);
    chmodSync(file, 0o644);
    const result = await run(['bridge', '--config', file, '--check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/readable by others.*chmod 6[04]0/);
  });

  it('names a missing file', async () => {
    const result = await run(['bridge', '--config', join(temp, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope.yaml: cannot read the file: no such file/);
  });
});
