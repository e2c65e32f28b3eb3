/**
 * The firmware part of `npm run bench`, per app, board and radio mode (the build's `--radio`): bundle size (plain and
 * minified, against the app's size budget), and for sensor-node apps a simulated day at default settings under each weather scenario, in LoRa P2P
 * and LoRaWAN mode: uplinks, airtime per day against TTN's 30 s fair use, the busiest hour against the 1 % duty
 * cycle, and a battery-life estimate on 2 x AA from the simulated radio and awake times, on each of the BOM's cells
 * (Li-FeS2, the cold-weather choice, and alkaline), with what would reach the target where neither does.
 * A benchmark, not a test: it prints figures and the assumptions behind them, and asserts nothing.
 *   --firmware-json <file>   also write the figures as JSON
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildFirmware, listApps, listBoards, type FirmwareBuild } from '../firmware-build/index.ts';
import { batteryLife, describeModel, describePack, type BatteryLife } from '../simulator/power/battery-model.ts';
import { FAIR_USE_MS_PER_DAY, simulateNodeDay, type NodeDay } from '../simulator/power/node-day.ts';
import { whatReaches, type TargetReach } from '../simulator/power/target.ts';
import { listWeatherScenarios, loadWeatherScenario } from '../simulator/weather.ts';

/** Apps that run as a sensor node in the simulated world (tools/simulator/world); the others get sizes only. */
const NODE_APPS = new Set(['road-climate']);
const NETWORKS = ['p2p', 'lorawan'] as const;
/** The target at default settings. */
export const TARGET_YEARS = 5;

export interface FirmwareBenchResult {
  builds: FirmwareBuild[];
  days: NodeDay[];
}

function pad(text: string, width: number): string {
  return text.padStart(width);
}

function table(rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (rightAligned.has(c) ? pad(cell, widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

const s1 = (ms: number): string => (ms / 1000).toFixed(1);

export function sizeTable(builds: readonly FirmwareBuild[]): string {
  const rows = [['app', 'board', 'radio', 'plain B', 'minified B', 'budget B', 'of budget', 'status']];
  for (const b of builds) {
    const other = b.problems.filter((p) => p.rule !== 'size-budget').length;
    const over = b.problems.some((p) => p.rule === 'size-budget');
    const status = other > 0 ? `${other} compatibility problem(s)` : over ? 'over budget' : 'ok';
    const share = b.minifiedBytes !== undefined ? `${((b.minifiedBytes / b.maxMinifiedBytes) * 100).toFixed(0)} %` : '-';
    rows.push([b.app, b.board, b.radio, String(b.bytes), String(b.minifiedBytes ?? '-'), String(b.maxMinifiedBytes), share, status]);
  }
  return table(rows, new Set([3, 4, 5, 6]));
}

const cellLabel = (life: BatteryLife): string => (life.pack.cell.id === 'li-fes2' ? 'Li-FeS2' : 'alkaline');

/** Which cells last the target, e.g. `Li-FeS2`, `both`, `neither`. */
export function meetsTarget(lives: readonly BatteryLife[]): string {
  const ok = lives.filter((l) => l.years >= TARGET_YEARS);
  return ok.length === 0 ? 'neither' : ok.length === lives.length && lives.length > 1 ? 'both' : ok.map(cellLabel).join(', ');
}

export function dayTable(days: readonly NodeDay[]): string {
  const cells = days[0]?.lives.map(cellLabel) ?? [];
  const header = ['board', 'network', 'scenario', 'uplinks', 'airtime s/day', 'of 30 s', 'busiest hour', 'DC ok', 'mAh/day', 'avg µA'];
  const rows = [[...header, ...cells.map((c) => `${c} y`), `>= ${TARGET_YEARS} y`]];
  for (const d of days) {
    rows.push([
      d.board,
      d.network,
      d.scenario,
      String(d.uplinks),
      s1(d.airtimePerDayMs),
      `${((d.airtimePerDayMs / FAIR_USE_MS_PER_DAY) * 100).toFixed(0)} %`,
      `${(d.busiestHour * 100).toFixed(3)} %`,
      d.dutyCycleViolations === 0 ? 'yes' : `NO (${d.dutyCycleViolations})`,
      d.charge.mAhPerDay.toFixed(2),
      d.charge.averageUa.toFixed(0),
      ...d.lives.map((l) => l.years.toFixed(1)),
      meetsTarget(d.lives),
    ]);
  }
  const right = new Set([3, 4, 5, 6, 8, 9, ...cells.map((_, i) => header.length + i)]);
  return table(rows, right);
}

const min = (perDay: number): string => (1440 / perDay).toFixed(1);

/** What would reach the target on the day's first cell (the BOM's cold-weather choice). */
export function reachLines(reach: TargetReach, label: string): string[] {
  const r = reach;
  const out = [
    `${label} on ${r.pack.cell.name}: ${r.targetYears} years allow ${r.budgetMahPerDay.toFixed(2)} mAh/day; it draws ` +
      `${r.mAhPerDay.toFixed(2)} (${r.timeMahPerDay.toFixed(2)} with time, ${r.uplinksPerDay.toFixed(0)} exchanges x ` +
      `${(r.perUplinkMah * 1000).toFixed(1)} µAh)`,
  ];
  if (r.budgetMahPerDay <= 0) out.push('  nothing reaches it: self-discharge alone uses the pack up sooner');
  else if (r.maxUplinksPerDay < 1) out.push(`  fewer uplinks cannot reach it: what grows with time alone is over the budget`);
  else if (!Number.isFinite(r.maxUplinksPerDay)) out.push('  fewer uplinks: the day had no exchanges to count');
  else out.push(`  fewer uplinks: at most ${Math.floor(r.maxUplinksPerDay)} a day, a mean interval of ${min(r.maxUplinksPerDay)} min (this day: ${min(r.uplinksPerDay)} min)`);
  const [now, ...faster] = r.sfOptions;
  if (now) {
    const reaching = faster.find((o) => o.years >= r.targetYears);
    const list = faster.map((o) => `SF${o.sf} ${o.years.toFixed(1)} y (${s1(o.airtimePerDayMs)} s/day on air)`).join(', ');
    out.push(
      `  faster spreading factor (now SF${now.sf}, ${now.years.toFixed(1)} y): ${list || 'none'}` +
        (reaching ? ` -> SF${reaching.sf} reaches it where the gateway hears the node at SF${reaching.sf}` : ' -> none reaches it alone'),
    );
  }
  return out;
}

/** Where the charge goes on the day that costs the most, and the figures it rests on. */
export function breakdown(day: NodeDay): string {
  const lines = [`${day.board}, ${day.network}, ${day.scenario}: ${day.charge.mAhPerDay.toFixed(3)} mAh/day`];
  for (const item of [...day.charge.items].sort((a, b) => b.mAhPerDay - a.mAhPerDay)) {
    lines.push(`  ${item.part.padEnd(38)}${pad(item.mAhPerDay.toFixed(4), 8)} mAh/day  ${item.detail}`);
  }
  for (const life of day.lives) {
    const warm = batteryLife({ ...life.pack, winterC: { value: 21, source: 'room temperature' } }, day.charge.mAhPerDay);
    lines.push(
      `  ${cellLabel(life)}: usable ${life.usableMah.toFixed(0)} mAh / (${day.charge.mAhPerDay.toFixed(3)} mAh/day x 365.25 + ` +
        `${life.selfDischargeMahPerYear.toFixed(0)} mAh/year self-discharge) = ${life.years.toFixed(2)} years ` +
        `(at 21 °C all year: ${warm.years.toFixed(2)})`,
    );
  }
  lines.push('  assumptions:', ...describeModel(day.model).map((l) => `    ${l}`));
  for (const life of day.lives) lines.push(...describePack(life.pack).map((l) => `    ${l}`));
  return lines.join('\n');
}

/** The scenarios of tools/simulator/scenarios that are weather (other apps keep their own scenarios there too). */
function weatherScenarios(): string[] {
  return listWeatherScenarios().filter((name) => {
    try {
      loadWeatherScenario(name);
      return true;
    } catch {
      return false;
    }
  });
}

export async function runFirmwareBench(): Promise<FirmwareBenchResult> {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-bench-'));
  const builds: FirmwareBuild[] = [];
  const days: NodeDay[] = [];
  try {
    for (const app of listApps()) {
      for (const board of listBoards()) {
        for (const network of NETWORKS) {
          const build = await buildFirmware({ app, board, radio: network, minify: true, outDir });
          builds.push(build);
          const runnable = build.minifiedCode !== undefined && build.problems.every((p) => p.rule === 'size-budget');
          if (!NODE_APPS.has(app) || !runnable) continue;
          for (const scenario of weatherScenarios()) {
            process.stderr.write(`simulating ${app} on ${board}, ${network}, ${scenario} ...\r`);
            days.push(simulateNodeDay({ bundle: build.minifiedCode!, board, scenario, network }));
          }
        }
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    process.stderr.write(`${' '.repeat(70)}\r`);
  }
  return { builds, days };
}

export function formatFirmwareBench(result: FirmwareBenchResult): string {
  const out = ['Firmware bundles (the minified one is what a maker flashes)', sizeTable(result.builds), ''];
  if (result.days.length > 0) {
    const winter = result.days[0]!.lives[0]!.pack.winterC.value;
    out.push(
      'A simulated day per app, board, network and weather scenario, at default settings (road-climate: sample every',
      '5 min, send every 15 min, every 10 min near 0 °C, at once on an ice-risk change); seed 1, battery 3.0 V.',
      `Years on 2 x AA until a winter night at ${winter} °C could stop the node (cells and assumptions below):`,
      dayTable(result.days),
      '',
    );
    const short = result.days.filter((d) => d.lives.every((l) => l.years < TARGET_YEARS));
    if (short.length > 0) {
      out.push(`What would reach ${TARGET_YEARS} years where neither cell does, from the same model and day:`);
      for (const d of short) out.push(...reachLines(whatReaches(d, d.lives[0]!.pack, TARGET_YEARS), `${d.board}, ${d.network}, ${d.scenario}`));
      out.push('');
    }
    const boards = [...new Set(result.days.map((d) => d.board))];
    for (const board of boards) {
      const worst = result.days.filter((d) => d.board === board).reduce((a, b) => (b.charge.mAhPerDay > a.charge.mAhPerDay ? b : a));
      out.push(breakdown(worst), '');
    }
  }
  return out.join('\n');
}

function jsonFigures(result: FirmwareBenchResult): unknown {
  return {
    builds: result.builds.map((b) => ({ app: b.app, board: b.board, radio: b.radio, bytes: b.bytes, minifiedBytes: b.minifiedBytes, budget: b.maxMinifiedBytes, problems: b.problems.length })),
    days: result.days.map((d) => ({
      board: d.board,
      network: d.network,
      scenario: d.scenario,
      uplinks: d.uplinks,
      airtimePerDayMs: d.airtimePerDayMs,
      busiestHour: d.busiestHour,
      dutyCycleViolations: d.dutyCycleViolations,
      mAhPerDay: d.charge.mAhPerDay,
      years: Object.fromEntries(d.lives.map((l) => [l.pack.cell.id, l.years])),
      meetsTarget: meetsTarget(d.lives),
      items: d.charge.items,
    })),
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const i = argv.indexOf('--firmware-json');
  const jsonOut = i >= 0 ? argv[i + 1] : undefined;
  const result = await runFirmwareBench();
  console.log(formatFirmwareBench(result));
  if (jsonOut) {
    writeFileSync(jsonOut, `${JSON.stringify(jsonFigures(result), null, 2)}\n`);
    console.log(`firmware figures written to ${jsonOut}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
