/**
 * The LoRa-only time clock as flashed (minified bundle) on a simulated MDBT42Q with a simulated MFRC522, buttons,
 * buzzer and RAK3172 in P2P: badges tapped on the reader arrive at the gateway as bookingBatch frames carrying keyed
 * pseudonyms, the ledger's bookingAck downlinks empty the outbox and set the clock, and a power cycle in between
 * loses and duplicates nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BadgeListMessage } from '../../firmware/timeclock/core/contracts.ts';
import { BAD_BEEP_MS } from '../../firmware/apps/timeclock-lora/beep-patterns.ts';
import { SimulatedCard } from '../../tools/simulator/devices/mfrc522.ts';
import { LEDGER_T0, pseudonym, TimeclockWorld, timeclockBuild } from './timeclock-lora-world.ts';

const ANNA = [0xde, 0xad, 0xbe, 0xef];
const BERT = [0x04, 0x52, 0x19, 0xa2, 0x6b, 0x3c, 0x80]; // 7-byte UID (cascade level 2)
const CARL = [0x12, 0x34, 0x56, 0x79];
const STRANGER = [0x01, 0x02, 0x03, 0x04];
const BADGES: BadgeListMessage = {
  version: 3,
  badges: [ANNA, BERT, CARL].map((uid, i) => ({ badge: pseudonym(uid), greeting: `Employee ${i + 1}` })),
  revoked: [],
};
const hex = (uid: number[]): string => Buffer.from(uid).toString('hex');

let bundle = '';

beforeAll(async () => {
  const build = await timeclockBuild();
  expect(build.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
  bundle = build.minifiedCode!;
}, 120_000);

describe('LoRa-only time clock', () => {
  it('builds for the Pico too, and books there (SPI2, its own pins)', async () => {
    const pico = await timeclockBuild('pico-rak3172');
    expect(pico.problems.filter((p) => p.rule !== 'size-budget')).toEqual([]);
    const t = new TimeclockWorld(pico.minifiedCode!, BADGES, 2, 'pico-rak3172');
    t.run(5000);
    t.press('errand');
    t.tap(new SimulatedCard({ uid: CARL }));
    t.run(2 * 60_000);
    expect(t.ledger.get(1)).toMatchObject({ badge: pseudonym(CARL), kind: 'errand', clockUnsynced: true });
    expect(t.outboxFiles()).toEqual([]);
    expect(t.consoleErrors()).toEqual([]);
  }, 120_000);

  it('books taps, sends pseudonyms, gets acks that empty the outbox and set the clock', () => {
    const t = new TimeclockWorld(bundle, BADGES, 3);
    t.run(5000);
    const anna = new SimulatedCard({ uid: ANNA });
    let mark = t.world.scheduler.now();
    t.tap(anna);
    expect(t.beepsSince(mark)).toBe(1); // good beep
    // held on the reader for a second (four polls): halted, read once
    expect(t.bookingsMade()).toBe(1);

    mark = t.world.scheduler.now();
    t.tap(new SimulatedCard({ uid: STRANGER }));
    expect(t.beepsSince(mark)).toBe(Math.ceil(BAD_BEEP_MS.length / 2)); // bad beep: three
    expect(t.bookingsMade()).toBe(1);

    t.press('breakStart');
    const bertAt = t.world.scheduler.now();
    t.tap(new SimulatedCard({ uid: BERT }));
    expect(t.bookingsMade()).toBe(2);

    t.run(3 * 60_000);
    expect([...t.ledger.keys()]).toEqual([1, 2]);
    const [first, second] = [t.ledger.get(1)!, t.ledger.get(2)!];
    // before the first ack the clock ran from 0 (Espruino has no RTC that survives a reset): flagged
    expect(first).toMatchObject({ badge: pseudonym(ANNA), clockUnsynced: true });
    expect(first.time).toBeLessThan(60);
    // the first ack (in the same uplink's receive window: the simulated ledger answers at once) set the clock
    expect(second).toMatchObject({ badge: pseudonym(BERT), kind: 'breakStart', clockUnsynced: false });
    expect(Math.abs(second.time - (LEDGER_T0 + bertAt / 1000))).toBeLessThan(60);
    expect(t.outboxFiles()).toEqual([]);

    // the default kind again after the button's selection ran out
    const annaAt = t.world.scheduler.now();
    t.tap(anna);
    t.run(3 * 60_000);
    const third = t.ledger.get(3)!;
    expect(third).toMatchObject({ badge: pseudonym(ANNA), clockUnsynced: false });
    expect(third.kind).toBe(new Date((LEDGER_T0 + annaAt / 1000) * 1000).getUTCHours() < 12 ? 'come' : 'go');
    expect(Math.abs(third.time - (LEDGER_T0 + annaAt / 1000))).toBeLessThan(60);
    expect(t.outboxFiles()).toEqual([]);

    // never the raw UID: not in any frame's payload, not as a badge
    for (const uplink of t.world.uplinks) {
      const payload = Buffer.from(uplink.bytes).toString('hex');
      for (const uid of [ANNA, BERT, STRANGER]) expect(payload).not.toContain(hex(uid));
    }
    expect(t.conflicts).toEqual([]);
    expect(t.consoleErrors()).toEqual([]);
  }, 120_000);

  it('loses and duplicates nothing across power cycles while the ledger does not acknowledge', () => {
    const t = new TimeclockWorld(bundle, BADGES, 5);
    t.run(5000);
    t.acking = false;
    for (const uid of [ANNA, BERT, CARL]) t.tap(new SimulatedCard({ uid }), 600);
    expect(t.outboxFiles()).toHaveLength(3);
    t.world.powerCycle();
    t.run(30_000);
    // the outbox came back from flash and is being sent again
    expect(t.outboxFiles()).toHaveLength(3);
    t.tap(new SimulatedCard({ uid: ANNA }), 600);
    t.world.powerCycle();
    t.run(60_000);
    expect(t.outboxFiles()).toHaveLength(4);
    expect(t.bookingsMade()).toBe(4);
    t.acking = true;
    t.run(6 * 60_000);
    expect([...t.ledger.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect([1, 2, 3, 4].map((s) => t.ledger.get(s)!.badge)).toEqual([ANNA, BERT, CARL, ANNA].map(pseudonym));
    // delivered more than once (resent after each boot), but never two bookings under one sequence
    expect(t.deliveries).toBeGreaterThan(2);
    expect(t.conflicts).toEqual([]);
    expect(t.outboxFiles()).toEqual([]);
    // a new booking continues the sequence
    t.tap(new SimulatedCard({ uid: CARL }), 600);
    t.run(3 * 60_000);
    expect(t.ledger.get(5)).toMatchObject({ badge: pseudonym(CARL) });
    expect(t.world.uplinks.filter((u) => u.rejected)).toEqual([]);
    expect(t.consoleErrors()).toEqual([]);
  }, 120_000);

  it('retries a card whose SAK failed its CRC, books two cards at once, and survives a broken card', () => {
    const t = new TimeclockWorld(bundle, BADGES, 7);
    t.run(5000);
    const anna = new SimulatedCard({ uid: ANNA });
    anna.fault = 'sakCrc';
    t.reader.enter(anna);
    t.run(600);
    expect(t.bookingsMade()).toBe(0);
    anna.fault = 'none';
    t.run(600);
    t.reader.leave(anna);
    expect(t.bookingsMade()).toBe(1);

    const bert = new SimulatedCard({ uid: BERT });
    const carl = new SimulatedCard({ uid: CARL });
    t.reader.enter(bert);
    t.reader.enter(carl);
    t.run(1500);
    t.reader.leave(bert);
    t.reader.leave(carl);
    expect(t.reader.stats.collisions).toBeGreaterThan(0);

    const broken = new SimulatedCard({ uid: CARL });
    broken.fault = 'bcc';
    t.tap(broken, 2000);
    t.run(3 * 60_000);
    const badges = [...t.ledger.values()].map((b) => b.badge).sort();
    expect(badges).toEqual([ANNA, BERT, CARL].map(pseudonym).sort());
    expect(t.world.board.uncaughtErrors).toBe(0);
    // read failures are warnings (compiled out of the flashed bundle), never errors
    expect(t.consoleErrors()).toEqual([]);
  }, 120_000);
});
