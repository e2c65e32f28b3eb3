/**
 * The Pi's MFRC522 reader over the SPI transfer seam, with the simulated MFRC522 behind it (spidev does not exist
 * here): badge events with the UID bytes, one per tap, failed reads as rejections, a missing module as an error and
 * a set-up again once it answers, the reset line pulsed before the set-up.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMfrc522Reader } from '../../../firmware/timeclock/terminal/readers/mfrc522-reader.ts';
import type { BadgeReader } from '../../../firmware/timeclock/terminal/readers/badge-reader.ts';
import { SimulatedCard, SimulatedMfrc522 } from '../../../tools/simulator/devices/mfrc522.ts';

function seam(chip: SimulatedMfrc522): (bytes: number[]) => number[] {
  return (bytes) => Array.from(chip.transfer(Uint8Array.from(bytes)));
}

describe('MFRC522 reader (Pi)', () => {
  let reader: BadgeReader | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    await reader?.close();
    vi.useRealTimers();
  });

  it('emits each tap once with the UID bytes, and counts failed reads as rejections', () => {
    const chip = new SimulatedMfrc522();
    const levels: boolean[] = [];
    reader = createMfrc522Reader({ bus: 0, device: 0, transfer: seam(chip), reset: (high) => {
      levels.push(high);
      chip.setResetPin(high);
    } });
    const uids: number[][] = [];
    reader.onBadge((uid) => uids.push([...uid]));
    vi.advanceTimersByTime(500);
    expect(levels).toEqual([false, true]);
    const card = new SimulatedCard({ uid: [0x04, 0x52, 0x19, 0xa2, 0x6b, 0x3c, 0x80] });
    chip.enter(card);
    vi.advanceTimersByTime(2000); // held on the reader: read once
    chip.leave(card);
    vi.advanceTimersByTime(500);
    chip.enter(card);
    vi.advanceTimersByTime(500);
    expect(uids).toEqual([card.uid, card.uid]);

    chip.leave(card);
    const bad = new SimulatedCard({ uid: [1, 2, 3, 4] });
    bad.fault = 'sakCrc';
    chip.enter(bad);
    // six polls: the card answered SELECT, so it is ACTIVE and the next REQA only sends it back to IDLE (ISO/IEC
    // 14443-3): every other poll reads it, and fails its CRC again
    vi.advanceTimersByTime(900);
    expect(reader.rejections()['read-crc']).toBe(3);
    expect(uids).toHaveLength(2);
  });

  it('reports a module that does not answer and sets it up once it does', () => {
    const chip = new SimulatedMfrc522();
    chip.setResetPin(false); // held in power-down: MISO reads 0
    reader = createMfrc522Reader({ bus: 0, device: 1, transfer: seam(chip), retryMs: 1000 });
    const errors: string[] = [];
    const uids: number[][] = [];
    reader.onError((e) => errors.push(e.message));
    reader.onBadge((uid) => uids.push([...uid]));
    vi.advanceTimersByTime(2500);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toContain('/dev/spidev0.1');
    chip.setResetPin(true);
    const card = new SimulatedCard({ uid: [0xde, 0xad, 0xbe, 0xef] });
    chip.enter(card);
    vi.advanceTimersByTime(1500);
    expect(uids).toEqual([card.uid]);
  });
});
