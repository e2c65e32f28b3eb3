/**
 * The road-climate bundle as a maker flashes it (minified), built once per board and test file into a temporary
 * directory. Compatibility problems fail the test; a bundle over its size budget still runs here, so that the
 * behaviour is tested while the budget is tested on its own (road-climate.test.ts, `npm run build:firmware`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';

const builds = new Map<string, Promise<FirmwareBuild>>();

async function build(board: string): Promise<FirmwareBuild> {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-test-'));
  try {
    return await buildFirmware({ app: 'road-climate', board, minify: true, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export function climateBuild(board = 'mdbt42q-rak3172'): Promise<FirmwareBuild> {
  let result = builds.get(board);
  if (!result) builds.set(board, (result = build(board)));
  return result;
}

export async function climateBundle(board = 'mdbt42q-rak3172'): Promise<string> {
  const result = await climateBuild(board);
  expect(result.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
  return result.minifiedCode!;
}
