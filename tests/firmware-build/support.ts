/** Helpers for the firmware build tests: temporary apps and running bundles in the Espruino sandbox. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createEspruinoContext, runInEspruino } from '../../tools/espruino-compat/sandbox.ts';

const roots: string[] = [];
// Each test file has its own copy of this module: its folders go when its tests are done.
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A fresh folder with `apps/<name>/main.ts` for each source, and an `out` folder for bundles; removed after the file's tests. */
export function tempApps(sources: Record<string, string>): { appsDir: string; outDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'stadtsensor-firmware-build-'));
  roots.push(root);
  for (const [name, source] of Object.entries(sources)) {
    mkdirSync(join(root, 'apps', name), { recursive: true });
    writeFileSync(join(root, 'apps', name, 'main.ts'), source);
  }
  return { appsDir: join(root, 'apps'), outDir: join(root, 'out') };
}

/** Runs a bundle in a context with only Espruino's globals; returns what it printed with console.log, line by line. */
export function runBundle(code: string): string[] {
  const lines: string[] = [];
  const console = { log: (...values: unknown[]) => lines.push(values.map(String).join(' ')) };
  runInEspruino(code, createEspruinoContext({ console }), 'bundle.js');
  return lines;
}
