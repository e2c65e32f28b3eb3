/**
 * Lines of a RAK811 module with AT firmware V3.x in LoRa P2P mode (shared/reference/rak-rui3-at.md, RAK811 section):
 *
 * - `at+recv=<rssi>,<snr>,<len>:<hex>` is a packet; the length field must match the hex ('hex-invalid' otherwise).
 *   The LoRaWAN form with a port in front (`at+recv=<port>,<rssi>,<snr>,<len>[:<hex>]`) means the module is not in
 *   P2P mode: 'line-garbage'.
 * - `OK [info]` and `Initialization OK` (printed when a work-mode change has restarted the module) are successes,
 *   `ERROR: <code>` a failure.
 * - `LoRa work mode: P2P` / `LoRa work mode:LoRaWAN, ...` is the boot banner's: the module (re)started, in sender mode
 *   (deaf) when in P2P, so the bridge sets it up again.
 * - RAK811 prints free-form information (`RAK811 Version:3.0.0.14.H`, `UART1 work mode: ...`, `Current work_mode:P2P`),
 *   so other printable lines are text, except what looks like a receive line cut short at its start (only the
 *   characters of its tail: hex, `-`, `,`, `:`; or `recv=`; or ending in its `rssi,snr,len:hex` fields), which is
 *   'line-garbage'.
 */
import { hexProblem, type ModuleLine, type ModuleLineParser, precheck, quote, rejected, signalFields } from './module-lines.ts';
import { fromHex } from '../../../../payload-schema/generated/firmware/payload.js';

const RECV = 'at+recv=';
/** What is left of `at+recv=-60,10,4:AABBCCDD` when its start is cut off: only its tail's characters, or its fields. */
const TAIL_OF_RECV = /^[-0-9A-Fa-f,:]+$|recv=|-?[0-9]+,-?[0-9]+,[0-9]+(:[0-9A-Fa-f]*)?$/;
const LENGTH = /^[0-9]{1,3}$/;
/** The boot banner's work-mode line (V3.0.0.14.H; pyrak811's rak811_v3 tests). */
const BANNER_WORK_MODE = /^LoRa work mode\s*:\s*(P2P|LoRaWAN)?/i;

/** RAK811 V3 error codes (RAK811 AT command manual, pyrak811). */
const ERRORS: Record<number, string> = {
  1: 'unsupported AT command',
  2: 'invalid parameter',
  3: 'flash read/write error',
  5: 'UART send error',
  80: 'LoRa busy',
  81: 'LoRa service unknown',
  82: 'invalid LoRa parameters',
  83: 'invalid LoRa frequency',
  86: 'not joined',
  87: 'packet too long',
  90: 'duty cycle restricted',
  94: 'LoRa transmit timeout',
  101: 'payload too large for the data rate',
};

/** `ERROR: 80` -> `ERROR: 80 (LoRa busy)`. */
export function describeRak811Status(text: string): string {
  const code = /^ERROR\s*:?\s*(-?[0-9]+)/.exec(text);
  const meaning = code ? ERRORS[Number(code[1])] : undefined;
  return meaning ? `${text} (${meaning})` : text;
}

export class Rak811LineParser implements ModuleLineParser {
  parse(line: string): ModuleLine[] {
    const bad = precheck(line);
    if (bad) return [bad];
    if (line.slice(0, RECV.length).toLowerCase() === RECV) return [receiveLine(line)];
    if (line === 'OK' || line.startsWith('OK ') || line.startsWith('Initialization OK')) return [{ kind: 'status', ok: true, text: line }];
    if (line.startsWith('ERROR')) return [{ kind: 'status', ok: false, text: line }];
    const banner = BANNER_WORK_MODE.exec(line);
    if (banner) return [{ kind: 'banner', p2p: banner[1] === undefined ? null : banner[1].toUpperCase() === 'P2P', text: line }];
    if (TAIL_OF_RECV.test(line)) {
      return [rejected('line-garbage', `looks like the tail of an at+recv line (its start was cut off): ${quote(line)}`, line)];
    }
    return [{ kind: 'text', text: line }];
  }

  flush(): ModuleLine[] {
    return [];
  }
}

function receiveLine(line: string): ModuleLine {
  const rest = line.slice(RECV.length);
  const colon = rest.indexOf(':');
  const head = colon < 0 ? rest : rest.slice(0, colon);
  const hex = colon < 0 ? '' : rest.slice(colon + 1);
  const fields = head.split(',');
  if (fields.length === 4) {
    return rejected('line-garbage', `LoRaWAN downlink line (port,rssi,snr,len): the module is not in P2P mode: ${quote(line)}`, line);
  }
  if (fields.length !== 3) return rejected('line-garbage', `at+recv line with ${fields.length} fields, expected rssi,snr,len: ${quote(line)}`, line);
  const signal = signalFields(fields[0]!, fields[1]!);
  if (typeof signal === 'string') return rejected('line-garbage', `at+recv line: ${signal}`, line);
  if (!LENGTH.test(fields[2]!)) return rejected('line-garbage', `at+recv line: length is not a number: ${quote(fields[2]!)}`, line);
  const problem = hexProblem(hex, Number(fields[2]));
  if (problem !== undefined) return rejected('hex-invalid', `at+recv line: ${problem}`, line);
  return { kind: 'packet', packet: { bytes: fromHex(hex), rssi: signal.rssi, snr: signal.snr } };
}
