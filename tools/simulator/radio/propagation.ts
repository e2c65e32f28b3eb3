/**
 * The link budget of the simulated radio medium.
 *
 * Path loss: log-distance model, PL(d) = PL(d0) + 10 n log10(d / d0) + X, with d0 = 1 m and PL(d0) the free-space
 * loss at 1 m, 20 log10(4 pi d0 f / c) (31.2 dB at 868 MHz). n defaults to 2.7, the low end of the 2.7..3.5 range
 * usually quoted for urban areas (Rappaport, Wireless Communications, table 4.2); X is zero-mean Gaussian with
 * sigma `shadowingDb` (default 4 dB), drawn from the scheduler's seeded random per frame and receiver.
 * With 14 dBm, n = 2.7 and no shadowing, SF7 reaches about 9 km and SF12 about 27 km: open-field figures. Raise n
 * (3.5 for dense streets) or add `extraLossDb` (walls, a sensor in a manhole) for a harder town.
 *
 * Noise floor: -174 dBm/Hz + 10 log10(BW) + NF, NF = 6 dB (Semtech's SX127x driver uses 6 dB above 525 MHz).
 * A frame is demodulated when its SNR reaches the SF's demodulator limit: SF5 -2.5 dB ... SF12 -20 dB in 2.5 dB
 * steps (the "range of spreading factors" table of the SX1261/2 and SX1276 datasheets). At 125 kHz that puts the
 * sensitivity at -124.5 dBm (SF7) ... -137 dBm (SF12), within 1 dB of the SX1272 datasheet table (RFS_L125:
 * -124, -127, -130, -133, -135, -137 dBm); the SX1276 table (-123 ... -136 dBm) is 1-1.5 dB less sensitive.
 */

export interface Point {
  x: number;
  y: number;
}

export interface PropagationModel {
  /** Path loss exponent n. Default 2.7. */
  pathLossExponent: number;
  /** Sigma of the log-normal shadowing in dB. Default 4; 0 gives exact link budgets. */
  shadowingDb: number;
  /** Added to every path (antenna and cable losses minus gains, walls). Default 0. */
  extraLossDb: number;
  /** Receiver noise figure. Default 6 dB. */
  noiseFigureDb: number;
}

export const DEFAULT_PROPAGATION: PropagationModel = {
  pathLossExponent: 2.7,
  shadowingDb: 4,
  extraLossDb: 0,
  noiseFigureDb: 6,
};

const SPEED_OF_LIGHT = 299792458;
/** Reference distance d0 of the log-distance model. */
const REFERENCE_DISTANCE_M = 1;

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Free-space loss at the reference distance, 20 log10(4 pi d0 f / c). */
export function referenceLossDb(freqHz: number): number {
  return 20 * Math.log10((4 * Math.PI * REFERENCE_DISTANCE_M * freqHz) / SPEED_OF_LIGHT);
}

/** Mean path loss in dB (no shadowing); distances below d0 count as d0. */
export function pathLossDb(distanceM: number, freqHz: number, model: PropagationModel): number {
  const d = Math.max(distanceM, REFERENCE_DISTANCE_M);
  return referenceLossDb(freqHz) + 10 * model.pathLossExponent * Math.log10(d / REFERENCE_DISTANCE_M) + model.extraLossDb;
}

/** Thermal noise plus the receiver's noise figure over the channel bandwidth, in dBm. */
export function noiseFloorDbm(bwHz: number, noiseFigureDb: number): number {
  return -174 + 10 * Math.log10(bwHz) + noiseFigureDb;
}

/** The lowest SNR at which the LoRa demodulator still decodes a frame of this spreading factor (SF5..SF12). */
export function demodulationFloorDb(sf: number): number {
  return -2.5 * (sf - 4);
}

/** Sensitivity: the weakest signal that is still decoded. */
export function sensitivityDbm(sf: number, bwHz: number, noiseFigureDb: number = DEFAULT_PROPAGATION.noiseFigureDb): number {
  return noiseFloorDbm(bwHz, noiseFigureDb) + demodulationFloorDb(sf);
}

/** A standard normal sample from two uniform ones (Box-Muller); `random` must return values in [0, 1). */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) is avoided
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
