/**
 * RUI3 `+EVT:` lines as typed events (shared/reference/rak-rui3-at.md), including the older spellings:
 * `+EVT:JOIN FAILED`, `+EVT: SEND CONFIRMED OK`, `+EVT:TXP2P DONE` and the two-line P2P receive
 * (`+EVT:RXP2P, RSSI -60, SNR 11` then `+EVT:AABBCCDD`).
 */
import { fromHex } from '../../../payload-schema/generated/firmware/payload.js';

export type Rui3Event =
  | { type: 'joined' }
  | { type: 'join_failed'; reason: string }
  | { type: 'tx_done' }
  | { type: 'confirmed'; ok: boolean }
  | { type: 'downlink'; slot: string; multicast: boolean; port: number; bytes: Uint8Array; rssi: number; snr: number }
  | { type: 'p2p_tx_done' }
  | { type: 'p2p_rx'; bytes: Uint8Array; rssi: number; snr: number }
  | { type: 'p2p_rx_timeout' }
  | { type: 'p2p_rx_error' }
  | { type: 'other'; text: string };

const INTEGER = /^-?[0-9]+$/;
const HEX = /^[0-9A-Fa-f]+$/;
const OLD_P2P_HEADER = /^RXP2P, *RSSI *(-?[0-9]+), *SNR *(-?[0-9]+)$/;

function toInt(text: string | undefined): number | undefined {
  return text !== undefined && INTEGER.test(text) ? parseInt(text, 10) : undefined;
}

/** Bytes of a non-empty, even-length hex string, else undefined. */
export function hexBytes(text: string | undefined): Uint8Array | undefined {
  if (text === undefined || text.length % 2 !== 0 || !HEX.test(text)) return undefined;
  return fromHex(text);
}

/** `RX_<slot>:<rssi>:<snr>:UNICAST|MULTICAST:<port>:<hex>` (body after `+EVT:`). */
function parseDownlink(body: string): Rui3Event | undefined {
  const f = body.split(':');
  const slot = (f[0] || '').substring(3);
  const rssi = toInt(f[1]);
  const snr = toInt(f[2]);
  const cast = f[3];
  const port = toInt(f[4]);
  const bytes = hexBytes(f[5]);
  if (f.length !== 6 || ['1', '2', 'B', 'C'].indexOf(slot) < 0 || (cast !== 'UNICAST' && cast !== 'MULTICAST')) return undefined;
  if (rssi === undefined || snr === undefined || port === undefined || port < 0 || port > 255 || !bytes) return undefined;
  return { type: 'downlink', slot, multicast: cast === 'MULTICAST', port, bytes, rssi, snr };
}

/** `RXP2P:<rssi>:<snr>:<HEX>` (body after `+EVT:`). */
function parseP2P(body: string): Rui3Event | undefined {
  const f = body.split(':');
  const rssi = toInt(f[1]);
  const snr = toInt(f[2]);
  const bytes = hexBytes(f[3]);
  if (f.length !== 4 || rssi === undefined || snr === undefined || !bytes) return undefined;
  return { type: 'p2p_rx', bytes, rssi, snr };
}

function keywordEvent(key: string): Rui3Event | undefined {
  if (key === 'JOINED') return { type: 'joined' };
  if (key.indexOf('JOIN_FAILED') === 0) return { type: 'join_failed', reason: key.substring(12) };
  if (key === 'TX_DONE') return { type: 'tx_done' };
  if (key.indexOf('SEND_CONFIRMED_OK') === 0) return { type: 'confirmed', ok: true };
  if (key.indexOf('SEND_CONFIRMED_FAILED') === 0) return { type: 'confirmed', ok: false };
  if (key.indexOf('TXP2P_DONE') === 0) return { type: 'p2p_tx_done' };
  if (key === 'RXP2P_RECEIVE_TIMEOUT') return { type: 'p2p_rx_timeout' };
  if (key === 'RXP2P_RECEIVE_ERROR') return { type: 'p2p_rx_error' };
  return undefined;
}

/** Keeps the state the two-line P2P form needs, so use one parser per modem. */
export class Rui3EventParser {
  private pending: { rssi: number; snr: number } | undefined;

  /** The event of a `+EVT:` line; undefined for other lines. Malformed events come back as 'other'. */
  parse(line: string): Rui3Event | undefined {
    if (line.indexOf('+EVT:') !== 0) return undefined;
    const body = line.substring(5).trim();
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      const bytes = hexBytes(body);
      if (bytes) return { type: 'p2p_rx', bytes, rssi: pending.rssi, snr: pending.snr };
    }
    const header = OLD_P2P_HEADER.exec(body);
    if (header) {
      this.pending = { rssi: parseInt(header[1] || '', 10), snr: parseInt(header[2] || '', 10) };
      return { type: 'other', text: body };
    }
    let event: Rui3Event | undefined;
    if (body.indexOf('RX_') === 0) event = parseDownlink(body);
    else if (body.indexOf('RXP2P:') === 0) event = parseP2P(body);
    else event = keywordEvent(body.toUpperCase().split(' ').join('_'));
    return event || { type: 'other', text: body };
  }
}
