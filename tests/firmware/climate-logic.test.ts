import { describe, expect, it } from 'vitest';
import { iceRisk, nextIntervalS } from '../../firmware/apps/road-climate/climate-logic.ts';

describe('ice risk', () => {
  it('is risk when the surface is frozen and at or below the dew point + margin', () => {
    // air -3 degC at 85 %RH: dew point -5.17 degC (sensors.md check value)
    expect(iceRisk(-4.2, -3, 85, 2)).toBe('risk');
    expect(iceRisk(-3.1, -3, 85, 2)).toBe('watch'); // frozen, but more than 2 K above the dew point: dry for now
    expect(iceRisk(-3.17, -3, 85, 2)).toBe('risk');
  });

  it('is watch near freezing when moist, and clear on a warm moist surface', () => {
    expect(iceRisk(1, 2, 90, 2)).toBe('watch'); // dew point 0.53 degC
    expect(iceRisk(15, 16, 95, 2)).toBe('clear'); // dew on a summer night is not ice
    expect(iceRisk(3, 2, 90, 2)).toBe('clear');
  });

  it('honours the configured margin', () => {
    expect(iceRisk(-1, 2, 60, 2)).toBe('watch'); // dew point about -5 degC: dry
    expect(iceRisk(-1, 2, 60, 6)).toBe('risk');
  });

  it('is unknown when a reading is missing', () => {
    expect(iceRisk(null, 2, 90, 2)).toBe('unknown');
    expect(iceRisk(-1, null, 90, 2)).toBe('unknown');
    expect(iceRisk(-1, 2, null, 2)).toBe('unknown');
  });
});

describe('cadence', () => {
  it('tightens near freezing and not otherwise', () => {
    expect(nextIntervalS(10, 12, 900, 600)).toBe(900);
    expect(nextIntervalS(2.5, 12, 900, 600)).toBe(600);
    expect(nextIntervalS(10, -1, 900, 600)).toBe(600);
    expect(nextIntervalS(null, null, 900, 600)).toBe(900);
  });
});
