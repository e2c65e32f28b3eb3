/**
 * The real garage-counter bundle in the simulated world: light barriers on the board's pins driven by cars and
 * pedestrians, the simulated RAK3172 in LoRa P2P mode, a gateway module; uplinks verified with lora-packet and
 * decoded with payload-schema, and compared with the truth of the scenario.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appConfig } from '../../tools/firmware-build/app-config.ts';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';
import { SimulatedLightBarrier } from '../../tools/simulator/devices/light-barrier.ts';
import { createEspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import type { Movement } from '../../tools/simulator/scenarios/garage-day.ts';
import { createGarageWorld, simulateGarageDay, type GarageDayResult, type GarageWorld } from '../../tools/simulator/world/garage-world.ts';
import { DEMO_P2P_KEYS } from '../../tools/simulator/world/index.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const SPACING_M = 1.0;
let build: FirmwareBuild;
let bundle = '';

beforeAll(async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-garage-test-'));
  try {
    build = await buildFirmware({ app: 'garage-counter', board: 'mdbt42q-rak3172', minify: true, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  bundle = build.minifiedCode!;
}, 120_000);

/** A car (or a person: short and slow) through a lane at constant speed. */
function through(lane: number, t0: number, entering: boolean, lengthM = 4.5, speed = 3): Movement {
  const outside = -0.5;
  const inside = SPACING_M + lengthM + 0.5;
  const [from, to] = entering ? [outside, inside] : [inside, outside];
  const t1 = t0 + ((inside - outside) / speed) * 1000;
  return { kind: entering ? 'entry' : 'exit', lane, lengthM, path: [{ t: t0, p: from }, { t: t1, p: to }], endMs: t1 };
}

function world(seed = 3): GarageWorld {
  return createGarageWorld({ bundle, boardId: 'mdbt42q-rak3172', seed, keys: DEMO_P2P_KEYS });
}

it('builds a bundle that passes the compatibility check and fits its size budget', () => {
  expect(build.problems).toEqual([]);
  expect(build.minifiedBytes).toBeLessThanOrEqual(appConfig('garage-counter').maxMinifiedBytes);
});

describe('a garage day: 2,000 movements with simultaneous and aborted passages', () => {
  let day: GarageDayResult;
  beforeAll(async () => {
    day = await simulateGarageDay({ bundle, seed: 5 });
  }, 60_000);

  it('has the movements the acceptance asks for', () => {
    const m = day.movements;
    expect(m.entry! + m.exit! + m['aborted-entry']! + m['aborted-exit']!).toBe(2000);
    expect(m['aborted-entry']! + m['aborted-exit']!).toBeGreaterThanOrEqual(30);
    expect(m.pedestrian).toBeGreaterThanOrEqual(20);
    expect(day.simultaneousPairs).toBeGreaterThanOrEqual(50);
    // morning inflow and evening outflow
    const t = (h: number) => day.day.truthAt(h * HOUR);
    expect(t(11).occupied).toBeGreaterThan(day.day.startOccupied + 200);
    expect(t(23).occupied).toBeLessThan(t(11).occupied - 200);
    for (let h = 0; h <= 24; h += 0.25) {
      expect(t(h).occupied).toBeGreaterThanOrEqual(0);
      expect(t(h).occupied).toBeLessThanOrEqual(day.day.capacity);
    }
  });

  it('reports free spaces within [0, capacity] that follow the truth, and matches it at the end of the day', () => {
    const reports = day.reports.filter((r) => r.capacity === day.day.capacity);
    expect(reports.length).toBeGreaterThan(60);
    let previous = -Infinity;
    for (const r of reports) {
      expect(r.freeSpaces).toBeGreaterThanOrEqual(0);
      expect(r.freeSpaces).toBeLessThanOrEqual(r.capacity);
      // a report says what the counts were when it was built: between the truth a few minutes before and now
      const before = day.day.truthAt(Math.max(previous, r.timeMs - 20 * MIN));
      const now = day.day.truthAt(r.timeMs);
      expect(r.entries).toBeGreaterThanOrEqual(before.entries);
      expect(r.entries).toBeLessThanOrEqual(now.entries);
      expect(r.exits).toBeGreaterThanOrEqual(before.exits);
      expect(r.exits).toBeLessThanOrEqual(now.exits);
      // after the resync to the overnight count: free = capacity - occupied, exactly
      expect(r.freeSpaces).toBe(day.day.capacity - (day.day.startOccupied + r.entries - r.exits));
      expect(r.faults).toEqual({ sensorA: false, sensorB: false, beamBlocked: false, countClamped: false });
      previous = r.timeMs;
    }
    expect(day.final.reported).toMatchObject({
      freeSpaces: day.final.truth.freeSpaces,
      entries: day.final.truth.entries,
      exits: day.final.truth.exits,
    });
    expect(day.world.consoleErrors()).toEqual([]);
    expect(day.world.uplinks.filter((u) => u.rejected)).toEqual([]);
  });

  it('batches a busy hour and stays within 30 s of airtime a day', () => {
    const busy = day.reports.filter((r) => r.timeMs >= 7 * HOUR && r.timeMs < 9 * HOUR);
    const truth = day.day.truthAt(9 * HOUR).entries - day.day.truthAt(7 * HOUR).entries;
    expect(truth).toBeGreaterThan(200);
    expect(busy.length).toBeGreaterThanOrEqual(4);
    expect(busy.length).toBeLessThan(truth / 10);
    expect(day.airtimePerDayMs[0]).toBeLessThanOrEqual(30_000);
  });
});

it('without the resync the overnight cars are missing: the count clamps and the end of the day is off', async () => {
  const off = await simulateGarageDay({ bundle, seed: 5, resync: false, day: { movements: 600 } });
  expect(off.reports.some((r) => r.faults.countClamped)).toBe(true);
  expect(off.final.reported!.freeSpaces).not.toBe(off.final.truth.freeSpaces);
  // the counts of passages themselves are still right
  expect(off.final.reported).toMatchObject({ entries: off.final.truth.entries, exits: off.final.truth.exits });
}, 60_000);

describe('garage counter node', () => {
  it('takes a capacity and a resync by downlink, and keeps free spaces within the new capacity', () => {
    const w = world(21);
    w.sendDownlink(3, { garage: { capacity: 20, freeSpaces: 5 } });
    w.play(through(1, 10 * MIN, false), SPACING_M);
    w.play(through(1, 11 * MIN, false), SPACING_M);
    w.run(15 * MIN);
    expect(w.reports().at(-1)).toMatchObject({ capacity: 20, freeSpaces: 7, exits: 2 });
    w.sendDownlink(3, { garage: { capacity: 12 } });
    w.play(through(0, 20 * MIN, true), SPACING_M); // its report carries the downlink back
    w.run(10 * MIN);
    const reports = w.reports();
    expect(reports.some((r) => r.capacity === 12 && r.freeSpaces === 0)).toBe(true);
    const configs = w.uplinks.filter((u) => u.fPort === 2);
    // the resync is applied once: the setting is back to "none" (4095) in later reports
    expect(configs.at(-1)!.data).toMatchObject({ garage: { capacity: 12, freeSpaces: 4095 } });
    for (let i = 0; i < 3; i++) w.play(through(1, 35 * MIN + i * MIN, false), SPACING_M);
    w.run(20 * MIN);
    expect(w.reports().at(-1)).toMatchObject({ capacity: 12, freeSpaces: 3, entries: 1, exits: 5 });
    // the same count sent again is applied again
    for (let i = 0; i < 2; i++) {
      w.sendDownlink(3, { garage: { freeSpaces: 5 } });
      w.play(through(i, w.scheduler.now() + MIN, i === 0), SPACING_M); // its report carries the downlink back
      w.run(10 * MIN);
      expect(w.reports().at(-1)).toMatchObject({ freeSpaces: 5 });
      expect(w.reports().at(-2)).toMatchObject({ freeSpaces: i === 0 ? 2 : 6 });
    }
    expect(w.consoleErrors()).toEqual([]);
  }, 30_000);

  it('wraps entries and exits at 65536 as the schema defines', () => {
    const w = world(22);
    w.run(MIN);
    w.board.storage.write('gc.n0', '7;65533,65535,30,0');
    w.board.storage.write('gc.n1', '6;65500,65535,30,0');
    w.powerCycle();
    for (let i = 0; i < 4; i++) w.play(through(0, 5 * MIN + i * 2 * MIN, true), SPACING_M);
    w.play(through(1, 14 * MIN, false), SPACING_M);
    w.run(20 * MIN);
    const seen = w.reports().filter((r) => r.timeMs > MIN).map((r) => [r.entries, r.exits]);
    expect(seen[0]).toEqual([65533, 65535]);
    expect(seen.slice(1)).toEqual([
      [65534, 65535],
      [65535, 65535],
      [0, 65535],
      [1, 65535],
      [1, 0],
    ]);
    expect(w.reports().at(-1)!.freeSpaces).toBe(100 - 33);
  }, 30_000);

  it('keeps its counts across a power cycle', () => {
    const w = world(23);
    w.sendDownlink(3, { garage: { capacity: 50, freeSpaces: 50 } });
    for (let i = 0; i < 6; i++) w.play(through(i % 2, 5 * MIN + i * 20_000, true), SPACING_M);
    w.run(10 * MIN);
    expect(w.reports().at(-1)).toMatchObject({ entries: 6, freeSpaces: 44 });
    w.powerCycle();
    w.run(5 * MIN);
    const after = w.reports().filter((r) => r.timeMs > 10 * MIN);
    expect(after[0]).toMatchObject({ entries: 6, freeSpaces: 44, capacity: 50 });
    expect(w.uplinks.find((u) => u.fPort === 1 && u.timeMs > 10 * MIN)!.data).toMatchObject({ event: 'startup' });
    w.play(through(1, 16 * MIN, false), SPACING_M);
    w.run(5 * MIN);
    expect(w.reports().at(-1)).toMatchObject({ entries: 6, exits: 1, freeSpaces: 45 });
  }, 30_000);

  it('flags a barrier blocked for minutes, and clears the flag when the beam is back', () => {
    const w = world(24);
    w.run(5 * MIN);
    w.barriers[0]!.a.setBlocked(true); // a parked van, or a misaligned reflector
    w.run(3 * MIN - 5000);
    expect(w.reports().some((r) => r.faults.beamBlocked)).toBe(false);
    w.run(2 * MIN);
    const flagged = w.reports().find((r) => r.faults.beamBlocked)!;
    expect(flagged.timeMs).toBeLessThan(5 * MIN + 3 * MIN + 60_000);
    w.barriers[0]!.a.setBlocked(false);
    w.run(5 * MIN);
    expect(w.reports().at(-1)!.faults.beamBlocked).toBe(false);
    expect(w.reports().at(-1)!.entries + w.reports().at(-1)!.exits).toBe(0);
    // a sensor without power (cut cable) reads as blocked through the pull-up: the same flag
    w.barriers[1]!.b.setFault('dead');
    w.run(5 * MIN);
    expect(w.reports().at(-1)!.faults.beamBlocked).toBe(true);
  }, 30_000);

  it('suspects barrier b when it stays clear while a sees car after car', () => {
    const w = world(25);
    w.barriers[0]!.b.setFault('stuck-clear');
    for (let i = 0; i < 5; i++) w.play(through(0, 5 * MIN + i * MIN, true), SPACING_M);
    w.run(15 * MIN);
    const last = w.reports().at(-1)!;
    expect(last.faults).toMatchObject({ sensorA: false, sensorB: true });
    expect(last.entries).toBe(0); // no direction without b: nothing counted
    w.barriers[0]!.b.setFault(undefined);
    w.play(through(0, 16 * MIN, true), SPACING_M);
    w.run(5 * MIN);
    expect(w.reports().at(-1)).toMatchObject({ entries: 1, faults: { sensorB: false } });
  }, 30_000);

  it('does not count pedestrians or a car that backs out', () => {
    const w = world(26);
    w.play(through(0, 5 * MIN, true, 0.4, 1.3), SPACING_M); // a person walking in
    w.play(through(1, 6 * MIN, false, 0.5, 1.0), SPACING_M); // a person with a bag walking out
    const backing: Movement = {
      kind: 'aborted-entry',
      lane: 0,
      lengthM: 4.5,
      path: [
        { t: 7 * MIN, p: -0.5 },
        { t: 7 * MIN + 600, p: 1.4 },
        { t: 7 * MIN + 3000, p: 1.4 },
        { t: 7 * MIN + 5000, p: -0.5 },
      ],
      endMs: 7 * MIN + 5000,
    };
    w.play(backing, SPACING_M);
    w.play(through(0, 9 * MIN, true), SPACING_M);
    w.run(12 * MIN);
    expect(w.reports().at(-1)).toMatchObject({ entries: 1, exits: 0 });
  }, 30_000);
});

describe('setWatch debounce against a bouncing barrier output (Espruino semantics)', () => {
  function bench(debounce: number) {
    const scheduler = new VirtualScheduler({ seed: 9 });
    const board = createEspruinoBoard({ scheduler, board: 'MDBT42Q' });
    const barrier = new SimulatedLightBarrier({ board, pin: 'D2', scheduler, maxBounces: 6, bounceMs: 12 });
    board.load(
      `var events = []; pinMode(D2, 'input_pullup', false);` +
        `setWatch(function (e) { events.push([e.state, Math.round(e.time * 1000)]); }, D2, { edge: 'both', repeat: true, debounce: ${debounce} });`,
      { mode: 'ram' },
    );
    scheduler.at(1000, () => barrier.setBlocked(true));
    scheduler.at(3000, () => barrier.setBlocked(false));
    scheduler.runFor(5000);
    return { events: board.evaluate('JSON.stringify(events)') as string, changes: barrier.outputChanges };
  }

  it('fires once per settled change, with the time of the last bounce, when debounced', () => {
    const { events, changes } = bench(20);
    const parsed = JSON.parse(events) as [boolean, number][];
    expect(changes).toBeGreaterThan(4); // the output did bounce
    expect(parsed.map((e) => e[0])).toEqual([true, false]);
    expect(parsed[0]![1]).toBeGreaterThanOrEqual(1001);
    expect(parsed[0]![1]).toBeLessThanOrEqual(1001 + 12);
    expect(parsed[1]![1]).toBeGreaterThanOrEqual(3001);
    expect(parsed[1]![1]).toBeLessThanOrEqual(3001 + 12);
  });

  it('fires on every bounce without debounce', () => {
    const parsed = JSON.parse(bench(0).events) as [boolean, number][];
    expect(parsed.length).toBeGreaterThan(2);
  });
});
