/**
 * The road-climate bundle as a maker flashes it (minified), built once per board and radio mode and test file into a
 * temporary directory. Compatibility problems fail the test; a bundle over its size budget still runs here, so that
 * the behaviour is tested while the budget is tested on its own (road-climate.test.ts, `npm run build:firmware`).
 * The radio mode is the build's (`--radio`): P2P by default, 'lorawan' for the LoRaWAN tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RadioMode } from '../../firmware/core/radio.ts';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';

const builds = new Map<string, Promise<FirmwareBuild>>();

async function build(board: string, radio: RadioMode): Promise<FirmwareBuild> {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-test-'));
  try {
    return await buildFirmware({ app: 'road-climate', board, radio, minify: true, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export function climateBuild(board = 'mdbt42q-rak3172', radio: RadioMode = 'p2p'): Promise<FirmwareBuild> {
  const key = `${board}/${radio}`;
  let result = builds.get(key);
  if (!result) builds.set(key, (result = build(board, radio)));
  return result;
}

export async function climateBundle(board = 'mdbt42q-rak3172', radio: RadioMode = 'p2p'): Promise<string> {
  const result = await climateBuild(board, radio);
  expect(result.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
  return result.minifiedCode!;
}
