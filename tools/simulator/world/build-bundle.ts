/** The bundle a simulated node runs: the app built for the board, minified, as a maker flashes it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RadioMode } from '../../../firmware/core/radio.ts';
import { buildFirmware, DEFAULT_RADIO, formatBuildProblems } from '../../firmware-build/index.ts';

/**
 * Builds `app` for `board` in a temporary directory and returns the minified code. Compatibility problems throw; a
 * bundle over its size budget still runs (the budget is the build's concern, not the simulation's).
 */
export async function buildMinifiedBundle(app: string, board: string, radio: RadioMode = DEFAULT_RADIO): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), `stadtsensor-${app}-`));
  try {
    // the minified bundle: the plain one does not fit an MDBT42Q's Storage
    const build = await buildFirmware({ app, board, radio, outDir, minify: true });
    const problems = build.problems.filter((p) => p.rule !== 'size-budget');
    if (problems.length > 0) throw new Error(`${app} for ${board} does not build:\n${formatBuildProblems(problems)}`);
    return build.minifiedCode!;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
