/**
 * The magnetic side of a street of parking bays: what a magnetometer buried at a bay's centre measures as vehicles
 * of different sizes arrive, stand and leave, in its own bay and in the neighbouring ones, and a seeded generator of
 * such days.
 *
 * Coordinates (metres, the sensor's axes): x along the bay (the direction vehicles drive in), y across it, z up;
 * the sensor at the origin, flush with the surface. The site's earth field is a fixed vector (about 49 µT, 66 deg
 * inclination as in central Europe, horizontal part at the bay's angle to north).
 *
 * A vehicle is an equivalent magnetic dipole at the height of its steel's centre plus a smaller one at each axle
 * (a single dipole's field never vanishes, however the vehicle stands; several strong ones could cancel). The
 * moments are induced along the earth's field plus a permanent part of random direction, scaled by the class.
 * The flux density of a dipole m (A m^2) at distance r (m) is B = 0.1 µT m^3/(A m^2) * (3 (m.r^) r^ - m) / r^3.
 * The moments are chosen so that a small car changes the field by 40-240 µT (1st to 99th percentile over the stop
 * positions), a van by 50-220 and a bus by 80-240 (enough for the 2 G range to overflow now and then); a vehicle
 * in a neighbouring bay (2.7 m beside, a bus 3.7 m) by 3-8 µT (median to 99th percentile; 10 at most).
 * Arrivals and departures are drives along x: the signature grows and fades over the manoeuvre, and the bay's
 * state is settled when the vehicle stops (arrival) or has gone (departure).
 */
import { mulberry32 } from '../scheduler.ts';
import type { Vector3 } from '../devices/qmc5883l.ts';

export type VehicleKind = 'smallCar' | 'van' | 'bus';

interface VehicleClass {
  /** Length and width of the body, m. */
  length: number;
  width: number;
  /** Height of the equivalent dipole (the steel's centre) above the sensor, m. */
  height: number;
  /** Moment of the equivalent dipole, A m^2; each axle adds AXLE_SHARE of it. */
  moment: number;
}

const CLASSES: Readonly<Record<VehicleKind, VehicleClass>> = {
  smallCar: { length: 3.8, width: 1.65, height: 0.8, moment: 550 },
  van: { length: 5.2, width: 1.9, height: 0.9, moment: 700 },
  bus: { length: 12, width: 2.5, height: 1.1, moment: 1400 },
};
const AXLE_SHARE = 0.15;
/** Axles at this fraction of the half length from the centre. */
const AXLE_AT = 0.6;

/** A vehicle standing (or moving) in a bay: its dipoles relative to its centre. */
export interface Vehicle {
  kind: VehicleKind;
  /** Dipole positions relative to the vehicle's centre (x along, y across, z up from the road) and moments. */
  dipoles: { at: Vector3; m: Vector3 }[];
}

/** One stay of a vehicle in a bay. Times in ms of virtual time. */
export interface Visit {
  vehicle: Vehicle;
  /** Where the vehicle's centre stops, relative to the bay's centre (across: includes the neighbour bay offset). */
  along: number;
  across: number;
  /** +1: drives in along +x from the -x side (and leaves towards +x); the path length of each manoeuvre. */
  direction: 1 | -1;
  arriveStartMs: number;
  arriveSettledMs: number;
  departStartMs: number;
  departSettledMs: number;
}

export interface BayTimeline {
  earth: Vector3;
  /** The bay's own vehicles, in time order, never overlapping. */
  visits: Visit[];
  /** Vehicles in the neighbouring bays. */
  neighbours: Visit[];
  /** Chip temperature over time: start, end (linear drift) plus a slow sine. */
  temperature: { startC: number; endC: number; swingC: number; periodMs: number; endMs: number };
  /** Offset drift of the magnetometer, µT per K (sensor-specific). */
  tempcoUtPerK: Vector3;
}

/** A change of the bay's state as the truth has it. */
export interface TruthChange {
  occupied: boolean;
  /** The vehicle starts to move in or out. */
  startMs: number;
  /** It stands still in the bay, or has gone. */
  settledMs: number;
  kind: VehicleKind;
}

export interface StreetParameters {
  name: string;
  seed: number;
  bays: number;
  /** Arrivals per bay (each followed by its departure). */
  visitsPerBay: number;
  /** How long a vehicle stays and how long the bay stays empty, s (uniform between min and max). */
  occupiedS: [number, number];
  vacantS: [number, number];
  /** Share of small cars, vans and buses. */
  mix: Record<VehicleKind, number>;
  /** Arrival and departure manoeuvres, s. */
  arriveS: [number, number];
  departS: [number, number];
  /** The first arrival after the node starts, s (the node calibrates on the empty bay first). */
  firstArrivalS: number;
  /** Neighbour bays stand empty for the own bay's vacant times divided by this (0.5: twice as long). */
  neighbourRate: number;
  /** Chip temperature drift over the run, K. */
  temperatureDriftK: number;
}

/** Where a manoeuvre starts or ends: far enough away that the vehicle's field has faded into the noise. */
const OFF_BAY_M = 14;
export const NEIGHBOUR_BAY_M = 2.7;
const BUS_NEIGHBOUR_M = 3.7;
/** Earth's field in central Europe: 49 µT at 66 deg inclination. */
const EARTH_UT = 49;
const INCLINATION_RAD = (66 * Math.PI) / 180;

function uniform(rng: () => number, range: [number, number]): number {
  return range[0] + (range[1] - range[0]) * rng();
}

function randomUnit(rng: () => number): Vector3 {
  const z = 2 * rng() - 1;
  const phi = 2 * Math.PI * rng();
  const r = Math.sqrt(1 - z * z);
  return { x: r * Math.cos(phi), y: r * Math.sin(phi), z };
}

export function earthField(bayAngleRad: number): Vector3 {
  const h = EARTH_UT * Math.cos(INCLINATION_RAD);
  return { x: h * Math.cos(bayAngleRad), y: -h * Math.sin(bayAngleRad), z: -EARTH_UT * Math.sin(INCLINATION_RAD) };
}

/**
 * A vehicle of `kind` with its own magnetisation: induced along the earth's field plus a permanent part (20-50 %) of
 * a random direction, the same for the whole body; its size varies by -20..+30 % within the class.
 */
export function makeVehicle(kind: VehicleKind, earth: Vector3, rng: () => number): Vehicle {
  const c = CLASSES[kind];
  const e = Math.hypot(earth.x, earth.y, earth.z);
  const size = c.moment * (0.8 + 0.5 * rng());
  const permanent = randomUnit(rng);
  const share = 0.2 + 0.3 * rng();
  const dir = {
    x: (1 - share) * (earth.x / e) + share * permanent.x,
    y: (1 - share) * (earth.y / e) + share * permanent.y,
    z: (1 - share) * (earth.z / e) + share * permanent.z,
  };
  const n = Math.hypot(dir.x, dir.y, dir.z);
  dir.x /= n;
  dir.y /= n;
  dir.z /= n;
  const m = (share: number): Vector3 => ({ x: size * share * dir.x, y: size * share * dir.y, z: size * share * dir.z });
  const dipoles: Vehicle['dipoles'] = [{ at: { x: 0, y: 0, z: c.height }, m: m(1) }];
  for (const end of [-1, 1]) dipoles.push({ at: { x: (end * AXLE_AT * c.length) / 2, y: 0, z: c.height * 0.6 }, m: m(AXLE_SHARE) });
  return { kind, dipoles };
}

/** Flux density (µT) at the sensor from a vehicle whose centre is at (cx, cy) on the road. */
export function vehicleField(vehicle: Vehicle, cx: number, cy: number): Vector3 {
  let bx = 0;
  let by = 0;
  let bz = 0;
  for (const d of vehicle.dipoles) {
    // from the dipole to the sensor at the origin
    const rx = -(cx + d.at.x);
    const ry = -(cy + d.at.y);
    const rz = -d.at.z;
    const r2 = rx * rx + ry * ry + rz * rz;
    const r = Math.sqrt(r2);
    const mr = (d.m.x * rx + d.m.y * ry + d.m.z * rz) / r;
    const k = 0.1 / (r2 * r);
    bx += k * ((3 * mr * rx) / r - d.m.x);
    by += k * ((3 * mr * ry) / r - d.m.y);
    bz += k * ((3 * mr * rz) / r - d.m.z);
  }
  return { x: bx, y: by, z: bz };
}

/** Smooth 0..1 over a manoeuvre (starts and stops gently). */
function ease(f: number): number {
  return 0.5 - 0.5 * Math.cos(Math.PI * Math.min(1, Math.max(0, f)));
}

/** Where a visit's vehicle is along x at `t`, or undefined when it is not near the bay. */
export function positionAt(v: Visit, t: number): number | undefined {
  if (t < v.arriveStartMs || t >= v.departSettledMs) return undefined;
  if (t < v.arriveSettledMs) {
    const f = ease((t - v.arriveStartMs) / (v.arriveSettledMs - v.arriveStartMs));
    return v.along - v.direction * OFF_BAY_M * (1 - f);
  }
  if (t < v.departStartMs) return v.along;
  const f = ease((t - v.departStartMs) / (v.departSettledMs - v.departStartMs));
  return v.along + v.direction * OFF_BAY_M * f;
}

export function temperatureAt(bay: BayTimeline, t: number): number {
  const p = bay.temperature;
  const f = Math.min(1, Math.max(0, t / p.endMs));
  return p.startC + (p.endC - p.startC) * f + p.swingC * Math.sin((2 * Math.PI * t) / p.periodMs);
}

/** The true flux density at the sensor at time `t`: earth plus every vehicle near the bay (no sensor drift). */
export function fieldAt(bay: BayTimeline, t: number): Vector3 {
  const b = { x: bay.earth.x, y: bay.earth.y, z: bay.earth.z };
  const add = (v: Visit): void => {
    const x = positionAt(v, t);
    if (x === undefined) return;
    const f = vehicleField(v.vehicle, x, v.across);
    b.x += f.x;
    b.y += f.y;
    b.z += f.z;
  };
  for (const v of bay.visits) {
    if (v.arriveStartMs > t) break;
    add(v);
  }
  for (const v of bay.neighbours) add(v);
  return b;
}

/** The bay's changes of state, in order. */
export function truthChanges(bay: BayTimeline): TruthChange[] {
  const out: TruthChange[] = [];
  for (const v of bay.visits) {
    out.push({ occupied: true, startMs: v.arriveStartMs, settledMs: v.arriveSettledMs, kind: v.vehicle.kind });
    out.push({ occupied: false, startMs: v.departStartMs, settledMs: v.departSettledMs, kind: v.vehicle.kind });
  }
  return out;
}

/** Whether a vehicle of the bay's own stands in (or moves through) the bay at `t`. */
export function occupiedAt(bay: BayTimeline, t: number): boolean {
  return bay.visits.some((v) => t >= v.arriveSettledMs && t < v.departStartMs);
}

function pickKind(rng: () => number, mix: Record<VehicleKind, number>): VehicleKind {
  const total = mix.smallCar + mix.van + mix.bus;
  let r = rng() * total;
  for (const kind of ['smallCar', 'van', 'bus'] as const) {
    r -= mix[kind];
    if (r < 0) return kind;
  }
  return 'smallCar';
}

function visit(rng: () => number, p: StreetParameters, earth: Vector3, kind: VehicleKind, startMs: number, stayMs: number, across: number): Visit {
  const arriveMs = uniform(rng, p.arriveS) * 1000;
  const departMs = uniform(rng, p.departS) * 1000;
  return {
    vehicle: makeVehicle(kind, earth, rng),
    // a bay is about 5 m long and 2.7 m wide: vehicles stop off-centre by up to 0.6 m along and 0.3 m across (0.2 m
    // in the neighbouring bays, seen from their own centre)
    along: uniform(rng, [-0.6, 0.6]),
    across: across + (across === 0 ? uniform(rng, [-0.3, 0.3]) : uniform(rng, [-0.2, 0.2])),
    direction: rng() < 0.5 ? 1 : -1,
    arriveStartMs: startMs,
    arriveSettledMs: startMs + arriveMs,
    departStartMs: startMs + arriveMs + stayMs,
    departSettledMs: startMs + arriveMs + stayMs + departMs,
  };
}

/** One bay's day from the street's parameters; `index` picks the bay (its own random stream). */
export function generateBay(p: StreetParameters, index: number): BayTimeline {
  const rng = mulberry32((p.seed * 7919 + index * 104729) >>> 0);
  const earth = earthField(rng() * 2 * Math.PI);
  const visits: Visit[] = [];
  let t = p.firstArrivalS * 1000;
  for (let i = 0; i < p.visitsPerBay; i++) {
    const v = visit(rng, p, earth, pickKind(rng, p.mix), t, uniform(rng, p.occupiedS) * 1000, 0);
    visits.push(v);
    t = v.departSettledMs + uniform(rng, p.vacantS) * 1000;
  }
  const endMs = t;
  // each neighbouring bay holds one vehicle at a time; they stay twice as long and the bays stand empty longer
  const neighbours: Visit[] = [];
  for (const side of [-1, 1]) {
    let n = uniform(rng, [0, p.vacantS[1] * 1000]);
    while (n < endMs) {
      const kind = pickKind(rng, p.mix);
      // a bus is wider: its centre stands further from the bay's
      const offset = kind === 'bus' ? BUS_NEIGHBOUR_M : NEIGHBOUR_BAY_M;
      const v = visit(rng, p, earth, kind, n, uniform(rng, p.occupiedS) * 2000, side * offset);
      neighbours.push(v);
      n = v.departSettledMs + (uniform(rng, p.vacantS) * 1000) / p.neighbourRate;
    }
  }
  const startC = uniform(rng, [5, 25]);
  return {
    earth,
    visits,
    neighbours,
    temperature: { startC, endC: startC + p.temperatureDriftK * (rng() < 0.5 ? -1 : 1), swingC: 2, periodMs: 3_600_000, endMs },
    tempcoUtPerK: { x: uniform(rng, [-0.2, 0.2]), y: uniform(rng, [-0.2, 0.2]), z: uniform(rng, [-0.2, 0.2]) },
  };
}

/** When the bay's last vehicle has gone. */
export function bayEndMs(bay: BayTimeline): number {
  const last = bay.visits[bay.visits.length - 1];
  return last ? last.departSettledMs : 0;
}
