/**
 * A garage day (seeded): cars entering and leaving through a two-lane ramp, each lane with a light-barrier pair
 * (`a` outside at 0 m, `b` inside at `spacingM`). Morning inflow, midday turnover, evening outflow; some cars stop
 * between the barriers (a ticket machine, a pedestrian), some back out (aborted passages, from in front of `a` or
 * from between the barriers), some use the other lane (direction detection in both lanes), entries and exits in
 * the two lanes overlap (simultaneous passages), and pedestrians cross the beams.
 *
 * Motion is 1-D along the lane: a car occupies [p - length, p] where p(t) is piecewise linear; a beam at x is
 * interrupted while x lies in that interval. Entering cars move towards +x, leaving cars towards -x.
 */
import { mulberry32 } from '../scheduler.ts';

export type MovementKind = 'entry' | 'exit' | 'aborted-entry' | 'aborted-exit' | 'pedestrian';

export interface Movement {
  kind: MovementKind;
  lane: number;
  /** Length of the object along the lane (car or person), m. */
  lengthM: number;
  /** Piecewise-linear position of the object's +x end: times in ms of the day, positions in m. */
  path: { t: number; p: number }[];
  /** When the passage is over (the last beam clear): entries and exits count from then. */
  endMs: number;
}

export interface GarageDayOptions {
  seed?: number;
  /** Entries, exits and aborted passages (pedestrians come on top). Default 2000. */
  movements?: number;
  capacity?: number;
  /** Cars inside at midnight. */
  startOccupied?: number;
  spacingM?: number;
  /** Share of aborted passages. Default 0.03. */
  abortedShare?: number;
  /** Share of cars that stop between the barriers for a while. Default 0.08. */
  stopShare?: number;
  /** Share of cars that use the other lane. Default 0.05. */
  otherLaneShare?: number;
  pedestrians?: number;
  /** Lanes with a barrier pair: 2 (a lane in, a lane out) or 1 (both directions in one lane). Default 2. */
  lanes?: number;
}

export interface GarageDay {
  capacity: number;
  startOccupied: number;
  spacingM: number;
  /** In time order of their start. */
  movements: Movement[];
  /** Entries and exits completed by `timeMs`, and the cars inside then. */
  truthAt(timeMs: number): { entries: number; exits: number; occupied: number };
}

export const DAY_MS = 86_400_000;
const HOUR = 3_600_000;
/** Relative rates of entries and exits per hour of the day (an office and shopping garage). */
const ENTRY_RATE = [1, 0.5, 0.3, 0.3, 0.5, 2, 8, 20, 26, 14, 8, 7, 8, 7, 6, 5, 4, 4, 3, 3, 3, 2, 1.5, 1];
const EXIT_RATE = [1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 6, 7, 8, 8, 7, 9, 18, 25, 20, 10, 6, 4, 3, 2];
/** Lane 0 is the way in, lane 1 the way out. */
const IN_LANE = 0;
const OUT_LANE = 1;

function pickHour(rates: number[], r: number): number {
  const total = rates.reduce((s, x) => s + x, 0);
  let acc = 0;
  for (let h = 0; h < 24; h++) {
    acc += rates[h]! / total;
    if (r < acc) return h;
  }
  return 23;
}

/** Position at time t on a piecewise-linear path (constant before the first and after the last point). */
export function positionAt(path: Movement['path'], t: number): number {
  if (t <= path[0]!.t) return path[0]!.p;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1]!;
    const b = path[i]!;
    if (t <= b.t) return b.t === a.t ? b.p : a.p + ((b.p - a.p) * (t - a.t)) / (b.t - a.t);
  }
  return path[path.length - 1]!.p;
}

/** The intervals [from, to) in ms (whole ms) during which a beam at x is interrupted by the movement. */
export function beamIntervals(m: Movement, x: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  const lo = x;
  const hi = x + m.lengthM;
  for (let i = 1; i < m.path.length; i++) {
    const a = m.path[i - 1]!;
    const b = m.path[i]!;
    let from: number;
    let to: number;
    if (a.p === b.p) {
      if (a.p < lo || a.p > hi) continue;
      from = a.t;
      to = b.t;
    } else {
      // times at which p crosses lo and hi on this segment, in time order
      const tLo = a.t + ((lo - a.p) * (b.t - a.t)) / (b.p - a.p);
      const tHi = a.t + ((hi - a.p) * (b.t - a.t)) / (b.p - a.p);
      from = Math.max(a.t, Math.min(tLo, tHi));
      to = Math.min(b.t, Math.max(tLo, tHi));
      if (from >= to) continue;
    }
    const f = Math.round(from);
    const t = Math.round(to);
    const prev = out[out.length - 1];
    if (prev && f <= prev.to) prev.to = Math.max(prev.to, t);
    else if (t > f) out.push({ from: f, to: t });
  }
  return out;
}

export function generateGarageDay(options: GarageDayOptions = {}): GarageDay {
  const random = mulberry32(options.seed ?? 1);
  const between = (lo: number, hi: number): number => lo + (hi - lo) * random();
  const total = options.movements ?? 2000;
  const capacity = options.capacity ?? 450;
  const startOccupied = options.startOccupied ?? 60;
  const s = options.spacingM ?? 1.0;
  const abortedShare = options.abortedShare ?? 0.03;
  const stopShare = options.stopShare ?? 0.08;
  const otherLaneShare = options.otherLaneShare ?? 0.05;
  const oneLane = options.lanes === 1;

  // wanted start times and directions, in time order
  const wanted: { t: number; entry: boolean }[] = [];
  for (let i = 0; i < total; i++) {
    const entry = random() < 0.5;
    const hour = pickHour(entry ? ENTRY_RATE : EXIT_RATE, random());
    wanted.push({ t: hour * HOUR + random() * HOUR, entry });
  }
  // simultaneous passages: every 20th movement is paired with one in the other direction a moment later
  for (let i = 0; i + 1 < wanted.length; i += 20) wanted[i + 1] = { t: wanted[i]!.t + between(0, 1500), entry: !wanted[i]!.entry };
  wanted.sort((x, y) => x.t - y.t);

  const laneFreeAt = [0, 0];
  const movements: Movement[] = [];
  let occupied = startOccupied;
  for (const w of wanted) {
    let entry = w.entry;
    // the truth stays within the garage: nobody leaves an empty garage or enters a full one. `occupied` counts
    // movements as they start; each lane has one in flight at most, so the truth is within 2 of it.
    if (entry && occupied > capacity - 3) entry = false;
    if (!entry && occupied < 3) entry = true;
    const aborted = random() < abortedShare;
    const usual = entry ? IN_LANE : OUT_LANE;
    const lane = oneLane ? 0 : random() < otherLaneShare ? 1 - usual : usual;
    const lengthM = random() < 0.05 ? between(5.5, 6.5) : between(3.6, 5.2);
    const v = between(1.5, 4.5);
    const t0 = Math.max(w.t, laneFreeAt[lane]! + between(1500, 4000));
    // the +x end's positions: outside (entering) starts with the front 0.5 m before `a`
    const outside = -0.5;
    const inside = s + lengthM + 0.5;
    const from = entry ? outside : inside;
    const to = entry ? inside : outside;
    const path: Movement['path'] = [{ t: t0, p: from }];
    let kind: MovementKind = entry ? 'entry' : 'exit';
    if (aborted) {
      kind = entry ? 'aborted-entry' : 'aborted-exit';
      // the nose reaches into the first beam only, or between the barriers, then backs out at 1 m/s
      const depth = random() < 0.5 ? 0.4 : s + 0.4;
      const turn = entry ? depth : s - depth;
      const turnP = entry ? turn : turn + lengthM;
      const tTurn = t0 + (Math.abs(turnP - from) / v) * 1000;
      const tBack = tTurn + between(1000, 5000);
      path.push({ t: tTurn, p: turnP }, { t: tBack, p: turnP }, { t: tBack + (Math.abs(from - turnP) / 1.0) * 1000, p: from });
    } else if (random() < stopShare) {
      // stops with both beams interrupted (the car straddles the barriers), then goes on
      const stopP = entry ? s + 0.5 * (lengthM - s) : 0.5 * (lengthM + s);
      const tStop = t0 + (Math.abs(stopP - from) / v) * 1000;
      const tGo = tStop + between(2000, 30000);
      path.push({ t: tStop, p: stopP }, { t: tGo, p: stopP }, { t: tGo + (Math.abs(to - stopP) / v) * 1000, p: to });
    } else {
      path.push({ t: t0 + (Math.abs(to - from) / v) * 1000, p: to });
    }
    const m: Movement = { kind, lane, lengthM, path, endMs: 0 };
    const last = Math.max(...[0, s].map((x) => beamIntervals(m, x).reduce((e, iv) => Math.max(e, iv.to), 0)));
    m.endMs = last;
    laneFreeAt[lane] = path[path.length - 1]!.t;
    if (kind === 'entry') occupied++;
    if (kind === 'exit') occupied--;
    movements.push(m);
  }

  // pedestrians cross the beams on foot (0.3-0.5 m deep at 1.0-1.6 m/s) in gaps of the traffic
  const pedestrians = options.pedestrians ?? 40;
  for (let i = 0; i < pedestrians; i++) {
    const lane = oneLane || random() < 0.5 ? 0 : 1;
    const lengthM = between(0.3, 0.5);
    const v = between(1.0, 1.6);
    const walkMs = ((s + lengthM + 1) / v) * 1000;
    // in a gap of the lane's traffic
    for (let attempt = 0; attempt < 50; attempt++) {
      const t0 = between(6, 22) * HOUR;
      const clash = movements.some((o) => o.lane === lane && o.path[0]!.t < t0 + walkMs + 2000 && o.path[o.path.length - 1]!.t + 2000 > t0);
      if (clash) continue;
      const path = [
        { t: t0, p: -0.5 },
        { t: t0 + walkMs, p: s + lengthM + 0.5 },
      ];
      movements.push({ kind: 'pedestrian', lane, lengthM, path, endMs: path[1]!.t });
      break;
    }
  }
  movements.sort((x, y) => x.path[0]!.t - y.path[0]!.t);

  const done = movements.filter((m) => m.kind === 'entry' || m.kind === 'exit').sort((x, y) => x.endMs - y.endMs);
  return {
    capacity,
    startOccupied,
    spacingM: s,
    movements,
    truthAt(timeMs) {
      let entries = 0;
      let exits = 0;
      for (const m of done) {
        if (m.endMs > timeMs) break;
        if (m.kind === 'entry') entries++;
        else exits++;
      }
      return { entries, exits, occupied: startOccupied + entries - exits };
    },
  };
}
