/**
 * A tiny LoRaWAN network (one gateway and its network server) for the simulated modems in LoRaWAN mode.
 *
 * - The gateway is a receiver on the radio medium at a position: it hears uplinks (join requests, data frames) on
 *   any 125 kHz channel in 863-870 MHz, SF7..SF12, and is half-duplex (deaf while it transmits).
 * - Joins: a join request whose DevEUI is registered and whose MIC checks out under the registered AppKey is
 *   answered with a join accept in RX1 (5 s after the request ended, same channel and data rate); anything else
 *   gets no answer, so the device's join fails with an RX timeout. A repeated DevNonce is ignored (replay).
 * - Data: uplinks from known DevAddrs are recorded and passed to listeners; a repeated FCnt (a retransmission) is
 *   acknowledged again but recorded as a duplicate. A confirmed uplink is acknowledged, and one queued downlink per
 *   uplink goes out, both in RX1 (1 s after the uplink ended, same channel and data rate).
 * - `lossRate`: the share of uplinks (join requests included) dropped after the radio, e.g. a backhaul that loses
 *   packets; drawn from the scheduler's seeded random.
 * Frames are the simplified LoRaWAN frames of lorawan-frames.ts (no payload encryption). Not modelled: RX2
 * downlinks, ADR and other MAC commands, the gateway's own duty cycle, more than one gateway.
 */
import { timeOnAir } from '../../../firmware/core/airtime.ts';
import type { RadioFrame, RadioMedium, RadioReceiver, Scheduler } from '../contracts.ts';
import {
  buildDataFrame,
  buildJoinAccept,
  FCTRL_ACK,
  isUplink,
  joinRequestMicValid,
  MTYPE,
  mtypeOf,
  parseDataFrame,
  parseJoinRequest,
} from './lorawan-frames.ts';
import type { Point } from './propagation.ts';

export interface NetworkDevice {
  devEui: string;
  /** OTAA: the key join requests are checked with. */
  appKey?: string;
  /** ABP: the device's address; the session exists from the start. */
  devAddr?: string;
}

export interface ReceivedUplink {
  devEui: string;
  devAddr: string;
  /** The 16-bit counter on the air. */
  fCnt: number;
  /** Undefined for an empty frame. */
  port?: number;
  payload: Uint8Array;
  confirmed: boolean;
  rssi: number;
  snr: number;
  freqHz: number;
  sf: number;
  timeMs: number;
  duplicate: boolean;
}

export interface SimulatedNetworkOptions {
  scheduler: Scheduler;
  medium: RadioMedium;
  position: Point;
  /** Radio id of the gateway. Default 'gateway'. */
  id?: string;
  /** Default 14 dBm. */
  txPowerDbm?: number;
  /** Share of uplinks lost after the radio, 0..1. Default 0. */
  lossRate?: number;
  /** Default 0x000013 (The Things Network). */
  netId?: number;
  /** RECEIVE_DELAY1, default 1000 ms. */
  rx1DelayMs?: number;
  /** JOIN_ACCEPT_DELAY1, default 5000 ms. */
  joinAcceptDelayMs?: number;
}

interface Session {
  devEui: string;
  appKey: string | undefined;
  devAddr: string | undefined;
  lastFCnt: number;
  fCntDown: number;
  devNonces: Set<number>;
  queue: { port: number; bytes: Uint8Array }[];
}

export interface NetworkCounters {
  joinRequests: number;
  joinAccepts: number;
  /** Join requests without an answer: unknown DevEUI, wrong MIC, replayed DevNonce. */
  joinsIgnored: number;
  uplinks: number;
  duplicates: number;
  /** Uplinks from an unknown DevAddr. */
  unknownDevices: number;
  /** Dropped by lossRate. */
  lost: number;
  downlinks: number;
  acks: number;
}

export class SimulatedNetwork implements RadioReceiver {
  readonly id: string;
  readonly position: Point;
  lossRate: number;
  readonly uplinks: ReceivedUplink[] = [];
  readonly counters: NetworkCounters = {
    joinRequests: 0,
    joinAccepts: 0,
    joinsIgnored: 0,
    uplinks: 0,
    duplicates: 0,
    unknownDevices: 0,
    lost: 0,
    downlinks: 0,
    acks: 0,
  };
  private readonly scheduler: Scheduler;
  private readonly medium: RadioMedium;
  private readonly txPowerDbm: number;
  private readonly netId: number;
  private readonly rx1DelayMs: number;
  private readonly joinAcceptDelayMs: number;
  private readonly sessions = new Map<string, Session>();
  private readonly listeners: ((uplink: ReceivedUplink) => void)[] = [];
  private readonly stopListening: () => void;
  private transmittingUntil = -Infinity;
  private nextAddress = 1;
  private nextAppNonce = 1;

  constructor(options: SimulatedNetworkOptions) {
    this.scheduler = options.scheduler;
    this.medium = options.medium;
    this.position = { x: options.position.x, y: options.position.y };
    this.id = options.id ?? 'gateway';
    this.txPowerDbm = options.txPowerDbm ?? 14;
    this.lossRate = options.lossRate ?? 0;
    this.netId = options.netId ?? 0x000013;
    this.rx1DelayMs = options.rx1DelayMs ?? 1000;
    this.joinAcceptDelayMs = options.joinAcceptDelayMs ?? 5000;
    this.stopListening = this.medium.listen(this);
  }

  register(device: NetworkDevice): void {
    const devEui = device.devEui.toUpperCase();
    this.sessions.set(devEui, {
      devEui,
      appKey: device.appKey?.toUpperCase(),
      devAddr: device.devAddr?.toUpperCase(),
      lastFCnt: -1,
      fCntDown: 0,
      devNonces: new Set(),
      queue: [],
    });
  }

  unregister(devEui: string): void {
    this.sessions.delete(devEui.toUpperCase());
  }

  /** Queues a downlink for the device's next uplink (class A). */
  queueDownlink(devEui: string, port: number, bytes: Uint8Array): void {
    const session = this.sessions.get(devEui.toUpperCase());
    if (!session) throw new Error(`SimulatedNetwork: unknown device ${devEui}`);
    session.queue.push({ port, bytes: Uint8Array.from(bytes) });
  }

  pendingDownlinks(devEui: string): number {
    return this.sessions.get(devEui.toUpperCase())?.queue.length ?? 0;
  }

  /** The DevAddr of the device's session, or undefined before it has joined. */
  devAddrOf(devEui: string): string | undefined {
    return this.sessions.get(devEui.toUpperCase())?.devAddr;
  }

  onUplink(listener: (uplink: ReceivedUplink) => void): void {
    this.listeners.push(listener);
  }

  /** Takes the gateway off the air. */
  close(): void {
    this.stopListening();
  }

  hears(frame: RadioFrame): boolean {
    return (
      this.scheduler.now() >= this.transmittingUntil &&
      frame.bwHz === 125000 &&
      frame.sf >= 7 &&
      frame.sf <= 12 &&
      frame.freqHz >= 863000000 &&
      frame.freqHz <= 870000000 &&
      isUplink(frame.payload)
    );
  }

  deliver(frame: RadioFrame, rssi: number, snr: number): void {
    if (this.lossRate > 0 && this.scheduler.random() < this.lossRate) {
      this.counters.lost++;
      return;
    }
    if (mtypeOf(frame.payload) === MTYPE.joinRequest) this.handleJoin(frame);
    else this.handleData(frame, rssi, snr);
  }

  private handleJoin(frame: RadioFrame): void {
    this.counters.joinRequests++;
    const req = parseJoinRequest(frame.payload);
    const session = req ? this.sessions.get(req.devEui) : undefined;
    if (!req || !session || !session.appKey || !joinRequestMicValid(frame.payload, session.appKey) || session.devNonces.has(req.devNonce)) {
      this.counters.joinsIgnored++;
      return;
    }
    session.devNonces.add(req.devNonce);
    session.devAddr = this.assignAddress();
    session.lastFCnt = -1;
    session.fCntDown = 0;
    const accept = buildJoinAccept({ appNonce: this.nextAppNonce++ & 0xffffff, netId: this.netId, devAddr: session.devAddr }, session.appKey);
    this.counters.joinAccepts++;
    this.scheduler.after(this.joinAcceptDelayMs, () => this.transmitDownlink(frame, accept));
  }

  private handleData(frame: RadioFrame, rssi: number, snr: number): void {
    const data = parseDataFrame(frame.payload);
    const session = data ? this.sessionByAddress(data.devAddr) : undefined;
    if (!data || !session) {
      this.counters.unknownDevices++;
      return;
    }
    const confirmed = data.mtype === MTYPE.confirmedUp;
    const duplicate = data.fCnt === session.lastFCnt;
    session.lastFCnt = data.fCnt;
    const uplink: ReceivedUplink = {
      devEui: session.devEui,
      devAddr: data.devAddr,
      fCnt: data.fCnt,
      port: data.fPort,
      payload: data.payload,
      confirmed,
      rssi,
      snr,
      freqHz: frame.freqHz,
      sf: frame.sf,
      timeMs: this.scheduler.now(),
      duplicate,
    };
    this.uplinks.push(uplink);
    if (duplicate) this.counters.duplicates++;
    else {
      this.counters.uplinks++;
      for (const listener of this.listeners) listener(uplink);
    }
    const next = duplicate ? undefined : session.queue.shift();
    if (!confirmed && !next) return;
    if (confirmed) this.counters.acks++;
    const reply = buildDataFrame({
      mtype: MTYPE.unconfirmedDown,
      devAddr: data.devAddr,
      fCtrl: confirmed ? FCTRL_ACK : 0,
      fCnt: session.fCntDown++,
      fPort: next?.port,
      payload: next ? next.bytes : new Uint8Array(0),
    });
    this.scheduler.after(this.rx1DelayMs, () => this.transmitDownlink(frame, reply));
  }

  private transmitDownlink(uplink: RadioFrame, payload: Uint8Array): void {
    const now = this.scheduler.now();
    // LoRaWAN downlinks carry no payload CRC.
    const airtimeMs = timeOnAir({ sf: uplink.sf, bwHz: uplink.bwHz, payloadBytes: payload.length, crc: false });
    this.transmittingUntil = now + airtimeMs;
    this.counters.downlinks++;
    this.medium.transmit(
      { from: this.id, freqHz: uplink.freqHz, sf: uplink.sf, bwHz: uplink.bwHz, cr: 1, preamble: 8, txPowerDbm: this.txPowerDbm, payload, startMs: now, airtimeMs },
      this.position,
    );
  }

  private sessionByAddress(devAddr: string): Session | undefined {
    for (const s of this.sessions.values()) if (s.devAddr === devAddr) return s;
    return undefined;
  }

  private assignAddress(): string {
    // NetID 0x13 is type 0: DevAddr = 7-bit NwkID (0x13) in the top bits, here followed by a counter.
    const addr = ((this.netId & 0x7f) << 25) | this.nextAddress++;
    return (addr >>> 0).toString(16).toUpperCase().padStart(8, '0');
  }
}
