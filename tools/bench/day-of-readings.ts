/**
 * A realistic day of readings for every device type, from a seeded generator so every run measures the same data:
 * a road-climate node every 10 min through a frosty night, a parking bay with 40 changes, a garage counter every
 * 15 min, a water gauge every 15 min plus batched readings while the river rises, status heartbeats and config
 * reports of every node, and a town-hall time-clock terminal with about 240 bookings and their acknowledgements.
 */
import { mulberry32 } from '../simulator/scheduler.ts';

export interface Reading {
  port: number;
  data: Record<string, unknown>;
}


const round = (x: number, step: number): number => Number((Math.round(x / step) * step).toFixed(2));

export function dayOfReadings(seed = 20261127): Reading[] {
  const random = mulberry32(seed);
  const noise = (amplitude: number): number => (random() * 2 - 1) * amplitude;
  const out: Reading[] = [];
  const battery = (v: number): number => round(v + noise(0.02), 0.01);

  // road climate, every 10 minutes: -4..+5 degC, humid night
  for (let i = 0; i < 144; i++) {
    const hour = i / 6;
    const air = 0.5 + 4.5 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) + noise(0.2);
    const rh = Math.min(100, 82 + 12 * Math.cos(((hour - 4) / 24) * 2 * Math.PI) + noise(1));
    const surface = air - 1.2 + noise(0.3);
    const risk = surface <= 0 ? 'risk' : surface <= 2 ? 'watch' : 'clear';
    out.push({
      port: 20,
      data: {
        air: { temperature: round(air, 0.1), relativeHumidity: round(rh, 0.5) },
        surface: { temperature: round(surface, 0.1) },
        iceRisk: risk,
        status: { heaterOn: rh > 95 },
        battery: battery(3.02),
      },
    });
  }

  // parking bay: 40 changes, heartbeats every 3 h
  let occupied = false;
  for (let i = 0; i < 48; i++) {
    const change = i % 6 !== 5;
    if (change) occupied = !occupied;
    out.push({
      port: 10,
      data: {
        occupied,
        sensorFault: false,
        changeCount: (i * 5) % 1024,
        fieldDeviation: round(occupied ? 35 + random() * 60 : random() * 4, 0.5),
        temperature: round(6 + noise(4), 0.5),
        battery: battery(2.95),
      },
    });
  }

  // garage counter, every 15 minutes
  let entries = 60_000;
  let exits = 59_800;
  const capacity = 420;
  for (let i = 0; i < 96; i++) {
    const hour = i / 4;
    const busy = hour > 7 && hour < 19 ? 25 : 3;
    entries += Math.round(random() * busy);
    exits += Math.round(random() * busy);
    const inside = Math.max(0, Math.min(capacity, 200 + ((entries - exits) % 200)));
    out.push({
      port: 11,
      data: {
        freeSpaces: capacity - inside,
        capacity,
        entries: entries % 65536,
        exits: exits % 65536,
        faults: {},
        battery: null,
      },
    });
  }

  // water level every 15 minutes, and 16 batches of 3 readings while the river rises
  const mount = 850;
  for (let i = 0; i < 96; i++) {
    const level = Math.round(300 + 160 * Math.sin((i / 96) * Math.PI) + noise(1));
    out.push({
      port: 30,
      data: {
        level,
        distance: (mount - level) * 10 + Math.round(noise(4)),
        stage: level > 420 ? 1 : 0,
        trend: i < 48 ? 'rising' : 'falling',
        quality: { outliersRejected: random() < 0.1 },
        battery: battery(3.3),
      },
    });
  }
  for (let b = 0; b < 16; b++) {
    out.push({
      port: 31,
      data: {
        stage: 1,
        trend: 'rising',
        battery: battery(3.3),
        readings: [10, 5, 0].map((age, j) => ({ age, level: 421 + b * 3 + j, quality: {} })),
      },
    });
  }

  // status: startup + 4 heartbeats for each of the five nodes; config report after startup
  const types = ['roadClimate', 'parkingBay', 'garageCounter', 'waterLevel', 'timeClock'];
  types.forEach((deviceType, n) => {
    for (let h = 0; h < 5; h++) {
      out.push({
        port: 1,
        data: {
          event: h === 0 ? 'startup' : 'heartbeat',
          deviceType,
          firmware: { major: 1, minor: 2, patch: 0 },
          resetReason: h === 0 ? 'powerOn' : 'unknown',
          battery: deviceType === 'garageCounter' ? null : battery(3.0),
          uptime: h * 21_600 + 30,
          uplinkCounter: 1_000 + n * 7_000 + h * 40,
          errors: {},
        },
      });
    }
    out.push({ port: 2, data: { sendInterval: 600, heartbeatInterval: 360, confirmedUplinks: false, adr: true, dataRate: 5 } });
  });
  out.push({ port: 3, data: { sendInterval: 900 } });
  out.push({ port: 3, data: { parking: { enterThreshold: 30, exitThreshold: 15 }, commands: { recalibrate: true } } });

  // time clock: 60 employees x 4 bookings, sent in batches of 1-6, each acknowledged
  const kinds = ['come', 'breakStart', 'breakEnd', 'go'];
  let sequence = 52_000;
  const base = 1_795_766_400 + 6 * 3600;
  let pending = 240;
  let clock = 0;
  while (pending > 0) {
    const count = Math.min(pending, 1 + Math.floor(random() * 6));
    const bookings = Array.from({ length: count }, (_v, j) => ({
      badge: Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0'),
      kind: kinds[Math.floor(random() * kinds.length)],
      offset: j * Math.floor(random() * 40),
      clockUnsynced: false,
    }));
    out.push({ port: 40, data: { sequence, baseTime: base + clock, bookings } });
    sequence += count;
    out.push({ port: 41, data: { ackedThrough: sequence - 1, serverTime: base + clock + 5 } });
    clock += 180 + Math.floor(random() * 300);
    pending -= count;
  }
  return out;
}
