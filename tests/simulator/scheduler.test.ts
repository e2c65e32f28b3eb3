import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32, VirtualScheduler } from '../../tools/simulator/scheduler.ts';

describe('VirtualScheduler ordering', () => {
  it('runs events in time order and equal times in scheduling order', () => {
    const s = new VirtualScheduler();
    const log: string[] = [];
    s.at(30, () => log.push('c@30'));
    s.at(10, () => log.push('a@10'));
    s.at(20, () => log.push('b1@20'));
    s.at(20, () => log.push('b2@20'));
    s.after(10, () => log.push('a2@10'));
    expect(s.runUntil(100)).toBe(5);
    expect(log).toEqual(['a@10', 'a2@10', 'b1@20', 'b2@20', 'c@30']);
    expect(s.now()).toBe(100);
  });

  it('sets the clock to each event while it runs and never schedules into the past', () => {
    const s = new VirtualScheduler();
    const seen: number[] = [];
    s.at(50, () => {
      seen.push(s.now());
      s.at(10, () => seen.push(s.now())); // in the past: runs now, after the current event
      s.after(5, () => seen.push(s.now()));
    });
    s.runUntil(1000);
    expect(seen).toEqual([50, 50, 55]);
  });

  it('leaves later events queued, and step() runs exactly one', () => {
    const s = new VirtualScheduler();
    const log: number[] = [];
    for (const t of [5, 15, 25]) s.at(t, () => log.push(t));
    s.runUntil(10);
    expect(log).toEqual([5]);
    expect(s.pending).toBe(2);
    expect(s.nextTime()).toBe(15);
    expect(s.step()).toBe(true);
    expect(log).toEqual([5, 15]);
    expect(s.now()).toBe(15);
    s.runFor(100);
    expect(log).toEqual([5, 15, 25]);
    expect(s.step()).toBe(false);
  });

  it('cancels events, including ones that were cancelled in bulk', () => {
    const s = new VirtualScheduler();
    const log: number[] = [];
    const handles = Array.from({ length: 500 }, (_, i) => s.at(i, () => log.push(i)));
    handles.forEach((h, i) => {
      if (i % 10 !== 0) s.cancel(h);
    });
    s.cancel(handles[0]!);
    s.cancel(handles[0]!); // twice is harmless
    s.runUntil(1000);
    expect(log).toEqual(Array.from({ length: 49 }, (_, i) => (i + 1) * 10));
    expect(s.pending).toBe(0);
  });

  it('matches a sorted list for any mix of scheduling and cancelling', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ time: fc.integer({ min: 0, max: 200 }), cancel: fc.boolean() }), { maxLength: 300 }),
        (ops) => {
          const s = new VirtualScheduler();
          const ran: number[] = [];
          const expected: { time: number; index: number }[] = [];
          ops.forEach((op, index) => {
            const handle = s.at(op.time, () => ran.push(index));
            if (op.cancel) s.cancel(handle);
            else expected.push({ time: op.time, index });
          });
          s.runUntil(1000);
          expected.sort((a, b) => a.time - b.time || a.index - b.index);
          expect(ran).toEqual(expected.map((e) => e.index));
        },
      ),
    );
  });

  it('throws on a zero-delay loop instead of hanging', () => {
    const s = new VirtualScheduler({ maxEventsPerRun: 1000 });
    const again = (): void => {
      s.after(0, again);
    };
    again();
    expect(() => s.runUntil(10)).toThrow(/zero-delay loop/);
  });
});

describe('VirtualScheduler randomness', () => {
  const draw = (seed: number): number[] => {
    const s = new VirtualScheduler({ seed });
    return Array.from({ length: 20 }, () => s.random());
  };

  it('repeats the same sequence from the same seed', () => {
    expect(draw(7)).toEqual(draw(7));
  });

  it('gives a different sequence for another seed, spread over [0, 1)', () => {
    const a = draw(7);
    expect(a).not.toEqual(draw(8));
    const many = Array.from({ length: 10_000 }, mulberry32(123));
    expect(Math.min(...many)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...many)).toBeLessThan(1);
    const mean = many.reduce((x, y) => x + y, 0) / many.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('makes a whole simulation repeat: same seed, same event trace', () => {
    const trace = (seed: number): string[] => {
      const s = new VirtualScheduler({ seed });
      const out: string[] = [];
      const tick = (name: string): void => {
        out.push(`${s.now().toFixed(3)}:${name}`);
        if (s.now() < 10_000) s.after(s.random() * 1000, () => tick(name));
      };
      tick('a');
      tick('b');
      s.runUntil(20_000);
      return out;
    };
    expect(trace(99)).toEqual(trace(99));
    expect(trace(99)).not.toEqual(trace(100));
  });
});
