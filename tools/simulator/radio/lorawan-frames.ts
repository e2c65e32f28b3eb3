/**
 * LoRaWAN 1.0.x PHY payloads as the simulated modem and the simulated network exchange them in LoRaWAN mode.
 *
 * The layouts and lengths are real, so airtime is right: join request 23 bytes, join accept 17, data frames
 * 12 + (1 + N with an FPort). The join request MIC is the real AES-CMAC under the AppKey (so a network that knows a
 * different AppKey ignores the request) and the join accept carries a real MIC too, so only the device it is meant
 * for accepts it. Left out on purpose: the join accept is not encrypted, no session keys are derived, FRMPayload is
 * plaintext and data frames carry a zero MIC. (Real ABP crypto for P2P lives in firmware/core/lorawan-abp.ts.)
 *
 * EUIs, keys and DevAddr are hex strings, most significant byte first (as AT+DEVEUI writes them); on the air they
 * are little-endian.
 */
import { aes128 } from '../../../firmware/core/aes128.ts';
import { aesCmac } from '../../../firmware/core/cmac.ts';
import { fromHex, toHex } from '../../../payload-schema/generated/firmware/payload.js';

export const MTYPE = {
  joinRequest: 0,
  joinAccept: 1,
  unconfirmedUp: 2,
  unconfirmedDown: 3,
  confirmedUp: 4,
  confirmedDown: 5,
} as const;

/** FCtrl bit: acknowledges the last confirmed frame of the other side. */
export const FCTRL_ACK = 0x20;

export function mtypeOf(phy: Uint8Array): number {
  return phy.length > 0 ? phy[0]! >> 5 : -1;
}

export function isUplink(phy: Uint8Array): boolean {
  const t = mtypeOf(phy);
  return t === MTYPE.joinRequest || t === MTYPE.unconfirmedUp || t === MTYPE.confirmedUp;
}

export function isDownlink(phy: Uint8Array): boolean {
  const t = mtypeOf(phy);
  return t === MTYPE.joinAccept || t === MTYPE.unconfirmedDown || t === MTYPE.confirmedDown;
}

function reversed(hex: string): Uint8Array {
  return fromHex(hex).reverse();
}

function hexOfLittleEndian(bytes: Uint8Array): string {
  return toHex(Uint8Array.from(bytes).reverse());
}

function mic(keyHex: string, message: Uint8Array): Uint8Array {
  return aesCmac(aes128(fromHex(keyHex)), message).subarray(0, 4);
}

function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]!);
  return Uint8Array.from(out);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface JoinRequest {
  appEui: string;
  devEui: string;
  devNonce: number;
}

export function buildJoinRequest(req: JoinRequest, appKey: string): Uint8Array {
  const body = concat([[MTYPE.joinRequest << 5], reversed(req.appEui), reversed(req.devEui), [req.devNonce & 0xff, (req.devNonce >> 8) & 0xff]]);
  return concat([body, mic(appKey, body)]);
}

export function parseJoinRequest(phy: Uint8Array): JoinRequest | undefined {
  if (phy.length !== 23 || mtypeOf(phy) !== MTYPE.joinRequest) return undefined;
  return {
    appEui: hexOfLittleEndian(phy.subarray(1, 9)),
    devEui: hexOfLittleEndian(phy.subarray(9, 17)),
    devNonce: phy[17]! | (phy[18]! << 8),
  };
}

export function joinRequestMicValid(phy: Uint8Array, appKey: string): boolean {
  return phy.length === 23 && equalBytes(mic(appKey, phy.subarray(0, 19)), phy.subarray(19));
}

export interface JoinAccept {
  appNonce: number;
  netId: number;
  devAddr: string;
}

export function buildJoinAccept(accept: JoinAccept, appKey: string): Uint8Array {
  const n = accept.appNonce;
  const id = accept.netId;
  // DLSettings 0 (RX1 DR offset 0, RX2 DR0), RxDelay 1 s, no CFList.
  const body = concat([[MTYPE.joinAccept << 5, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff], reversed(accept.devAddr), [0, 1]]);
  return concat([body, mic(appKey, body)]);
}

/** The accept, if its MIC checks out under `appKey` (else it was meant for another device). */
export function parseJoinAccept(phy: Uint8Array, appKey: string): JoinAccept | undefined {
  if (phy.length !== 17 || mtypeOf(phy) !== MTYPE.joinAccept) return undefined;
  if (!equalBytes(mic(appKey, phy.subarray(0, 13)), phy.subarray(13))) return undefined;
  return {
    appNonce: phy[1]! | (phy[2]! << 8) | (phy[3]! << 16),
    netId: phy[4]! | (phy[5]! << 8) | (phy[6]! << 16),
    devAddr: hexOfLittleEndian(phy.subarray(7, 11)),
  };
}

export interface DataFrame {
  mtype: number;
  devAddr: string;
  fCtrl: number;
  /** The 16 bits on the air. */
  fCnt: number;
  /** Absent in a frame without payload (an empty frame, a bare ACK). */
  fPort?: number;
  payload: Uint8Array;
}

export function buildDataFrame(f: DataFrame): Uint8Array {
  const port = f.fPort !== undefined ? [f.fPort] : [];
  return concat([[f.mtype << 5], reversed(f.devAddr), [f.fCtrl & 0xff, f.fCnt & 0xff, (f.fCnt >> 8) & 0xff], port, f.payload, [0, 0, 0, 0]]);
}

export function parseDataFrame(phy: Uint8Array): DataFrame | undefined {
  const mtype = mtypeOf(phy);
  if (mtype < MTYPE.unconfirmedUp || mtype > MTYPE.confirmedDown || phy.length < 12) return undefined;
  const fOptsLen = phy[5]! & 0x0f;
  const portAt = 8 + fOptsLen;
  const frame: DataFrame = {
    mtype,
    devAddr: hexOfLittleEndian(phy.subarray(1, 5)),
    fCtrl: phy[5]!,
    fCnt: phy[6]! | (phy[7]! << 8),
    payload: new Uint8Array(0),
  };
  if (phy.length - 4 > portAt) {
    frame.fPort = phy[portAt]!;
    frame.payload = phy.slice(portAt + 1, phy.length - 4);
  }
  return frame;
}
