/**
 * RUI3 command text (shared/reference/rak-rui3-at.md): settings to AT commands, status lines to modem errors, and
 * the redaction that keeps key values out of logs. Value ranges are the modem's to check (AT_PARAM_ERROR).
 */
import type { LoRaWanSettings, ModemError, P2PSettings } from '../modem.ts';

/** AT+BAND codes are the indexes. */
const BANDS = ['EU433', 'CN470', 'RU864', 'IN865', 'EU868', 'US915', 'AU915', 'KR920', 'AS923-1', 'AS923-2', 'AS923-3', 'AS923-4', 'LA915'];

/** Settings written as `AT+<NAME>=<value>` when given, in this order (after band and join mode). */
const SETTINGS: [keyof LoRaWanSettings, string][] = [
  ['devEui', 'DEVEUI'],
  ['appEui', 'APPEUI'],
  ['appKey', 'APPKEY'],
  ['devAddr', 'DEVADDR'],
  ['appSKey', 'APPSKEY'],
  ['nwkSKey', 'NWKSKEY'],
  ['deviceClass', 'CLASS'],
  ['adr', 'ADR'],
  ['dataRate', 'DR'],
  ['confirmed', 'CFM'],
];

const ERRORS: { [status: string]: ModemError } = {
  AT_BUSY_ERROR: 'busy',
  AT_PARAM_ERROR: 'param',
  AT_UNSUPPORTED_BAND: 'param',
  AT_NO_NETWORK_JOINED: 'not_joined',
  AT_MODE_NO_SUPPORT: 'mode',
};

/** The modem error for an AT_* status line; after a Restricted_Wait line (then AT_BUSY_ERROR) it is 'restricted'. */
export function modemError(status: string, waitMs: number | undefined): ModemError {
  return waitMs !== undefined ? 'restricted' : ERRORS[status] || 'unknown';
}

/**
 * The commands that apply the settings, band first (it resets band-dependent values), or undefined for an unknown
 * band or a text value that is not hex (keys, EUIs and the class letter all are): nothing else may reach the line.
 */
export function loRaWanCommands(s: LoRaWanSettings): string[] | undefined {
  const band = BANDS.indexOf(s.band);
  if (band < 0) return undefined;
  const out = ['AT+BAND=' + band, 'AT+NJM=' + (s.activation === 'abp' ? 0 : 1)];
  for (let i = 0; i < SETTINGS.length; i++) {
    const setting = SETTINGS[i]!;
    const v = s[setting[0]];
    if (v === undefined) continue;
    if (typeof v === 'string' && !/^[0-9A-Fa-f]+$/.test(v)) return undefined;
    out.push('AT+' + setting[1] + '=' + (typeof v === 'boolean' ? (v ? 1 : 0) : String(v).toUpperCase()));
  }
  return out;
}

/** `AT+P2P=freq:sf:bw:cr:preamble:txpower`; RUI3 counts the coding rate from 0 = 4/5. */
export function p2pCommand(s: P2PSettings): string {
  return 'AT+P2P=' + [s.freqHz, s.sf, s.bwKhz, s.cr - 1, s.preamble, s.txPowerDbm].join(':');
}

/**
 * Hides what follows `KEY=` (`AT+APPKEY=`, `AT+APPSKEY=`, `AT+NWKSKEY=`: a key write or a query reply, also inside a
 * log line); `AT+APPKEY=?` stays. No RegExp: this runs on every line.
 */
export function redact(text: string): string {
  const i = text.toUpperCase().indexOf('KEY=') + 4;
  return i < 4 || text.charAt(i) === '?' ? text : text.substring(0, i) + '<redacted>';
}
