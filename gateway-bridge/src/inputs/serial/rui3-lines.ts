/**
 * Lines of a RUI3 module (RAK3172, RAK4631-R, RAK11720) in LoRa P2P mode, as shared/reference/rak-rui3-at.md lists
 * them. Accepted packets and events go through the firmware's own RUI3 event parser (firmware/drivers/rui3/events.ts),
 * so the node firmware, the simulated gateway and the bridge read `+EVT:` lines alike; this module adds why a line is
 * refused, which that parser does not say:
 *
 * - `+EVT:RXP2P:<rssi>:<snr>:<HEX>` is a packet; a malformed one is 'hex-invalid' (odd, non-hex, empty payload) or
 *   'line-garbage' (fields missing or not numbers).
 * - The older two-line form `+EVT:RXP2P, RSSI -60, SNR 11` + `+EVT:AABBCCDD` must come as consecutive lines: a header
 *   whose data line is missing, or a data line without its header (its first line was cut off, e.g. by a reopen),
 *   is 'line-garbage' so the lost packet is counted.
 * - OK and AT_* are statuses; `+EVT:TXP2P DONE`, `+EVT:RXP2P RECEIVE ERROR|TIMEOUT` and other `+EVT:` lines are
 *   events; `Current Work Mode: ...` is the boot banner; query replies (`AT+NWM=0`), help lines, `P2P_RX_ON|OFF`, the
 *   "P2P_RX_ON already" notice, `Restricted_Wait_...` and the lines some builds print at boot (`RAKwireless ...`, a
 *   row of dashes) are text.
 * - Anything else is 'line-garbage': RUI3's output is a closed set, so an unknown line is noise or a line cut short.
 */
import { eventParser, type Rui3Event } from '../../../../firmware/drivers/rui3/events.ts';
import { hexProblem, type ModuleLine, type ModuleLineParser, precheck, quote, rejected, signalFields } from './module-lines.ts';

const STATUS = /^(OK|AT_[A-Z_]+)$/;
const TEXT = /^(AT|P2P_|Restricted_Wait_|RAKwireless)|^-+$/;
const HEADER = /^RXP2P, *RSSI *(-?[0-9]+), *SNR *(-?[0-9]+)$/;
/** A body of letters and digits only: what the data line of the two-line form holds. */
const DATA_BODY = /^[0-9A-Za-z]+$/;
const HEX_BODY = /^[0-9A-Fa-f]+$/;

const EVENTS: Partial<Record<Rui3Event['type'], 'tx-done' | 'receive-error' | 'receive-timeout'>> = {
  TXP2P_DONE: 'tx-done',
  RXP2P_RECEIVE_ERROR: 'receive-error',
  RXP2P_RECEIVE_TIMEOUT: 'receive-timeout',
};

export class Rui3LineParser implements ModuleLineParser {
  private events = eventParser();
  /** The first line of the two-line receive form, until its data line arrives. */
  private header: string | null = null;

  parse(line: string): ModuleLine[] {
    const header = this.header;
    this.header = null;
    const out = this.read(line, header);
    // a header that was not answered by its data line must not pair with a later line in the firmware parser either
    if (header !== null && this.header === null) this.events = eventParser();
    return out;
  }

  flush(): ModuleLine[] {
    const header = this.header;
    this.header = null;
    this.events = eventParser();
    return header === null ? [] : [orphanHeader(header, 'the port closed')];
  }

  private read(line: string, header: string | null): ModuleLine[] {
    const out: ModuleLine[] = [];
    const bad = precheck(line);
    if (bad) {
      if (header !== null) out.push(orphanHeader(header));
      out.push(bad);
      return out;
    }
    const body = line.startsWith('+EVT:') ? line.slice(5).trim() : undefined;
    const event = this.events(line);
    if (event.type === 'RXP2P') {
      // a single-line packet right after a header leaves the header without its data line
      if (header !== null && body !== undefined && !DATA_BODY.test(body)) out.push(orphanHeader(header));
      out.push({ kind: 'packet', packet: event.packet });
      return out;
    }
    if (body !== undefined && body.startsWith('RXP2P,')) {
      if (header !== null) out.push(orphanHeader(header));
      if (HEADER.test(body)) this.header = line;
      else out.push(rejected('line-garbage', `malformed RXP2P header line: ${quote(line)}`, line));
      return out;
    }
    if (header !== null) {
      if (body !== undefined && DATA_BODY.test(body)) {
        const problem = hexProblem(body) ?? 'data line not accepted';
        out.push(rejected('hex-invalid', `two-line RXP2P packet: ${problem}: ${quote(body)}`, `${header} / ${line}`));
        return out;
      }
      out.push(orphanHeader(header));
    }
    out.push(this.classify(line, body, event));
    return out;
  }

  private classify(line: string, body: string | undefined, event: Rui3Event): ModuleLine {
    if (event.type === 'BOOT') return { kind: 'banner', p2p: event.p2p, text: line };
    if (event.type === 'WAIT') return { kind: 'text', text: line };
    const known = EVENTS[event.type];
    if (known) return { kind: 'event', event: known, text: line };
    if (event.type !== '') return { kind: 'event', event: 'other', text: line };
    if (STATUS.test(line)) return { kind: 'status', ok: line === 'OK', text: line };
    if (body !== undefined) {
      if (body.startsWith('RXP2P:')) return this.diagnosePacket(line, body);
      if (HEX_BODY.test(body)) {
        return rejected('line-garbage', `RXP2P data line without its header line (cut off?): ${quote(line)}`, line);
      }
      return { kind: 'event', event: 'other', text: line };
    }
    if (TEXT.test(line)) return { kind: 'text', text: line };
    return rejected('line-garbage', `not a RUI3 line (noise or a line cut short): ${quote(line)}`, line);
  }

  /** Why `+EVT:RXP2P:...` was not a packet. */
  private diagnosePacket(line: string, body: string): ModuleLine {
    const fields = body.slice('RXP2P:'.length).split(':');
    if (fields.length !== 3) {
      return rejected('line-garbage', `RXP2P line with ${fields.length} fields, expected rssi:snr:hex: ${quote(line)}`, line);
    }
    const signal = signalFields(fields[0]!, fields[1]!);
    if (typeof signal === 'string') return rejected('line-garbage', `RXP2P line: ${signal}`, line);
    const problem = hexProblem(fields[2]!) ?? 'payload not accepted';
    return rejected('hex-invalid', `RXP2P line: ${problem}`, line);
  }
}

function orphanHeader(header: string, why = 'its data line did not follow'): ModuleLine {
  return rejected('line-garbage', `RXP2P header line without its data line (${why}): the packet is lost: ${quote(header)}`, header);
}
