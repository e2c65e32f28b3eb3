/**
 * Issue 4's acceptance "the same apps run unchanged on the RAK811 modem in the simulator": each app's bundle, built
 * from the unchanged app source for the RAK811 boards (the build swaps in firmware/drivers/rak811.ts as
 * `stadtsensor:modem`), runs its scenario through the simulated RAK811 in LoRa P2P mode. The gateway (a simulated
 * RAK3172 in P2P receive) checks every uplink as a network server does (lora-packet: DevAddr, MIC, counter) before
 * the payload codec decodes it; a configuration downlink sent mid-run must be applied and reported back.
 *
 * Adding an app is one entry in APPS: its name, its world (tools/simulator/world), how long its scenario runs, its
 * reading's FPort and, optionally, app-specific checks against the scenario's truth.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appConfig } from '../../tools/firmware-build/app-config.ts';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { generateGarageDay, type GarageDay } from '../../tools/simulator/scenarios/garage-day.ts';
import { createGarageWorld, PORT_GARAGE_COUNTER, type GarageWorld } from '../../tools/simulator/world/garage-world.ts';
import { createClimateWorld, DEMO_P2P_KEYS, type ClimateWorld, type NodeWorld, type NodeWorldOptions } from '../../tools/simulator/world/index.ts';
import { createParkingWorld, loadStreetParameters, matchChanges, ON_TIME_MS, PARKING_PORT, reportedChanges } from '../../tools/simulator/world/parking-world.ts';
import { bayEndMs, generateBay, truthChanges } from '../../tools/simulator/world/parking-street.ts';
import { floodScenario } from '../../tools/simulator/world/river-scenario.ts';
import { createRiverWorld, readingsOf, type RiverWorld } from '../../tools/simulator/world/river-world.ts';

const HOUR = 3_600_000;
const BOARDS = ['mdbt42q-rak811', 'pico-rak811'];
const street = generateBay(loadStreetParameters('street-busy'), 0);
const flood = floodScenario({ durationHours: 24 });
let garageDay: GarageDay | undefined;

interface AppCase {
  app: string;
  world: (options: Pick<NodeWorldOptions, 'bundle' | 'boardId' | 'seed' | 'keys'>) => NodeWorld;
  runMs: number;
  /** The FPort of the app's readings. */
  dataPort: number;
  check?: (world: NodeWorld) => void;
  /** Downlinks the world queues before the test's own configuration downlink (installation settings). */
  setupDownlinks?: number;
}

type Climate = { air: { temperature: number; relativeHumidity: number }; surface: { temperature: number } };

const APPS: AppCase[] = [
  {
    app: 'road-climate',
    world: (o) => createClimateWorld({ ...o, scenario: loadWeatherScenario('frost-night') }),
    runMs: 24 * HOUR,
    dataPort: 20,
    check: (world) => {
      const w = world as ClimateWorld;
      const readings = w.uplinks.filter((u) => u.fPort === 20);
      expect(readings.length).toBeGreaterThanOrEqual(24 * 2); // every 15 to 30 minutes (the downlink asks for 30)
      for (const u of readings) {
        const data = u.data as Climate;
        const truth = w.truthAt(u.timeMs);
        expect(Math.abs(data.air.temperature - truth.air)).toBeLessThan(0.2);
        expect(Math.abs(data.surface.temperature - truth.surface)).toBeLessThan(0.2);
      }
      expect(readings.some((u) => (u.data as { iceRisk: string }).iceRisk === 'risk')).toBe(true);
    },
  },
  {
    app: 'parking-bay',
    world: (o) => createParkingWorld({ ...o, bay: street }),
    runMs: Math.max(2 * HOUR, bayEndMs(street) + 60_000),
    dataPort: PARKING_PORT,
    check: (world) => {
      const { changes, falseChanges } = matchChanges(truthChanges(street), reportedChanges(world.uplinks));
      expect(changes.length).toBeGreaterThan(50);
      expect(changes.filter((c) => c.latencyMs === undefined || c.latencyMs > ON_TIME_MS)).toEqual([]);
      expect(falseChanges).toEqual([]);
    },
  },
  {
    app: 'water-level',
    world: (o) => {
      const w = createRiverWorld({ ...o, scenario: flood });
      const [stage1, stage2, stage3] = flood.stagesCm;
      w.sendDownlink(3, { water: { mountHeight: flood.mountHeightCm, stage1, stage2, stage3 } });
      return w;
    },
    setupDownlinks: 1,
    runMs: 24 * HOUR,
    dataPort: 30,
    check: (world) => {
      const w = world as RiverWorld;
      // from the first reading taken with the surveyed mounting height on (the next cycle after the config report)
      const configured = w.uplinks.find((u) => u.fPort === 2 && (u.data as { water?: { mountHeight?: number } }).water?.mountHeight === flood.mountHeightCm);
      expect(configured).toBeDefined();
      const readings = readingsOf(w).filter((r) => r.level !== null && r.timeMs > configured!.timeMs + 30 * 60_000);
      expect(readings.length).toBeGreaterThan(40);
      for (const r of readings) expect(Math.abs(r.level! - w.truthAt(r.timeMs).level)).toBeLessThanOrEqual(1);
      expect(readings.some((r) => r.stage >= 2)).toBe(true);
    },
  },
  {
    app: 'garage-counter',
    world: (o) => {
      const w = createGarageWorld(o);
      garageDay = generateGarageDay({ seed: 5, lanes: w.barriers.length, movements: 600 });
      w.sendDownlink(3, { garage: { capacity: garageDay.capacity, freeSpaces: garageDay.capacity - garageDay.startOccupied } });
      for (const m of garageDay.movements) w.play(m, garageDay.spacingM);
      return w;
    },
    setupDownlinks: 1,
    // the day's last movements come close to midnight: an hour more for their report
    runMs: 25 * HOUR,
    dataPort: PORT_GARAGE_COUNTER,
    check: (world) => {
      const w = world as GarageWorld;
      const last = w.reports().at(-1)!;
      const truth = garageDay!.truthAt(w.scheduler.now());
      expect(last.freeSpaces).toBe(garageDay!.capacity - truth.occupied);
    },
  },
];

async function build(app: string, board: string): Promise<FirmwareBuild> {
  const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-rak811-'));
  try {
    return await buildFirmware({ app, board, minify: true, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

for (const c of APPS) {
  describe(`${c.app} on the RAK811`, () => {
    for (const boardId of BOARDS) {
      describe(boardId, () => {
        let firmware: FirmwareBuild;
        let w: NodeWorld;
        let downlinkAt = 0;

        beforeAll(async () => {
          firmware = await build(c.app, boardId);
          expect(firmware.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
          w = c.world({ bundle: firmware.minifiedCode!, boardId, seed: 17, keys: DEMO_P2P_KEYS });
          w.run(HOUR);
          downlinkAt = w.scheduler.now();
          w.sendDownlink(3, { sendInterval: 1800 });
          w.run(c.runMs - HOUR);
        }, 120_000);

        it('is built with the RAK811 driver and fits the app budget', () => {
          expect(firmware.minifiedBytes).toBeLessThanOrEqual(appConfig(c.app).maxMinifiedBytes);
          expect(firmware.minifiedCode).toContain('at+send=lorap2p:');
          expect(firmware.minifiedCode).not.toContain('AT+PSEND');
        });

        it('sends through the simulated RAK811 uplinks the gateway accepts: startup, configuration, readings', () => {
          expect(w.rak811).toBeDefined();
          expect(w.rak811!.workMode).toBe('p2p');
          const accepted = w.uplinks.filter((u) => !u.rejected);
          expect(w.uplinks.filter((u) => u.rejected || !u.micOk)).toEqual([]);
          expect(accepted[0]).toMatchObject({ fPort: 1, data: { event: 'startup', resetReason: 'powerOn' } });
          expect(accepted[1]).toMatchObject({ fPort: 2 });
          expect(accepted.filter((u) => u.fPort === c.dataPort).length).toBeGreaterThan(0);
          // every uplink went out through this module, in order, with no counter gap
          expect(w.rak811!.stats.p2pSent).toBe(w.uplinks.length);
          expect(w.uplinks.map((u) => u.fCnt)).toEqual(w.uplinks.map((_, i) => w.uplinks[0]!.fCnt + i));
          expect(w.consoleErrors()).toEqual([]);
          expect(w.firmwareStarts).toBe(1);
          expect(w.modemResets).toBe(0);
        });

        it('applies the configuration downlink (received in a transfer_mode receive window) and reports it', () => {
          expect(w.rak811!.stats.p2pReceived).toBe(1 + (c.setupDownlinks ?? 0));
          const reports = w.uplinks.filter((u) => u.fPort === 2 && u.timeMs > downlinkAt);
          expect(reports.length).toBeGreaterThan(0);
          expect(reports.at(-1)!.data).toMatchObject({ sendInterval: 1800 });
          expect(w.rak811!.transferMode).toBe('sender');
        });

        if (c.check) it('measures what the scenario says', () => c.check!(w));
      });
    }
  });
}
