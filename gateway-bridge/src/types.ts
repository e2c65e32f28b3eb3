/**
 * The seams of the gateway bridge. Inputs produce frames, the LoRaWAN stage turns raw frames into accepted frames
 * or rejections, the event stage decodes accepted frames with payload-schema, the outbox stores events durably,
 * outputs publish them. Every stage is a small module that meets the others only through these types; the wiring
 * lives in bridge.ts alone.
 */
import type { DecodedObject } from '../../payload-schema/src/codec.ts';

/** Where a receive timestamp came from. */
export type ClockSource =
  /** The bridge host's clock; `clockSynced` says whether NTP had synchronised it. */
  | 'bridge'
  /** The network server's `received_at` (TTN, ChirpStack). */
  | 'network'
  /** A GPS-disciplined gateway timestamp from the network's rx metadata. */
  | 'gateway-gps';

export type InputKind = 'serial' | 'ttn' | 'chirpstack';

/** Where a refused frame, line or request came from: an input, or a downlink asked for on `<device>/down`. */
export type RejectionSource = InputKind | 'downlink';

/** How one receiver heard one frame. */
export interface RxInfo {
  /** Serial input id (config `serial[].id`) or the network's gateway id. */
  gatewayId: string;
  input: InputKind;
  rssi: number;
  snr: number;
  /** ISO 8601 with milliseconds, UTC. */
  receivedAt: string;
  clock: ClockSource;
  /** For clock 'bridge': whether the host clock was NTP-synchronised; null when unknown. */
  clockSynced: boolean | null;
  frequencyHz?: number;
  spreadingFactor?: number;
}

/** A raw LoRaWAN PHYPayload from a serial module in P2P receive mode. */
export interface RawFrame {
  phyPayload: Uint8Array;
  rx: RxInfo;
}

/** An application payload a network server already checked and decrypted (TTN, ChirpStack). */
export interface NetworkUplink {
  input: 'ttn' | 'chirpstack';
  devEui: string;
  /** The network's device id (TTN device_id, ChirpStack deviceName). */
  networkDeviceId: string;
  devAddr?: string;
  fCnt: number;
  fPort: number;
  payload: Uint8Array;
  confirmed: boolean;
  /** Best first. */
  rx: RxInfo[];
}

export type DeviceType = 'parkingBay' | 'garageCounter' | 'roadClimate' | 'waterLevel' | 'timeClock' | 'unknown';

/** What the bridge knows of a device (config `devices[]`). Keys are hex strings and never leave the registry. */
export interface DeviceEntry {
  /** Stable id used in topics: [a-z0-9_-]; default the DevEUI in lower case. */
  id: string;
  name: string;
  /** 16 hex digits, lower case. */
  devEui: string;
  /** 8 hex digits, lower case; absent for devices only seen through a network server. */
  devAddr?: string;
  nwkSKey?: string;
  appSKey?: string;
  type: DeviceType;
  location?: { latitude: number; longitude: number; altitude?: number; description?: string };
  /** Expected send interval, seconds: Home Assistant's expire_after is derived from it. */
  sendIntervalS?: number;
  /** Per-device override of the counter-reset policy. */
  counterReset?: CounterResetPolicy;
}

/**
 * What the bridge does when a frame's counter is behind the last accepted one:
 * 'never' rejects it as a replay; 'startup-status' accepts a restart from a low counter only when the frame is a
 * MIC-valid deviceStatus startup message with a real reset reason (docs/gateway-bridge/frame-counters.md).
 */
export type CounterResetPolicy = 'never' | 'startup-status';

export type RejectReason =
  | 'line-garbage'
  | 'line-too-long'
  | 'hex-invalid'
  | 'frame-too-short'
  | 'not-an-uplink'
  | 'lorawan-version'
  | 'unknown-devaddr'
  | 'unknown-deveui'
  | 'mic-mismatch'
  | 'fcnt-replay'
  | 'fcnt-gap'
  | 'payload-invalid'
  | 'unknown-port'
  | 'input-malformed'
  | 'outbox-full';

/** A frame or line the bridge refused. Never carries a key; `raw` is the frame as heard (ciphertext), hex. */
export interface Rejection {
  reason: RejectReason;
  /** One line for people, e.g. "MIC does not match NwkSKey of road-3". */
  detail: string;
  input: RejectionSource;
  gatewayId: string;
  receivedAt: string;
  devAddr?: string;
  devEui?: string;
  device?: string;
  fCnt?: number;
  port?: number;
  /** At most 512 hex characters of what was received. */
  raw?: string;
}

/** A frame that passed the LoRaWAN checks, decrypted. */
export interface AcceptedFrame {
  device: DeviceEntry;
  /** Reconstructed 32-bit counter. */
  fCnt: number;
  fPort: number;
  payload: Uint8Array;
  confirmed: boolean;
  /** True when the frame was accepted as a counter restart (policy 'startup-status'). */
  counterReset: boolean;
  /** Best first. */
  rx: RxInfo[];
  input: InputKind;
}

/** One decoded uplink, as stored in the outbox and published. */
export interface BridgeEvent {
  /** Stable: the same frame heard by two modules or two bridges gets the same id (devEui, fCnt, port, payload). */
  id: string;
  device: { id: string; name: string; devEui: string; devAddr?: string; type: DeviceType; location?: DeviceEntry['location'] };
  port: number;
  /** payload-schema message name, e.g. 'roadClimate'. */
  message: string;
  fCnt: number;
  confirmed: boolean;
  counterReset: boolean;
  /** Decoded with payload-schema, derived values included. */
  data: DecodedObject;
  /** Dotted field path -> UCUM unit, for the fields that have one. */
  units: Record<string, string>;
  /** Decrypted application payload, hex. */
  payloadHex: string;
  /** The best receiver's receive time (ISO 8601). */
  receivedAt: string;
  /** Best first. */
  rx: RxInfo[];
  input: InputKind;
}

/** A downlink asked for on `stadtsensor/<device>/down`, encoded and ready for a serial module. */
export interface DownlinkRequest {
  deviceId: string;
  port: number;
  payload: Uint8Array;
  confirmed: boolean;
}
