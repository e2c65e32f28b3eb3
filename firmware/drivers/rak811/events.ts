/**
 * The lines a RAK811 (AT firmware V3.x) prints, parsed. Sources:
 * [manual] RAK811 Module / Breakout Board AT Command Manual (rakwireless-docs);
 * [rui] the RUI v3 application source of the RAK811 AT firmware (LoRaReceive_callback, LoRaP2PReceive_callback,
 *   LoRaWANJoined_callback, LoRaWANSendsucceed_callback, LoRaP2PSendsucceed_callback, main);
 * [pyrak811] AmedeeBulle/pyrak811 rak811_v3.py, the V3 Python driver and its tests.
 *
 * - Status: `OK [info]` (also `OK Join Success`, `OK Sleep`, `OK Wake Up`, `OK ` after an uplink) or
 *   `ERROR: <code>` [manual]; older builds print `ERROR: RUI_AT_LORA_INFO_STATUS_JOIN_FAIL 99` [rui]: the last
 *   number counts.
 * - Boot banner, after power-up, a reset, `at+set_config=device:restart` and a work-mode change [manual]:
 *   `RAK811 Version:3.0.0.14.H`, `UART1 work mode: ...`, `LoRa work mode: P2P` (or
 *   `Current work_mode:LoRaWAN, join_mode:OTAA, ...`), ..., then `Initialization OK` ([pyrak811] treats it as the
 *   status of those commands). The work mode is taken from the last line that names it.
 * - LoRaWAN downlink `at+recv=<port>,<rssi>,<snr>,<len>[:<hex>]`; a bare ACK is `at+recv=0,<rssi>,<snr>,0` [manual].
 * - P2P packet `at+recv=<rssi>,<snr>,<len>:<HEX>` [manual, rui].
 * - Anything else (`[LoRa]:Join retry Cnt:1`, help and status text): type ''.
 */
import { fromHex } from '../../../payload-schema/generated/firmware/payload.js';
import type { Downlink, P2PPacket } from '../modem.ts';

export type Rak811Event =
  | { type: '' }
  | { type: 'OK'; info: string }
  | { type: 'ERROR'; code: number }
  | { type: 'BOOT'; p2p: boolean }
  /** A LoRaWAN downlink; port 0 and no bytes: the ACK of a confirmed uplink. */
  | { type: 'RX'; downlink: Downlink }
  | { type: 'RXP2P'; packet: P2PPacket };

const RECV = /^at\+recv=(-?[0-9]+),(-?[0-9]+),(-?[0-9]+)(,([0-9]+))?(:([0-9A-Fa-f]*))?$/;
const ERROR_CODE = /^ERROR[^0-9]*([0-9]+)$/;

/** A parser for one modem's lines: it remembers the work mode the banner named. */
export function eventParser(): (line: string) => Rak811Event {
  let p2p = false;
  return (line) => {
    if (line === 'OK' || line.indexOf('OK ') === 0) return { type: 'OK', info: line.substring(3) };
    if (line.indexOf('ERROR') === 0) {
      const m = ERROR_CODE.exec(line);
      return { type: 'ERROR', code: m ? Number(m[1]) : 0 };
    }
    if (line.indexOf('Initialization OK') === 0) return { type: 'BOOT', p2p: p2p };
    const lower = line.toLowerCase();
    if (lower.indexOf('work mode') >= 0 || lower.indexOf('work_mode') >= 0) {
      if (lower.indexOf('uart') < 0) p2p = lower.indexOf('p2p') >= 0;
      return { type: '' };
    }
    const m = RECV.exec(line);
    if (!m) return { type: '' };
    const hex = m[7] || '';
    // with a port: port, rssi, snr, len; without: rssi, snr, len
    const len = Number(m[5] !== undefined ? m[5] : m[3]);
    if (hex.length !== len * 2) return { type: '' };
    const bytes = fromHex(hex);
    if (m[5] !== undefined) return { type: 'RX', downlink: { port: Number(m[1]), rssi: Number(m[2]), snr: Number(m[3]), bytes: bytes } };
    return { type: 'RXP2P', packet: { rssi: Number(m[1]), snr: Number(m[2]), bytes: bytes } };
  };
}
