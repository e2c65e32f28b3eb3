/**
 * What a RAK3172 keeps in flash across resets and power cycles: the work mode, keys, LoRaWAN and P2P settings, the
 * uplink counter and the DevNonce counter. Everything else (the network session, the duty-cycle state, a receive in
 * progress) is lost on reset.
 */

export interface P2pSettings {
  freqHz: number;
  /** 5..12. */
  sf: number;
  /** AT+PBW code: 0 = 125, 1 = 250, 2 = 500, 3 = 7.8, 4 = 10.4, 5 = 15.63, 6 = 20.83, 7 = 31.25, 8 = 41.67, 9 = 62.5 kHz. */
  bwCode: number;
  /** AT+PCR: 0 = 4/5 ... 3 = 4/8. */
  cr: number;
  preamble: number;
  txPowerDbm: number;
}

/** LoRa bandwidths in Hz by AT+PBW code. */
export const P2P_BANDWIDTHS_HZ = [125000, 250000, 500000, 7812.5, 10416.67, 15625, 20833.33, 31250, 41666.67, 62500];

export interface Rak3172Nvm {
  /** 0 LoRa P2P, 1 LoRaWAN. */
  nwm: number;
  devEui: string;
  appEui: string;
  appKey: string;
  appSKey: string;
  nwkSKey: string;
  devAddr: string;
  /** 0 ABP, 1 OTAA. */
  njm: number;
  deviceClass: string;
  dr: number;
  adr: number;
  cfm: number;
  band: number;
  /** AT+RETY: retransmissions of an unacknowledged confirmed uplink. */
  retry: number;
  /** AT+JOIN=a:b:c:d as last written. */
  join: { start: number; auto: number; periodS: number; maxRetries: number };
  fCntUp: number;
  devNonce: number;
  p2p: P2pSettings;
}

export const EU868_BAND = 4;

export function defaultNvm(devEui: string, nwm: number): Rak3172Nvm {
  return {
    nwm,
    devEui: devEui.toUpperCase(),
    appEui: '0000000000000000',
    appKey: '00000000000000000000000000000000',
    appSKey: '00000000000000000000000000000000',
    nwkSKey: '00000000000000000000000000000000',
    devAddr: '00000000',
    njm: 1,
    deviceClass: 'A',
    dr: 0,
    adr: 1,
    cfm: 0,
    band: EU868_BAND,
    retry: 0,
    join: { start: 0, auto: 0, periodS: 8, maxRetries: 0 },
    fCntUp: 0,
    devNonce: 0,
    p2p: { freqHz: 868000000, sf: 7, bwCode: 0, cr: 0, preamble: 8, txPowerDbm: 14 },
  };
}
