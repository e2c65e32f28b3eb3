/**
 * The LoRa time clock's Storage outbox on its own, over an in-memory Storage with Espruino's calls: sequences survive
 * a restart, a reset between the booking file and tc.seq neither loses nor reuses a sequence, a full Storage throws
 * (the core then shows storageFailed), acknowledgements erase exactly the files covered.
 */
import { describe, expect, it } from 'vitest';
import { createStorageOutbox, type BookingStorage } from '../../firmware/apps/timeclock-lora/storage-outbox.ts';

class MemoryStorage implements BookingStorage {
  files = new Map<string, string>();
  failWrites: (name: string) => boolean = () => false;
  read(name: string): string | undefined {
    return this.files.get(name);
  }
  write(name: string, data: string): boolean {
    if (this.failWrites(name)) return false;
    this.files.set(name, data);
    return true;
  }
  erase(name: string): void {
    this.files.delete(name);
  }
  list(pattern: RegExp): string[] {
    return [...this.files.keys()].filter((n) => pattern.test(n));
  }
}

const tap = (badge: string, time: number) => ({ badge, kind: 'come' as const, time, clockUnsynced: time < 1e6 });

describe('Storage outbox', () => {
  it('keeps bookings and the sequence across a restart, oldest first, and erases what an ack covers', () => {
    const flash = new MemoryStorage();
    const outbox = createStorageOutbox(flash);
    expect(outbox.nextSequence()).toBe(1);
    expect(outbox.append(tap('a1b2c3d4', 12)).sequence).toBe(1);
    expect(outbox.append({ badge: 'deadbeef', kind: 'breakEnd', time: 1_800_000_000.7, clockUnsynced: false })).toEqual({
      sequence: 2,
      badge: 'deadbeef',
      kind: 'breakEnd',
      time: 1_800_000_000,
      clockUnsynced: false,
    });
    const again = createStorageOutbox(flash);
    expect(again.unacknowledged(10)).toEqual([
      { sequence: 1, badge: 'a1b2c3d4', kind: 'come', time: 12, clockUnsynced: true },
      { sequence: 2, badge: 'deadbeef', kind: 'breakEnd', time: 1_800_000_000, clockUnsynced: false },
    ]);
    expect(again.acknowledge(1)).toBe(1);
    expect(again.pendingCount()).toBe(1);
    expect(again.acknowledge(2)).toBe(1);
    expect(createStorageOutbox(flash).nextSequence()).toBe(3);
    expect([...flash.files.keys()]).toEqual(['tc.seq']);
  });

  it('takes the highest booking file when tc.seq was not written (reset between the two writes)', () => {
    const flash = new MemoryStorage();
    const outbox = createStorageOutbox(flash);
    outbox.append(tap('a1b2c3d4', 1));
    flash.failWrites = (name) => name === 'tc.seq';
    outbox.append(tap('a1b2c3d4', 2));
    expect(flash.read('tc.seq')).toBe('2');
    flash.failWrites = () => false;
    const after = createStorageOutbox(flash);
    expect(after.nextSequence()).toBe(3);
    expect(after.append(tap('00000000', 3)).sequence).toBe(3);
  });

  it('throws when Storage is full and keeps the sequence', () => {
    const flash = new MemoryStorage();
    const outbox = createStorageOutbox(flash);
    flash.failWrites = () => true;
    expect(() => outbox.append(tap('a1b2c3d4', 1))).toThrow(/Storage full/);
    expect(outbox.pendingCount()).toBe(0);
    flash.failWrites = () => false;
    expect(outbox.append(tap('a1b2c3d4', 1)).sequence).toBe(1);
  });

  it('moves the sequence forward only', () => {
    const flash = new MemoryStorage();
    const outbox = createStorageOutbox(flash);
    outbox.setNextSequence(40);
    outbox.setNextSequence(10);
    expect(createStorageOutbox(flash).nextSequence()).toBe(40);
  });
});
