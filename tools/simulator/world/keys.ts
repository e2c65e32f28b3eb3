/**
 * What a node is provisioned with: the Storage file `ss.keys` (JSON text), written before the firmware is loaded.
 * P2P nodes build ABP frames themselves with the session keys; LoRaWAN nodes hand the OTAA keys to the modem.
 * Keys and EUIs are hex strings, most significant byte first.
 */
import type { P2PSettings } from '../../../firmware/drivers/modem.ts';

/** The Storage file the firmware reads its keys from. */
export const KEYS_FILE = 'ss.keys';

export interface P2pKeys {
  network: 'p2p';
  /** 8 hex digits. */
  devAddr: string;
  /** 32 hex digits each. */
  nwkSKey: string;
  appSKey: string;
  /** The radio settings the node and the gateway module share. */
  p2p: P2PSettings;
}

export interface LoRaWanOtaaKeys {
  network: 'lorawan';
  band: 'EU868';
  activation: 'otaa';
  /** 16 hex digits each. */
  devEui: string;
  appEui: string;
  /** 32 hex digits. */
  appKey: string;
}

export type NodeKeys = P2pKeys | LoRaWanOtaaKeys;

/** Keys for demonstrations and simulations only: published here, so never use them on the air. */
export const DEMO_P2P_KEYS: P2pKeys = {
  network: 'p2p',
  devAddr: '26011BDA',
  nwkSKey: '3B7E151628AED2A6ABF7158809CF4F3C',
  appSKey: '4B7E151628AED2A6ABF7158809CF4F3C',
  p2p: { freqHz: 868100000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 },
};

export const DEMO_LORAWAN_KEYS: LoRaWanOtaaKeys = {
  network: 'lorawan',
  band: 'EU868',
  activation: 'otaa',
  devEui: 'AC1F09FFFE0A1B2C',
  appEui: '70B3D57ED0000001',
  appKey: '2B7E151628AED2A6ABF7158809CF4F3C',
};

