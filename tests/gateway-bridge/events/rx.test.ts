import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRx, mergeRx, sortRx } from '../../../gateway-bridge/src/events/rx.ts';
import type { RxInfo } from '../../../gateway-bridge/src/types.ts';

const at = (gatewayId: string, snr: number, rssi: number, second = 0): RxInfo => ({
  gatewayId,
  input: 'serial',
  rssi,
  snr,
  receivedAt: new Date(Date.UTC(2025, 0, 15, 6, 0, second)).toISOString(),
  clock: 'bridge',
  clockSynced: true,
});

const rxInfo = fc
  .record({
    gatewayId: fc.constantFrom('rak-1', 'rak-2', 'rak-3', 'eui-1'),
    snr: fc.integer({ min: -20, max: 12 }),
    rssi: fc.integer({ min: -130, max: -30 }),
    second: fc.integer({ min: 0, max: 59 }),
  })
  .map((r) => at(r.gatewayId, r.snr, r.rssi, r.second));

describe('receiver order', () => {
  it('puts higher SNR first, then higher RSSI', () => {
    const sorted = sortRx([at('a', 2, -80), at('b', 7, -110), at('c', 7, -100), at('d', -5, -40)]);
    expect(sorted.map((r) => r.gatewayId)).toEqual(['c', 'b', 'a', 'd']);
  });

  it('breaks full ties by receive time, then gateway id', () => {
    expect(sortRx([at('b', 1, -90, 5), at('a', 1, -90, 5), at('c', 1, -90, 1)]).map((r) => r.gatewayId)).toEqual(['c', 'a', 'b']);
  });

  it('sorts into a total order whatever the input order', () => {
    fc.assert(
      fc.property(fc.array(rxInfo, { maxLength: 8 }), (list) => {
        const sorted = sortRx(list);
        for (let i = 1; i < sorted.length; i++) expect(compareRx(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
        expect(sortRx([...list].reverse())).toEqual(sorted);
      }),
    );
  });
});

describe('mergeRx', () => {
  it('adds a new gateway in its place', () => {
    const merged = mergeRx([at('rak-1', 3, -100)], at('rak-2', 9, -95));
    expect(merged.map((r) => r.gatewayId)).toEqual(['rak-2', 'rak-1']);
  });

  it('keeps one entry per gateway: the better reception', () => {
    const better = at('rak-1', 5, -90);
    expect(mergeRx([at('rak-1', 3, -100), at('rak-2', 1, -110)], better)).toEqual([better, at('rak-2', 1, -110)]);
    expect(mergeRx([better], at('rak-1', -1, -120))).toEqual([better]);
  });

  it('does not change its input', () => {
    const existing = [at('rak-2', 1, -100), at('rak-1', 3, -100)];
    const copy = structuredClone(existing);
    mergeRx(existing, at('rak-3', 9, -80));
    expect(existing).toEqual(copy);
  });

  it('gives the same result in any arrival order: sorted, one per gateway, each the best heard there', () => {
    fc.assert(
      fc.property(fc.array(rxInfo, { minLength: 1, maxLength: 10 }), (heard) => {
        const fold = (list: RxInfo[]) => list.slice(1).reduce((acc, r) => mergeRx(acc, r), [list[0]!]);
        const merged = fold(heard);
        expect(fold([...heard].reverse())).toEqual(merged);
        expect(new Set(merged.map((r) => r.gatewayId)).size).toBe(merged.length);
        expect(merged).toEqual(sortRx(merged));
        for (const r of merged) {
          const sameGateway = heard.filter((h) => h.gatewayId === r.gatewayId);
          expect(sortRx(sameGateway)[0]).toEqual(r);
        }
      }),
    );
  });
});
