import type { FirmwareBuild } from './build.ts';

function status(build: FirmwareBuild): string {
  if (build.problems.length === 0) return 'ok';
  return build.problems.every((p) => p.rule === 'size-budget') ? 'over budget' : `${build.problems.length} problem(s)`;
}

/** A plain-text table, one row per bundle: app, board, radio mode, bytes plain and minified, build time, status, and the minified size budget. */
export function sizeTable(builds: readonly FirmwareBuild[]): string {
  const rows = [
    ['app', 'board', 'radio', 'bytes', 'minified', 'ms', 'status', 'limit'],
    ...builds.map((b) => [
      b.app,
      b.board,
      b.radio,
      String(b.bytes),
      b.minifiedBytes === undefined ? '-' : String(b.minifiedBytes),
      String(Math.round(b.ms)),
      status(b),
      String(b.maxMinifiedBytes),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const rightAligned = new Set([3, 4, 5, 7]);
  return rows
    .map((row) => row.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}
