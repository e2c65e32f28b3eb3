/**
 * The water-level bundle as a maker flashes it (minified), built once per board and test file into a temporary
 * directory (as climate-bundle.ts does for the road-climate node). Compatibility problems fail the test; the size
 * budget is tested on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';
import type { RadioMode } from '../../firmware/core/radio.ts';

const builds = new Map<string, Promise<FirmwareBuild>>();

async function build(board: string, radio: RadioMode): Promise<FirmwareBuild> {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-water-'));
  try {
    return await buildFirmware({ app: 'water-level', board, radio, minify: true, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export function waterBuild(board = 'mdbt42q-rak3172', radio: RadioMode = 'p2p'): Promise<FirmwareBuild> {
  let result = builds.get(board + radio);
  if (!result) builds.set(board + radio, (result = build(board, radio)));
  return result;
}

export async function waterBundle(board = 'mdbt42q-rak3172', radio: RadioMode = 'p2p'): Promise<string> {
  const result = await waterBuild(board, radio);
  expect(result.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
  return result.minifiedCode!;
}
