/**
 * Time on air and the EU868 airtime rules (firmware/core/airtime.ts), in Node and as an Espruino bundle.
 * Reference values: the worked example of shared/reference/lorawan.md and The Things Network's airtime figures
 * (51 bytes at SF12: 2793.5 ms; 242 bytes at SF7: 399.6 ms; 239 bytes P2P at SF12 CR 4/8: 13.2 s).
 */
import { bundleFirmwareModule } from '../support/firmware-module.ts';
import { describe, expect, it } from 'vitest';
import * as airtime from '../../firmware/core/airtime.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';

type AirtimeModule = typeof airtime;

const bundle = (): Promise<string> => bundleFirmwareModule('firmware/core/airtime.ts');

describe('the airtime bundle', () => {
  it('passes the Espruino compatibility check', async () => {
    expect(checkEspruinoCompat(await bundle(), { sourceType: 'module' })).toEqual([]);
  });
});

const IMPLEMENTATIONS: [string, () => Promise<AirtimeModule>][] = [
  ['TypeScript module in Node', () => Promise.resolve(airtime)],
  ['bundle in the Espruino sandbox', () => bundle().then((code) => loadEspruinoModule(code, {}, 'airtime.js') as unknown as AirtimeModule)],
];

describe.each(IMPLEMENTATIONS)('time on air: %s', (_name, load) => {
  it('matches the worked example of lorawan.md (PL 24, 125 kHz, SF7..SF12)', async () => {
    const { timeOnAir } = await load();
    const expected: [number, number][] = [
      [7, 61.696],
      [8, 113.152],
      [9, 205.824],
      [10, 370.688],
      [11, 823.296],
      [12, 1482.752],
    ];
    for (const [sf, ms] of expected) expect(timeOnAir({ sf, bwHz: 125000, payloadBytes: 24 })).toBeCloseTo(ms, 9);
  });

  it('matches the published figures for the largest LoRaWAN frames', async () => {
    const { timeOnAir, uplinkAirtime, LORAWAN_OVERHEAD_BYTES } = await load();
    expect(uplinkAirtime(51 + LORAWAN_OVERHEAD_BYTES, 0)).toBeCloseTo(2793.472, 9);
    expect(uplinkAirtime(242 + LORAWAN_OVERHEAD_BYTES, 5)).toBeCloseTo(399.616, 9);
    expect(timeOnAir({ sf: 12, bwHz: 125000, cr: 4, payloadBytes: 239 })).toBeCloseTo(13246.464, 6);
  });

  it('switches low data rate optimisation on where a symbol lasts 16 ms or more', async () => {
    const { timeOnAir } = await load();
    // SF11/125 kHz: DE on by default, so forcing it on changes nothing and forcing it off shortens the frame.
    const sf11 = timeOnAir({ sf: 11, bwHz: 125000, payloadBytes: 24 });
    expect(timeOnAir({ sf: 11, bwHz: 125000, payloadBytes: 24, lowDataRateOptimize: true })).toBe(sf11);
    expect(timeOnAir({ sf: 11, bwHz: 125000, payloadBytes: 24, lowDataRateOptimize: false })).toBeLessThan(sf11);
    // SF10/125 kHz: off by default.
    const sf10 = timeOnAir({ sf: 10, bwHz: 125000, payloadBytes: 24 });
    expect(timeOnAir({ sf: 10, bwHz: 125000, payloadBytes: 24, lowDataRateOptimize: false })).toBe(sf10);
    // SF12 at 250 kHz has 16.384 ms symbols too (LoRaMac-node sets LDRO there as well).
    expect(timeOnAir({ sf: 12, bwHz: 250000, payloadBytes: 24 })).toBe(timeOnAir({ sf: 12, bwHz: 250000, payloadBytes: 24, lowDataRateOptimize: true }));
  });

  it('follows the header, CRC, coding rate and preamble options', async () => {
    const { timeOnAir, symbolTimeMs } = await load();
    const base = { sf: 7, bwHz: 125000, payloadBytes: 13 };
    const tSym = symbolTimeMs(7, 125000);
    // No CRC (a downlink): 16 bits fewer, here one block of 5 symbols less.
    expect(timeOnAir({ ...base, crc: false })).toBeCloseTo(timeOnAir(base) - 5 * tSym, 9);
    // Implicit header saves 20 bits.
    expect(timeOnAir({ ...base, explicitHeader: false })).toBeLessThan(timeOnAir(base));
    // Each preamble symbol costs one symbol time.
    expect(timeOnAir({ ...base, preamble: 12 }) - timeOnAir(base)).toBeCloseTo(4 * tSym, 9);
    // 4/8 coding: payload blocks of 8 instead of 5 symbols.
    const blocks = (timeOnAir(base) / tSym - 12.25 - 8) / 5;
    expect(timeOnAir({ ...base, cr: 4 })).toBeCloseTo((12.25 + 8 + blocks * 8) * tSym, 9);
  });

  it('uses the SX126x formula for SF5 and SF6', async () => {
    const { timeOnAir, symbolTimeMs } = await load();
    // SF6, 10 bytes: ceil((80 + 16 - 24 + 20) / 24) = 4 blocks of 5 symbols; 8 + 6.25 preamble symbols + 8.
    expect(timeOnAir({ sf: 6, bwHz: 125000, payloadBytes: 10 })).toBeCloseTo((8 + 6.25 + 8 + 20) * symbolTimeMs(6, 125000), 9);
    expect(timeOnAir({ sf: 5, bwHz: 125000, payloadBytes: 10 })).toBeLessThan(timeOnAir({ sf: 6, bwHz: 125000, payloadBytes: 10 }));
  });

  it('grows with the payload and never shrinks', async () => {
    const { timeOnAir } = await load();
    for (let sf = 5; sf <= 12; sf++) {
      let previous = 0;
      for (let pl = 0; pl <= 255; pl++) {
        const t = timeOnAir({ sf, bwHz: 125000, payloadBytes: pl });
        expect(t).toBeGreaterThanOrEqual(previous);
        previous = t;
      }
    }
  });
});

describe.each(IMPLEMENTATIONS)('EU868 facts: %s', (_name, load) => {
  it('maps frequencies to sub-bands with their duty cycles', async () => {
    const { subBandIndex, EU868_SUB_BANDS } = await load();
    const band = (hz: number): string | undefined => EU868_SUB_BANDS[subBandIndex(hz)]?.name;
    expect(band(868100000)).toBe('g1');
    expect(band(868500000)).toBe('g1');
    expect(band(868000000)).toBe('g1');
    expect(band(868800000)).toBe('g2');
    expect(band(869525000)).toBe('g3');
    expect(band(867100000)).toBe('g');
    expect(subBandIndex(869300000)).toBe(-1);
    expect(subBandIndex(870500000)).toBe(-1);
    const duty = Object.fromEntries(EU868_SUB_BANDS.map((b) => [b.name, b.dutyCycle]));
    expect(duty).toEqual({ g: 0.01, g1: 0.01, g2: 0.001, g3: 0.1 });
  });

  it('knows the default channels, data rates and payload limits', async () => {
    const { EU868_DEFAULT_CHANNELS_HZ, EU868_DATA_RATES, subBandIndex, EU868_SUB_BANDS } = await load();
    expect(EU868_DEFAULT_CHANNELS_HZ).toEqual([868100000, 868300000, 868500000]);
    for (const f of EU868_DEFAULT_CHANNELS_HZ) expect(EU868_SUB_BANDS[subBandIndex(f)]!.name).toBe('g1');
    expect(EU868_DATA_RATES.map((d) => d.sf)).toEqual([12, 11, 10, 9, 8, 7]);
    expect(EU868_DATA_RATES.every((d) => d.bwHz === 125000)).toBe(true);
    expect(EU868_DATA_RATES.map((d) => d.maxPayload)).toEqual([51, 51, 51, 115, 242, 242]);
  });

  it('computes the off time a duty cycle imposes', async () => {
    const { offTimeAfter, uplinkAirtime } = await load();
    expect(offTimeAfter(1000, 0.01)).toBeCloseTo(99000, 6);
    expect(offTimeAfter(1000, 0.001)).toBeCloseTo(999000, 6);
    expect(offTimeAfter(1000, 0.1)).toBeCloseTo(9000, 6);
    // An 11-byte reading at SF12 closes a 1 % sub-band for about 2.4 minutes.
    const t = uplinkAirtime(24, 0);
    expect(t + offTimeAfter(t, 0.01)).toBeCloseTo(148275.2, 3);
    expect(Number.isNaN(uplinkAirtime(24, 6))).toBe(true);
  });
});
