/**
 * `npm run build:firmware`: every app for every board, minified too, then a size table.
 * Exits 1 when a bundle has compatibility problems or a build fails.
 */
import { relative } from 'node:path';
import { listBoards } from './boards.ts';
import { buildFirmware, formatBuildProblems, listApps, type FirmwareBuild } from './build.ts';
import { REPO_ROOT } from './paths.ts';
import { sizeTable } from './size-table.ts';

async function main(): Promise<number> {
  const builds: FirmwareBuild[] = [];
  let failed = false;
  for (const app of listApps()) {
    for (const board of listBoards()) {
      try {
        const build = await buildFirmware({ app, board, minify: true });
        builds.push(build);
        if (build.problems.length > 0) {
          failed = true;
          console.error(formatBuildProblems(build.problems.map((p) => ({ ...p, file: relative(REPO_ROOT, p.file) }))));
        }
        for (const warning of build.warnings) console.error(`${app}-${board}: warning: ${warning}`);
      } catch (error) {
        failed = true;
        console.error(`${app}-${board}: ${(error as Error).message}`);
      }
    }
  }
  console.log(sizeTable(builds));
  return failed ? 1 : 0;
}

process.exitCode = await main();
