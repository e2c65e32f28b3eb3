/**
 * RAK811 (AT firmware V3.x) command text: settings to `at+set_config=...` lines, `ERROR: <code>` to modem errors,
 * and the redaction that keeps keys out of logs. Sources, as cited per fact:
 * [manual] RAK811 Module / Breakout Board AT Command Manual (rakwireless-docs, V3.0.0.14.H),
 * [ref] shared/reference/rak-rui3-at.md ("Legacy RAK811").
 */
import type { LoRaWanSettings, ModemError, P2PSettings } from '../modem.ts';

/** [manual] `at+set_config=lora:region:<region>`: EU433, CN470, IN865, EU868, US915, AU915, KR920, AS923. */
const REGIONS = ['EU433', 'CN470', 'IN865', 'EU868', 'US915', 'AU915', 'KR920'];

/**
 * [manual] "The maximum length is 255 characters which includes the <CR><LF>": the longest command the driver may
 * write. `at+send=lora:223:` leaves (253 - 17) / 2 = 118 payload bytes, `at+send=lorap2p:` (253 - 16) / 2 = 118.
 */
export const MAX_COMMAND_LENGTH = 253;

/** [manual] error code table; 95/96 only end a confirmed uplink that got no ACK (see rak811.ts). */
const ERRORS: { [code: string]: ModemError } = {
  '2': 'param',
  '80': 'busy',
  '81': 'mode',
  '82': 'param',
  '83': 'param',
  '84': 'param',
  '85': 'param',
  '86': 'not_joined',
  '87': 'param',
  '89': 'param',
  '90': 'restricted',
  '91': 'restricted',
  '92': 'restricted',
  '99': 'no_network',
  '101': 'param',
};

export function modemError(code: number): ModemError {
  return ERRORS['' + code] || 'unknown';
}

function set(name: string, value: string | number): string {
  return 'at+set_config=lora:' + name + ':' + value;
}

/**
 * The commands that apply the settings, region first, or undefined for a band the RAK811 lacks or a key that is not
 * hex. [manual] join_mode 0 = OTAA, 1 = ABP (the reverse of RUI3's NJM); class 0 = A, 1 = B, 2 = C; confirm, adr 0/1.
 * The duty cycle is switched on: the module's default is off [manual, lora:dutycycle_enable], and EU868 requires it.
 */
export function loRaWanCommands(s: LoRaWanSettings): string[] | undefined {
  if (REGIONS.indexOf(s.band) < 0) return undefined;
  const out = [set('region', s.band), set('join_mode', s.activation === 'abp' ? 1 : 0)];
  const keys: [string | undefined, string][] = [
    [s.devEui, 'dev_eui'],
    [s.appEui, 'app_eui'],
    [s.appKey, 'app_key'],
    [s.devAddr, 'dev_addr'],
    [s.appSKey, 'apps_key'],
    [s.nwkSKey, 'nwks_key'],
  ];
  for (let i = 0; i < keys.length; i++) {
    const v = keys[i]![0];
    if (v === undefined) continue;
    if (!/^[0-9A-Fa-f]+$/.test(v)) return undefined;
    out.push(set(keys[i]![1], v.toUpperCase()));
  }
  if (s.deviceClass !== undefined) out.push(set('class', 'ABC'.indexOf(s.deviceClass)));
  if (s.adr !== undefined) out.push(set('adr', s.adr ? 1 : 0));
  if (s.dataRate !== undefined) out.push(set('dr', s.dataRate));
  if (s.confirmed !== undefined) out.push(set('confirm', s.confirmed ? 1 : 0));
  if (s.band === 'EU868') out.push(set('dutycycle_enable', 1));
  return out;
}

/**
 * [manual] `at+set_config=lorap2p:<Hz>:<sf>:<bw 0 = 125, 1 = 250, 2 = 500 kHz>:<cr 1 = 4/5 ... 4 = 4/8>:<preamble>:<dBm>`
 * (the coding rate counts as P2PSettings' does).
 */
export function p2pCommand(s: P2PSettings): string {
  return 'at+set_config=lorap2p:' + [s.freqHz, s.sf, [125, 250, 500].indexOf(s.bwKhz), s.cr, s.preamble, s.txPowerDbm].join(':');
}

/**
 * Hides what follows a key's name: `app_key:`, `apps_key:`, `nwks_key:` in a command, `AppKey: ...` in the
 * `at+get_config=lora:status` reply [manual]. No RegExp: this runs on every line.
 */
export function redact(text: string): string {
  const i = text.toLowerCase().indexOf('key');
  if (i < 0) return text;
  const colon = text.indexOf(':', i);
  return colon < 0 ? text : text.substring(0, colon + 1) + '<redacted>';
}
