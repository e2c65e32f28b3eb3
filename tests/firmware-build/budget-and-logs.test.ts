/** The size budget of minified bundles and the log levels compiled out of them (tools/firmware-build/app-config.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG, appConfig } from '../../tools/firmware-build/app-config.ts';
import { buildFirmware, formatBuildProblems } from '../../tools/firmware-build/index.ts';
import { runBundle, tempApps } from './support.ts';

describe('app configuration', () => {
  it('gives every app a 16 KB budget and error-only logs in the minified bundle unless the table says otherwise', () => {
    expect(DEFAULT_APP_CONFIG).toEqual({ maxMinifiedBytes: 16 * 1024, minifiedLogLevel: 'error' });
    expect(appConfig('some-new-app')).toEqual(DEFAULT_APP_CONFIG);
    expect(appConfig('selftest').minifiedLogLevel).toBe('info');
  });
});

describe('the size budget', () => {
  // Random digits do not compress away under minification: the bundle ends up just above or below the budget.
  const digits = (n: number): string => Array.from({ length: n }, (_v, i) => String((i * 7919) % 10)).join('');
  const app = (n: number): string => `const payload = '${digits(n)}';\nconsole.log(String(payload.split('').length));\n`;

  it('fails a build whose minified bundle is over the limit and names the sizes, but writes the bundles, which run', async () => {
    const dirs = tempApps({ heavy: app(16 * 1024) });
    const build = await buildFirmware({ app: 'heavy', board: 'mdbt42q-rak3172', minify: true, ...dirs });
    expect(build.maxMinifiedBytes).toBe(16 * 1024);
    expect(build.minifiedBytes).toBeGreaterThan(16 * 1024);
    expect(build.problems.map((p) => p.rule)).toEqual(['size-budget']);
    expect(formatBuildProblems(build.problems)).toBe(
      `${build.minifiedFile}:1:1 size-budget ${build.minifiedBytes} bytes minified, over the app's limit of 16384 (tools/firmware-build/app-config.ts)`,
    );
    expect(readFileSync(build.minifiedFile!, 'utf8')).toBe(build.minifiedCode);
    expect(existsSync(build.file)).toBe(true);
    expect(runBundle(build.minifiedCode!)).toEqual([String(16 * 1024)]);
  });

  it('passes a bundle exactly at the limit, and checks nothing without a minified bundle', async () => {
    const dirs = tempApps({ light: app(1000) });
    const probe = await buildFirmware({ app: 'light', board: 'mdbt42q-rak3172', minify: true, ...dirs });
    const overhead = probe.minifiedBytes! - 1000;
    const exact = tempApps({ exact: app(16 * 1024 - overhead) });
    const build = await buildFirmware({ app: 'exact', board: 'mdbt42q-rak3172', minify: true, ...exact });
    expect(build.minifiedBytes).toBe(16 * 1024);
    expect(build.problems).toEqual([]);
    expect(runBundle(build.minifiedCode!)).toEqual([String(16 * 1024 - overhead)]);
    const heavy = tempApps({ heavy: app(20 * 1024) });
    const plain = await buildFirmware({ app: 'heavy', board: 'mdbt42q-rak3172', ...heavy });
    expect(plain.problems).toEqual([]);
    expect(existsSync(plain.file)).toBe(true);
  });
});

describe('log calls in the minified bundle', () => {
  const source = `
type Level = 'debug' | 'info' | 'warn' | 'error';
const lines: string[] = [];
function log(level: Level, message: string): void {
  lines.push(level + ' ' + message);
}
const logger = { log: log };
let sideEffects = 0;
function note(): string {
  sideEffects++;
  return 'noted';
}
log('debug', 'tracing ' + note());
log('info', 'modem ready');
logger.log('warn', 'send failed: timeout');
if (lines.length >= 0) log('error', 'no keys');
const level: Level = 'info';
log(level, 'a level that is not a literal stays');
console.log('console output stays');
console.log(lines.join(' | '));
console.log('side effects ' + sideEffects);
`;

  it('keeps every log call in the plain bundle and only errors in the minified one by default', async () => {
    const dirs = tempApps({ logs: source });
    const build = await buildFirmware({ app: 'logs', board: 'pico-rak3172', minify: true, ...dirs });
    expect(formatBuildProblems(build.problems)).toBe('');
    expect(runBundle(build.code)).toEqual([
      'console output stays',
      'debug tracing noted | info modem ready | warn send failed: timeout | error no keys | info a level that is not a literal stays',
      'side effects 1',
    ]);
    // the dropped call's arguments go with it: log messages must not have side effects
    expect(runBundle(build.minifiedCode!)).toEqual(['console output stays', 'error no keys | info a level that is not a literal stays', 'side effects 0']);
    expect(build.minifiedCode).not.toContain('modem ready');
  });

  it('keeps the levels an override asks for', async () => {
    const dirs = tempApps({ logs: source });
    const build = await buildFirmware({ app: 'logs', board: 'pico-rak3172', minify: true, minifiedLogLevel: 'warn', ...dirs });
    expect(runBundle(build.minifiedCode!)[1]).toBe('warn send failed: timeout | error no keys | info a level that is not a literal stays');
  });
});
