/**
 * `npm run build:firmware [-- --radio p2p|lorawan|all]`: every app for every board, minified too, in the radio mode
 * asked for (default p2p; `all`: both), then a size table. Exits 1 when a bundle has compatibility problems or a
 * build fails.
 */
import { relative } from 'node:path';
import type { RadioMode } from '../../firmware/core/radio.ts';
import { listBoards } from './boards.ts';
import { buildFirmware, formatBuildProblems, listApps, type FirmwareBuild } from './build.ts';
import { DEFAULT_RADIO, RADIO_MODES } from './bundle.ts';
import { REPO_ROOT } from './paths.ts';
import { sizeTable } from './size-table.ts';

/** The radio modes `--radio <mode>` (or `--radio=<mode>`) asks for. */
export function radioArgument(args: readonly string[]): RadioMode[] {
  const at = args.findIndex((a) => a === '--radio' || a.startsWith('--radio='));
  if (at < 0) return [DEFAULT_RADIO];
  const value = args[at]!.includes('=') ? args[at]!.slice('--radio='.length) : args[at + 1];
  if (value === 'all') return [...RADIO_MODES];
  const mode = RADIO_MODES.find((m) => m === value);
  if (!mode) throw new Error(`--radio must be ${RADIO_MODES.join(', ')} or all, not ${value ?? 'nothing'}`);
  return [mode];
}

async function main(): Promise<number> {
  const radios = radioArgument(process.argv.slice(2));
  const builds: FirmwareBuild[] = [];
  let failed = false;
  for (const app of listApps()) {
    for (const board of listBoards()) {
      for (const radio of radios) {
        try {
          const build = await buildFirmware({ app, board, radio, minify: true });
          builds.push(build);
          if (build.problems.length > 0) {
            failed = true;
            console.error(formatBuildProblems(build.problems.map((p) => ({ ...p, file: relative(REPO_ROOT, p.file) }))));
          }
          for (const warning of build.warnings) console.error(`${app}-${board}-${radio}: warning: ${warning}`);
        } catch (error) {
          failed = true;
          console.error(`${app}-${board}-${radio}: ${(error as Error).message}`);
        }
      }
    }
  }
  console.log(sizeTable(builds));
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) process.exitCode = await main();
