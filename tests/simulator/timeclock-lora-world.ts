/**
 * The LoRa-only time clock's bundle (minified, as flashed) on a simulated board in a NodeWorld: a simulated MFRC522 on
 * the profile's SPI port and NSS pin (its NRSTPD on the profile's reset pin), the buttons as inputs, the buzzer
 * watched, a RAK3172 in P2P and a gateway module. The "ledger" at the gateway decodes each bookingBatch, keeps the
 * bookings by sequence (idempotent, as the ledger is) and queues a bookingAck (cumulative, with its time) as a
 * downlink for the terminal's next uplink.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { BadgeListMessage, BookingKind } from '../../firmware/timeclock/core/contracts.ts';
import { buildFirmware, type FirmwareBuild } from '../../tools/firmware-build/index.ts';
import { SimulatedMfrc522 } from '../../tools/simulator/devices/mfrc522.ts';
import { createNodeWorld, DEMO_P2P_KEYS, type NodeWorld } from '../../tools/simulator/world/index.ts';

export const PSEUDONYM_KEY = '00112233445566778899aabbccddeeff0123456789abcdef';
/** The ledger's clock at virtual time 0 (after the core's build floor). */
export const LEDGER_T0 = 1_800_000_000;

const builds = new Map<string, Promise<FirmwareBuild>>();

export function timeclockBuild(board = 'mdbt42q-rak3172'): Promise<FirmwareBuild> {
  let result = builds.get(board);
  if (!result) {
    result = (async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-tc-'));
      try {
        return await buildFirmware({ app: 'timeclock-lora', board, minify: true, outDir });
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    })();
    builds.set(board, result);
  }
  return result;
}

/** Computed here with node:crypto, independently of the firmware's HMAC. */
export function pseudonym(uid: number[]): string {
  return createHmac('sha256', Buffer.from(PSEUDONYM_KEY, 'hex')).update(Buffer.from(uid)).digest('hex').slice(0, 8);
}

export interface LedgerBooking {
  sequence: number;
  badge: string;
  kind: BookingKind;
  time: number;
  clockUnsynced: boolean;
}

interface DecodedBatch {
  sequence: number;
  baseTime: number;
  bookings: { badge: string; kind: BookingKind; offset: number; clockUnsynced: boolean }[];
}

export class TimeclockWorld {
  readonly world: NodeWorld;
  readonly reader = new SimulatedMfrc522();
  /** Bookings by sequence, as the ledger keeps them. */
  readonly ledger = new Map<number, LedgerBooking>();
  /** Deliveries of a sequence whose content differed from the stored one (must stay empty). */
  readonly conflicts: string[] = [];
  deliveries = 0;
  /** Rising edges of the buzzer pin, with their times. */
  readonly beeps: number[] = [];
  acksQueued = 0;
  /** false: the ledger stores deliveries but sends no ack (a ledger that is away). */
  acking = true;
  private readonly provisionedBoot: number;

  constructor(bundle: string, badges: BadgeListMessage, seed = 1, boardId = 'mdbt42q-rak3172') {
    const keys = { ...DEMO_P2P_KEYS, pseudonymKey: PSEUDONYM_KEY };
    this.world = createNodeWorld({ bundle, boardId, keys, seed, distanceM: 300 });
    const profile = this.world.profile;
    const rfid = profile.rfid!;
    this.world.board.attachSPI(rfid.spi, this.reader, rfid.nss);
    this.world.board.onPin(rfid.reset, (level) => this.reader.setResetPin(level === 1));
    this.world.board.onPin(profile.buzzer!.pin, (level, timeMs) => {
      if (level === 1) this.beeps.push(timeMs);
    });
    for (const pin of Object.values(profile.buttons!)) this.world.board.setInput(pin, 1);
    this.world.gateway!.onFrame((frame) => {
      if (!frame.uplink.micOk || frame.uplink.rejected || frame.uplink.fPort !== 40) return;
      const uplink = this.world.uplinks[this.world.uplinks.length - 1]!;
      expect(uplink.message).toBe('bookingBatch');
      this.receive(uplink.data as unknown as DecodedBatch);
    });
    // provisioning: the badge list next to the keys, then power on
    expect(this.world.board.storage.write('tc.badges', JSON.stringify(badges))).toBe(true);
    this.provisionedBoot = this.world.board.boots;
    this.world.powerCycle();
  }

  private receive(batch: DecodedBatch): void {
    this.deliveries++;
    batch.bookings.forEach((b, i) => {
      const booking: LedgerBooking = { sequence: batch.sequence + i, badge: b.badge, kind: b.kind, time: batch.baseTime + b.offset, clockUnsynced: b.clockUnsynced };
      const known = this.ledger.get(booking.sequence);
      if (known && JSON.stringify(known) !== JSON.stringify(booking)) this.conflicts.push(`${JSON.stringify(known)} vs ${JSON.stringify(booking)}`);
      if (!known) this.ledger.set(booking.sequence, booking);
    });
    if (!this.acking) return;
    let through = 0;
    while (this.ledger.has(through + 1)) through++;
    this.acksQueued++;
    this.world.sendDownlink(41, { ackedThrough: through, serverTime: this.ledgerTime() });
  }

  ledgerTime(): number {
    return LEDGER_T0 + Math.floor(this.world.scheduler.now() / 1000);
  }

  run(ms: number): void {
    this.world.run(ms);
  }

  /** A card held to the reader for `holdMs`, then taken away. */
  tap(card: Parameters<SimulatedMfrc522['enter']>[0], holdMs = 1000): void {
    this.reader.enter(card);
    this.run(holdMs);
    this.reader.leave(card);
  }

  press(kind: BookingKind): void {
    const pin = this.world.profile.buttons![kind];
    this.world.board.setInput(pin, 0);
    this.run(150);
    this.world.board.setInput(pin, 1);
    this.run(150);
  }

  beepsSince(timeMs: number): number {
    return this.beeps.filter((t) => t >= timeMs).length;
  }

  /** Bookings the terminal has made: the sequence numbers it gave out (Storage file tc.seq holds the next). */
  bookingsMade(): number {
    const next = this.world.board.storage.read('tc.seq');
    return next ? Number(Buffer.from(next).toString('latin1')) - 1 : 0;
  }

  /** Booking files still in the terminal's Storage. */
  outboxFiles(): string[] {
    return this.world.board.storage.list().filter((name) => /^tcb[0-9]+$/.test(name));
  }

  /** Errors since provisioning (the boot before it has no badge list, and its modem set-up is cut off). */
  consoleErrors(): string[] {
    return this.world
      .consoleErrors()
      .filter((l) => l.boot > this.provisionedBoot)
      .map((l) => l.text);
  }
}
