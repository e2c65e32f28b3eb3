/** The `stadtsensor` command as people run it: a child process, its output and its exit code. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/stadtsensor.js', import.meta.url));

function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

describe('stadtsensor CLI', () => {
  it('decodes hex and base64 payloads to JSON', async () => {
    const hex = await run(['decode', '--port', '20', '6A 2D 0C 5A 5C C0']);
    expect(hex.code).toBe(0);
    expect(JSON.parse(hex.stdout)).toMatchObject({ air: { temperature: 2.4, relativeHumidity: 90 }, iceRisk: 'watch' });
    const b64 = await run(['decode', '-p', '20', '--base64', '--compact', 'ai0MWlzA']);
    expect(b64.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(b64.stdout)).toEqual(JSON.parse(hex.stdout));
  });

  it('encodes JSON from the argument or standard input', async () => {
    const arg = await run(['encode', '--port', '3', '{"sendInterval": 900}']);
    expect(arg).toMatchObject({ code: 0, stdout: '800001C200\n' });
    const stdin = await run(['encode', '--port', '41', '--base64', '-'], '{"ackedThrough": 1006, "serverTime": null}');
    expect(stdin.code).toBe(0);
    expect(Buffer.from(stdin.stdout.trim(), 'base64').toString('hex')).toBe('000003eeffffffff');
  });

  it.each([
    [['decode', '--port', '20', '6A2D0C5A5C'], 'cannot decode FPort 20: expected 6 bytes, got 5'],
    [['decode', '--port', '20', 'zz'], 'not a hex payload'],
    [['decode', '--port', '0', '00'], 'not an application FPort'],
    [['decode', '--port', '99', '00'], 'unknown FPort 99'],
    [['encode', '--port', '3', '{"sendIntervall": 900}'], 'sendIntervall: unknown field'],
    [['encode', '--port', '3', '{not json'], 'not valid JSON'],
    [['decode', '00'], "required option '-p, --port <fport>' not specified"],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('writes the formatter and the docs', async () => {
    const formatter = await run(['formatter']);
    expect(formatter.code).toBe(0);
    expect(formatter.stdout).toContain('function decodeUplink(input)');
    expect(formatter.stdout).toBe(readFileSync(new URL('../../payload-schema/generated/ttn-formatter.js', import.meta.url), 'utf8'));
    const docs = await run(['docs']);
    expect(docs.stdout).toContain('# FPort 20: Road climate');
    const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-docs-'));
    const written = await run(['docs', '--out', dir]);
    expect(written.code).toBe(0);
    expect(readdirSync(dir)).toContain('roadClimate.md');
  });

  it('checks files for Espruino compatibility: exit 0 when clean, 3 with problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-compat-'));
    const bad = join(dir, 'bad.js');
    writeFileSync(bad, 'const { a } = obj;\nconst m = new Map();\n');
    const clean = await run(['check-espruino', fileURLToPath(new URL('../../payload-schema/generated/firmware/payload.js', import.meta.url))]);
    expect(clean.code).toBe(0);
    const result = await run(['check-espruino', bad]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/bad\.js:1:\d+ destructuring/);
    expect(result.stdout).toMatch(/bad\.js:2:\d+ missing-global/);
  });

  it('builds a firmware bundle, and refuses an unknown app', async () => {
    const built = await run(['build', 'selftest', '--board', 'mdbt42q-rak3172']);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/selftest\s+mdbt42q-rak3172\s+p2p\s+\d+\s+\d+\s+\d+\s+ok/);
    const lorawan = await run(['build', 'selftest', '--board', 'mdbt42q-rak3172', '--radio', 'lorawan', '--no-minify']);
    expect(lorawan.code).toBe(0);
    expect(lorawan.stdout).toMatch(/selftest\s+mdbt42q-rak3172\s+lorawan\s+\d+\s+-/);
    expect((await run(['build', 'selftest', '--board', 'mdbt42q-rak3172', '--radio', 'fsk'])).code).toBe(2);
    const unknown = await run(['build', 'nope', '--board', 'mdbt42q-rak3172']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown app "nope"');
  });

  it('simulates the app scenarios: a river gauge measures the flood it sees; wrong combinations are refused', async () => {
    const river = await run(['simulate', 'river-flood', '--hours', '3', '--seed', '3']);
    expect(river.code).toBe(0);
    expect(river.stderr).toMatch(/building water-level for mdbt42q-rak3172/);
    const worst = /readings: (\d+) \(0 without a level\), worst error against the true level ([\d.]+) cm/.exec(river.stdout);
    expect(worst, river.stdout).not.toBeNull();
    expect(Number(worst![1])).toBeGreaterThanOrEqual(10);
    expect(Number(worst![2])).toBeLessThanOrEqual(1);
    expect(river.stdout).toMatch(/console errors: 0/);
    const wrongApp = await run(['simulate', 'river-flood', '--app', 'road-climate']);
    expect(wrongApp.code).toBe(2);
    expect(wrongApp.stderr).toMatch(/river-flood runs the water-level app/);
    const unknown = await run(['simulate', 'flood']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/street-busy, river-flood, garage-day/);
  }, 120_000);

  it('runs the tour of the message catalog', async () => {
    const result = await run(['tour']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('FPort 20 roadClimate (uplink), 6 bytes: 6A2D0C5A5CC0');
    expect(result.stdout).toMatch(/10 messages, \d+ bytes in all/);
  });
});
