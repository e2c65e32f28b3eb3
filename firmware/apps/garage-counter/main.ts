/**
 * Garage counter node: light-barrier pairs on the board's `barriers` pins (one pair per lane, `a` outside, `b`
 * inside; hardware/garage-node.md) count cars in and out with their direction (lane.ts), and the node reports the
 * free spaces: free = capacity - (entries - exits), kept within [0, capacity] (occupancy.ts).
 *
 * Uplinks (FPort 11, garageCounter): after a change (a passage, a new capacity, a resync, a fault appearing or
 * clearing), paced by report-pacer.ts: 20 s after a change in a quiet garage, and as the airtime share allows in a
 * busy hour, each report carrying every change since the last. The node core adds the startup status, the
 * configuration report and the status heartbeat. A deviceConfig downlink sets `garage.capacity`, or resyncs with
 * `garage.freeSpaces` (a manual count); the resync is applied once and the setting returns to NO_RESYNC, so the same
 * count can be sent again later. Counts survive a power cut in Storage (count-store.ts), up to the last PERSIST_MS.
 *
 * The node core asks for a report by calling `measure`; this app answers when it has something to say: it keeps the
 * latest `done` and calls it when a report is due.
 */
import { encodeGarageCounter, type GarageCounter } from '../../../payload-schema/generated/firmware/payload.js';
import { barriers } from 'stadtsensor:board';
import { uplinkAirtime, LORAWAN_OVERHEAD_BYTES } from '../../core/airtime.ts';
import type { NodeApp, NodeContext, Uplink } from '../../core/node.ts';
import type { Settings } from '../../core/settings.ts';
import { createConsoleLogger } from '../../platform/log.ts';
import { storage } from '../../platform/espruino.ts';
import { bootNode } from '../../platform/boot-node.ts';
import { modemUart } from '../../platform/modem-uart.ts';
import { watchBarrier } from './barrier-input.ts';
import { createCountStore } from './count-store.ts';
import { createLane, LANE_DEFAULTS, type Lane, type Passage } from './lane.ts';
import { countPassage, freeSpaces, newCounts, resync, setCapacity } from './occupancy.ts';
import { createPacer, PACER_DEFAULTS, type Pacer } from './report-pacer.ts';

const PORT_GARAGE_COUNTER = 11;
/** The garageCounter message: 12 + 12 + 16 + 16 + 4 + 8 bits. */
const REPORT_BYTES = 9;
/** garage.freeSpaces when no resync is waiting (the field's all-ones value: a garage of 4095 free spaces cannot resync to it). */
const NO_RESYNC = 4095;
const COUNTS_FILE = 'gc.n';
/** A power cut loses at most the passages of this long. */
const PERSIST_MS = 30000;

const log = createConsoleLogger('info').log;
const pins = global as unknown as Record<string, Pin>;
const store = createCountStore(storage, COUNTS_FILE);
const counts = store.load() || newCounts();
const lanes: Lane[] = [];

let capacity = 0;
let pacer: Pacer | undefined;
/** The latest `done` of the node core, while it waits for a report. */
let pending: ((uplink: Uplink | null, nextS: number) => void) | undefined;
let context: NodeContext | undefined;
/** What the last report said (empty before the first). */
let lastReport = '';
/** When the first change not yet reported happened; -1 when there is none. */
let changedAt = -1;
let faults: GarageCounter['faults'] = {};
let flushTimer: number | undefined;
let laneTimer: number | undefined;
let persistTimer: number | undefined;

function nowMs(): number {
  return getTime() * 1000;
}

function save(): void {
  if (persistTimer !== undefined) clearTimeout(persistTimer);
  persistTimer = undefined;
  if (!store.save(counts) && context) context.flag('storageError');
}

function saveSoon(): void {
  if (persistTimer !== undefined) return;
  persistTimer = setTimeout(() => {
    persistTimer = undefined;
    save();
  }, PERSIST_MS);
}

function summary(): string {
  const f = faults;
  return [freeSpaces(counts, capacity), capacity, counts.entries, counts.exits, f.sensorA, f.sensorB, f.beamBlocked, counts.clamped].join();
}

function report(node: NodeContext): Uplink {
  const value: GarageCounter = {
    freeSpaces: freeSpaces(counts, capacity),
    capacity: capacity,
    entries: counts.entries,
    exits: counts.exits,
    faults: { sensorA: faults.sensorA, sensorB: faults.sensorB, beamBlocked: faults.beamBlocked, countClamped: counts.clamped },
    battery: node.battery(),
  };
  try {
    return { port: PORT_GARAGE_COUNTER, bytes: encodeGarageCounter(value) };
  } catch (e) {
    // a battery reading outside the message's range (divider misfitted) goes out as no reading
    log('warn', 'reading out of range: ' + (e as Error).message);
    value.battery = null;
    return { port: PORT_GARAGE_COUNTER, bytes: encodeGarageCounter(value) };
  }
}

/** Sends a report if anything changed since the last one and the node core is waiting for one. */
function flush(): void {
  flushTimer = undefined;
  if (summary() === lastReport) {
    changedAt = -1;
    return;
  }
  if (!pending || !context || !pacer) return;
  const done = pending;
  pending = undefined;
  pacer.spend(nowMs());
  lastReport = summary();
  changedAt = -1;
  done(report(context), 0);
}

function scheduleFlush(): void {
  if (!pending || !pacer || changedAt < 0) return;
  const now = nowMs();
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = setTimeout(flush, Math.max(0, pacer.readyAt(changedAt, now) - now));
}

function changed(): void {
  if (changedAt < 0) changedAt = nowMs();
  scheduleFlush();
}

function updateFaults(now: number): void {
  const next: GarageCounter['faults'] = { sensorA: false, sensorB: false, beamBlocked: false };
  for (let i = 0; i < lanes.length; i++) {
    const lane = lanes[i]!;
    if (lane.suspect(0)) next.sensorA = true;
    if (lane.suspect(1)) next.sensorB = true;
    if (lane.stuck(now)) next.beamBlocked = true;
  }
  if (next.sensorA !== faults.sensorA || next.sensorB !== faults.sensorB || next.beamBlocked !== faults.beamBlocked) {
    if (next.beamBlocked && !faults.beamBlocked) log('warn', 'a barrier is blocked');
    faults = next;
    changed();
  }
}

/** Applies every lane decision due by now and sets the timer for the next one. */
function runLanes(): void {
  laneTimer = undefined;
  const now = nowMs();
  let due = Infinity;
  for (let i = 0; i < lanes.length; i++) {
    lanes[i]!.advance(now);
    due = Math.min(due, lanes[i]!.nextDueMs(now));
  }
  updateFaults(now);
  if (due < Infinity) laneTimer = setTimeout(runLanes, Math.max(0, due - now));
}

function onPassage(lane: number, passage: Passage): void {
  log('info', 'lane ' + (lane + 1) + ': ' + passage);
  if (passage === 'aborted') return;
  countPassage(counts, passage === 'entry', capacity);
  saveSoon();
  changed();
}

function watchLanes(): void {
  if (!barriers) {
    log('error', 'no barrier pins in the board profile');
    return;
  }
  const level = barriers.blockedLevel;
  barriers.lanes.forEach((wiring, i) => {
    const edge = (beam: number) => (blocked: boolean, timeMs: number) => {
      lanes[i]!.edge(beam, blocked, timeMs);
      if (laneTimer !== undefined) clearTimeout(laneTimer);
      runLanes();
    };
    const a = watchBarrier(pins[wiring.a]!, level, edge(0));
    const b = watchBarrier(pins[wiring.b]!, level, edge(1));
    lanes.push(createLane(LANE_DEFAULTS, a, b, nowMs(), (p) => onPassage(i, p)));
  });
  runLanes();
}

/** Capacity and a waiting resync from the settings. */
function applySettings(s: Settings): void {
  const cap = s.get('garage.capacity') as number;
  if (cap !== capacity) {
    capacity = cap;
    setCapacity(counts, capacity);
    save();
  }
  const free = s.get('garage.freeSpaces') as number;
  if (free !== NO_RESYNC) {
    log('info', 'resync: ' + free + ' free');
    resync(counts, capacity, free);
    s.apply({ garage: { freeSpaces: null } });
    save();
  }
}

const app: NodeApp = {
  deviceType: 'garageCounter',
  firmware: { major: 0, minor: 1, patch: 0 },
  defaults: { garage: { capacity: 100, freeSpaces: NO_RESYNC } },
  measure(node, done) {
    context = node;
    pending = done;
    applySettings(node.settings);
    if (summary() !== lastReport && changedAt < 0) changedAt = nowMs();
    scheduleFlush();
  },
};

const booted = bootNode(app, log, modemUart());
if (booted) {
  const node = booted.node;
  const keys = booted.keys;
  applySettings(node.settings);
  const dr = keys.network === 'p2p' ? 12 - keys.p2p.sf : (node.settings.get('dataRate') as number);
  pacer = createPacer(PACER_DEFAULTS, uplinkAirtime(REPORT_BYTES + LORAWAN_OVERHEAD_BYTES, dr), nowMs());
  watchLanes();
}
