/**
 * RUI3 command text: settings to AT commands, status lines to modem errors, and the redaction that keeps key values
 * out of logs (shared/reference/rak-rui3-at.md).
 */
import type { Band, LoRaWanSettings, ModemError, P2PSettings } from '../modem.ts';

/** Printed after every start and every work-mode change: `Current Work Mode: LoRaWAN.` / `... LoRa P2P.` */
export const BANNER = 'Current Work Mode';

const BAND_CODES: { [band: string]: number } = {
  EU433: 0,
  CN470: 1,
  RU864: 2,
  IN865: 3,
  EU868: 4,
  US915: 5,
  AU915: 6,
  KR920: 7,
  'AS923-1': 8,
  'AS923-2': 9,
  'AS923-3': 10,
  'AS923-4': 11,
  LA915: 12,
};

const SECRET_COMMANDS = ['AT+APPKEY', 'AT+APPSKEY', 'AT+NWKSKEY'];

/** `AT+APPKEY=<redacted>` for a key write or a key query reply; other lines unchanged. Queries (`=?`) stay. */
export function redactSecrets(line: string): string {
  const eq = line.indexOf('=');
  if (eq < 0) return line;
  const name = line.substring(0, eq).toUpperCase();
  if (SECRET_COMMANDS.indexOf(name) < 0 || line.substring(eq + 1) === '?') return line;
  return line.substring(0, eq + 1) + '<redacted>';
}

/** The modem error for an AT link error (an AT_* status, 'timeout' or 'overflow'). */
export function modemError(err: string, waitMs: number | undefined): ModemError {
  if (err === 'timeout') return 'timeout';
  if (err === 'AT_BUSY_ERROR') return waitMs !== undefined ? 'restricted' : 'busy';
  if (err === 'overflow') return 'busy';
  if (err === 'AT_PARAM_ERROR' || err === 'AT_TEST_PARAM_OVERFLOW' || err === 'AT_UNSUPPORTED_BAND') return 'param';
  if (err === 'AT_NO_NETWORK_JOINED') return 'not_joined';
  if (err === 'AT_MODE_NO_SUPPORT') return 'mode';
  return 'unknown';
}

export function isIntegerIn(n: unknown, min: number, max: number): boolean {
  return typeof n === 'number' && n === Math.floor(n) && n >= min && n <= max;
}

function isHexOfLength(text: unknown, digits: number): boolean {
  return typeof text === 'string' && text.length === digits && /^[0-9A-Fa-f]+$/.test(text);
}

/** The commands that apply the settings, in an order RUI3 accepts (band first: it resets band-dependent values),
 * or undefined when a value is out of range. */
export function loRaWanCommands(s: LoRaWanSettings): string[] | undefined {
  const band = BAND_CODES[s.band as Band];
  if (typeof band !== 'number' || (s.activation !== 'otaa' && s.activation !== 'abp')) return undefined;
  const out = ['AT+BAND=' + band, 'AT+NJM=' + (s.activation === 'otaa' ? 1 : 0)];
  const keys: [string | undefined, string, number][] = [
    [s.devEui, 'DEVEUI', 16],
    [s.appEui, 'APPEUI', 16],
    [s.appKey, 'APPKEY', 32],
    [s.devAddr, 'DEVADDR', 8],
    [s.appSKey, 'APPSKEY', 32],
    [s.nwkSKey, 'NWKSKEY', 32],
  ];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!k || k[0] === undefined) continue;
    if (!isHexOfLength(k[0], k[2])) return undefined;
    out.push('AT+' + k[1] + '=' + k[0].toUpperCase());
  }
  if (s.deviceClass !== undefined) {
    if (['A', 'B', 'C'].indexOf(s.deviceClass) < 0) return undefined;
    out.push('AT+CLASS=' + s.deviceClass);
  }
  if (s.adr !== undefined) out.push('AT+ADR=' + (s.adr ? 1 : 0));
  if (s.dataRate !== undefined) {
    if (!isIntegerIn(s.dataRate, 0, 15)) return undefined;
    out.push('AT+DR=' + s.dataRate);
  }
  if (s.confirmed !== undefined) out.push('AT+CFM=' + (s.confirmed ? 1 : 0));
  return out;
}

/** `AT+P2P=freq:sf:bw:cr:preamble:txpower` (RUI3 counts the coding rate from 0 = 4/5), or undefined when out of range. */
export function p2pCommand(s: P2PSettings): string | undefined {
  const ok =
    isIntegerIn(s.freqHz, 150000000, 960000000) &&
    isIntegerIn(s.sf, 5, 12) &&
    [125, 250, 500].indexOf(s.bwKhz) >= 0 &&
    isIntegerIn(s.cr, 1, 4) &&
    isIntegerIn(s.preamble, 5, 65535) &&
    isIntegerIn(s.txPowerDbm, 5, 22);
  if (!ok) return undefined;
  return 'AT+P2P=' + [s.freqHz, s.sf, s.bwKhz, s.cr - 1, s.preamble, s.txPowerDbm].join(':');
}
