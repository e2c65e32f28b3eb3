/** What the LoRaWAN MAC and the P2P radio of the simulated RAK3172 get from the module around them. */
import type { RadioFrame } from '../../contracts.ts';
import type { Rak3172Nvm } from './nvm.ts';

export interface Rak3172Stats {
  /** Command lines processed (including unknown ones). */
  commands: number;
  unknownCommands: number;
  reboots: number;
  /** Frames put on the air in either mode, and their airtime. */
  framesSent: number;
  airtimeMs: number;
  airtimeBySubBand: Record<string, number>;
  joinRequests: number;
  joinAccepts: number;
  /** Data frames sent (retransmissions included). */
  uplinks: number;
  /** Downlink frames received (an ACK without payload included). */
  downlinks: number;
  confirmedOk: number;
  confirmedFailed: number;
  /** Sends and joins refused with Restricted_Wait. */
  restricted: number;
  p2pSent: number;
  p2pReceived: number;
  p2pTimeouts: number;
  garbageBytes: number;
}

export function emptyStats(): Rak3172Stats {
  return {
    commands: 0,
    unknownCommands: 0,
    reboots: 0,
    framesSent: 0,
    airtimeMs: 0,
    airtimeBySubBand: {},
    joinRequests: 0,
    joinAccepts: 0,
    uplinks: 0,
    downlinks: 0,
    confirmedOk: 0,
    confirmedFailed: 0,
    restricted: 0,
    p2pSent: 0,
    p2pReceived: 0,
    p2pTimeouts: 0,
    garbageBytes: 0,
  };
}

export type FrameParams = Omit<RadioFrame, 'from' | 'startMs'>;

export interface ModemContext {
  /** Virtual time and the seeded random of the simulation. */
  now(): number;
  random(): number;
  readonly nvm: Rak3172Nvm;
  readonly stats: Rak3172Stats;
  /** Runs fn after ms, unless the module restarts first. */
  later(ms: number, fn: () => void): void;
  /** Puts a frame on the air now, from the module's position, and counts it. */
  transmit(frame: FrameParams): RadioFrame;
  /** Prints one line (the \r\n is added). */
  print(line: string): void;
  /** RSSI and SNR as the module prints them (integers; SNR capped like a real radio's estimate). */
  report(rssi: number, snr: number): { rssi: number; snr: number };
}
