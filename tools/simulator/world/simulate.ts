/**
 * `stadtsensor simulate <scenario>`: builds an app for a board profile, runs it in the climate world under a weather
 * scenario with fixed demonstration keys, and reports what the network side received.
 */
import type { DecodedObject, DecodedValue } from '../../../payload-schema/src/codec.ts';
import { DAY_MS, HOUR_MS } from '../radio/airtime-stats.ts';
import { loadWeatherScenario } from '../weather.ts';
import { buildMinifiedBundle } from './build-bundle.ts';
import { createClimateWorld } from './climate-world.ts';
import { DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS } from './keys.ts';
import { NODE_ID } from './node-world.ts';
import type { WorldUplink } from './uplinks.ts';

export interface SimulateOptions {
  /** A scenario name from tools/simulator/scenarios (`frost-night`). */
  scenario: string;
  /** Default 'road-climate'. */
  app?: string;
  /** A board profile id (`mdbt42q-rak3172`). */
  board: string;
  /** Default: the scenario's duration. */
  hours?: number;
  /** Default 1. */
  seed?: number;
  /** Default 'p2p'. The bundle is built for this radio mode (`stadtsensor build --radio`). */
  network?: 'p2p' | 'lorawan';
  distanceM?: number;
  batteryVolts?: number;
  /** Run this bundle instead of building `app` (tests, or a bundle built elsewhere). */
  bundle?: string;
}

export interface ReportUplink {
  timeMs: number;
  /** Scenario start + virtual time, `YYYY-MM-DD HH:MM:SS` UTC. */
  wallClock: string;
  fCnt: number;
  fPort: number | undefined;
  message: string | undefined;
  /** The decoded values in short form (`air.temperature=2.4 iceRisk=watch status=heaterOn`). */
  values: string;
  rssi: number;
  snr: number;
  rejected: boolean;
  error: string | undefined;
}

export interface SimulationSummary {
  /** Frames accepted by the network side. */
  uplinks: number;
  byMessage: Record<string, number>;
  /** Frames the network side rejected, by reason. */
  rejected: number;
  rejectedReasons: Record<string, number>;
  /** Accepted frames whose payload did not decode. */
  undecodable: number;
  /** The node's airtime over the whole run, and scaled to 24 h. */
  airtimeMs: number;
  airtimePerDayMs: number;
  /** 1, plus one for every reset of the board. */
  firmwareStarts: number;
  uncaughtErrors: number;
  /** Uncaught exceptions and error-level log lines. */
  consoleErrors: string[];
}

export interface SimulationReport {
  scenario: string;
  app: string;
  board: string;
  network: 'p2p' | 'lorawan';
  seed: number;
  hours: number;
  /** Wall-clock time of virtual time 0 (ISO 8601). */
  start: string;
  uplinks: ReportUplink[];
  summary: SimulationSummary;
}

/** TTN's fair-use uplink airtime per device and day (shared/reference/lorawan.md). */
const FAIR_USE_MS_PER_DAY = 30_000;

function isFlags(value: DecodedObject): boolean {
  const values = Object.values(value);
  return values.length > 0 && values.every((v) => typeof v === 'boolean');
}

function shortValue(key: string, value: DecodedValue, out: string[]): void {
  if (Array.isArray(value)) out.push(`${key}=[${value.length}]`);
  else if (value !== null && typeof value === 'object') {
    if (isFlags(value)) {
      const set = Object.keys(value).filter((k) => value[k] === true);
      out.push(`${key}=${set.length > 0 ? set.join('+') : '-'}`);
    } else {
      for (const [k, v] of Object.entries(value)) shortValue(`${key}.${k}`, v, out);
    }
  } else out.push(`${key}=${String(value)}`);
}

/** Decoded values as `name=value` pairs: nested names dotted, flag sets as the names that are set. */
export function shortForm(data: DecodedObject): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(data)) shortValue(k, v, out);
  return out.join(' ');
}

function wallClock(startMs: number, timeMs: number): string {
  return new Date(startMs + timeMs).toISOString().slice(0, 19).replace('T', ' ');
}

function reportUplink(u: WorldUplink, startMs: number): ReportUplink {
  return {
    timeMs: u.timeMs,
    wallClock: wallClock(startMs, u.timeMs),
    fCnt: u.fCnt,
    fPort: u.fPort,
    message: u.message,
    values: u.data ? shortForm(u.data) : '',
    rssi: u.rssi,
    snr: u.snr,
    rejected: u.rejected,
    error: u.error,
  };
}

function count<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

export async function simulateScenario(options: SimulateOptions): Promise<SimulationReport> {
  const scenario = loadWeatherScenario(options.scenario);
  const app = options.app ?? 'road-climate';
  const network = options.network ?? 'p2p';
  const seed = options.seed ?? 1;
  const hours = options.hours ?? scenario.durationHours;
  const bundle = options.bundle ?? (await buildMinifiedBundle(app, options.board, network));
  const world = createClimateWorld({
    bundle,
    boardId: options.board,
    scenario,
    seed,
    keys: network === 'p2p' ? DEMO_P2P_KEYS : DEMO_LORAWAN_KEYS,
    ...(options.distanceM !== undefined ? { distanceM: options.distanceM } : {}),
    ...(options.batteryVolts !== undefined ? { batteryVolts: options.batteryVolts } : {}),
  });
  world.run(hours * HOUR_MS - world.scheduler.now());

  const startMs = Date.parse(scenario.start);
  const uplinks = world.uplinks.map((u) => reportUplink(u, startMs));
  const accepted = uplinks.filter((u) => !u.rejected);
  const rejected = uplinks.filter((u) => u.rejected);
  const airtimeMs = world.medium.framesFrom(NODE_ID).reduce((sum, f) => sum + f.airtimeMs, 0);
  return {
    scenario: scenario.name,
    app,
    board: options.board,
    network,
    seed,
    hours,
    start: scenario.start,
    uplinks,
    summary: {
      uplinks: accepted.length,
      byMessage: count(
        accepted.filter((u) => u.message !== undefined),
        (u) => u.message!,
      ),
      rejected: rejected.length,
      rejectedReasons: count(rejected, (u) => u.error ?? 'unknown'),
      undecodable: accepted.filter((u) => u.error !== undefined).length,
      airtimeMs,
      airtimePerDayMs: hours > 0 ? (airtimeMs * DAY_MS) / (hours * HOUR_MS) : 0,
      firmwareStarts: world.firmwareStarts,
      uncaughtErrors: world.board.uncaughtErrors,
      consoleErrors: world.consoleErrors().map((l) => `${wallClock(startMs, l.timeMs)} ${l.text}`),
    },
  };
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? '' : ` (${entries.map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

function uplinkLine(u: ReportUplink): string {
  const radio = `rssi ${u.rssi} snr ${u.snr}`;
  const port = `port ${u.fPort ?? '-'}`;
  if (u.rejected) return `${u.wallClock}  ${port}  REJECTED: ${u.error}  ${radio}`;
  if (u.error !== undefined) return `${u.wallClock}  ${port}  #${u.fCnt}  undecodable: ${u.error}  ${radio}`;
  return `${u.wallClock}  ${port}  #${u.fCnt}  ${u.message ?? '(empty)'}  ${u.values}  ${radio}`;
}

const MAX_ERRORS_SHOWN = 10;

/** The report as text: a header, one line per uplink, a summary. */
export function formatReport(report: SimulationReport): string {
  const s = report.summary;
  const seconds = (ms: number): string => (ms / 1000).toFixed(1) + ' s';
  const lines = [
    `${report.scenario}: ${report.app} on ${report.board}, ${report.network === 'p2p' ? 'LoRa P2P' : 'LoRaWAN'}, ` +
      `${report.hours} h from ${report.start}, seed ${report.seed}`,
    '',
    ...report.uplinks.map(uplinkLine),
    '',
    `uplinks: ${s.uplinks} accepted${counts(s.byMessage)}, ${s.rejected} rejected${counts(s.rejectedReasons)}` +
      (s.undecodable > 0 ? `, ${s.undecodable} undecodable` : ''),
    `airtime: ${seconds(s.airtimeMs)} in ${report.hours} h = ${seconds(s.airtimePerDayMs)} per day ` +
      `(TTN fair use ${seconds(FAIR_USE_MS_PER_DAY)})`,
    `firmware starts: ${s.firmwareStarts}, uncaught errors: ${s.uncaughtErrors}`,
    `console errors: ${s.consoleErrors.length === 0 ? 'none' : s.consoleErrors.length}`,
    ...s.consoleErrors.slice(0, MAX_ERRORS_SHOWN).map((l) => `  ${l}`),
  ];
  if (s.consoleErrors.length > MAX_ERRORS_SHOWN) lines.push(`  ... ${s.consoleErrors.length - MAX_ERRORS_SHOWN} more`);
  return lines.join('\n');
}
