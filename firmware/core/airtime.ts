/**
 * LoRa time on air and the EU868 rules that ration it (shared/reference/lorawan.md).
 *
 * Time on air is the Semtech AN1200.13 formula ("LoRa Modem Designer's Guide"):
 *   Tsym = 2^SF / BW, Tpreamble = (Npreamble + 4.25) * Tsym,
 *   payloadSymbols = 8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE))) * (CR + 4), 0).
 * SF5 and SF6 exist only on SX126x radios (RUI3 P2P allows them); for those the SX1261/2 datasheet (6.1.4) gives
 * 6.25 extra preamble symbols and no "+8" in the numerator, which is used here. For SF7..SF12 both formulas agree.
 *
 * Firmware code: plain functions and data, no Math.log10, nothing that Espruino lacks.
 */

import type { P2PSettings } from '../drivers/modem.ts';

export interface LoRaAirtimeParams {
  sf: number;
  bwHz: number;
  /** Coding rate 4/(4 + cr): 1 = 4/5 (default, LoRaWAN) ... 4 = 4/8. */
  cr?: number;
  /** PHY payload bytes: for LoRaWAN the application payload + 13 (LORAWAN_OVERHEAD_BYTES). */
  payloadBytes: number;
  /** Preamble symbols; default 8 (LoRaWAN). */
  preamble?: number;
  /** Payload CRC; default true (uplinks). */
  crc?: boolean;
  /** Default true; false is implicit header mode. */
  explicitHeader?: boolean;
  /** Low data rate optimisation (DE); default on when a symbol lasts 16 ms or more (SF11/SF12 at 125 kHz). */
  lowDataRateOptimize?: boolean;
}

/** MHDR 1 + DevAddr 4 + FCtrl 1 + FCnt 2 + FPort 1 + MIC 4: the bytes a LoRaWAN uplink adds to its payload. */
export const LORAWAN_OVERHEAD_BYTES = 13;

/** Milliseconds per LoRa symbol. */
export function symbolTimeMs(sf: number, bwHz: number): number {
  return (Math.pow(2, sf) * 1000) / bwHz;
}

/** Time on air of one LoRa frame in milliseconds. */
export function timeOnAir(p: LoRaAirtimeParams): number {
  const sf = p.sf;
  const cr = p.cr !== undefined ? p.cr : 1;
  const preamble = p.preamble !== undefined ? p.preamble : 8;
  const crc = p.crc === false ? 0 : 1;
  const implicit = p.explicitHeader === false ? 1 : 0;
  const ldro = p.lowDataRateOptimize !== undefined ? p.lowDataRateOptimize : symbolTimeMs(sf, p.bwHz) >= 16;
  const de = ldro ? 1 : 0;
  let symbols: number;
  if (sf < 7) {
    const bits = 8 * p.payloadBytes + 16 * crc - 4 * sf + 20 * (1 - implicit);
    symbols = preamble + 6.25 + 8 + Math.ceil(Math.max(bits, 0) / (4 * sf)) * (cr + 4);
  } else {
    const bits = 8 * p.payloadBytes - 4 * sf + 28 + 16 * crc - 20 * implicit;
    symbols = preamble + 4.25 + 8 + Math.max(Math.ceil(bits / (4 * (sf - 2 * de))) * (cr + 4), 0);
  }
  // Symbols are multiples of 0.25, so the numerator is an integer and the one division rounds once.
  return (symbols * Math.pow(2, sf) * 1000) / p.bwHz;
}

/** An EU868 sub-band (ETSI EN 300 220 as LoRaWAN uses it) and its duty cycle as a fraction. */
/** Airtime of a P2P frame of `bytes` with these settings, ms. */
export function p2pAirtimeMs(p2p: P2PSettings, bytes: number): number {
  return timeOnAir({ sf: p2p.sf, bwHz: p2p.bwKhz * 1000, cr: p2p.cr, payloadBytes: bytes, preamble: p2p.preamble });
}

export interface SubBand {
  name: string;
  minHz: number;
  maxHz: number;
  dutyCycle: number;
}

/** Checked in this order, edges inclusive, so 868.0 MHz belongs to g1. */
export const EU868_SUB_BANDS: SubBand[] = [
  { name: 'g1', minHz: 868000000, maxHz: 868600000, dutyCycle: 0.01 },
  { name: 'g2', minHz: 868700000, maxHz: 869200000, dutyCycle: 0.001 },
  { name: 'g3', minHz: 869400000, maxHz: 869650000, dutyCycle: 0.1 },
  { name: 'g', minHz: 865000000, maxHz: 868000000, dutyCycle: 0.01 },
];

/** Index into EU868_SUB_BANDS of the sub-band holding freqHz, or -1 outside all of them. */
export function subBandIndex(freqHz: number): number {
  for (let i = 0; i < EU868_SUB_BANDS.length; i++) {
    const band = EU868_SUB_BANDS[i]!;
    if (freqHz >= band.minHz && freqHz <= band.maxHz) return i;
  }
  return -1;
}

/** The three channels every EU868 device knows (all in g1). */
export const EU868_DEFAULT_CHANNELS_HZ: number[] = [868100000, 868300000, 868500000];

/** RX2 (and the join accept's second window): 869.525 MHz at DR0. */
export const EU868_RX2_FREQ_HZ = 869525000;

export interface DataRate {
  sf: number;
  bwHz: number;
  /** Largest application payload (FRMPayload) in bytes, LoRaMac-node RegionEU868.h without repeater. */
  maxPayload: number;
}

/** DR0..DR5: SF12..SF7 at 125 kHz. */
export const EU868_DATA_RATES: DataRate[] = [
  { sf: 12, bwHz: 125000, maxPayload: 51 },
  { sf: 11, bwHz: 125000, maxPayload: 51 },
  { sf: 10, bwHz: 125000, maxPayload: 51 },
  { sf: 9, bwHz: 125000, maxPayload: 115 },
  { sf: 8, bwHz: 125000, maxPayload: 242 },
  { sf: 7, bwHz: 125000, maxPayload: 242 },
];

/** Time on air of a LoRaWAN frame of `phyPayloadBytes` at EU868 data rate `dr` (8 symbols preamble, CR 4/5, CRC). */
export function uplinkAirtime(phyPayloadBytes: number, dr: number): number {
  const rate = EU868_DATA_RATES[dr];
  if (!rate) return NaN;
  return timeOnAir({ sf: rate.sf, bwHz: rate.bwHz, payloadBytes: phyPayloadBytes });
}

/** How long a sub-band stays closed after a frame: ToA / dutyCycle - ToA (1 % -> 99 times the airtime). */
export function offTimeAfter(airtimeMs: number, dutyCycle: number): number {
  return airtimeMs / dutyCycle - airtimeMs;
}
