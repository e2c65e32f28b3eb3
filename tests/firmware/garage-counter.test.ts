import { describe, expect, it } from 'vitest';
import { createCountStore } from '../../firmware/apps/garage-counter/count-store.ts';
import { createLane, LANE_DEFAULTS, type Passage } from '../../firmware/apps/garage-counter/lane.ts';
import { countPassage, formatCounts, freeSpaces, newCounts, parseCounts, resync, setCapacity } from '../../firmware/apps/garage-counter/occupancy.ts';
import { createPacer, PACER_DEFAULTS } from '../../firmware/apps/garage-counter/report-pacer.ts';

/** A lane fed with beam edges `[beam, blocked, atMs]`, advanced to `endMs`; returns the passages seen. */
function run(edges: [number, boolean, number][], endMs: number, start: [boolean, boolean] = [false, false]) {
  const passages: Passage[] = [];
  const lane = createLane(LANE_DEFAULTS, start[0], start[1], 0, (p) => passages.push(p));
  for (const [beam, blocked, at] of edges) lane.edge(beam, blocked, at);
  lane.advance(endMs);
  return { passages, lane };
}

/** A car of `lengthM` at `speed` m/s through barriers `spacingM` apart, starting at t0: its four beam edges. */
function car(t0: number, lengthM: number, speed: number, entering: boolean, spacingM = 1): [number, boolean, number][] {
  const first = entering ? 0 : 1;
  const second = 1 - first;
  const ms = (m: number) => Math.round(t0 + (m / speed) * 1000);
  return [
    [first, true, ms(0)],
    [second, true, ms(spacingM)],
    [first, false, ms(lengthM)],
    [second, false, ms(lengthM + spacingM)],
  ];
}

describe('lane: direction from the order of the beams', () => {
  it('counts a -> b as an entry and b -> a as an exit, once both beams are clear', () => {
    expect(run(car(1000, 4.2, 3, true), 20_000).passages).toEqual(['entry']);
    expect(run(car(1000, 4.2, 3, false), 20_000).passages).toEqual(['exit']);
    // not before the last beam has been clear for minClearMs
    const edges = car(1000, 4.2, 3, true);
    const clearAt = edges[3]![2];
    expect(run(edges, clearAt + LANE_DEFAULTS.minClearMs - 1).passages).toEqual([]);
    expect(run(edges, clearAt + LANE_DEFAULTS.minClearMs).passages).toEqual(['entry']);
  });

  it('counts fast short cars and slow long vans, and a car that stops between the barriers', () => {
    expect(run(car(0, 3.6, 5.5, true), 10_000).passages).toEqual(['entry']); // 20 km/h
    expect(run(car(0, 6.5, 1, false), 30_000).passages).toEqual(['exit']);
    // both beams blocked for 4 minutes (stuck flag meanwhile), then it drives on
    const { passages, lane } = run(
      [
        [0, true, 0],
        [1, true, 500],
        [0, false, 240_000],
        [1, false, 240_500],
      ],
      200_000,
    );
    expect(lane.stuck(200_000)).toBe(true);
    lane.advance(250_000);
    expect(lane.stuck(250_000)).toBe(false);
    expect(passages).toEqual(['entry']);
  });

  it('counts nothing for a car that backs out, from in front of a or from between the barriers', () => {
    expect(run([[0, true, 0], [0, false, 3000]], 10_000).passages).toEqual(['aborted']);
    expect(
      run(
        [
          [0, true, 0],
          [1, true, 300],
          [1, false, 4000],
          [0, false, 6000],
        ],
        10_000,
      ).passages,
    ).toEqual(['aborted']);
    // a leaving car that turns back in after blocking both beams
    expect(
      run(
        [
          [1, true, 0],
          [0, true, 300],
          [0, false, 4000],
          [1, false, 6000],
        ],
        10_000,
      ).passages,
    ).toEqual(['aborted']);
  });

  it('ignores interruptions shorter than minBlockedMs and gaps shorter than minClearMs', () => {
    // a person crossing: a then b, 200 ms each
    expect(run([[0, true, 0], [0, false, 200], [1, true, 700], [1, false, 900]], 5000).passages).toEqual([]);
    // a flicker in the middle of a car (a shiny edge): still one entry
    const edges = car(0, 4.5, 2, true);
    edges.splice(2, 0, [0, false, 1500], [0, true, 1560]);
    expect(run(edges, 10_000).passages).toEqual(['entry']);
  });

  it('does not count a passage that was under way when the node started', () => {
    const { passages } = run(
      [
        [0, false, 500],
        [1, false, 1000],
      ],
      5000,
      [true, true],
    );
    expect(passages).toEqual([]);
    const next = run([[0, false, 500], [1, false, 1000], ...car(3000, 4, 3, true)], 20_000, [true, true]);
    expect(next.passages).toEqual(['entry']);
  });

  it('keeps two cars apart that follow each other with a gap wider than the barrier spacing', () => {
    // the second car's nose reaches a 1.5 m (0.5 s) after the first car's tail left it
    const first = car(0, 4, 3, true);
    const second = car(Math.round((5.5 / 3) * 1000), 4, 3, true);
    const edges = [...first, ...second].sort((x, y) => x[2] - y[2]);
    expect(run(edges, 20_000).passages).toEqual(['entry', 'entry']);
  });

  it('reports a beam blocked for stuckMs, and when it is due', () => {
    const { lane } = run([[1, true, 1000]], 2000);
    expect(lane.stuck(1000 + LANE_DEFAULTS.stuckMs - 1)).toBe(false);
    expect(lane.nextDueMs(2000)).toBe(1000 + LANE_DEFAULTS.minBlockedMs + LANE_DEFAULTS.stuckMs);
    expect(lane.stuck(1000 + LANE_DEFAULTS.minBlockedMs + LANE_DEFAULTS.stuckMs)).toBe(true);
  });

  it('suspects the other beam after soloLimit passages that blocked only one, until both work again', () => {
    const edges: [number, boolean, number][] = [];
    for (let i = 0; i < LANE_DEFAULTS.soloLimit; i++) edges.push([0, true, i * 10_000], [0, false, i * 10_000 + 2000]);
    const { lane } = run(edges, 100_000);
    expect(lane.suspect(1)).toBe(true);
    expect(lane.suspect(0)).toBe(false);
    for (const e of car(200_000, 4, 3, true)) lane.edge(...e);
    lane.advance(300_000);
    expect(lane.suspect(1)).toBe(false);
  });
});

describe('occupancy', () => {
  it('is capacity - (entries - exits) after a resync, clamped to [0, capacity] with countClamped', () => {
    const c = newCounts();
    resync(c, 10, 8);
    expect(freeSpaces(c, 10)).toBe(8);
    for (let i = 0; i < 3; i++) countPassage(c, false, 10);
    expect(freeSpaces(c, 10)).toBe(10);
    expect(c.clamped).toBe(true);
    expect([c.entries, c.exits]).toEqual([0, 3]);
    resync(c, 10, 4);
    expect(c.clamped).toBe(false);
    for (let i = 0; i < 7; i++) countPassage(c, true, 10);
    expect(freeSpaces(c, 10)).toBe(0);
    expect(c.clamped).toBe(true);
  });

  it('wraps entries and exits at 2^16, as the message defines', () => {
    const c = { entries: 65534, exits: 65535, occupied: 5, clamped: false };
    countPassage(c, true, 100);
    countPassage(c, true, 100);
    countPassage(c, false, 100);
    expect(c).toMatchObject({ entries: 0, exits: 0, occupied: 6 });
  });

  it('keeps the cars inside on a capacity change, up to the new capacity', () => {
    const c = newCounts();
    resync(c, 100, 40);
    setCapacity(c, 120);
    expect(freeSpaces(c, 120)).toBe(60);
    setCapacity(c, 50);
    expect(freeSpaces(c, 50)).toBe(0);
    expect(c.clamped).toBe(false);
  });

  it('stores as text and refuses torn or foreign text', () => {
    const c = { entries: 65535, exits: 12, occupied: 300, clamped: true };
    expect(parseCounts(formatCounts(c))).toEqual(c);
    for (const bad of [undefined, '', '1,2,3', '1,2,3,2', '70000,1,1,0', '1,2,3,0\xff', 'a,b,c,d']) expect(parseCounts(bad)).toBeNull();
  });
});

describe('count store', () => {
  function files() {
    const map = new Map<string, string>();
    return { map, read: (n: string) => map.get(n), write: (n: string, v: string) => void map.set(n, v) };
  }

  it('alternates between two files and loads the newest', () => {
    const f = files();
    const store = createCountStore(f, 'gc.n');
    expect(store.load()).toBeNull();
    for (let i = 1; i <= 3; i++) store.save({ entries: i, exits: 0, occupied: i, clamped: false });
    expect([...f.map.keys()].sort()).toEqual(['gc.n0', 'gc.n1']);
    expect(createCountStore(f, 'gc.n').load()).toMatchObject({ entries: 3 });
  });

  it('falls back to the older file when the newer one was torn by a power cut', () => {
    const f = files();
    const store = createCountStore(f, 'gc.n');
    store.save({ entries: 5, exits: 1, occupied: 4, clamped: false });
    store.save({ entries: 6, exits: 1, occupied: 5, clamped: false });
    const newer = f.map.get('gc.n0')!.startsWith('1;') ? 'gc.n0' : 'gc.n1';
    f.map.set(newer, f.map.get(newer)!.slice(0, 4) + '\xff\xff');
    expect(createCountStore(f, 'gc.n').load()).toMatchObject({ entries: 5 });
  });
});

describe('report pacer', () => {
  const DAY = 86_400_000;

  it('holds a report holdMs after a change in a quiet garage', () => {
    const pacer = createPacer(PACER_DEFAULTS, 206, 0);
    expect(pacer.readyAt(60_000, 60_000)).toBe(60_000 + PACER_DEFAULTS.holdMs);
  });

  it('keeps a day of changes every 20 s within the daily share plus the bucket', () => {
    const reportMs = 206; // 9-byte payload + 13 bytes of LoRaWAN framing at SF9
    const pacer = createPacer(PACER_DEFAULTS, reportMs, 0);
    let next = 0;
    let sent = 0;
    let pendingSince = -1;
    for (let t = 0; t < DAY; t += 1000) {
      if (t % 20_000 === 0 && pendingSince < 0) pendingSince = t;
      if (pendingSince >= 0 && next <= t) next = pacer.readyAt(pendingSince, t);
      if (pendingSince >= 0 && next <= t) {
        pacer.spend(t);
        sent++;
        pendingSince = -1;
      }
    }
    const airtime = sent * reportMs;
    expect(airtime).toBeLessThanOrEqual(PACER_DEFAULTS.dailyShareMs + PACER_DEFAULTS.burstMs);
    expect(airtime).toBeGreaterThan(PACER_DEFAULTS.dailyShareMs * 0.95);
  });
});
