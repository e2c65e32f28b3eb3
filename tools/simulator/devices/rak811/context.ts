/** What the LoRaWAN MAC and the P2P radio of the simulated RAK811 get from the module around them, and its flash. */
import type { RadioFrame } from '../../contracts.ts';

export interface Rak811Stats {
  /** Command lines handled (unknown ones included). */
  commands: number;
  unknownCommands: number;
  reboots: number;
  framesSent: number;
  airtimeMs: number;
  joinRequests: number;
  joinAccepts: number;
  /** Data frames sent (retransmissions included). */
  uplinks: number;
  /** Downlink frames for this device (a bare ACK included). */
  downlinks: number;
  /** Sends refused with ERROR: 90. */
  restricted: number;
  p2pSent: number;
  p2pReceived: number;
  /** Bytes lost while the module woke from sleep. */
  bytesLostWaking: number;
  garbageBytes: number;
}

export function emptyStats(): Rak811Stats {
  return {
    commands: 0,
    unknownCommands: 0,
    reboots: 0,
    framesSent: 0,
    airtimeMs: 0,
    joinRequests: 0,
    joinAccepts: 0,
    uplinks: 0,
    downlinks: 0,
    restricted: 0,
    p2pSent: 0,
    p2pReceived: 0,
    bytesLostWaking: 0,
    garbageBytes: 0,
  };
}

/**
 * What survives a restart (the manual's `lora:default_parameters` restores the network part): the work mode, the
 * LoRaWAN settings with the keys, the P2P settings, and the uplink and DevNonce counters. Defaults per the RAK811
 * AT command manual: LoRaWAN mode, EU868, OTAA, class A, unconfirmed, ADR on, duty cycle off, no repeats;
 * P2P 869525000 Hz, SF12, 125 kHz, 4/5, preamble 8, 20 dBm.
 */
export interface Rak811Flash {
  /** 0 LoRaWAN, 1 LoRa P2P. */
  workMode: number;
  region: string;
  devEui: string;
  appEui: string;
  appKey: string;
  devAddr: string;
  appsKey: string;
  nwksKey: string;
  /** 0 OTAA, 1 ABP. */
  joinMode: number;
  /** 0 A, 1 B, 2 C. */
  deviceClass: number;
  confirm: number;
  dr: number;
  adr: number;
  txPower: number;
  dutyCycle: number;
  /** lora:send_repeat_cnt: retransmissions of an unacknowledged confirmed uplink, 0..8. */
  sendRepeat: number;
  fCntUp: number;
  devNonce: number;
  p2p: { freqHz: number; sf: number; bwCode: number; cr: number; preamble: number; powerDbm: number };
}

export function defaultFlash(devEui: string): Rak811Flash {
  return {
    workMode: 0,
    region: 'EU868',
    devEui: devEui.toUpperCase(),
    appEui: '0000000000000000',
    appKey: '00000000000000000000000000000000',
    devAddr: '00000000',
    appsKey: '00000000000000000000000000000000',
    nwksKey: '00000000000000000000000000000000',
    joinMode: 0,
    deviceClass: 0,
    confirm: 0,
    dr: 0,
    adr: 1,
    txPower: 0,
    dutyCycle: 0,
    sendRepeat: 0,
    fCntUp: 0,
    devNonce: 0,
    p2p: { freqHz: 869525000, sf: 12, bwCode: 0, cr: 1, preamble: 8, powerDbm: 20 },
  };
}

/** lorap2p bandwidth codes [manual]: 0 = 125, 1 = 250, 2 = 500 kHz. */
export const P2P_BANDWIDTHS_HZ = [125000, 250000, 500000];

export type FrameParams = Omit<RadioFrame, 'from' | 'startMs'>;

export interface Rak811Context {
  now(): number;
  random(): number;
  readonly flash: Rak811Flash;
  readonly stats: Rak811Stats;
  /** Runs fn after ms, unless the module restarts first. */
  later(ms: number, fn: () => void): void;
  transmit(frame: FrameParams): RadioFrame;
  /** Prints one line (CR LF added). */
  print(line: string): void;
  /** RSSI and SNR as the module prints them: integers, SNR within the SX1276's estimate. */
  report(rssi: number, snr: number): { rssi: number; snr: number };
}
