/**
 * The parking-bay node in its world: a NodeWorld with a QMC5883L on the profile's I2C bus, under one bay of a
 * simulated street (parking-street.ts): earth's field, the bay's own vehicles arriving and leaving, neighbours,
 * the chip's temperature drifting and its noise. `simulateStreet` runs several bays (each its own world, so the
 * virtual time per bay stays short), matches what the gateway received against the truth and returns the figures
 * a report needs. Time 0 of the street is the creation of the world.
 */
import { readFileSync } from 'node:fs';
import { SimulatedQmc5883l, type FieldTruth } from '../devices/qmc5883l.ts';
import { DEMO_P2P_KEYS } from './keys.ts';
import { NodeWorld, NODE_ID, type NodeWorldOptions } from './node-world.ts';
import { bayEndMs, fieldAt, generateBay, temperatureAt, truthChanges, type BayTimeline, type StreetParameters, type TruthChange } from './parking-street.ts';
import type { WorldUplink } from './uplinks.ts';
import { buildMinifiedBundle } from './build-bundle.ts';

export const PARKING_PORT = 10;
/** Uplink within this long of the settled change (the acceptance). */
export const ON_TIME_MS = 10_000;
/** The noise the acceptance asks for: +-5 µT, taken as 3 sigma (as the SHT3x simulator takes its repeatability). */
export const STREET_NOISE_UT = 5;

export interface ParkingWorldOptions extends Omit<NodeWorldOptions, 'i2cDevices'> {
  bay: BayTimeline;
  /** +-µT that 99.7 % of the noise stays inside (3 sigma), per axis. Default 5. */
  noiseUt?: number;
}

export interface ParkingWorld extends NodeWorld {
  readonly bay: BayTimeline;
  readonly magnetometer: SimulatedQmc5883l;
  /** Extra field (µT) added to the truth, for tests: a magnet on the bay, a fault. */
  disturbance: { x: number; y: number; z: number };
}

export function createParkingWorld(options: ParkingWorldOptions): ParkingWorld {
  const { bay, noiseUt, ...nodeOptions } = options;
  let magnetometer: SimulatedQmc5883l | undefined;
  const disturbance = { x: 0, y: 0, z: 0 };
  const truth: FieldTruth = (t) => {
    const b = fieldAt(bay, t);
    return { x: b.x + disturbance.x, y: b.y + disturbance.y, z: b.z + disturbance.z };
  };
  const world = new NodeWorld({
    ...nodeOptions,
    i2cDevices: (scheduler) => {
      magnetometer = new SimulatedQmc5883l(scheduler, truth, {
        noiseUt: (noiseUt ?? STREET_NOISE_UT) / 3,
        temperature: (t) => temperatureAt(bay, t),
        tempcoUtPerK: bay.tempcoUtPerK,
      });
      return [magnetometer];
    },
  });
  return Object.assign(world, { bay, magnetometer: magnetometer!, disturbance });
}

/** The street scenarios in tools/simulator/scenarios/street (`street-busy.json`): generator parameters. */
export function loadStreetParameters(name: string): StreetParameters {
  const file = new URL(`../scenarios/street/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as StreetParameters;
}

interface ParkingData {
  occupied: boolean;
  sensorFault: boolean;
  changeCount: number;
  fieldDeviation: number | null;
}

/** A change as the network side saw it: a parkingBay uplink whose change counter moved. */
export interface ReportedChange {
  timeMs: number;
  occupied: boolean;
  changeCount: number;
  /** Counter steps since the previous uplink (more than 1: uplinks were lost). */
  steps: number;
}

export interface MatchedChange extends TruthChange {
  /** The uplink's end minus the settled time; undefined when the change was never reported. */
  latencyMs?: number;
}

export interface BayResult {
  index: number;
  changes: MatchedChange[];
  /** Reported changes that match no change of the truth. */
  falseChanges: ReportedChange[];
  uplinks: number;
  rejected: number;
  airtimeMs: number;
  virtualMs: number;
  consoleErrors: string[];
}

/** The parkingBay uplinks at which the change counter moved (the first one sets the reference). */
export function reportedChanges(uplinks: readonly WorldUplink[]): ReportedChange[] {
  const out: ReportedChange[] = [];
  let last: number | undefined;
  for (const u of uplinks) {
    if (u.rejected || u.fPort !== PARKING_PORT || !u.data) continue;
    const d = u.data as unknown as ParkingData;
    if (last !== undefined && d.changeCount !== last) {
      out.push({ timeMs: u.timeMs, occupied: d.occupied, changeCount: d.changeCount, steps: (d.changeCount - last + 1024) % 1024 });
    }
    last = d.changeCount;
  }
  return out;
}

/**
 * Pairs the truth's changes with the reported ones: a change counts as reported by the first reported change of the
 * same state after it began and before the next change of the truth began. Everything reported and not paired is false.
 */
export function matchChanges(truth: readonly TruthChange[], reported: readonly ReportedChange[]): { changes: MatchedChange[]; falseChanges: ReportedChange[] } {
  const used = new Set<ReportedChange>();
  const changes = truth.map((c, i) => {
    const until = i + 1 < truth.length ? truth[i + 1]!.startMs : Infinity;
    const hit = reported.find((r) => !used.has(r) && r.occupied === c.occupied && r.timeMs >= c.startMs && r.timeMs < until);
    if (!hit) return { ...c };
    used.add(hit);
    return { ...c, latencyMs: hit.timeMs - c.settledMs };
  });
  return { changes, falseChanges: reported.filter((r) => !used.has(r)) };
}

export interface StreetOptions {
  /** A scenario name from tools/simulator/scenarios, or the parameters themselves. Default 'street-busy'. */
  scenario?: string | StreetParameters;
  /** Override the scenario's number of bays or visits per bay. */
  bays?: number;
  visitsPerBay?: number;
  /** Default the scenario's seed. */
  seed?: number;
  /** Default 'mdbt42q-rak3172'. */
  board?: string;
  /** Run this bundle instead of building the parking-bay app. */
  bundle?: string;
  /** Default STREET_NOISE_UT. */
  noiseUt?: number;
  /** Called after each bay (progress). */
  onBay?: (result: BayResult) => void;
}

export interface StreetReport {
  scenario: string;
  board: string;
  seed: number;
  bays: BayResult[];
  summary: {
    changes: number;
    detected: number;
    onTime: number;
    /** detected / changes. */
    detectedShare: number;
    falseChanges: number;
    latencyMs: { median: number; p99: number; max: number };
    missedByKind: Record<string, number>;
    /** Accepted uplinks and node airtime per bay-day (24 h), averaged over the bays. */
    uplinks: number;
    airtimePerDayMs: number;
    virtualHours: number;
    consoleErrors: number;
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}

/** One bay of the street in its own world, run until its last vehicle has gone plus a minute. */
export function runBay(bundle: string, board: string, p: StreetParameters, index: number, noiseUt?: number): BayResult {
  const bay = generateBay(p, index);
  const world = createParkingWorld({ bundle, boardId: board, keys: DEMO_P2P_KEYS, seed: p.seed * 1000 + index + 1, bay, ...(noiseUt !== undefined ? { noiseUt } : {}) });
  world.run(bayEndMs(bay) + 60_000);
  const { changes, falseChanges } = matchChanges(truthChanges(bay), reportedChanges(world.uplinks));
  return {
    index,
    changes,
    falseChanges,
    uplinks: world.uplinks.filter((u) => !u.rejected).length,
    rejected: world.uplinks.filter((u) => u.rejected).length,
    airtimeMs: world.medium.framesFrom(NODE_ID).reduce((sum, f) => sum + f.airtimeMs, 0),
    virtualMs: world.scheduler.now(),
    consoleErrors: world.consoleErrors().map((l) => l.text),
  };
}

export async function simulateStreet(options: StreetOptions = {}): Promise<StreetReport> {
  const scenario = options.scenario ?? 'street-busy';
  const base = typeof scenario === 'string' ? loadStreetParameters(scenario) : scenario;
  const p: StreetParameters = {
    ...base,
    ...(options.bays !== undefined ? { bays: options.bays } : {}),
    ...(options.visitsPerBay !== undefined ? { visitsPerBay: options.visitsPerBay } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const board = options.board ?? 'mdbt42q-rak3172';
  const bundle = options.bundle ?? (await buildMinifiedBundle('parking-bay', board));
  const bays: BayResult[] = [];
  for (let i = 0; i < p.bays; i++) {
    const result = runBay(bundle, board, p, i, options.noiseUt);
    bays.push(result);
    options.onBay?.(result);
  }
  const all = bays.flatMap((b) => b.changes);
  const detected = all.filter((c) => c.latencyMs !== undefined);
  const latencies = detected.map((c) => c.latencyMs!).sort((a, b) => a - b);
  const missedByKind: Record<string, number> = {};
  for (const c of all) if (c.latencyMs === undefined) missedByKind[c.kind] = (missedByKind[c.kind] ?? 0) + 1;
  const virtualMs = bays.reduce((s, b) => s + b.virtualMs, 0);
  return {
    scenario: p.name,
    board,
    seed: p.seed,
    bays,
    summary: {
      changes: all.length,
      detected: detected.length,
      onTime: detected.filter((c) => c.latencyMs! <= ON_TIME_MS).length,
      detectedShare: all.length ? detected.length / all.length : 1,
      falseChanges: bays.reduce((s, b) => s + b.falseChanges.length, 0),
      latencyMs: { median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.length ? latencies[latencies.length - 1]! : 0 },
      missedByKind,
      uplinks: bays.reduce((s, b) => s + b.uplinks, 0),
      airtimePerDayMs: virtualMs > 0 ? (bays.reduce((s, b) => s + b.airtimeMs, 0) * 86_400_000) / virtualMs : 0,
      virtualHours: virtualMs / 3_600_000,
      consoleErrors: bays.reduce((s, b) => s + b.consoleErrors.length, 0),
    },
  };
}

/** The report as text, for `stadtsensor simulate` once it is wired in. */
export function formatStreetReport(report: StreetReport): string {
  const s = report.summary;
  const seconds = (ms: number): string => (ms / 1000).toFixed(1) + ' s';
  const missed = Object.entries(s.missedByKind).map(([k, n]) => `${k} ${n}`);
  return [
    `${report.scenario}: parking-bay on ${report.board}, ${report.bays.length} bays, ${s.virtualHours.toFixed(1)} h in all, seed ${report.seed}`,
    `changes: ${s.changes}, detected ${s.detected} (${(s.detectedShare * 100).toFixed(2)} %)${missed.length ? `, missed: ${missed.join(', ')}` : ''}`,
    `on the air within ${seconds(ON_TIME_MS)} of settling: ${s.onTime}; latency median ${seconds(s.latencyMs.median)}, ` +
      `p99 ${seconds(s.latencyMs.p99)}, max ${seconds(s.latencyMs.max)}`,
    `false changes: ${s.falseChanges}`,
    `uplinks: ${s.uplinks}, airtime ${seconds(s.airtimePerDayMs)} per bay-day at this street's pace`,
    `console errors: ${s.consoleErrors}`,
  ].join('\n');
}
