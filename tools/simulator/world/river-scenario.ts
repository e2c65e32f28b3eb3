/**
 * A river flood as truth functions of virtual time: the water level above gauge zero (a hydrograph: base flow, a
 * rise, the crest, a slower fall) and the air temperature under the bridge (a daily cycle). Generated rather than a
 * data file, because the files in scenarios/ are weather scenarios that the climate tools list and run.
 */
export interface RiverScenario {
  name: string;
  description: string;
  durationHours: number;
  /** Height of the sensor face above gauge zero, cm (what the installer surveys). */
  mountHeightCm: number;
  /** Levels at which warning stages 1-3 begin, cm above gauge zero. */
  stagesCm: [number, number, number];
  /** Level above gauge zero at virtual time t, cm. */
  levelAt(timeMs: number): number;
  /** Air temperature along the sound path at virtual time t, degC. */
  airAt(timeMs: number): number;
}

export interface FloodOptions {
  baseCm?: number;
  crestCm?: number;
  /** When the water starts to rise, the crest, and when it is back at base flow, in hours. */
  riseAtH?: number;
  crestAtH?: number;
  backAtH?: number;
  durationHours?: number;
  mountHeightCm?: number;
  stagesCm?: [number, number, number];
  /** Daily mean and half the daily swing of the air temperature (a cosine, coldest at hour 5 of each day, warmest at hour 17). */
  airMeanC?: number;
  airSwingK?: number;
}

const HOUR = 3_600_000;

/** Raised-cosine rise and fall: smooth, with its steepest rate ((crest - base) * pi / 2 per rise time) mid-way. */
export function floodScenario(options: FloodOptions = {}): RiverScenario {
  const base = options.baseCm ?? 80;
  const crest = options.crestCm ?? 330;
  const rise = options.riseAtH ?? 6;
  const top = options.crestAtH ?? 16;
  const back = options.backAtH ?? 40;
  const mean = options.airMeanC ?? 9;
  const swing = options.airSwingK ?? 6;
  const shape = (h: number): number => {
    if (h <= rise || h >= back) return 0;
    if (h <= top) return (1 - Math.cos((Math.PI * (h - rise)) / (top - rise))) / 2;
    return (1 + Math.cos((Math.PI * (h - top)) / (back - top))) / 2;
  };
  return {
    name: 'river-flood',
    description: `Base flow ${base} cm, rising from hour ${rise} to a ${crest} cm crest at hour ${top}, back at hour ${back}; air ${mean - swing}-${mean + swing} degC.`,
    durationHours: options.durationHours ?? 48,
    mountHeightCm: options.mountHeightCm ?? 450,
    stagesCm: options.stagesCm ?? [200, 260, 310],
    levelAt: (t) => base + (crest - base) * shape(t / HOUR),
    airAt: (t) => mean - swing * Math.cos((2 * Math.PI * (t / HOUR - 5)) / 24),
  };
}
