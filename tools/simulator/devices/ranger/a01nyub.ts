/**
 * A simulated DFRobot A01NYUB in UART mode with RX open (processed value): `0xFF H L SUM` every ~100 ms,
 * SUM = (0xFF + H + L) & 0xFF, range 280-7500 mm. It converts the echo's time of flight at a fixed 343 m/s (no
 * temperature compensation is documented for the part): the reading is distance * 343 / c(T_air). DFRobot documents
 * neither a no-target nor a blind-zone code for it; this simulation sends 0xFFFD for no target (the code of DFRobot's
 * newer UART rangers) and 0 inside the blind zone, and the driver treats anything outside the range as such.
 * The power-up time (500 ms by default) is an assumption: DFRobot gives none.
 */
import { distanceAtAssumedSpeed } from './sound.ts';
import { SimulatedRanger, type RangeKind, type RangerSimOptions } from './simulated-ranger.ts';

export const A01NYUB_ASSUMED_SOUND_MS = 343;
export const A01NYUB_NO_TARGET = 0xfffd;

export class SimulatedA01nyub extends SimulatedRanger {
  constructor(options: RangerSimOptions) {
    super(options, options.powerUpMs ?? 500, options.periodMs ?? 100, 280, 7500);
  }

  protected measuredMm(timeMs: number): number {
    return distanceAtAssumedSpeed(this.options.distanceM(timeMs), this.options.airTemperatureC(timeMs), A01NYUB_ASSUMED_SOUND_MS) * 1000;
  }

  protected frame(kind: RangeKind, mm: number): number[] {
    const value = kind === 'noTarget' ? A01NYUB_NO_TARGET : kind === 'tooClose' ? 0 : mm;
    const h = (value >> 8) & 0xff;
    const l = value & 0xff;
    return [0xff, h, l, (0xff + h + l) & 0xff];
  }
}
