import { describe, expect, it } from 'vitest';
import { RealtimeScheduler } from '../../../tools/simulator/pty/realtime-scheduler.ts';
import { mulberry32 } from '../../../tools/simulator/scheduler.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RealtimeScheduler', () => {
  it('runs callbacks on the wall clock, equal times in scheduling order', async () => {
    const s = new RealtimeScheduler();
    const ran: [string, number][] = [];
    const t = s.now() + 40;
    s.at(t, () => ran.push(['a', s.now()]));
    s.after(10, () => ran.push(['early', s.now()]));
    s.at(t, () => ran.push(['b', s.now()]));
    s.at(t, () => ran.push(['c', s.now()]));
    await sleep(80);
    expect(ran.map((r) => r[0])).toEqual(['early', 'a', 'b', 'c']);
    expect(ran[0]![1]).toBeGreaterThanOrEqual(10);
    for (const [, at] of ran.slice(1)) expect(at).toBeGreaterThanOrEqual(t);
    expect(ran[1]![1]).toBeLessThan(t + 30);
    s.stop();
  });

  it('runs zero-delay callbacks scheduled by callbacks, and cancels', async () => {
    const s = new RealtimeScheduler();
    const ran: string[] = [];
    const h = s.after(5, () => ran.push('cancelled'));
    s.after(5, () => {
      ran.push('first');
      s.after(0, () => ran.push('second'));
    });
    s.cancel(h);
    await sleep(40);
    expect(ran).toEqual(['first', 'second']);
    expect(s.pending).toBe(0);
    s.stop();
  });

  it('draws the seeded mulberry32 sequence', () => {
    const s = new RealtimeScheduler({ seed: 42 });
    const r = mulberry32(42);
    expect([s.random(), s.random(), s.random()]).toEqual([r(), r(), r()]);
  });

  it('stop() drops what waits and leaves no timer', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const before = timers();
    const s = new RealtimeScheduler();
    let ran = 0;
    s.after(20, () => ran++);
    expect(timers()).toBe(before + 1);
    s.stop();
    expect(timers()).toBe(before);
    s.after(1, () => ran++);
    await sleep(40);
    expect(ran).toBe(0);
    expect(s.pending).toBe(0);
  });
});
