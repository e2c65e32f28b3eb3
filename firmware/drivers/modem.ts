/**
 * The LoRa modem as the apps see it. The RUI3 driver (RAK3172) implements it; a RAK811 driver can implement it too.
 * Error-first callbacks in the EspruinoDocs style (devices/RN2483.js); errors are short codes, never exceptions.
 */
import type { Logger } from './at-line.ts';

/**
 * timeout: the modem did not answer (after a few in a row the driver resets it and recovers);
 * busy: the modem or the driver is busy, try again later; param: a value was rejected;
 * not_joined: the modem has no network session (the driver rejoins); no_network: every join attempt failed;
 * restricted: the duty cycle blocks sending, the result's waitMs says for how long; send_failed: a confirmed
 * uplink was not acknowledged; mode: the command needs the other work mode (LoRaWAN / P2P); unknown: anything else.
 */
export type ModemError = 'timeout' | 'busy' | 'param' | 'not_joined' | 'no_network' | 'restricted' | 'send_failed' | 'mode' | 'unknown';

export type ModemCallback = (err: ModemError | null) => void;

export type Band =
  | 'EU433'
  | 'CN470'
  | 'RU864'
  | 'IN865'
  | 'EU868'
  | 'US915'
  | 'AU915'
  | 'KR920'
  | 'AS923-1'
  | 'AS923-2'
  | 'AS923-3'
  | 'AS923-4'
  | 'LA915';

/** Keys and EUIs are hex strings, most significant byte first; settings left out keep the modem's stored value. */
export interface LoRaWanSettings {
  band: Band;
  activation: 'otaa' | 'abp';
  /** OTAA: 16 hex digits each, appKey 32. */
  devEui?: string;
  appEui?: string;
  appKey?: string;
  /** ABP: devAddr 8 hex digits, session keys 32. */
  devAddr?: string;
  appSKey?: string;
  nwkSKey?: string;
  /** Used when ADR is off (EU868: 0 = SF12 ... 5 = SF7). */
  dataRate?: number;
  adr?: boolean;
  /** Default for send() when its options leave `confirmed` out. */
  confirmed?: boolean;
  deviceClass?: 'A' | 'B' | 'C';
}

/**
 * OTAA join: `rounds` rounds of `attemptsPerRound` join requests (the modem spaces those `retryIntervalS` apart);
 * between rounds the driver waits backoffBaseMs * 2^n (at most backoffMaxMs), with jitter, or longer if the duty
 * cycle demands it. ABP needs no join request: join() only activates the session.
 */
export interface JoinOptions {
  /** Default 5. */
  rounds?: number;
  /** Default 1; 1..256. */
  attemptsPerRound?: number;
  /** Default 8; 7..255. */
  retryIntervalS?: number;
  /** Default 15000. */
  backoffBaseMs?: number;
  /** Default 600000. */
  backoffMaxMs?: number;
}

export interface Downlink {
  port: number;
  bytes: Uint8Array;
  rssi: number;
  snr: number;
}

export interface SendOptions {
  /** Ask the network to acknowledge; default: the configured `confirmed`. */
  confirmed?: boolean;
}

export interface SendResult {
  /** true: a confirmed uplink was acknowledged; false: it was not (err 'send_failed'); unset when unconfirmed. */
  confirmed?: boolean;
  /** A downlink that arrived in this uplink's receive windows (onDownlink listeners get it as well). */
  downlink?: Downlink;
  /** With err 'restricted': how long the duty cycle blocks sending. */
  waitMs?: number;
}

export type DownlinkListener = (port: number, bytes: Uint8Array, rssi: number, snr: number) => void;

export interface P2PSettings {
  /** 150000000 .. 960000000. */
  freqHz: number;
  /** Spreading factor 5 .. 12. */
  sf: number;
  bwKhz: 125 | 250 | 500;
  /** Coding rate 4/(4 + cr): 1 = 4/5 ... 4 = 4/8 (as RadioFrame in tools/simulator/contracts.ts). */
  cr: number;
  /** Preamble length in symbols, 5 .. 65535. */
  preamble: number;
  /** 5 .. 22. */
  txPowerDbm: number;
}

export interface P2PPacket {
  bytes: Uint8Array;
  rssi: number;
  snr: number;
}

/** Counters since the driver started, for the device status message. */
export interface ModemStats {
  commandsSent: number;
  timeouts: number;
  resets: number;
  linesDropped: number;
}

/** What every modem driver's `connect(serial, timers, options)` takes. */
export interface ModemOptions {
  log?: Logger;
  /** Pulls the module's reset pin. Without it the driver resets with a software command (useless if the module hangs). */
  hardReset?: () => void;
  /** For the join backoff jitter; default Math.random. */
  random?: () => number;
}

export interface Modem {
  /**
   * Switches the modem to LoRaWAN if needed and writes the settings; they are re-applied after every reset. A value
   * the modem refuses stops it with 'param'.
   */
  configure(settings: LoRaWanSettings, cb: ModemCallback): void;
  /** cb(null) once joined; cb('no_network') when every round failed. */
  join(options: JoinOptions, cb: ModemCallback): void;
  /**
   * port 1..223, 1..250 bytes. cb once the uplink's receive windows have closed. In EU868 a payload longer than the
   * data rate carries (the configured one with ADR off, else DR0: 51 bytes) is refused with 'param' before sending.
   */
  send(port: number, bytes: Uint8Array | number[], options: SendOptions, cb: (err: ModemError | null, result: SendResult) => void): void;
  onDownlink(listener: DownlinkListener): void;
  /** Switches the modem to LoRa P2P if needed (it reboots) and sets the radio parameters. */
  configureP2P(settings: P2PSettings, cb: ModemCallback): void;
  /** 1..239 bytes. */
  sendP2P(bytes: Uint8Array | number[], cb: ModemCallback): void;
  /** Listens for windowMs (1..65532); cb(null, undefined) when nothing arrived. */
  receiveP2P(windowMs: number, cb: (err: ModemError | null, packet?: P2PPacket) => void): void;
  /** Puts the modem to sleep for ms (>= 1). */
  sleep(ms: number, cb: ModemCallback): void;
  /** Restarts the modem, re-applies the configuration and rejoins if it had joined. */
  reset(cb: ModemCallback): void;
  isJoined(): boolean;
  stats(): ModemStats;
}
