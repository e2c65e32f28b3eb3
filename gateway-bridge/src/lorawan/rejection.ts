/** Building Rejection records: the same shape from every stage, never a key, raw data bounded. */
import type { InputKind, RejectReason, Rejection } from '../types.ts';

/** Rejection.raw holds at most this many hex characters (256 bytes: any LoRa frame fits). */
export const RAW_HEX_LIMIT = 512;

export function truncateHex(hex: string, limit = RAW_HEX_LIMIT): string {
  return hex.length <= limit ? hex : hex.slice(0, limit);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Where and when the rejected thing was heard (an RxInfo fits). */
export interface HeardAt {
  input: InputKind;
  gatewayId: string;
  receivedAt: string;
}

export type RejectionFields = Partial<Pick<Rejection, 'devAddr' | 'devEui' | 'device' | 'fCnt' | 'port' | 'raw'>>;

/** A Rejection with only the fields that are known; `raw` is truncated to RAW_HEX_LIMIT. */
export function buildRejection(
  heard: HeardAt,
  reason: RejectReason,
  detail: string,
  fields: RejectionFields = {},
): Rejection {
  const rejection: Rejection = {
    reason,
    detail,
    input: heard.input,
    gatewayId: heard.gatewayId,
    receivedAt: heard.receivedAt,
  };
  if (fields.devAddr !== undefined) rejection.devAddr = fields.devAddr;
  if (fields.devEui !== undefined) rejection.devEui = fields.devEui;
  if (fields.device !== undefined) rejection.device = fields.device;
  if (fields.fCnt !== undefined) rejection.fCnt = fields.fCnt;
  if (fields.port !== undefined) rejection.port = fields.port;
  if (fields.raw !== undefined) rejection.raw = truncateHex(fields.raw);
  return rejection;
}
