/**
 * The lines a RUI3 modem prints on its own, as events (shared/reference/rak-rui3-at.md): `+EVT:` lines, including
 * the older spellings `+EVT:JOIN FAILED`, `+EVT: SEND CONFIRMED OK`, `+EVT:TXP2P DONE` and the two-line P2P receive
 * (`+EVT:RXP2P, RSSI -60, SNR 11` then `+EVT:AABBCCDD`); the boot banner; `Restricted_Wait_<ms>_ms`.
 */
import { fromHex } from '../../../payload-schema/generated/firmware/payload.js';
import { RADIO_LORAWAN } from '../../core/radio.ts';
import type { Downlink, P2PPacket } from '../modem.ts';

/** `+EVT:<keyword>...`, spaces read as underscores. */
const KEYWORDS = ['JOINED', 'JOIN_FAILED', 'TX_DONE', 'SEND_CONFIRMED_OK', 'SEND_CONFIRMED_FAILED', 'TXP2P_DONE', 'RXP2P_RECEIVE_TIMEOUT', 'RXP2P_RECEIVE_ERROR'] as const;

export type Rui3Event =
  /** Any other line (a status, a query reply, a malformed event): type ''. */
  | { type: '' | (typeof KEYWORDS)[number] }
  /** A downlink; slot 1, 2, B or C. */
  | { type: 'RX'; slot: string; downlink: Downlink }
  | { type: 'RXP2P'; packet: P2PPacket }
  /** The banner after every start and work-mode change: `Current Work Mode: LoRaWAN.` / `... LoRa P2P.` */
  | { type: 'BOOT'; p2p: boolean }
  /** `Restricted_Wait_<ms>_ms`: the duty cycle blocks a send or join. */
  | { type: 'WAIT'; waitMs: number };

const HEX = /^[0-9A-Fa-f]+$/;
const RESTRICTED = /^Restricted_Wait_([0-9]+)_ms$/;
const DOWNLINK = /^RX_[12BC]:(-?[0-9]+):(-?[0-9]+):[A-Z]+CAST:([0-9]+):([0-9A-Fa-f]+)$/;
const P2P_PACKET = /^RXP2P:(-?[0-9]+):(-?[0-9]+):([0-9A-Fa-f]+)$/;
const OLD_P2P_HEADER = /^RXP2P, *RSSI *(-?[0-9]+), *SNR *(-?[0-9]+)$/;

/** The packet of a match whose groups 1 and 2 are RSSI and SNR; undefined for an odd number of hex digits. */
function packet(m: string[], hex: string): P2PPacket | undefined {
  return hex.length % 2 === 0 ? { bytes: fromHex(hex), rssi: Number(m[1]), snr: Number(m[2]) } : undefined;
}

/** A parser for one modem's lines: it remembers the first line of the two-line P2P form. */
export function eventParser(): (line: string) => Rui3Event {
  let header: string[] | null = null;
  return (line) => {
    // the duty-cycle wait is LoRaWAN's (AT+SEND, AT+JOIN)
    const wait = RADIO_LORAWAN ? RESTRICTED.exec(line) : null;
    if (wait) return { type: 'WAIT', waitMs: Number(wait[1]) };
    if (line.indexOf('Current Work Mode') >= 0) return { type: 'BOOT', p2p: line.indexOf('P2P') >= 0 };
    if (line.indexOf('+EVT:') !== 0) return { type: '' };
    const body = line.substring(5).trim();
    const previous = header;
    header = OLD_P2P_HEADER.exec(body);
    const p2p = P2P_PACKET.exec(body);
    const p = previous && HEX.test(body) ? packet(previous, body) : p2p ? packet(p2p, p2p[3] || '') : undefined;
    if (p) return { type: 'RXP2P', packet: p };
    const rx = RADIO_LORAWAN ? DOWNLINK.exec(body) : null;
    const d = rx && packet(rx, rx[4] || '');
    if (rx && d) return { type: 'RX', slot: body.charAt(3), downlink: { port: Number(rx[3]), bytes: d.bytes, rssi: d.rssi, snr: d.snr } };
    const key = body.toUpperCase().split(' ').join('_');
    for (let i = 0; i < KEYWORDS.length; i++) {
      const k = KEYWORDS[i];
      if (k && key.indexOf(k) === 0) return { type: k };
    }
    return { type: '' };
  };
}
