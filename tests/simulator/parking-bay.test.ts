/**
 * The real parking-bay bundle under a simulated street: a QMC5883L in the bay (earth's field, vehicles of three
 * sizes arriving and leaving, neighbours, temperature drift, noise), the RAK3172 in LoRa P2P mode and a gateway that
 * checks every frame with lora-packet; the truth's changes matched against the uplinks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appConfig } from '../../tools/firmware-build/app-config.ts';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';
import { DEMO_P2P_KEYS, type WorldUplink } from '../../tools/simulator/world/index.ts';
import { createParkingWorld, formatStreetReport, loadStreetParameters, ON_TIME_MS, simulateStreet, type ParkingWorld } from '../../tools/simulator/world/parking-world.ts';
import { generateBay, truthChanges, type StreetParameters } from '../../tools/simulator/world/parking-street.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let build: FirmwareBuild;
let bundle = '';

beforeAll(async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-parking-'));
  try {
    build = await buildFirmware({ app: 'parking-bay', board: 'mdbt42q-rak3172', minify: true, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  expect(build.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
  bundle = build.minifiedCode!;
}, 60_000);

type Parking = { occupied: boolean; sensorFault: boolean; changeCount: number; fieldDeviation: number | null };

function parking(w: ParkingWorld, fromMs = 0, toMs = Infinity): (WorldUplink & { data: Parking })[] {
  return w.uplinks.filter((u) => !u.rejected && u.fPort === 10 && u.timeMs >= fromMs && u.timeMs < toMs) as (WorldUplink & { data: Parking })[];
}

/** A quiet street: few visits, long gaps, so a test can act between them. */
function quietBay(visits: number, seed = 9): StreetParameters {
  return { ...loadStreetParameters('street-busy'), seed, visitsPerBay: visits, firstArrivalS: 600, occupiedS: [600, 900], vacantS: [600, 900], neighbourRate: 0.01 };
}

function world(p: StreetParameters, seed = 21): ParkingWorld {
  return createParkingWorld({ bundle, boardId: 'mdbt42q-rak3172', keys: DEMO_P2P_KEYS, seed, bay: generateBay(p, 0) });
}

it('builds within its size budget', () => {
  expect(build.problems).toEqual([]);
  expect(build.minifiedBytes).toBeLessThanOrEqual(appConfig('parking-bay').maxMinifiedBytes);
});

describe('a busy street: 1,000 arrivals and 1,000 departures', () => {
  it('detects >= 99 % of the changes, each on the air within 10 s of settling, and no false ones', async () => {
    const report = await simulateStreet({ bundle });
    expect(formatStreetReport(report)).toContain(`changes: 2000, detected ${report.summary.detected}`);
    const s = report.summary;
    const arrivals = report.bays.flatMap((b) => b.changes).filter((c) => c.occupied);
    expect(arrivals.length).toBe(1000);
    expect(s.changes).toBe(2000);
    // every size took part
    const kinds = new Set(arrivals.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['bus', 'smallCar', 'van']);
    expect(s.detected / s.changes).toBeGreaterThanOrEqual(0.99);
    expect(s.onTime).toBe(s.detected);
    expect(s.latencyMs.max).toBeLessThanOrEqual(ON_TIME_MS);
    expect(s.falseChanges).toBe(0);
    expect(s.consoleErrors).toBe(0);
    expect(report.bays.every((b) => b.rejected === 0)).toBe(true);
  }, 120_000);
});

describe('parking-bay node', () => {
  it('starts with a status, a config report and a calibration on the empty bay', () => {
    const w = world(quietBay(1));
    w.run(5 * MINUTE);
    const accepted = w.uplinks.filter((u) => !u.rejected);
    expect(accepted[0]).toMatchObject({ fPort: 1, data: { event: 'startup', deviceType: 'parkingBay', resetReason: 'powerOn' } });
    expect(accepted[1]).toMatchObject({ fPort: 2, data: { sendInterval: 10800, heartbeatInterval: 1440, parking: { enterThreshold: 22, exitThreshold: 16, dwell: 4 } } });
    const calibrated = parking(w);
    expect(calibrated).toHaveLength(1);
    expect(calibrated[0]!.data).toMatchObject({ occupied: false, sensorFault: false, changeCount: 0 });
    expect(calibrated[0]!.data.fieldDeviation).toBeLessThan(6);
    expect(w.magnetometer.softResets).toBe(1);
  }, 60_000);

  it('sends the occupancy as a heartbeat every 3 h when nothing changes', () => {
    const p = quietBay(0);
    const w = world(p, 22);
    w.run(7 * HOUR);
    const beats = parking(w, 2 * MINUTE);
    expect(beats.length).toBe(2);
    const calibratedAt = parking(w)[0]!.timeMs;
    // the calibration uplink waited for the status and the config report (duty cycle); the heartbeat counts from the
    // calibration itself
    expect(beats[0]!.timeMs - calibratedAt).toBeGreaterThanOrEqual(3 * HOUR - MINUTE);
    expect(beats[0]!.timeMs - calibratedAt).toBeLessThanOrEqual(3 * HOUR + 10_000);
    expect(Math.abs(beats[1]!.timeMs - beats[0]!.timeMs - 3 * HOUR)).toBeLessThan(10_000);
    for (const b of beats) expect(b.data).toMatchObject({ occupied: false, changeCount: 0, sensorFault: false });
  }, 60_000);

  it('reports a NACKing magnetometer once, keeps the last state, and recovers', () => {
    const w = world(quietBay(2), 23);
    w.run(3 * MINUTE);
    w.magnetometer.setFault('nack');
    w.run(2 * MINUTE);
    const faults = parking(w, 3 * MINUTE, 5 * MINUTE);
    expect(faults).toHaveLength(1);
    expect(faults[0]!.data).toMatchObject({ sensorFault: true, occupied: false, changeCount: 0 });
    expect(faults[0]!.timeMs - 3 * MINUTE).toBeLessThan(15_000);
    w.magnetometer.clearFault();
    w.run(HOUR);
    // the arrival after the fault is detected in time, and says the sensor is fine again
    const arrival = truthChanges(w.bay)[0]!;
    const after = parking(w, arrival.startMs)[0]!;
    expect(after.data).toMatchObject({ occupied: true, sensorFault: false, changeCount: 1 });
    expect(after.timeMs - arrival.settledMs).toBeLessThanOrEqual(ON_TIME_MS);
    // a chip that stopped answering is set up again (it may have lost power) before it is read
    expect(w.magnetometer.softResets).toBe(2);
    expect(w.board.uncaughtErrors).toBe(0);
  }, 60_000);

  it('widens the range when the field overflows 2 G, and reports a field beyond 8 G as a fault', () => {
    const w = world(quietBay(0), 24);
    w.run(3 * MINUTE);
    // a strong magnet over the sensor: 400 µT overflows +-273 µT (2 G) but fits 8 G
    w.disturbance.z = 400;
    w.run(MINUTE);
    const strong = parking(w, 3 * MINUTE);
    expect(strong).toHaveLength(1);
    expect(strong[0]!.data).toMatchObject({ occupied: true, sensorFault: false });
    expect(strong[0]!.data.fieldDeviation).toBeGreaterThan(390);
    // beyond even 8 G (+-1092 µT): no usable sample at all
    w.disturbance.z = 1500;
    w.run(MINUTE);
    const overflow = parking(w, 4 * MINUTE);
    expect(overflow).toHaveLength(1);
    expect(overflow[0]!.data).toMatchObject({ sensorFault: true, occupied: true });
    w.disturbance.z = 0;
    w.run(MINUTE);
    const back = parking(w, 5 * MINUTE);
    expect(back.at(-1)!.data).toMatchObject({ occupied: false, sensorFault: false, changeCount: 2 });
  }, 60_000);

  it('recalibrates on a deviceConfig downlink', () => {
    const w = world(quietBay(0), 25);
    w.run(3 * MINUTE);
    // the operator queues a recalibration; the gateway sends it after the node's next uplink
    w.sendDownlink(3, { commands: { recalibrate: true } });
    // the empty bay's field changed for good (a steel plate laid beside the sensor): the node sees a vehicle
    w.disturbance.x = 40;
    w.run(2 * MINUTE);
    const after = parking(w, 3 * MINUTE);
    expect(after.map((u) => u.data.occupied)).toEqual([true, false]);
    expect(after[0]!.data.changeCount).toBe(1);
    // taken on the changed field: vacant again with a deviation near zero, counted as a change
    expect(after[1]!.data.changeCount).toBe(2);
    expect(after[1]!.data.fieldDeviation).toBeLessThan(6);
    // 9 samples 2 s apart after the downlink
    expect(after[1]!.timeMs - after[0]!.timeMs).toBeGreaterThan(18_000);
    w.run(HOUR);
    expect(parking(w, 6 * MINUTE).every((u) => !u.data.occupied)).toBe(true);
  }, 60_000);

  it('runs on the Pico board as well', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-parking-'));
    let pico: FirmwareBuild;
    try {
      pico = await buildFirmware({ app: 'parking-bay', board: 'pico-rak3172', minify: true, outDir });
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
    expect(pico.problems).toEqual([]);
    const p = quietBay(2, 12);
    const w = createParkingWorld({ bundle: pico.minifiedCode!, boardId: 'pico-rak3172', keys: DEMO_P2P_KEYS, seed: 27, bay: generateBay(p, 0) });
    const changes = truthChanges(w.bay);
    w.run(changes.at(-1)!.settledMs + MINUTE);
    expect(w.consoleErrors()).toEqual([]);
    expect(w.firmwareStarts).toBe(1);
    const reported = parking(w).filter((u, i, all) => i > 0 && u.data.changeCount !== all[i - 1]!.data.changeCount);
    expect(reported.map((u) => u.data.occupied)).toEqual(changes.map((c) => c.occupied));
    reported.forEach((u, i) => expect(u.timeMs - changes[i]!.settledMs).toBeLessThanOrEqual(ON_TIME_MS));
  }, 60_000);

  it('keeps its baseline, state and change counter across a power cycle', () => {
    const w = world(quietBay(3), 26);
    const changes = truthChanges(w.bay);
    // power off while the second vehicle stands in the bay
    const cut = (changes[2]!.settledMs + changes[3]!.startMs) / 2;
    w.run(cut);
    const before = parking(w).at(-1)!;
    expect(before.data).toMatchObject({ occupied: true, changeCount: 3 });
    w.powerCycle();
    w.run(MINUTE);
    const restarted = w.uplinks.filter((u) => !u.rejected && u.timeMs > cut);
    expect(restarted[0]).toMatchObject({ fPort: 1, data: { event: 'startup' } });
    const first = parking(w, cut)[0]!;
    expect(first.data).toMatchObject({ occupied: true, changeCount: 3 });
    expect(first.data.fieldDeviation).not.toBeNull();
    w.run(changes[5]!.settledMs + MINUTE - w.scheduler.now());
    const last = parking(w).at(-1)!;
    expect(last.data).toMatchObject({ occupied: false, changeCount: 6 });
    expect(w.firmwareStarts).toBe(2);
  }, 60_000);
});
