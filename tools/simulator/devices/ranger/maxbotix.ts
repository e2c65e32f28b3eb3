/**
 * A simulated MaxBotix HRXL-MaxSonar-WRT (MB7389 by default: 10 m, 6.67 Hz; MB7380: 5 m, 7.5 Hz) free-running on
 * its TTL serial output: `R####\r` per range cycle (~148 ms / ~133 ms), 9999 (or 5000) when there is no target,
 * 300 for anything closer than 300 mm. It compensates for the speed of sound with its internal temperature sensor
 * (HRXL-WR datasheet, "Temperature Compensation"): it reports the true distance when the sensor is at the air's
 * temperature, and is off by c(T_sensor) / c(T_air) when sun or shade puts it `housingOffsetK` away from the air
 * along the path. Power-up: ~50 ms of initialisation, then its first range cycle.
 */
import { speedOfSound } from './sound.ts';
import { SimulatedRanger, type RangeKind, type RangerSimOptions } from './simulated-ranger.ts';

export interface MaxbotixSimOptions extends RangerSimOptions {
  model?: 'MB7389' | 'MB7380';
  /** Sensor housing temperature minus the air temperature of the sound path. Default 0. */
  housingOffsetK?: number;
}

const MODELS = {
  MB7389: { maxMm: 9998, noTarget: 9999, periodMs: 148 },
  MB7380: { maxMm: 4999, noTarget: 5000, periodMs: 133 },
} as const;

export const MAXBOTIX_MIN_MM = 300;

export class SimulatedMaxbotix extends SimulatedRanger {
  private readonly noTargetCode: number;
  private readonly housingOffsetK: number;

  constructor(options: MaxbotixSimOptions) {
    const model = MODELS[options.model ?? 'MB7389'];
    super(options, options.powerUpMs ?? 50 + model.periodMs, options.periodMs ?? model.periodMs, MAXBOTIX_MIN_MM, model.maxMm);
    this.noTargetCode = model.noTarget;
    this.housingOffsetK = options.housingOffsetK ?? 0;
  }

  protected measuredMm(timeMs: number): number {
    const air = this.options.airTemperatureC(timeMs);
    return this.options.distanceM(timeMs) * 1000 * (speedOfSound(air + this.housingOffsetK) / speedOfSound(air));
  }

  protected frame(kind: RangeKind, mm: number): number[] {
    const value = kind === 'noTarget' ? this.noTargetCode : kind === 'tooClose' ? MAXBOTIX_MIN_MM : mm;
    return [...Buffer.from(`R${String(value).padStart(4, '0')}\r`, 'latin1')];
  }
}
