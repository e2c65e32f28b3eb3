import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameCounter, type CounterStorage } from '../../firmware/core/frame-counter.ts';

class PowerCut extends Error {}

/**
 * Flash files the way Espruino's Storage.write handles them: the old file is erased first, then the new one
 * written. `cutAt` makes the n-th write die half-way (old file gone, new one left as 0xFF bytes).
 */
class SimulatedStorage implements CounterStorage {
  files: Record<string, string> = {};
  writes = 0;
  cutAt = -1;
  failWrites = false;

  read(name: string): string | undefined {
    return this.files[name];
  }

  write(name: string, value: string): boolean {
    if (this.failWrites) return false;
    this.writes++;
    delete this.files[name];
    if (this.writes === this.cutAt) {
      this.files[name] = '\xff'.repeat(value.length);
      throw new PowerCut('power cut during the write');
    }
    this.files[name] = value;
    return true;
  }
}

describe('createFrameCounter', () => {
  it('counts from 0 on a fresh device and persists the block end before the first counter', () => {
    const storage = new SimulatedStorage();
    const counter = createFrameCounter(storage, 'fcnt', 10);
    expect(counter.next()).toBe(0);
    expect(storage.files).toEqual({ fcnt0: '10' });
    const got = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => counter.next());
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(storage.writes).toBe(1);
    expect(counter.next()).toBe(10);
    expect(storage.files).toEqual({ fcnt0: '10', fcnt1: '20' });
  });

  it('never repeats a counter across power cycles, also when a cut tears a write', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.record({ uplinks: fc.integer({ min: 0, max: 120 }), tearNextWrite: fc.boolean() }), {
          minLength: 1,
          maxLength: 30,
        }),
        (blockSize, runs) => {
          const storage = new SimulatedStorage();
          const used: number[] = [];
          for (const run of runs) {
            // A fresh start after each power cycle: only what is in storage survives.
            const counter = createFrameCounter(storage, 'fcnt', blockSize);
            if (run.tearNextWrite) storage.cutAt = storage.writes + 1;
            for (let i = 0; i < run.uplinks; i++) {
              const value = counter.next();
              if (value === null) break; // the device died in the write: no frame went out
              used.push(value);
            }
            storage.cutAt = -1;
          }
          for (let i = 1; i < used.length; i++) expect(used[i]).toBeGreaterThan(used[i - 1]!);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes once per block: 100 writes for 10,000 uplinks in blocks of 100, and skips < 100 per reboot', () => {
    const storage = new SimulatedStorage();
    let counter = createFrameCounter(storage, 'fcnt', 100);
    let previous = -1;
    let largestSkip = 0;
    for (let i = 0; i < 10_000; i++) {
      if (i % 1_234 === 0) counter = createFrameCounter(storage, 'fcnt', 100); // reboots now and then
      const value = counter.next()!;
      largestSkip = Math.max(largestSkip, value - previous - 1);
      previous = value;
    }
    // Each of the 9 reboots abandons the rest of its block, which costs at most one extra write each.
    expect(storage.writes).toBeGreaterThanOrEqual(100);
    expect(storage.writes).toBeLessThanOrEqual(100 + 9);
    expect(largestSkip).toBeLessThan(100);

    const everyUplink = new SimulatedStorage();
    const naive = createFrameCounter(everyUplink, 'fcnt', 1);
    for (let i = 0; i < 10_000; i++) naive.next();
    expect(everyUplink.writes).toBe(10_000);
  });

  it('hands out nothing while the reservation cannot be stored, and resumes when it can', () => {
    const storage = new SimulatedStorage();
    const counter = createFrameCounter(storage, 'fcnt', 5);
    storage.failWrites = true;
    expect(counter.next()).toBeNull();
    storage.failWrites = false;
    expect(counter.next()).toBe(0);
  });

  it('continues from the larger valid file and ignores a torn or foreign one', () => {
    const storage = new SimulatedStorage();
    storage.files = { fcnt0: '\xff\xff\xff', fcnt1: '700' };
    expect(createFrameCounter(storage, 'fcnt', 100).next()).toBe(700);
    storage.files = { fcnt0: '900', fcnt1: '-5' };
    expect(createFrameCounter(storage, 'fcnt', 100).next()).toBe(900);
    storage.files = { fcnt0: '99999999999' }; // more than 32 bits: not ours
    expect(createFrameCounter(storage, 'fcnt', 100).next()).toBe(0);
  });

  it('counts up to 0xFFFFFFFF and then refuses (the session needs new keys)', () => {
    const storage = new SimulatedStorage();
    storage.files = { fcnt0: String(0xfffffffe) };
    const counter = createFrameCounter(storage, 'fcnt', 100);
    expect(counter.next()).toBe(0xfffffffe);
    expect(counter.next()).toBe(0xffffffff);
    expect(counter.next()).toBeNull();
    expect(createFrameCounter(storage, 'fcnt', 100).next()).toBeNull();
  });
});
