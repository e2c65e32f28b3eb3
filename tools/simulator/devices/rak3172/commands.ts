/**
 * The RUI3 AT commands the simulated RAK3172 answers (shared/reference/rak-rui3-at.md; argument checks as in RUI3's
 * atcmd_*.c). Each handler checks its arguments, acts, prints a query's `AT+XXX=<value>` line and returns the
 * status the module prints next.
 */
import { fromHex } from '../../../../payload-schema/generated/firmware/payload.js';
import { type AtStatus, isHex, isQuery, parseDecimal, parseDecimalIn } from './at-syntax.ts';
import type { LoRaWanMac } from './lorawan-mac.ts';
import type { P2pRadio } from './p2p-radio.ts';
import type { P2pSettings, Rak3172Nvm } from './nvm.ts';

/** No status line (ATZ), or the status comes later (AT+SLEEP prints OK when the module wakes). */
export type CommandResult = AtStatus | 'NO_STATUS' | 'DEFERRED';

export interface CommandHost {
  readonly nvm: Rak3172Nvm;
  /** The current MAC and P2P radio (both are replaced at every restart). */
  mac(): LoRaWanMac;
  p2p(): P2pRadio;
  readonly version: string;
  readonly bandwidthAsCode: boolean;
  batteryVolts(): number;
  print(line: string): void;
  toggleEcho(): void;
  /** Restarts the module after the status line has gone out. */
  rebootAfterStatus(): void;
  reboot(): void;
  /** Sleeps for ms (undefined: until woken); prints OK on waking. */
  sleep(ms: number | undefined): void;
  /** AT+LPM: sleep by itself whenever idle (RUI3 "low power mode (0 = off, 1 = on)"). */
  lowPowerMode: boolean;
}

export interface CommandSpec {
  usage: string;
  /** R: `=?` only, W: no `=?`, RW: both. */
  access: 'R' | 'W' | 'RW';
  /** Only in this work mode, else AT_MODE_NO_SUPPORT. */
  mode?: 'lorawan' | 'p2p';
  /** A write stores to flash (takes longer). */
  persists?: boolean;
  /** A write is refused while a P2P receive is on. */
  p2pSetting?: boolean;
  run(args: string[], name: string): CommandResult;
}

/** Printed before AT_BUSY_ERROR when a P2P setting is written during a receive (RUI 4/5). */
export const P2P_RX_BUSY_MESSAGE = 'P2P_RX_ON already, please disable P2P RX before setting.';
const KHZ_BY_CODE = [125, 250, 500];

/** Digits only, any count (RUI3's isdigit loop followed by strtoul). */
function digits(text: string | undefined): number | undefined {
  return text !== undefined && /^[0-9]+$/.test(text) ? parseInt(text, 10) : undefined;
}

function flag(text: string | undefined): number | undefined {
  const v = digits(text);
  return v === 0 || v === 1 ? v : undefined;
}

/** AT+PBW: 125, 250, 500 kHz, or a bandwidth code 0..9. */
function bandwidthCode(text: string | undefined): number | undefined {
  const v = parseDecimal(text);
  if (v === undefined) return undefined;
  const byKhz = KHZ_BY_CODE.indexOf(v);
  if (byKhz >= 0) return byKhz;
  return v <= 9 ? v : undefined;
}

export function buildCommands(host: CommandHost): Record<string, CommandSpec> {
  const nvm = (): Rak3172Nvm => host.nvm;

  const show = (name: string, value: string | number): AtStatus => {
    host.print(`${name}=${value}`);
    return 'OK';
  };

  /** A setting read with `=?` and written with one argument that `parse` accepts. */
  const setting = (
    usage: string,
    mode: CommandSpec['mode'],
    get: () => string | number,
    parse: (arg: string | undefined) => number | string | undefined,
    set: (value: number | string) => AtStatus | void,
  ): CommandSpec => ({
    usage,
    access: 'RW',
    mode,
    persists: true,
    run: (args, name) => {
      if (isQuery(args)) return show(name, get());
      const value = args.length === 1 ? parse(args[0]) : undefined;
      if (value === undefined) return 'AT_PARAM_ERROR';
      return set(value) || 'OK';
    },
  });

  const readOnly = (usage: string, mode: CommandSpec['mode'], get: () => string | number): CommandSpec => ({
    usage,
    access: 'R',
    mode,
    run: (args, name) => (isQuery(args) ? show(name, get()) : 'AT_PARAM_ERROR'),
  });

  type KeyField = 'devEui' | 'appEui' | 'appKey' | 'appSKey' | 'nwkSKey' | 'devAddr';
  const key = (field: KeyField, hexDigits: number, usage: string): CommandSpec =>
    setting(
      usage,
      'lorawan',
      () => nvm()[field].toUpperCase(),
      (arg) => (arg !== undefined && arg.length === hexDigits && isHex(arg) ? arg.toUpperCase() : undefined),
      (value) => {
        nvm()[field] = String(value);
      },
    );

  const p2p = (
    usage: string,
    field: keyof P2pSettings,
    parse: (arg: string | undefined) => number | undefined,
    show?: (value: number) => number,
  ): CommandSpec => ({
    ...setting(
      usage,
      'p2p',
      () => (show ? show(nvm().p2p[field]) : nvm().p2p[field]),
      parse,
      (value) => {
        nvm().p2p[field] = Number(value);
      },
    ),
    p2pSetting: true,
  });

  const bandwidthShown = (code: number): number => (host.bandwidthAsCode || code > 2 ? code : KHZ_BY_CODE[code]!);

  return {
    AT: { usage: 'attention', access: 'W', run: () => 'OK' },
    ATZ: {
      usage: 'triggers a reset of the MCU',
      access: 'W',
      run: () => {
        host.reboot();
        return 'NO_STATUS';
      },
    },
    ATE: {
      usage: 'show or hide the AT command input',
      access: 'W',
      run: () => {
        host.toggleEcho();
        return 'OK';
      },
    },
    'AT+VER': readOnly('get the version of the firmware', undefined, () => host.version),
    'AT+BAT': readOnly('get the battery level (volt)', undefined, () => host.batteryVolts().toFixed(6)),
    'AT+SLEEP': {
      usage: 'enter sleep mode for a period of time (ms)',
      access: 'W',
      run: (args) => {
        if (args.length === 0) {
          host.sleep(undefined);
          return 'DEFERRED';
        }
        const ms = args.length === 1 ? digits(args[0]) : undefined;
        if (ms === undefined || ms === 0 || ms > 4294967295) return 'AT_PARAM_ERROR';
        host.sleep(ms);
        return 'DEFERRED';
      },
    },
    // RUI3's AT list: "AT+LPM RW: get or set the low power mode (0 = off, 1 = on)". With it on, the module sleeps
    // between commands and radio events and a byte on its UART wakes it; the reference documents no lost first byte.
    // Its default and whether it survives a restart are not documented: off, and not kept (the driver sets it at
    // every configuration).
    'AT+LPM': {
      usage: 'get or set the low power mode (0 = off, 1 = on)',
      access: 'RW',
      run: (args, name) => {
        if (isQuery(args)) return show(name, host.lowPowerMode ? 1 : 0);
        const on = args.length === 1 ? flag(args[0]) : undefined;
        if (on === undefined) return 'AT_PARAM_ERROR';
        host.lowPowerMode = on === 1;
        return 'OK';
      },
    },
    'AT+NWM': {
      usage: 'get or set the network working mode (0 = P2P_LORA, 1 = LoRaWAN, 2 = P2P_FSK)',
      access: 'RW',
      persists: true,
      run: (args, name) => {
        if (isQuery(args)) return show(name, nvm().nwm);
        if (args.length !== 1 || (args[0] !== '0' && args[0] !== '1' && args[0] !== '2')) return 'AT_PARAM_ERROR';
        if (args[0] === '2') return 'AT_MODE_NO_SUPPORT'; // FSK is not simulated
        nvm().nwm = Number(args[0]);
        host.rebootAfterStatus();
        return 'OK';
      },
    },

    'AT+DEVEUI': key('devEui', 16, 'get or set the device EUI (8 bytes in hex)'),
    'AT+APPEUI': key('appEui', 16, 'get or set the application EUI (8 bytes in hex)'),
    'AT+APPKEY': key('appKey', 32, 'get or set the application key (16 bytes in hex)'),
    'AT+APPSKEY': key('appSKey', 32, 'get or set the application session key (16 bytes in hex)'),
    'AT+NWKSKEY': key('nwkSKey', 32, 'get or set the network session key (16 bytes in hex)'),
    'AT+DEVADDR': key('devAddr', 8, 'get or set the device address (4 bytes in hex)'),

    'AT+NJM': setting('get or set the network join mode (0 = ABP, 1 = OTAA)', 'lorawan', () => nvm().njm, flag, (v) => host.mac().setJoinMode(Number(v))),
    'AT+NJS': readOnly('get the join status (0 = not joined, 1 = joined)', 'lorawan', () => (host.mac().activated ? 1 : 0)),
    'AT+CLASS': setting(
      'get or set the device class (A = class A, B = class B, C = class C)',
      'lorawan',
      () => nvm().deviceClass,
      (arg) => (arg === 'A' || arg === 'B' || arg === 'C' ? arg : undefined),
      (v) => {
        nvm().deviceClass = String(v);
      },
    ),
    'AT+DR': setting('get or set the data rate', 'lorawan', () => nvm().dr, (arg) => parseDecimalIn(arg, 0, 5), (v) => {
      nvm().dr = Number(v);
    }),
    'AT+ADR': setting('get or set the adaptive data rate setting (0 = off, 1 = on)', 'lorawan', () => nvm().adr, flag, (v) => {
      nvm().adr = Number(v);
    }),
    'AT+CFM': setting('get or set the confirm mode (0 = off, 1 = on)', 'lorawan', () => nvm().cfm, flag, (v) => {
      nvm().cfm = Number(v);
    }),
    'AT+CFS': readOnly('get the confirmation status of the last AT+SEND (0 = failure, 1 = success)', 'lorawan', () => (host.mac().lastConfirmOk ? 1 : 0)),
    'AT+RETY': setting('get or set the number of retransmission of confirm packet data', 'lorawan', () => nvm().retry, (arg) => parseDecimalIn(arg, 0, 7), (v) => {
      nvm().retry = Number(v);
    }),
    'AT+BAND': setting('get or set the active region (4 = EU868)', 'lorawan', () => nvm().band, (arg) => parseDecimalIn(arg, 0, 12), (v) => {
      nvm().band = Number(v);
      host.mac().restart();
    }),
    'AT+JOIN': {
      usage: 'join network',
      access: 'RW',
      mode: 'lorawan',
      persists: true,
      run: (args, name) => {
        const j = nvm().join;
        if (isQuery(args)) return show(name, `${j.start}:${j.auto}:${j.periodS}:${j.maxRetries}`);
        if (args.length > 4) return 'AT_PARAM_ERROR';
        const v = args.map(digits);
        if (v.some((x) => x === undefined)) return 'AT_PARAM_ERROR';
        const [start = 1, auto, period, retries] = v as number[];
        if ((start !== 0 && start !== 1) || (auto !== undefined && auto !== 0 && auto !== 1)) return 'AT_PARAM_ERROR';
        if ((period !== undefined && (period < 7 || period > 255)) || (retries !== undefined && retries > 255)) return 'AT_PARAM_ERROR';
        return host.mac().join(start, auto, period, retries);
      },
    },
    'AT+SEND': {
      usage: 'send data along with the application port',
      access: 'W',
      mode: 'lorawan',
      run: (args) => {
        if (args.length !== 2) return 'AT_PARAM_ERROR';
        const port = digits(args[0]);
        const hex = args[1]!;
        if (port === undefined || port < 1 || port > 223) return 'AT_PARAM_ERROR';
        if (hex.length % 2 !== 0 || hex.length === 0 || hex.length > 500 || !isHex(hex)) return 'AT_PARAM_ERROR';
        return host.mac().send(port, fromHex(hex));
      },
    },
    'AT+RECV': readOnly('print the last received data in hex format', 'lorawan', () => {
      const d = host.mac().lastDownlink;
      return `${d.port}:${Array.from(d.payload, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase()}`;
    }),
    'AT+RSSI': readOnly('get the RSSI of the last received packet', 'lorawan', () => host.mac().lastRssi),
    'AT+SNR': readOnly('get the SNR of the last received packet', 'lorawan', () => host.mac().lastSnr),

    'AT+PFREQ': p2p('configure P2P Frequency', 'freqHz', (arg) => parseDecimalIn(arg, 150000000, 960000000)),
    'AT+PSF': p2p('configure P2P Spreading Factor (5-12)', 'sf', (arg) => parseDecimalIn(arg, 5, 12)),
    'AT+PBW': p2p('configure P2P Bandwidth (0 = 125, 1 = 250, 2 = 500, 3 = 7.8, ... 9 = 62.5)', 'bwCode', bandwidthCode, bandwidthShown),
    'AT+PCR': p2p('configure P2P Code Rate (0=4/5, 1=4/6, 2=4/7, 3=4/8)', 'cr', (arg) => parseDecimalIn(arg, 0, 3)),
    'AT+PPL': p2p('configure P2P Preamble Length (5-65535)', 'preamble', (arg) => parseDecimalIn(arg, 5, 65535)),
    'AT+PTP': p2p('configure P2P TX Power (5-22)', 'txPowerDbm', (arg) => parseDecimalIn(arg, 5, 22)),
    'AT+P2P': {
      usage: 'get or set all P2P parameters (freq:sf:bw:cr:preamble:txpower)',
      access: 'RW',
      mode: 'p2p',
      persists: true,
      p2pSetting: true,
      run: (args, name) => {
        const s = nvm().p2p;
        if (isQuery(args)) return show(name, [s.freqHz, s.sf, bandwidthShown(s.bwCode), s.cr, s.preamble, s.txPowerDbm].join(':'));
        if (args.length !== 6) return 'AT_PARAM_ERROR';
        const next: P2pSettings = {
          freqHz: parseDecimalIn(args[0], 150000000, 960000000) ?? NaN,
          sf: parseDecimalIn(args[1], 5, 12) ?? NaN,
          bwCode: bandwidthCode(args[2]) ?? NaN,
          cr: parseDecimalIn(args[3], 0, 3) ?? NaN,
          preamble: parseDecimalIn(args[4], 5, 65535) ?? NaN,
          txPowerDbm: parseDecimalIn(args[5], 5, 22) ?? NaN,
        };
        if (Object.values(next).some((x) => Number.isNaN(x))) return 'AT_PARAM_ERROR';
        nvm().p2p = next;
        return 'OK';
      },
    },
    'AT+PSEND': {
      usage: 'send data in P2P mode',
      access: 'W',
      mode: 'p2p',
      run: (args) => {
        const hex = args.length === 1 ? args[0]! : '';
        if (hex.length === 0 || hex.length % 2 !== 0 || hex.length > 478 || !isHex(hex)) return 'AT_PARAM_ERROR';
        return host.p2p().send(fromHex(hex));
      },
    },
    'AT+PRECV': {
      usage: 'enter P2P RX mode for a period of time (ms)',
      access: 'RW',
      mode: 'p2p',
      run: (args) => {
        if (isQuery(args)) {
          host.print(host.p2p().receiving ? 'P2P_RX_ON' : 'P2P_RX_OFF');
          return 'OK';
        }
        const n = args.length === 1 ? parseDecimal(args[0]) : undefined;
        if (n === undefined || n > 65535) return 'AT_PARAM_ERROR';
        return host.p2p().receive(n);
      },
    },
  };
}

