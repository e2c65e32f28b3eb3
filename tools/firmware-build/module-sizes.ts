/**
 * `npx tsx tools/firmware-build/module-sizes.ts <app> [board] [p2p|lorawan]`: each bundled module's share of the minified bundle,
 * largest first. Each module's rendered text is lowered and minified on its own (its top-level names mangled), so
 * the shares add up to roughly the real bundle: a guide for where to cut, not a budget.
 */
import { relative } from 'node:path';
import { minify } from 'terser';
import { listBoards, loadBoard } from './boards.ts';
import type { RadioMode } from '../../firmware/core/radio.ts';
import { bundleApp, DEFAULT_RADIO } from './bundle.ts';
import { APPS_DIR } from './build.ts';
import { lowerForEspruino } from './lower.ts';
import { REPO_ROOT } from './paths.ts';

export interface ModuleSize {
  module: string;
  minifiedBytes: number;
}

export async function moduleSizes(app: string, board: string, radio: RadioMode = DEFAULT_RADIO): Promise<ModuleSize[]> {
  const bundle = await bundleApp(`${APPS_DIR}/${app}/main.ts`, loadBoard(board), radio);
  const out: ModuleSize[] = [];
  for (const m of bundle.modules) {
    if (m.code.trim() === '') continue;
    const lowered = await lowerForEspruino(m.code);
    // top-level names mangled but kept: in the bundle other modules use them
    const result = await minify(lowered, { ecma: 2015, compress: { passes: 3, arrows: true, unsafe_arrows: true, toplevel: false }, mangle: { toplevel: true } });
    out.push({ module: relative(REPO_ROOT, m.id), minifiedBytes: (result.code ?? '').length });
  }
  return out.sort((a, b) => b.minifiedBytes - a.minifiedBytes);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const app = process.argv[2] ?? 'road-climate';
  const board = process.argv[3] ?? listBoards()[0]!;
  const radio = (process.argv[4] ?? DEFAULT_RADIO) as RadioMode;
  const sizes = await moduleSizes(app, board, radio);
  for (const s of sizes) console.log(`${String(s.minifiedBytes).padStart(6)}  ${s.module}`);
  console.log(`${String(sizes.reduce((n, s) => n + s.minifiedBytes, 0)).padStart(6)}  total (${app}, ${board})`);
}
