/** What the TTS and ChirpStack parsers share: the result type, strict base64, timestamps, rejections. */
import type { z } from 'zod';
import { buildRejection, toHex, type RejectionFields } from '../../lorawan/rejection.ts';
import type { NetworkUplink, Rejection, RxInfo } from '../../types.ts';

export type NetworkInput = NetworkUplink['input'];

export type ParseResult = { ok: true; uplink: NetworkUplink } | { ok: false; rejection: Rejection };

export interface ParseOptions {
  /** Clock for rejections and for uplinks without any network time (default: the host clock). */
  now?: () => Date;
  /** Names the source in rejections when no gateway is known, e.g. the configured integration id. */
  sourceId?: string;
}

/** An 'input-malformed' rejection of a network message; `raw` is the MQTT payload as received, hex (truncated). */
export function reject(
  input: NetworkInput,
  detail: string,
  payload: Uint8Array,
  opts: ParseOptions,
  known: Omit<RejectionFields, 'raw'> = {},
): ParseResult {
  const heard = { input, gatewayId: opts.sourceId ?? input, receivedAt: (opts.now ?? (() => new Date()))().toISOString() };
  return { ok: false, rejection: buildRejection(heard, 'input-malformed', detail, { ...known, raw: toHex(payload) }) };
}

/** The JSON value of an MQTT payload, or why it is not JSON. */
export function parseJson(payload: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** First schema issue as `path: message`. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid message';
  const path = issue.path.map(String).join('.');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path || 'message'}: ${issue.message}${more}`;
}

/**
 * Strict base64 (standard or URL-safe alphabet, padding optional): Buffer.from would silently skip bad characters
 * and decode a corrupted payload into plausible bytes.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (text.length !== body.length && text.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(body, 'base64')); // Node's base64 decoder reads both alphabets
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339 with any fraction (the networks send nanoseconds) to ISO 8601 UTC with milliseconds. */
export function normalizeTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = ((m[2] ?? '') + '000').slice(0, 3);
  const t = Date.parse(`${m[1]}.${ms}${m[3]!.toUpperCase()}`);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** DevEUI / DevAddr in the bridge's form: lower-case hex of the given length, or undefined. */
export function hexId(text: string | undefined, digits: number): string | undefined {
  return text !== undefined && new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(text) ? text.toLowerCase() : undefined;
}

/** Receive time and its clock: GPS time from the gateway, else the network's time, else the host clock. */
export function receiveTime(
  gps: string | undefined,
  network: string | undefined,
  opts: ParseOptions,
): Pick<RxInfo, 'receivedAt' | 'clock' | 'clockSynced'> {
  if (gps) return { receivedAt: gps, clock: 'gateway-gps', clockSynced: null };
  if (network) return { receivedAt: network, clock: 'network', clockSynced: null };
  return { receivedAt: (opts.now ?? (() => new Date()))().toISOString(), clock: 'bridge', clockSynced: null };
}

/** Runs a parser so that nothing escapes: an unexpected exception becomes a rejection naming it. */
export function guarded(input: NetworkInput, payload: Uint8Array, opts: ParseOptions, parse: () => ParseResult): ParseResult {
  try {
    return parse();
  } catch (error) {
    return reject(input, `parser failed: ${error instanceof Error ? error.message : String(error)}`, payload, opts);
  }
}
