/**
 * The V3 AT command set of the simulated RAK811: one command line in, its status line out. Source: [manual] the
 * RAK811 Module / Breakout Board AT Command Manual (rakwireless-docs, firmware V3.0.0.14.H), unless noted.
 *
 * Commands start `at+` (either case). A success is `OK [info]`, a failure `ERROR: <code>`: 1 unsupported command,
 * 2 invalid parameter, 80 busy, 81 not supported in the current work mode (the manual's example: `at+join` in P2P),
 * 84 invalid DR, 86 not joined, 87 packet too long, 89 unsupported region, 90 duty cycle, 99 join failed, 101 payload
 * too large for the DR. `at+join` and the sends answer when they are over ('PENDING' here: the MAC or the radio
 * prints the status later); `device:restart` and `lora:work_mode` answer with the boot banner ('REBOOT').
 * Value checks not in the manual, chosen to match the radio: P2P frequency 137..1020 MHz (the SX1276's range), SF
 * 6..12, preamble 5..65535, power 5..20 dBm; hex must have an even number of digits.
 */
import { fromHex } from '../../../../payload-schema/generated/firmware/payload.js';
import type { Rak811Flash } from './context.ts';
import type { Rak811LoRaWan } from './lorawan-mac.ts';
import type { Rak811P2p } from './p2p-radio.ts';

export type CommandResult = string | 'PENDING' | 'REBOOT';

export const VERSION = 'V3.0.0.14.H';
const REGIONS = ['EU433', 'CN470', 'IN865', 'EU868', 'US915', 'AU915', 'KR920', 'AS923'];

export interface CommandHost {
  readonly flash: Rak811Flash;
  mac(): Rak811LoRaWan;
  p2p(): Rak811P2p;
  /** Prints an information line (before the status). */
  print(line: string): void;
  /** Starts the MAC afresh (a region change restarts the LoRaWAN stack). */
  restartMac(): void;
  sleep(): void;
}

const HEX = /^([0-9A-Fa-f]{2})+$/;

function intIn(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

const ERR = (code: number): string => `ERROR: ${code}`;

/** Runs one command line (without CR LF). */
export function runCommand(line: string, host: CommandHost): CommandResult {
  const lower = line.toLowerCase();
  if (lower.indexOf('at+') !== 0) return ERR(1);
  const eq = line.indexOf('=');
  const name = (eq < 0 ? lower.substring(3) : lower.substring(3, eq)).trim();
  const args = eq < 0 ? [] : line.substring(eq + 1).split(':');
  const p2pMode = host.flash.workMode === 1;
  switch (name) {
    case 'version':
      return eq < 0 ? `OK ${VERSION}` : ERR(2);
    case 'help':
      host.print('OK Device AT commands:');
      for (const c of ['at+version', 'at+help', 'at+set_config=device:restart', 'at+set_config=device:sleep:X', 'at+join', 'at+send=lora:X:YYY', 'at+send=lorap2p:XXX'])
        host.print('  ' + c);
      return '';
    case 'join':
      if (eq >= 0) return ERR(2);
      if (p2pMode) return ERR(81);
      return host.mac().join();
    case 'send':
      return send(args, host, p2pMode);
    case 'set_config':
      return setConfig(args, host, p2pMode);
    case 'get_config':
      return getConfig(args, host);
    default:
      return ERR(1);
  }
}

function send(args: string[], host: CommandHost, p2pMode: boolean): CommandResult {
  const kind = (args[0] || '').toLowerCase();
  if (kind === 'lora') {
    const port = intIn(args[1], 1, 223);
    const hex = args[2] || '';
    if (args.length !== 3 || port === undefined || !HEX.test(hex)) return ERR(2);
    if (p2pMode) return ERR(81);
    return host.mac().send(port, fromHex(hex));
  }
  if (kind === 'lorap2p') {
    const hex = args[1] || '';
    if (args.length !== 2 || !HEX.test(hex)) return ERR(2);
    if (!p2pMode) return ERR(81);
    return host.p2p().send(fromHex(hex));
  }
  return ERR(2);
}

function setConfig(args: string[], host: CommandHost, p2pMode: boolean): CommandResult {
  const group = (args[0] || '').toLowerCase();
  const key = (args[1] || '').toLowerCase();
  if (group === 'device') {
    if (key === 'restart' && args.length === 2) return 'REBOOT';
    if (key === 'sleep' && args.length === 3) {
      const on = intIn(args[2], 0, 1);
      if (on === undefined) return ERR(2);
      if (on === 1) {
        host.sleep();
        return 'OK Sleep';
      }
      return 'OK Wake Up';
    }
    return ERR(2);
  }
  if (group === 'lora') return setLoRa(key, args.slice(2), host);
  if (group === 'lorap2p') {
    if (!p2pMode) return ERR(81);
    if (key === 'transfer_mode') {
      const mode = args.length === 3 ? intIn(args[2], 1, 2) : undefined;
      if (mode === undefined) return ERR(2);
      host.p2p().setMode(mode === 1 ? 'receiver' : 'sender');
      return 'OK';
    }
    return setP2p(args.slice(1), host);
  }
  return ERR(2);
}

const KEYS: Record<string, ['devEui' | 'appEui' | 'appKey' | 'devAddr' | 'appsKey' | 'nwksKey', number]> = {
  dev_eui: ['devEui', 16],
  app_eui: ['appEui', 16],
  app_key: ['appKey', 32],
  dev_addr: ['devAddr', 8],
  apps_key: ['appsKey', 32],
  nwks_key: ['nwksKey', 32],
};

const NUMBERS: Record<string, ['joinMode' | 'confirm' | 'adr' | 'txPower' | 'dutyCycle' | 'sendRepeat', number]> = {
  join_mode: ['joinMode', 1],
  confirm: ['confirm', 1],
  adr: ['adr', 1],
  tx_power: ['txPower', 7],
  dutycycle_enable: ['dutyCycle', 1],
  send_repeat_cnt: ['sendRepeat', 8],
};

function setLoRa(key: string, values: string[], host: CommandHost): CommandResult {
  const f = host.flash;
  const value = values[0];
  if (key === 'default_parameters') {
    if (values.length > 0) return ERR(2);
    Object.assign(f, { appEui: '0000000000000000', appKey: '0'.repeat(32), devAddr: '00000000', appsKey: '0'.repeat(32), nwksKey: '0'.repeat(32), joinMode: 0 });
    return 'OK';
  }
  if (values.length !== 1 || value === undefined) return ERR(2);
  if (key === 'work_mode') {
    const mode = intIn(value, 0, 1);
    if (mode === undefined) return ERR(2);
    f.workMode = mode;
    return 'REBOOT';
  }
  if (key === 'region') {
    if (REGIONS.indexOf(value.toUpperCase()) < 0) return ERR(89);
    f.region = value.toUpperCase();
    host.restartMac();
    return 'OK';
  }
  if (key === 'class') {
    // [manual] 1 (class B) "Not supported at this time"
    const c = intIn(value, 0, 2);
    if (c === undefined || c === 1) return ERR(2);
    f.deviceClass = c;
    return 'OK';
  }
  if (key === 'dr') {
    const dr = intIn(value, 0, 5);
    if (dr === undefined) return ERR(84);
    f.dr = dr;
    return 'OK';
  }
  const k = KEYS[key];
  if (k) {
    if (value.length !== k[1] || !HEX.test(value)) return ERR(2);
    // [manual] "All zero value Application EUI ... is not supported and will return error"
    if (k[0] === 'appEui' && /^0+$/.test(value)) return ERR(2);
    f[k[0]] = value.toUpperCase();
    return 'OK';
  }
  const n = NUMBERS[key];
  if (n) {
    const v = intIn(value, 0, n[1]);
    if (v === undefined) return ERR(2);
    f[n[0]] = v;
    return 'OK';
  }
  return ERR(2);
}

/** `lorap2p:<Hz>:<sf>:<bw>:<cr>:<preamble>:<dBm>`. */
function setP2p(values: string[], host: CommandHost): CommandResult {
  if (values.length !== 6) return ERR(2);
  const freqHz = intIn(values[0], 137000000, 1020000000);
  const sf = intIn(values[1], 6, 12);
  const bwCode = intIn(values[2], 0, 2);
  const cr = intIn(values[3], 1, 4);
  const preamble = intIn(values[4], 5, 65535);
  const powerDbm = intIn(values[5], 5, 20);
  if (freqHz === undefined || sf === undefined || bwCode === undefined || cr === undefined || preamble === undefined || powerDbm === undefined) return ERR(2);
  host.flash.p2p = { freqHz, sf, bwCode, cr, preamble, powerDbm };
  return 'OK';
}

function getConfig(args: string[], host: CommandHost): CommandResult {
  const what = args.join(':').toLowerCase();
  const f = host.flash;
  if (what === 'device:status') {
    host.print('OK Board Core:RAK811');
    host.print('MCU:STM32L151CB_A');
    host.print('LoRa chip:SX1276');
    return '';
  }
  if (what === 'lora:status') {
    // the manual's example, abridged: the module prints the keys too
    const lines = [
      `OK Work Mode: ${f.workMode === 1 ? 'LoRaP2P' : 'LoRaWAN'}`,
      `Region: ${f.region}`,
      `Join_mode: ${f.joinMode === 1 ? 'ABP' : 'OTAA'}`,
      `DevEui: ${f.devEui}`,
      `AppEui: ${f.appEui}`,
      `AppKey: ${f.appKey}`,
      `Class: ${'ABC'.charAt(f.deviceClass)}`,
      `Joined Network:${host.mac().joined}`,
      `IsConfirm: ${f.confirm ? 'confirm' : 'unconfirm'}`,
      `AdrEnable: ${f.adr ? 'true' : 'false'}`,
      `Current Datarate: ${f.dr}`,
      `UpLinkCounter: ${f.fCntUp}`,
    ];
    for (const l of lines) host.print(l);
    return '';
  }
  return ERR(2);
}
