/**
 * The firmware build: firmware/apps/<app>/main.ts + hardware/boards/<board>.json -> dist/firmware/<app>-<board>.js
 * (and .min.js). Bundle (rollup, types stripped) -> lower (Babel preset-env) -> wrap in a function so nothing leaks
 * into Espruino's global scope -> optional minify (terser) -> Espruino post-pass -> compatibility check.
 * Any compatibility problem fails the build: nothing is written and stale outputs are removed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEspruinoCompat, formatProblems, type CompatProblem } from '../espruino-compat/check.ts';
import { BOARDS_DIR, loadBoard } from './boards.ts';
import { bundleApp } from './bundle.ts';
import { lowerForEspruino } from './lower.ts';
import { minifyForEspruino } from './minify.ts';
import { REPO_ROOT } from './paths.ts';
import { espruinoPostPass } from './post-pass.ts';

export const APPS_DIR = join(REPO_ROOT, 'firmware', 'apps');
export const OUT_DIR = join(REPO_ROOT, 'dist', 'firmware');

export interface BuildOptions {
  app: string;
  board: string;
  /** Also write a terser-minified `.min.js`. */
  minify?: boolean;
  /** Defaults firmware/apps, hardware/boards and dist/firmware (tests point them elsewhere). */
  appsDir?: string;
  boardsDir?: string;
  outDir?: string;
}

/** A compatibility problem and the bundle (file path) its line and column refer to. */
export interface BundleProblem extends CompatProblem {
  file: string;
}

export interface FirmwareBuild {
  app: string;
  board: string;
  /** Where the bundle is written (not written when there are problems). */
  file: string;
  code: string;
  bytes: number;
  minifiedFile?: string;
  minifiedCode?: string;
  minifiedBytes?: number;
  /** Non-empty: the build failed. */
  problems: BundleProblem[];
  /** Rollup warnings (circular imports, ...); they do not fail the build. */
  warnings: string[];
  /** Wall time of the build in milliseconds. */
  ms: number;
}

/** Apps are the folders of firmware/apps that have a main.ts, sorted. */
export function listApps(appsDir = APPS_DIR): string[] {
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(appsDir, entry.name, 'main.ts')))
    .map((entry) => entry.name)
    .sort();
}

function check(code: string, file: string): BundleProblem[] {
  return checkEspruinoCompat(code, { sourceType: 'script', fileName: file }).map((problem) => ({ ...problem, file }));
}

/** Builds one app for one board. Rejects on errors that are not compatibility problems (unknown app, syntax, unresolved import). */
export async function buildFirmware(options: BuildOptions): Promise<FirmwareBuild> {
  const started = performance.now();
  const { app, board, minify = false, appsDir = APPS_DIR, boardsDir = BOARDS_DIR, outDir = OUT_DIR } = options;
  const entry = join(appsDir, app, 'main.ts');
  if (!existsSync(entry)) throw new Error(`unknown app "${app}": ${entry} does not exist (apps: ${listApps(appsDir).join(', ')})`);
  const profile = loadBoard(board, boardsDir);
  const file = join(outDir, `${app}-${board}.js`);
  const minifiedFile = join(outDir, `${app}-${board}.min.js`);

  const bundle = await bundleApp(entry, profile);
  const lowered = await lowerForEspruino(bundle.code);
  const wrapped = `(function () {\n${lowered}\n})();\n`;
  const code = `// ${app} for ${board} (Espruino ${profile.espruinoBoard}), built by stadtsensor\n${espruinoPostPass(wrapped)}`;
  const problems = check(code, file);
  const result: FirmwareBuild = { app, board, file, code, bytes: Buffer.byteLength(code), problems, warnings: bundle.warnings, ms: 0 };

  if (minify && problems.length === 0) {
    const minifiedCode = espruinoPostPass(await minifyForEspruino(wrapped));
    Object.assign(result, { minifiedFile, minifiedCode, minifiedBytes: Buffer.byteLength(minifiedCode) });
    problems.push(...check(minifiedCode, minifiedFile));
  }

  // Outputs always match the latest build: no stale bundle survives a failed build or a build without --minify.
  rmSync(file, { force: true });
  rmSync(minifiedFile, { force: true });
  if (problems.length === 0) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(file, code);
    if (result.minifiedCode !== undefined) writeFileSync(minifiedFile, result.minifiedCode);
  }
  result.ms = performance.now() - started;
  return result;
}

/** One line per problem: `file:line:column rule message`. */
export function formatBuildProblems(problems: readonly BundleProblem[]): string {
  return problems.map((p) => formatProblems([p], p.file)).join('\n');
}
