/** Uplinks as the world's network side saw them: frame checks first, then the payload codec. */
import { codec, type DecodedObject } from '../../../payload-schema/src/codec.ts';
import type { ReceivedUplink } from '../radio/network.ts';
import type { GatewayFrame } from './p2p-gateway.ts';

export interface WorldUplink {
  /** Virtual time the network side received it (the end of the frame). */
  timeMs: number;
  rssi: number;
  snr: number;
  devAddr: string;
  /** The full frame counter (P2P: rebuilt to 32 bits; LoRaWAN: the 16 bits on the air). */
  fCnt: number;
  fPort: number | undefined;
  /** P2P: the MIC verified under the session keys. LoRaWAN: the network accepted the frame. */
  micOk: boolean;
  /** Name of the payload-schema message of the port, when the payload decoded. */
  message?: string;
  data?: DecodedObject;
  /** Why the frame was rejected ('MIC mismatch', 'repeated FCnt', ...) or why its payload did not decode. */
  error?: string;
  /** True when the frame itself was rejected (as opposed to a payload that did not decode). */
  rejected: boolean;
  /** The decrypted application payload. */
  bytes: Uint8Array;
  /** P2P: the PHYPayload as received. */
  phyPayload?: Uint8Array;
}

function withPayload(base: Omit<WorldUplink, 'message' | 'data' | 'error' | 'rejected'>): WorldUplink {
  // An empty frame or MAC commands only (FPort 0): nothing for the codec.
  if (base.fPort === undefined || base.fPort === 0) return { ...base, rejected: false };
  const decoded = codec.decodeUplink(base.fPort, base.bytes);
  if (!decoded.ok) return { ...base, rejected: false, error: decoded.error.message };
  return { ...base, rejected: false, message: decoded.message.name, data: decoded.data };
}

export function uplinkFromGateway(frame: GatewayFrame): WorldUplink {
  const u = frame.uplink;
  const base = {
    timeMs: frame.timeMs,
    rssi: frame.rssi,
    snr: frame.snr,
    devAddr: u.devAddr,
    fCnt: u.fCnt,
    fPort: u.fPort,
    micOk: u.micOk,
    bytes: u.payload,
    phyPayload: frame.phyPayload,
  };
  if (u.rejected) return { ...base, rejected: true, error: u.rejected };
  return withPayload(base);
}

export function uplinkFromNetwork(uplink: ReceivedUplink): WorldUplink {
  const base = {
    timeMs: uplink.timeMs,
    rssi: uplink.rssi,
    snr: uplink.snr,
    devAddr: uplink.devAddr,
    fCnt: uplink.fCnt,
    fPort: uplink.port,
    micOk: true,
    bytes: uplink.payload,
  };
  if (uplink.duplicate) return { ...base, rejected: true, error: 'repeated FCnt' };
  return withPayload(base);
}
