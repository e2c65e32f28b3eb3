/**
 * The Pi terminal's configuration file (YAML or JSON), checked with zod and resolved like the gateway bridge's
 * (gateway-bridge/src/config/): the same error messages with file, line and path, the same password-file, PEM and
 * file-permission checks. The pseudonym key file is refused when others may read or write it: whoever has the key
 * can tell which pseudonym belongs to which badge.
 *
 * Example:
 *   terminal: { id: rathaus-eg-1 }
 *   mqtt: { url: mqtts://broker.rathaus.lan:8883, username: rathaus-eg-1, passwordFile: terminal.password, ca: ca.crt }
 *   pseudonymKeyFile: pseudonym.key     # 32 to 128 hex digits on the first line, chmod 600
 *   outbox: { path: /var/lib/stadtsensor/timeclock.sqlite }
 *   reader: { type: evtest, device: /dev/input/badge-reader, format: auto, byteOrder: as-typed }
 *   kiosk: { port: 8470, timeZone: Europe/Berlin }
 * The whole file with comments: examples/timeclock/terminal.yaml.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { TOPIC_SAFE_ID } from '../../../gateway-bridge/src/config/defaults.ts';
import { ConfigError, type ConfigIssue } from '../../../gateway-bridge/src/config/errors.ts';
import { checkPemFile, checkPrivate, readPasswordFile, type FileChecks } from '../../../gateway-bridge/src/config/files.ts';
import { describeFsError, located, readStructuredFile, validate, type Source } from '../../../gateway-bridge/src/config/parse.ts';
import type { MqttConnectionConfig } from '../../../gateway-bridge/src/config/schema.ts';
import { CORE_DEFAULTS, type CoreSettings } from '../core/defaults.ts';
import { DEFAULT_KIOSK_HOST, DEFAULT_KIOSK_PORT } from './kiosk/kiosk-server.ts';
import type { CardNumberFormat, UidByteOrder } from './readers/card-number.ts';

export { ConfigError } from '../../../gateway-bridge/src/config/errors.ts';

/** The Pi terminal's own defaults; the booking core's are in core/defaults.ts. */
export const TERMINAL_DEFAULTS = {
  mqttUrl: 'mqtt://127.0.0.1:1883',
  keepaliveS: 30,
  outboxFileName: 'timeclock.sqlite',
  /** 128 bits: the least key length accepted for the pseudonym HMAC. */
  minKeyBytes: 16,
  maxKeyBytes: 64,
  /** Without a `reader:` section the card numbers come from standard input, one a line (a terminal run by hand). */
  readerType: 'stdin',
  cardNumberFormat: 'auto',
  uidByteOrder: 'as-typed',
  kioskHost: DEFAULT_KIOSK_HOST,
  kioskPort: DEFAULT_KIOSK_PORT,
} as const;

const READER_TYPES = ['evtest', 'stdin'] as const;
const CARD_NUMBER_FORMATS = ['auto', 'decimal', 'hex'] as const satisfies readonly CardNumberFormat[];
const UID_BYTE_ORDERS = ['as-typed', 'reversed'] as const satisfies readonly UidByteOrder[];

/** Where badges come from, and how the card numbers the reader types become UID bytes (readers/card-number.ts). */
export type ReaderConfig = { format: CardNumberFormat; byteOrder: UidByteOrder } & ({ type: 'evtest'; device: string } | { type: 'stdin' });

export interface KioskConfig {
  host: string;
  /** 0: a free port (tests). */
  port: number;
  /** IANA zone for the times on the page; absent: the Pi's own zone (TZ). */
  timeZone?: string;
}

export interface TerminalConfig {
  terminal: { id: string };
  mqtt: MqttConnectionConfig;
  /** Never log it. */
  pseudonymKey: Uint8Array;
  pseudonymKeyFile: string;
  outbox: { path: string };
  reader: ReaderConfig;
  kiosk: KioskConfig;
  clock: { trustWithoutTimesyncd: boolean };
  /** Passed to the booking core (createTerminal's settings). */
  core: CoreSettings;
  source: { file?: string };
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const mqttUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return ['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== '' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  },
  { error: 'expected an mqtt://, mqtts://, ws:// or wss:// URL with a host and without user name or password (those go in username and password/passwordFile)' },
);

export const terminalConfigFileSchema = z.strictObject({
  terminal: z.strictObject({
    id: z.string().regex(TOPIC_SAFE_ID, { error: 'expected a topic-safe id: lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters' }).optional(),
  }).prefault({}),
  mqtt: z
    .strictObject({
      url: mqttUrl.default(TERMINAL_DEFAULTS.mqttUrl),
      username: nonEmpty.optional(),
      passwordFile: nonEmpty.optional(),
      ca: nonEmpty.optional(),
      cert: nonEmpty.optional(),
      key: nonEmpty.optional(),
      rejectUnauthorized: z.boolean().default(true),
      clientId: z.string().regex(/^[\x21-\x7e]+$/, { error: 'expected printable ASCII characters without spaces' }).max(128).optional(),
      keepaliveS: int(0, 65_535).default(TERMINAL_DEFAULTS.keepaliveS),
    })
    .superRefine((value, ctx) => {
      if (value.passwordFile !== undefined && value.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'required with a passwordFile' });
      if ((value.cert === undefined) !== (value.key === undefined)) ctx.addIssue({ code: 'custom', path: [value.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both cert and key' });
    })
    .prefault({}),
  /** A file with the pseudonym key as hex digits on its first line; relative to the configuration file. */
  pseudonymKeyFile: nonEmpty,
  outbox: z.strictObject({ path: nonEmpty.optional() }).prefault({}),
  reader: z
    .strictObject({
      type: z.enum(READER_TYPES).default(TERMINAL_DEFAULTS.readerType),
      device: nonEmpty.optional(),
      format: z.enum(CARD_NUMBER_FORMATS).default(TERMINAL_DEFAULTS.cardNumberFormat),
      byteOrder: z.enum(UID_BYTE_ORDERS).default(TERMINAL_DEFAULTS.uidByteOrder),
    })
    .superRefine((value, ctx) => {
      if (value.type === 'evtest' && value.device === undefined) ctx.addIssue({ code: 'custom', path: ['device'], message: 'required with type evtest: the reader\'s event device, e.g. /dev/input/by-id/usb-...-event-kbd' });
      if (value.type === 'stdin' && value.device !== undefined) ctx.addIssue({ code: 'custom', path: ['device'], message: 'only for type evtest (type stdin reads standard input)' });
    })
    .prefault({}),
  kiosk: z
    .strictObject({
      host: nonEmpty.default(TERMINAL_DEFAULTS.kioskHost),
      port: int(0, 65_535).default(TERMINAL_DEFAULTS.kioskPort),
      timeZone: nonEmpty.refine(isTimeZone, { error: 'expected an IANA time zone such as Europe/Berlin' }).optional(),
    })
    .prefault({}),
  clock: z
    .strictObject({
      trustWithoutTimesyncd: z.boolean().default(false),
      backwardToleranceS: int(1, 86_400).default(CORE_DEFAULTS.backwardToleranceS),
      serverToleranceS: int(1, 86_400).default(CORE_DEFAULTS.serverToleranceS),
    })
    .prefault({}),
  booking: z
    .strictObject({
      debounceS: z.number().min(0).max(60).default(CORE_DEFAULTS.debounceMs / 1000),
      kindSelectionS: z.number().min(1).max(300).default(CORE_DEFAULTS.kindSelectionMs / 1000),
      ackTimeoutS: z.number().min(0.1).max(3600).default(CORE_DEFAULTS.ackTimeoutMs / 1000),
      goFromHour: int(0, 24).default(CORE_DEFAULTS.goFromHour),
    })
    .prefault({}),
});

export interface LoadTerminalOptions {
  /** Refuse secrets in files readable by others (default true). */
  checkPermissions?: boolean;
  hostname?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  cwd?: string;
  /** For configurations given as objects: relative paths resolve against this (default: the working directory). */
  baseDir?: string;
}

export function loadTerminalConfig(path: string, options: LoadTerminalOptions = {}): TerminalConfig {
  const file = resolve(options.cwd ?? process.cwd(), path);
  const { value, locate } = readStructuredFile(file);
  return resolveTerminalConfig(value, { file, baseDir: dirname(file), locate }, options);
}

export function terminalConfigFromObject(object: unknown, options: LoadTerminalOptions = {}): TerminalConfig {
  const baseDir = resolve(options.cwd ?? process.cwd(), options.baseDir ?? '.');
  return resolveTerminalConfig(object, { baseDir, locate: () => undefined }, options);
}

/** A terminal id from the host name's first label ("Zeit-EG-1.rathaus.lan" -> "zeit-eg-1"). */
export function defaultTerminalId(host: string): string {
  const id = (host.split('.')[0] ?? '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 64);
  return id === '' ? 'terminal' : id;
}

/** systemd's StateDirectory, else /var/lib/stadtsensor as root, else ./data (the bridge's rule, defaultOutboxPath). */
export function defaultTerminalOutboxPath(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.(), cwd: string = process.cwd()): string {
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return join(stateDirectory, TERMINAL_DEFAULTS.outboxFileName);
  if (uid === 0) return join('/var/lib/stadtsensor', TERMINAL_DEFAULTS.outboxFileName);
  return join(cwd, 'data', TERMINAL_DEFAULTS.outboxFileName);
}

function resolveTerminalConfig(value: unknown, source: Source, options: LoadTerminalOptions): TerminalConfig {
  const given = validate(terminalConfigFileSchema, value ?? {}, source);
  const issues: ConfigIssue[] = [];
  const checks: FileChecks = {
    checkPermissions: (options.checkPermissions ?? true) && process.platform !== 'win32',
    report: (path, message) => issues.push(located(source, path, message)),
    issues,
  };
  const id = given.terminal.id ?? defaultTerminalId(options.hostname ?? osHostname());

  const mqtt: MqttConnectionConfig = {
    url: given.mqtt.url,
    rejectUnauthorized: given.mqtt.rejectUnauthorized,
    clientId: given.mqtt.clientId ?? `stadtsensor-terminal-${id}`,
    keepaliveS: given.mqtt.keepaliveS,
  };
  if (given.mqtt.username !== undefined) mqtt.username = given.mqtt.username;
  if (given.mqtt.passwordFile !== undefined) {
    mqtt.passwordFile = resolve(source.baseDir, given.mqtt.passwordFile);
    const password = readPasswordFile(mqtt.passwordFile, ['mqtt', 'passwordFile'], checks);
    if (password !== undefined) mqtt.password = password;
  }
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = given.mqtt[name];
    if (file === undefined) continue;
    mqtt[name] = resolve(source.baseDir, file);
    checkPemFile(mqtt[name], ['mqtt', name], name === 'key', checks);
  }

  const pseudonymKeyFile = resolve(source.baseDir, given.pseudonymKeyFile);
  const pseudonymKey = readPseudonymKey(pseudonymKeyFile, (message) => checks.report(['pseudonymKeyFile'], message));
  if (checks.checkPermissions) checkPrivate(pseudonymKeyFile, 'the pseudonym key', issues);

  if (issues.length > 0 || pseudonymKey === undefined) throw new ConfigError(issues);

  return {
    terminal: { id },
    mqtt,
    pseudonymKey,
    pseudonymKeyFile,
    outbox: { path: given.outbox.path === undefined ? defaultTerminalOutboxPath(options.env, options.uid, options.cwd) : resolve(source.baseDir, given.outbox.path) },
    reader: readerConfig(given.reader, source.baseDir),
    kiosk: { host: given.kiosk.host, port: given.kiosk.port, ...(given.kiosk.timeZone !== undefined ? { timeZone: given.kiosk.timeZone } : {}) },
    clock: { trustWithoutTimesyncd: given.clock.trustWithoutTimesyncd },
    core: {
      ...CORE_DEFAULTS,
      backwardToleranceS: given.clock.backwardToleranceS,
      serverToleranceS: given.clock.serverToleranceS,
      debounceMs: Math.round(given.booking.debounceS * 1000),
      kindSelectionMs: Math.round(given.booking.kindSelectionS * 1000),
      ackTimeoutMs: Math.round(given.booking.ackTimeoutS * 1000),
      goFromHour: given.booking.goFromHour,
    },
    source: source.file !== undefined ? { file: source.file } : {},
  };
}

function readerConfig(given: z.output<typeof terminalConfigFileSchema>['reader'], baseDir: string): ReaderConfig {
  const { format, byteOrder } = given;
  // the schema has made sure an evtest reader has its device
  if (given.type === 'evtest') return { type: 'evtest', device: resolve(baseDir, given.device!), format, byteOrder };
  return { type: 'stdin', format, byteOrder };
}

/** The key's bytes from the hex digits on the file's first line; problems go to `report` without the key. */
export function readPseudonymKey(file: string, report: (message: string) => void): Uint8Array | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    report(`cannot read ${file}: ${describeFsError(error)}`);
    return undefined;
  }
  const digits = (text.split(/\r?\n/)[0] ?? '').trim();
  const { minKeyBytes, maxKeyBytes } = TERMINAL_DEFAULTS;
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) {
    report(`${file}: expected the key as an even number of hex digits on the first line (make one with: openssl rand -hex 32)`);
    return undefined;
  }
  if (digits.length < minKeyBytes * 2 || digits.length > maxKeyBytes * 2) {
    report(`${file}: expected ${minKeyBytes * 2} to ${maxKeyBytes * 2} hex digits, got ${digits.length} (make one with: openssl rand -hex 32)`);
    return undefined;
  }
  return new Uint8Array(Buffer.from(digits, 'hex'));
}
