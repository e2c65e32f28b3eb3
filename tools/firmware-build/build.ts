/**
 * The firmware build: firmware/apps/<app>/main.ts + hardware/boards/<board>.json -> dist/firmware/<app>-<board>.js
 * (and .min.js). Bundle (rollup, types stripped) -> lower (Babel preset-env) -> wrap in a function so nothing leaks
 * into Espruino's global scope -> optional minify (terser) -> Espruino post-pass -> compatibility check, and the
 * app's size budget for the minified bundle (app-config.ts).
 * Any problem fails the build. A compatibility problem also means nothing is written (and stale outputs are
 * removed); a bundle over its size budget runs, so it is written, and the problem is reported all the same.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEspruinoCompat, type CompatProblem, type RuleId } from '../espruino-compat/check.ts';
import { appConfig } from './app-config.ts';
import { BOARDS_DIR, loadBoard } from './boards.ts';
import { bundleApp, DEFAULT_RADIO } from './bundle.ts';
import { lowerForEspruino } from './lower.ts';
import { minifyForEspruino } from './minify.ts';
import { REPO_ROOT } from './paths.ts';
import { espruinoPostPass } from './post-pass.ts';
import type { LogLevel } from '../../firmware/drivers/at-line.ts';
import type { RadioMode } from '../../firmware/core/radio.ts';

export const APPS_DIR = join(REPO_ROOT, 'firmware', 'apps');
export const OUT_DIR = join(REPO_ROOT, 'dist', 'firmware');

export interface BuildOptions {
  app: string;
  board: string;
  /**
   * The radio mode the bundle carries (firmware/core/radio.ts); default p2p, the town's single-channel gateways.
   * A LoRaWAN bundle is written as `<app>-<board>-lorawan.js`.
   */
  radio?: RadioMode;
  /** Also write a terser-minified `.min.js`. */
  minify?: boolean;
  /** The lowest log level the minified bundle keeps; default the app's (app-config.ts). */
  minifiedLogLevel?: LogLevel;
  /** Defaults firmware/apps, hardware/boards and dist/firmware (tests point them elsewhere). */
  appsDir?: string;
  boardsDir?: string;
  outDir?: string;
}

/** A compatibility problem, or a minified bundle over its size budget, and the bundle (file path) it concerns. */
export interface BundleProblem extends Omit<CompatProblem, 'rule'> {
  rule: RuleId | 'size-budget';
  file: string;
}

export interface FirmwareBuild {
  app: string;
  board: string;
  radio: RadioMode;
  /** Where the bundle is written (not written when there are problems). */
  file: string;
  code: string;
  bytes: number;
  minifiedFile?: string;
  minifiedCode?: string;
  minifiedBytes?: number;
  /** The app's size budget for the minified bundle. */
  maxMinifiedBytes: number;
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
  const { app, board, radio = DEFAULT_RADIO, minify = false, appsDir = APPS_DIR, boardsDir = BOARDS_DIR, outDir = OUT_DIR } = options;
  const entry = join(appsDir, app, 'main.ts');
  if (!existsSync(entry)) throw new Error(`unknown app "${app}": ${entry} does not exist (apps: ${listApps(appsDir).join(', ')})`);
  const profile = loadBoard(board, boardsDir);
  const config = appConfig(app);
  const name = radio === DEFAULT_RADIO ? `${app}-${board}` : `${app}-${board}-${radio}`;
  const file = join(outDir, `${name}.js`);
  const minifiedFile = join(outDir, `${name}.min.js`);

  const bundle = await bundleApp(entry, profile, radio);
  const lowered = await lowerForEspruino(bundle.code);
  const wrapped = `(function () {\n${lowered}\n})();\n`;
  const code = `// ${app} for ${board} (Espruino ${profile.espruinoBoard}), LoRa ${radio === 'p2p' ? 'P2P' : 'LoRaWAN'}, built by stadtsensor\n${espruinoPostPass(wrapped)}`;
  const problems = check(code, file);
  const maxMinifiedBytes = config.maxMinifiedBytes;
  const result: FirmwareBuild = { app, board, radio, file, code, bytes: Buffer.byteLength(code), maxMinifiedBytes, problems, warnings: bundle.warnings, ms: 0 };

  if (minify && problems.length === 0) {
    const minified = await minifyForEspruino(wrapped, options.minifiedLogLevel ?? config.minifiedLogLevel);
    const minifiedCode = espruinoPostPass(minified, { compact: true });
    const minifiedBytes = Buffer.byteLength(minifiedCode);
    Object.assign(result, { minifiedFile, minifiedCode, minifiedBytes });
    problems.push(...check(minifiedCode, minifiedFile));
    if (minifiedBytes > maxMinifiedBytes) {
      problems.push({
        file: minifiedFile,
        line: 1,
        column: 1,
        rule: 'size-budget',
        message: `${minifiedBytes} bytes minified, over the app's limit of ${maxMinifiedBytes} (tools/firmware-build/app-config.ts)`,
      });
    }
  }

  // Outputs always match the latest build: no stale bundle survives a failed build or a build without --minify.
  rmSync(file, { force: true });
  rmSync(minifiedFile, { force: true });
  if (problems.every((p) => p.rule === 'size-budget')) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(file, code);
    if (result.minifiedCode !== undefined) writeFileSync(minifiedFile, result.minifiedCode);
  }
  result.ms = performance.now() - started;
  return result;
}

/** One line per problem: `file:line:column rule message`. */
export function formatBuildProblems(problems: readonly BundleProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.rule} ${p.message}`).join('\n');
}
