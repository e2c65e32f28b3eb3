/**
 * Modem faults through the real road-climate bundle in the simulated world: a RAK3172 that stops answering, a
 * network that never accepts the join, and a module that refuses to send for its duty cycle (Restricted_Wait)
 * because ADR moved it to a slower data rate than the node counts with.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RadioFrame } from '../../tools/simulator/contracts.ts';
import { MTYPE, mtypeOf } from '../../tools/simulator/radio/lorawan-frames.ts';
import { loadWeatherScenario } from '../../tools/simulator/weather.ts';
import { createClimateWorld, DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS, NODE_ID, type ClimateWorld, type NodeKeys } from '../../tools/simulator/world/index.ts';
import { climateBundle } from './climate-bundle.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The bundle of each radio mode (the build's `--radio`). */
const bundles = { p2p: '', lorawan: '' };

beforeAll(async () => {
  bundles.p2p = await climateBundle('mdbt42q-rak3172', 'p2p');
  bundles.lorawan = await climateBundle('mdbt42q-rak3172', 'lorawan');
}, 120_000);

function world(keys: NodeKeys, seed: number): ClimateWorld {
  return createClimateWorld({ bundle: bundles[keys.network], boardId: 'mdbt42q-rak3172', scenario: loadWeatherScenario('frost-night'), seed, keys });
}

const setFlags = (data: unknown): string[] =>
  Object.entries((data as { errors: Record<string, boolean> }).errors)
    .filter(([, on]) => on)
    .map(([name]) => name);

describe('a modem that stops answering', () => {
  it('is reset through its reset pin and P2P resumes, reported in the next heartbeat', () => {
    const w = world(DEMO_P2P_KEYS, 21);
    w.run(HOUR);
    const before = w.uplinks.length;
    w.modem.mute();
    const mutedAt = w.scheduler.now();
    w.run(6 * HOUR);
    expect(w.modemResets).toBe(1);
    expect(w.modem.workMode).toBe('p2p');
    const after = w.uplinks.filter((u) => u.timeMs > mutedAt);
    expect(after.length).toBeGreaterThan(20);
    expect(after.every((u) => !u.rejected && u.micOk)).toBe(true);
    // back on the air within a few minutes: three command timeouts, the reset, P2P set up again
    expect(after[0]!.timeMs - mutedAt).toBeLessThan(5 * MINUTE);
    expect(Math.min(...after.map((u) => u.fCnt))).toBeGreaterThan(Math.max(...w.uplinks.slice(0, before).map((u) => u.fCnt)));
    const heartbeat = after.find((u) => u.fPort === 1 && (u.data as { event: string }).event === 'heartbeat')!;
    expect(setFlags(heartbeat.data)).toEqual(expect.arrayContaining(['modemTimeout', 'modemReset']));
  }, 60_000);

  it('is reset and rejoins in LoRaWAN mode, and the readings go on under the new session', () => {
    const w = world(DEMO_LORAWAN_KEYS, 22);
    w.run(HOUR);
    const network = w.network!;
    const firstAddr = network.devAddrOf(DEMO_LORAWAN_KEYS.devEui);
    expect(network.counters.joinAccepts).toBe(1);
    w.modem.mute();
    const mutedAt = w.scheduler.now();
    w.run(6 * HOUR);
    expect(w.modemResets).toBe(1);
    expect(network.counters.joinAccepts).toBe(2);
    const secondAddr = network.devAddrOf(DEMO_LORAWAN_KEYS.devEui);
    expect(secondAddr).not.toBe(firstAddr);
    const after = w.uplinks.filter((u) => u.timeMs > mutedAt);
    expect(after[0]!.timeMs - mutedAt).toBeLessThan(5 * MINUTE);
    expect(after.filter((u) => u.fPort === 20).length).toBeGreaterThan(20);
    expect(after.every((u) => u.devAddr === secondAddr && !u.rejected)).toBe(true);
  }, 60_000);
});

describe('join failures', () => {
  let w: ClimateWorld;
  let joins: RadioFrame[];
  /** Start of every attempt to bring the modem up: each writes the band first. */
  let rounds: number[];
  beforeAll(() => {
    w = world(DEMO_LORAWAN_KEYS, 23);
    w.network!.unregister(DEMO_LORAWAN_KEYS.devEui); // the network ignores its join requests
    w.run(48 * HOUR);
    joins = w.medium.framesFrom(NODE_ID).filter((f) => mtypeOf(f.payload) === MTYPE.joinRequest);
    rounds = w.modemActivity.commandLog.filter((c) => c.name === 'AT+BAND').map((c) => c.timeMs);
  }, 60_000);

  it('back off: the spacing between rounds of join requests grows to hours', () => {
    expect(w.uplinks).toEqual([]);
    expect(rounds.length).toBeGreaterThan(8);
    const gaps = rounds.slice(1).map((t, i) => t - rounds[i]!);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(gaps.slice(0, 3))).toBeLessThan(10 * MINUTE);
    expect(Math.min(...gaps.slice(-5))).toBeGreaterThan(HOUR);
    // equal jitter of a doubling delay: each delay at least half the next one's upper bound, so never shorter
    // than a quarter of the largest before it, plus the round's own join attempts
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(Math.max(...gaps.slice(0, i)) / 4);
  });

  it('stay within a cap of four hours and the join airtime LoRaWAN allows after the first 11 hours', () => {
    const gaps = rounds.slice(1).map((t, i) => t - rounds[i]!);
    expect(Math.max(...gaps)).toBeLessThan(4 * HOUR + 10 * MINUTE);
    const airtime = (from: number, to: number): number =>
      joins.filter((f) => f.startMs >= from && f.startMs < to).reduce((sum, f) => sum + f.airtimeMs, 0);
    expect(airtime(0, 48 * HOUR)).toBeGreaterThan(0);
    // LoRaWAN 1.0.3 join back-off: 0.01 % of the time after the first 11 h, 8.64 s per 24 h
    expect(airtime(11 * HOUR, 35 * HOUR)).toBeLessThanOrEqual(8640);
    expect(airtime(24 * HOUR, 48 * HOUR)).toBeLessThanOrEqual(8640);
    expect(w.medium.offTimeViolations()).toEqual([]);
  });
});

describe('a day of Restricted_Wait', () => {
  it('never makes the node send over its daily budget or the duty cycle', () => {
    const w = world(DEMO_LORAWAN_KEYS, 24);
    w.run(10 * MINUTE);
    expect(w.modem.joined).toBe(true);
    // ADR moves the module to DR0 (SF12) while the node counts with its configured DR3; a status every minute
    // keeps the node asking for more airtime than it has
    w.modem.nvm.dr = 0;
    w.sendDownlink(3, { heartbeatInterval: 1 });
    w.run(36 * HOUR);

    expect(w.modem.stats.restricted).toBeGreaterThan(0);
    const frames = w.medium.framesFrom(NODE_ID).filter((f) => f.startMs > 10 * MINUTE);
    expect(frames.every((f) => f.sf === 12)).toBe(true);
    // TTN fair use over any 24 h: the budget's sliding window
    for (const f of frames) {
      const window = frames.filter((g) => g.startMs > f.startMs - 24 * HOUR && g.startMs <= f.startMs);
      expect(window.reduce((sum, g) => sum + g.airtimeMs, 0)).toBeLessThanOrEqual(30_000);
    }
    expect(w.medium.offTimeViolations()).toEqual([]);
    expect(w.medium.dutyCycleViolations()).toEqual([]);
    // it waits as told instead of asking again and again
    const sends = w.modemActivity.commandLog.filter((c) => c.name === 'AT+SEND').length;
    expect(sends).toBeLessThan(frames.length + 10);
    // and it keeps working: statuses say the airtime is used up, readings still get through
    const statuses = w.uplinks.filter((u) => u.fPort === 1);
    expect(statuses.some((u) => setFlags(u.data).includes('airtimeExhausted'))).toBe(true);
    expect(w.uplinks.filter((u) => u.fPort === 20 && u.timeMs > 24 * HOUR).length).toBeGreaterThan(0);
    expect(w.consoleErrors()).toEqual([]);
  }, 60_000);
});
