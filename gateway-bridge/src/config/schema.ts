/**
 * The bridge's configuration file as a zod schema (what a file may say, with defaults from defaults.ts), and the
 * resolved configuration the rest of the bridge receives (BridgeConfig, produced by load.ts).
 * Every object is strict: an unknown key is an error, so a typo never silently falls back to a default.
 */
import { z } from 'zod';
import { RAK811_P2P_LIMITS } from '../inputs/serial/module-limits.ts';
import type { CounterResetPolicy, DeviceEntry, DeviceType } from '../types.ts';
import {
  HOME_ASSISTANT_DEFAULTS,
  LOG_DEFAULTS,
  LORAWAN_DEFAULTS,
  METRICS_DEFAULTS,
  MQTT_DEFAULTS,
  OUTBOX_DEFAULTS,
  P2P_DEFAULTS,
  SERIAL_DEFAULTS,
  STATS_INTERVAL_S_DEFAULT,
  TOPIC_SAFE_ID,
} from './defaults.ts';

export const SERIAL_MODULES = ['rui3', 'rak811'] as const;
export const NETWORK_KINDS = ['ttn', 'chirpstack'] as const;
export const OUTPUT_FORMATS = ['json', 'senml-json', 'senml-cbor'] as const;
export const OUTBOX_FULL_POLICIES = ['drop-oldest', 'refuse-new'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'] as const;
export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;
export const COUNTER_RESET_POLICIES = ['startup-status', 'never'] as const satisfies readonly CounterResetPolicy[];
export const DEVICE_TYPES = [
  'parkingBay',
  'garageCounter',
  'roadClimate',
  'waterLevel',
  'timeClock',
  'unknown',
] as const satisfies readonly DeviceType[];
// compile-time: the lists above name every member of the shared unions
const everyDeviceType: Exclude<DeviceType, (typeof DEVICE_TYPES)[number]> extends never ? true : never = true;
const everyPolicy: Exclude<CounterResetPolicy, (typeof COUNTER_RESET_POLICIES)[number]> extends never ? true : never = true;
void everyDeviceType;
void everyPolicy;

export type SerialModule = (typeof SERIAL_MODULES)[number];
export type NetworkKind = (typeof NETWORK_KINDS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export type OutboxFullPolicy = (typeof OUTBOX_FULL_POLICIES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose YAML values must stay text even when they look like numbers (load.ts keeps their source text). */
export const TEXT_KEYS = ['id', 'name', 'description', 'devEui', 'devAddr', 'nwkSKey', 'appSKey', 'username', 'password', 'clientId', 'topic', 'topicPrefix', 'prefix'];

/** What a value is, for error messages: its type, and short non-string values themselves. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return value.length <= 24 ? `"${value}"` : `a string of ${value.length} characters`;
  return `${typeof value} ${String(value)}`;
}

/** A value's type only, for values that must not be repeated (keys). */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/**
 * Hex digits as text, normalised to lower case; spaces, ':' or '-' between bytes and a leading 0x are allowed.
 * Messages never repeat the value: it may be a key.
 */
function hex(digits: number) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'required'
          : `expected ${digits} hex digits as text (in quotes in JSON), got ${describeType(issue.input)}`,
    })
    .transform((value, ctx) => {
      const digitsOnly = value.replace(/[\s:-]/g, '').replace(/^0x/i, '');
      const bad = digitsOnly.search(/[^0-9a-fA-F]/);
      if (bad >= 0) {
        ctx.addIssue({ code: 'custom', message: `expected ${digits} hex digits, got a character that is not a hex digit at position ${bad + 1}` });
        return z.NEVER;
      }
      if (digitsOnly.length !== digits) {
        ctx.addIssue({ code: 'custom', message: `expected ${digits} hex digits, got ${digitsOnly.length} characters` });
        return z.NEVER;
      }
      return digitsOnly.toLowerCase();
    });
}

const topicSafeId = z.string().regex(TOPIC_SAFE_ID, {
  error: 'expected a topic-safe id: lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters',
});

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });

const mqttUrl = z.string().superRefine((value, ctx) => {
  const expected = 'expected mqtt://, mqtts://, ws:// or wss:// URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${expected}, got ${describeValue(value)}` });
    return;
  }
  if (!(MQTT_PROTOCOLS as readonly string[]).includes(url.protocol)) {
    ctx.addIssue({ code: 'custom', message: `${expected}, got ${url.protocol}//` });
  } else if (url.hostname === '') {
    ctx.addIssue({ code: 'custom', message: `${expected} with a host name` });
  } else if (url.username !== '' || url.password !== '') {
    ctx.addIssue({ code: 'custom', message: 'put the user name and password in username and password (or passwordFile), not in the URL: URLs end up in logs' });
  }
});

/** An MQTT topic filter for the bridge's own topics: no wildcards, no empty levels, no leading '$'. */
const topicPrefix = z.string().regex(/^[^#+/$\s][^#+\s]*$/, { error: 'expected an MQTT topic without wildcards (+, #), spaces or a leading "/" or "$"' }).refine((value) => !value.split('/').includes(''), {
  error: 'expected an MQTT topic without empty levels (no "//" or trailing "/")',
});

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The connection to one MQTT broker: the output broker or a network server's integration. */
const connectionShape = {
  url: mqttUrl,
  username: nonEmpty.optional(),
  password: nonEmpty.optional(),
  /** A file holding the password (first line); relative to the configuration file. */
  passwordFile: nonEmpty.optional(),
  /** PEM files, relative to the configuration file: a private CA, a client certificate and its key. */
  ca: nonEmpty.optional(),
  cert: nonEmpty.optional(),
  key: nonEmpty.optional(),
  rejectUnauthorized: z.boolean().default(MQTT_DEFAULTS.rejectUnauthorized),
  clientId: z.string().regex(/^[\x21-\x7e]{1,128}$/, { error: 'expected 1 to 128 printable ASCII characters without spaces' }).optional(),
  keepaliveS: int(0, 65_535).default(MQTT_DEFAULTS.keepaliveS),
};

function checkCredentials(value: { username?: string; password?: string; passwordFile?: string; cert?: string; key?: string }, ctx: z.core.$RefinementCtx): void {
  if (value.password !== undefined && value.passwordFile !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'give either password or passwordFile, not both' });
  }
  if ((value.password !== undefined || value.passwordFile !== undefined) && value.username === undefined) {
    ctx.addIssue({ code: 'custom', path: ['username'], message: 'required with a password (MQTT 3.1.1 sends no password without a user name)' });
  }
  if ((value.cert === undefined) !== (value.key === undefined)) {
    ctx.addIssue({ code: 'custom', path: [value.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both cert and key' });
  }
}

/** LoRa P2P radio settings; the time clock's LoRa terminal uses the same keys, since its module must match the gateway's. */
export const p2pSchema = z
  .strictObject({
    frequencyHz: int(150_000_000, 960_000_000).default(P2P_DEFAULTS.frequencyHz),
    spreadingFactor: int(5, 12).default(P2P_DEFAULTS.spreadingFactor),
    bandwidthKhz: z.literal([125, 250, 500]).default(P2P_DEFAULTS.bandwidthKhz),
    codingRate: int(1, 4).default(P2P_DEFAULTS.codingRate),
    preamble: int(5, 65_535).default(P2P_DEFAULTS.preamble),
    txPowerDbm: int(5, 22).default(P2P_DEFAULTS.txPowerDbm),
  })
  .prefault({});

const serialSchema = z.strictObject({
  id: topicSafeId.optional(),
  /** Prefer /dev/serial/by-id/...: it survives re-enumeration. Not checked at load: the bridge waits for it. */
  path: nonEmpty,
  baudRate: z.literal(BAUD_RATES).default(SERIAL_DEFAULTS.baudRate),
  module: z.enum(SERIAL_MODULES).default(SERIAL_DEFAULTS.module),
  p2p: p2pSchema,
}).superRefine(checkModuleLimits);

/** The RAK811 takes less than RUI3 (its lorap2p command: SF 6..12, 5..20 dBm; shared/reference/rak-rui3-at.md). */
function checkModuleLimits(serial: { module: string; p2p: { spreadingFactor: number; txPowerDbm: number } }, ctx: z.RefinementCtx): void {
  if (serial.module !== 'rak811') return;
  if (serial.p2p.txPowerDbm > RAK811_P2P_LIMITS.maxTxPowerDbm) {
    ctx.addIssue({ code: 'custom', path: ['p2p', 'txPowerDbm'], message: `a RAK811 sends with at most ${RAK811_P2P_LIMITS.maxTxPowerDbm} dBm` });
  }
  if (serial.p2p.spreadingFactor < RAK811_P2P_LIMITS.minSpreadingFactor) {
    ctx.addIssue({ code: 'custom', path: ['p2p', 'spreadingFactor'], message: `a RAK811 takes spreading factors ${RAK811_P2P_LIMITS.minSpreadingFactor} to 12` });
  }
}

const networkSchema = z
  .strictObject({
    id: topicSafeId.optional(),
    kind: z.enum(NETWORK_KINDS),
    ...connectionShape,
    /** Default per kind: NETWORK_TOPIC_DEFAULTS. */
    topic: nonEmpty.optional(),
  })
  .superRefine(checkCredentials);

const mqttSchema = z
  .strictObject({
    ...connectionShape,
    url: mqttUrl.default(MQTT_DEFAULTS.url),
    topicPrefix: topicPrefix.default(MQTT_DEFAULTS.topicPrefix),
    format: z.enum(OUTPUT_FORMATS).default(MQTT_DEFAULTS.format),
  })
  .superRefine(checkCredentials)
  .prefault({});

const locationSchema = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  altitude: z.number().optional(),
  description: z.string().optional(),
});

export const deviceSchema = z
  .strictObject({
    /** Default: the DevEUI. */
    id: topicSafeId.optional(),
    /** Default: the id. */
    name: nonEmpty.max(200).optional(),
    devEui: hex(16),
    devAddr: hex(8).optional(),
    nwkSKey: hex(32).optional(),
    appSKey: hex(32).optional(),
    type: z.enum(DEVICE_TYPES).default('unknown'),
    location: locationSchema.optional(),
    sendIntervalS: int(1, 7 * 24 * 3600).optional(),
    counterReset: z.enum(COUNTER_RESET_POLICIES).optional(),
  })
  .superRefine((device, ctx) => {
    // ABP over P2P needs all three; a device seen only through TTN or ChirpStack needs none
    const abp = { devAddr: device.devAddr, nwkSKey: device.nwkSKey, appSKey: device.appSKey };
    const given = Object.entries(abp).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (given.length > 0 && given.length < 3) {
      for (const missing of Object.keys(abp).filter((k) => !given.includes(k))) {
        ctx.addIssue({ code: 'custom', path: [missing], message: `required with ${given.join(' and ')} (a P2P device needs devAddr, nwkSKey and appSKey)` });
      }
    }
  });

export const deviceListSchema = z.array(deviceSchema);

export const bridgeConfigFileSchema = z.strictObject({
  gateway: z.strictObject({ id: topicSafeId.optional() }).prefault({}),
  serial: z.array(serialSchema).default([]),
  network: z.array(networkSchema).default([]),
  mqtt: mqttSchema,
  homeAssistant: z
    .strictObject({
      enabled: z.boolean().default(HOME_ASSISTANT_DEFAULTS.enabled),
      prefix: topicPrefix.default(HOME_ASSISTANT_DEFAULTS.prefix),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      /** Default: defaultOutboxPath(); relative to the configuration file. */
      path: nonEmpty.optional(),
      maxRows: int(1, Number.MAX_SAFE_INTEGER).default(OUTBOX_DEFAULTS.maxRows),
      whenFull: z.enum(OUTBOX_FULL_POLICIES).default(OUTBOX_DEFAULTS.whenFull),
    })
    .prefault({}),
  lorawan: z
    .strictObject({
      maxFCntGap: int(1, 2 ** 31).default(LORAWAN_DEFAULTS.maxFCntGap),
      dedupWindowMs: int(0, 24 * 3600_000).default(LORAWAN_DEFAULTS.dedupWindowMs),
      counterReset: z.enum(COUNTER_RESET_POLICIES).default(LORAWAN_DEFAULTS.counterReset),
      resetWindow: int(1, 65_535).default(LORAWAN_DEFAULTS.resetWindow),
    })
    .prefault({}),
  devices: deviceListSchema.default([]),
  /** A YAML or JSON file with more devices (a list, or a map with one key `devices`); relative to this file. */
  devicesFile: nonEmpty.optional(),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(METRICS_DEFAULTS.enabled),
      host: nonEmpty.default(METRICS_DEFAULTS.host),
      /** 0 picks a free port (tests). */
      port: int(0, 65_535).default(METRICS_DEFAULTS.port),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default(LOG_DEFAULTS.level),
      /** Plain text lines instead of JSON, for a terminal. */
      pretty: z.boolean().default(LOG_DEFAULTS.pretty),
    })
    .prefault({}),
  /** Seconds between stats messages on stadtsensor/gateway/<id>/status; 0 turns them off. */
  statsIntervalS: int(0, 24 * 3600).default(STATS_INTERVAL_S_DEFAULT),
});

/** A configuration file after validation, before load.ts resolves files, paths and machine-dependent defaults. */
export type BridgeConfigFile = z.output<typeof bridgeConfigFileSchema>;

// ---- The resolved configuration: what the bridge's modules receive. ----

export interface P2pRadioConfig {
  frequencyHz: number;
  spreadingFactor: number;
  bandwidthKhz: 125 | 250 | 500;
  /** 4/(4 + codingRate): 1 = 4/5 ... 4 = 4/8. RUI3's AT+P2P counts from 0 (4/5 = 0). */
  codingRate: number;
  preamble: number;
  txPowerDbm: number;
}

export interface SerialInputConfig {
  /** Topic-safe; also the RxInfo.gatewayId of frames heard on this module. */
  id: string;
  path: string;
  baudRate: number;
  module: SerialModule;
  p2p: P2pRadioConfig;
}

export interface MqttConnectionConfig {
  url: string;
  username?: string;
  /** From `password` or read from `passwordFile`. */
  password?: string;
  /** Absolute. */
  passwordFile?: string;
  /** Absolute paths of PEM files; load.ts checked that they are readable. */
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  clientId: string;
  keepaliveS: number;
}

export interface NetworkInputConfig extends MqttConnectionConfig {
  id: string;
  kind: NetworkKind;
  topic: string;
}

export interface MqttOutputConfig extends MqttConnectionConfig {
  topicPrefix: string;
  format: OutputFormat;
}

export interface BridgeConfig {
  gateway: { id: string };
  serial: SerialInputConfig[];
  network: NetworkInputConfig[];
  mqtt: MqttOutputConfig;
  homeAssistant: { enabled: boolean; prefix: string };
  /** path: absolute. */
  outbox: { path: string; maxRows: number; whenFull: OutboxFullPolicy };
  lorawan: { maxFCntGap: number; dedupWindowMs: number; counterReset: CounterResetPolicy; resetWindow: number };
  /** Inline devices first, then those of devicesFile; ids, DevEUIs and DevAddrs unique. */
  devices: DeviceEntry[];
  metrics: { enabled: boolean; host: string; port: number };
  log: { level: LogLevel; pretty: boolean };
  statsIntervalS: number;
  /** Where it came from, and what looked wrong without being an error. */
  source: { file?: string; devicesFile?: string; warnings: string[] };
}
