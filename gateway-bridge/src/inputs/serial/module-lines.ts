/**
 * What one line from a RAK module means, whichever module printed it: the shared vocabulary of the line parsers
 * (rui3-lines.ts, rak811-lines.ts). A parser turns one framed line (line-framer.ts) into zero or more of these; it
 * never throws, whatever bytes the line holds.
 */
import type { P2PPacket } from '../../../../firmware/drivers/modem.ts';
import type { RejectReason } from '../../types.ts';

/** The rejections a line parser can decide on its own; the LoRaWAN stage decides the rest. */
export type LineRejectReason = Extract<RejectReason, 'line-garbage' | 'line-too-long' | 'hex-invalid'>;

export interface LineRejection {
  reason: LineRejectReason;
  /** One line for people. */
  detail: string;
}

/** Events the bridge acts on; everything else a module announces is 'other'. */
export type ModuleEvent = 'tx-done' | 'receive-error' | 'receive-timeout' | 'other';

export type ModuleLine =
  /** A LoRa packet the module heard. */
  | { kind: 'packet'; packet: P2PPacket }
  /** A line (or, for the two-line RUI3 form, a pair) that was refused; `line` is what was refused. */
  | { kind: 'rejected'; rejection: LineRejection; line: string }
  /** The end of a command's reply: OK or an error (AT_BUSY_ERROR, `ERROR: 80`, ...). */
  | { kind: 'status'; ok: boolean; text: string }
  | { kind: 'event'; event: ModuleEvent; text: string }
  /** The module (re)started; `p2p` is its work mode when the banner says it. */
  | { kind: 'banner'; p2p: boolean | null; text: string }
  /** A reply value or information line (`AT+NWM=0`, `P2P_RX_ON`, a RAK811 info line). */
  | { kind: 'text'; text: string };

export interface ModuleLineParser {
  /** Classifies one line (without its line ending). */
  parse(line: string): ModuleLine[];
  /** What a half-finished multi-line item becomes when the stream ends (the port closed). */
  flush(): ModuleLine[];
}

/**
 * The longest line the bridge reads. A RUI3 P2P receive line is at most 531 characters: `+EVT:RXP2P:-NNN:-NN:` and
 * the hex of 255 bytes (the SX126x FIFO limit), and RAK811 lines are at most 255. 600 leaves room for a longer
 * RSSI field and still bounds the memory a babbling or mis-clocked port can take.
 */
export const MAX_LINE_LENGTH = 600;

/** How much of a refused line a detail quotes. */
const QUOTE_CHARS = 48;

/** A short, printable, quoted excerpt of a line for a rejection's detail. */
export function quote(text: string, max = QUOTE_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  // JSON.stringify escapes control characters but leaves other non-ASCII; escape those too
  const escaped = JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return text.length > max ? escaped + '...' : escaped;
}

export function rejected(reason: LineRejectReason, detail: string, line: string): ModuleLine {
  return { kind: 'rejected', rejection: { reason, detail }, line };
}

export function tooLong(length: number, head: string): ModuleLine {
  return rejected('line-too-long', `line of ${length} characters (the limit is ${MAX_LINE_LENGTH}): ${quote(head)}`, head);
}

/** The first character outside printable ASCII, as a detail, or undefined when the line is clean. */
export function nonPrintable(line: string): string | undefined {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return `non-printable byte 0x${c.toString(16).padStart(2, '0')} at column ${i + 1}: ${quote(line)}`;
  }
  return undefined;
}

/** The checks every line gets before its grammar: length and printable characters. */
export function precheck(line: string): ModuleLine | undefined {
  if (line.length > MAX_LINE_LENGTH) return tooLong(line.length, line.slice(0, MAX_LINE_LENGTH));
  const bad = nonPrintable(line);
  return bad === undefined ? undefined : rejected('line-garbage', bad, line);
}

const HEX_DIGIT = /[0-9A-Fa-f]/;

/** Why `hex` is not a packet's payload (of `expectedBytes` bytes when the line says so), or undefined when it is. */
export function hexProblem(hex: string, expectedBytes?: number): string | undefined {
  if (hex.length === 0) return 'no payload hex';
  for (let i = 0; i < hex.length; i++) {
    if (!HEX_DIGIT.test(hex.charAt(i))) return `non-hex character ${quote(hex.charAt(i))} at position ${i + 1} of the payload`;
  }
  if (hex.length % 2 !== 0) return `odd number of hex digits (${hex.length}): truncated or corrupted payload`;
  if (expectedBytes !== undefined && hex.length / 2 !== expectedBytes) {
    return `length field says ${expectedBytes} bytes, the hex holds ${hex.length / 2}`;
  }
  return undefined;
}

const INTEGER = /^-?[0-9]{1,4}$/;

/** RSSI and SNR as printed (small integers), or a detail saying which is wrong. */
export function signalFields(rssi: string, snr: string): { rssi: number; snr: number } | string {
  if (!INTEGER.test(rssi)) return `RSSI is not an integer: ${quote(rssi)}`;
  if (!INTEGER.test(snr)) return `SNR is not an integer: ${quote(snr)}`;
  return { rssi: Number(rssi), snr: Number(snr) };
}
