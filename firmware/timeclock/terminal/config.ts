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
 * The whole file with comments: examples/timeclock/terminal.yaml; a LoRa-only terminal (a `lora:` section instead
 * of `mqtt:`, with its ABP session keys, so the file itself must be private): examples/timeclock/terminal-lora.yaml.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { SERIAL_DEFAULTS, TOPIC_SAFE_ID } from '../../../gateway-bridge/src/config/defaults.ts';
import { ConfigError, type ConfigIssue } from '../../../gateway-bridge/src/config/errors.ts';
import { checkPemFile, checkPrivate, readPasswordFile, type FileChecks } from '../../../gateway-bridge/src/config/files.ts';
import { describeFsError, located, readStructuredFile, validate, type Source } from '../../../gateway-bridge/src/config/parse.ts';
import { BAUD_RATES, p2pSchema, type MqttConnectionConfig } from '../../../gateway-bridge/src/config/schema.ts';
import type { P2PSettings } from '../../drivers/modem.ts';
import { BOOKING_KINDS, MAX_BOOKINGS_PER_LORA_BATCH, type BookingKind } from '../core/contracts.ts';
import { CORE_DEFAULTS, type CoreSettings } from '../core/defaults.ts';
import { GPIO_DEFAULTS, type GpioBias, type GpioConfig } from './gpio/gpio-config.ts';
import { DEFAULT_KIOSK_HOST, DEFAULT_KIOSK_PORT } from './kiosk/kiosk-server.ts';
import { LORA_LINK_DEFAULTS } from './lora/booking-link.ts';
import { loraTiming } from './lora/lora-timing.ts';
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
  /** MFRC522 on SPI0 CE0 at 1 MHz (the chip takes up to 10 MHz; long wires to a reader behind the front do not). */
  mfrc522: { spiBus: 0, spiDevice: 0, speedHz: 1_000_000, pollMs: 100 },
  lora: { baudRate: SERIAL_DEFAULTS.baudRate, batchSize: MAX_BOOKINGS_PER_LORA_BATCH, receiveWindowS: LORA_LINK_DEFAULTS.receiveWindowMs / 1000 },
} as const;

const READER_TYPES = ['evtest', 'stdin', 'mfrc522'] as const;
const GPIO_BIASES = ['as-is', 'disable', 'pull-down', 'pull-up'] as const satisfies readonly GpioBias[];
const CARD_NUMBER_FORMATS = ['auto', 'decimal', 'hex'] as const satisfies readonly CardNumberFormat[];
const UID_BYTE_ORDERS = ['as-typed', 'reversed'] as const satisfies readonly UidByteOrder[];

/**
 * Where badges come from. Readers that type card numbers (evtest, stdin) also say how a number becomes UID bytes
 * (readers/card-number.ts); an MFRC522 reads the UID bytes themselves.
 */
export type ReaderConfig =
  | ({ format: CardNumberFormat; byteOrder: UidByteOrder } & ({ type: 'evtest'; device: string } | { type: 'stdin' }))
  | Mfrc522ReaderConfig;

/** An MFRC522 on /dev/spidev<spiBus>.<spiDevice>; resetLine: its NRSTPD pin as a line offset on gpio.chip. */
export interface Mfrc522ReaderConfig {
  type: 'mfrc522';
  spiBus: number;
  spiDevice: number;
  speedHz: number;
  resetLine?: number;
  /** How often the reader asks for a card, ms. */
  pollMs: number;
}

/** A LoRa-only terminal: a RAK3172 (RUI3) on a serial port, ABP session keys, P2P to the gateway bridge. */
export interface LoraConfig {
  path: string;
  baudRate: number;
  p2p: P2PSettings;
  /** Never log them. */
  keys: { devAddr: string; nwkSKey: string; appSKey: string };
  /** Bookings per uplink, 1..6. */
  batchSize: number;
  /** Spacing after each uplink, ms; null: the sub-band's duty-cycle off time. */
  uplinkSpacingMs: number | null;
  receiveWindowMs: number;
}

export interface KioskConfig {
  host: string;
  /** 0: a free port (tests). */
  port: number;
  /** IANA zone for the times on the page; absent: the Pi's own zone (TZ). */
  timeZone?: string;
}

export interface TerminalConfig {
  terminal: { id: string };
  /** Exactly one of mqtt and lora is set: how bookings reach the ledger. */
  mqtt?: MqttConnectionConfig;
  lora?: LoraConfig;
  /** Never log it. */
  pseudonymKey: Uint8Array;
  pseudonymKeyFile: string;
  outbox: { path: string };
  /** A badge list file (BadgeListMessage JSON, from `stadtsensor ledger badge export-list`); LoRa-only sites. */
  badgeListFile?: string;
  reader: ReaderConfig;
  kiosk: KioskConfig;
  /** Buzzer, LEDs and buttons; absent: none. */
  gpio?: GpioConfig;
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

const hex = (digits: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), { error: `expected ${digits} hex digits` });
const lineOffset = int(0, 1023);

const mqttSchema = z
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
    });

const loraSchema = z.strictObject({
  /** The module's serial port; prefer /dev/serial/by-id/...: it survives re-enumeration. */
  path: nonEmpty,
  baudRate: z.literal(BAUD_RATES).default(TERMINAL_DEFAULTS.lora.baudRate),
  p2p: p2pSchema,
  devAddr: hex(8),
  nwkSKey: hex(32),
  appSKey: hex(32),
  batchSize: int(1, MAX_BOOKINGS_PER_LORA_BATCH).default(TERMINAL_DEFAULTS.lora.batchSize),
  /** Absent: the sub-band's duty-cycle off time after each uplink (1 % in g1: 99 x the airtime). */
  uplinkSpacingS: z.number().min(0).max(3600).optional(),
  receiveWindowS: z.number().min(0.001).max(65.532).default(TERMINAL_DEFAULTS.lora.receiveWindowS),
});

/** Fields only some reader types take, and which. */
const READER_FIELDS: Record<string, readonly (typeof READER_TYPES)[number][]> = {
  device: ['evtest'],
  format: ['evtest', 'stdin'],
  byteOrder: ['evtest', 'stdin'],
  spiBus: ['mfrc522'],
  spiDevice: ['mfrc522'],
  speedHz: ['mfrc522'],
  resetLine: ['mfrc522'],
  pollMs: ['mfrc522'],
};

const readerSchema = z
  .strictObject({
    type: z.enum(READER_TYPES).default(TERMINAL_DEFAULTS.readerType),
    device: nonEmpty.optional(),
    format: z.enum(CARD_NUMBER_FORMATS).optional(),
    byteOrder: z.enum(UID_BYTE_ORDERS).optional(),
    spiBus: int(0, 7).optional(),
    spiDevice: int(0, 7).optional(),
    /** The MFRC522 takes up to 10 MHz on SPI. */
    speedHz: int(10_000, 10_000_000).optional(),
    resetLine: lineOffset.optional(),
    pollMs: int(10, 10_000).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.type === 'evtest' && value.device === undefined) ctx.addIssue({ code: 'custom', path: ['device'], message: 'required with type evtest: the reader\'s event device, e.g. /dev/input/by-id/usb-...-event-kbd' });
    for (const [field, types] of Object.entries(READER_FIELDS)) {
      if (value[field as keyof typeof value] !== undefined && !types.includes(value.type)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `only for type ${types.join(' or ')}${value.type === 'stdin' ? ' (type stdin reads standard input)' : ''}` });
      }
    }
  });

const gpioSchema = z
  .strictObject({
    /** The chip with the header pins: gpiochip0 on the Pi 4 and (current kernels) the Pi 5; a name, number or path. */
    chip: nonEmpty.default(GPIO_DEFAULTS.chip),
    buzzer: lineOffset.optional(),
    greenLed: lineOffset.optional(),
    redLed: lineOffset.optional(),
    offlineLed: lineOffset.optional(),
    /** The outputs are active low (an LED or a buzzer driver between 3.3 V and the pin). */
    activeLow: z.boolean().default(false),
    buttons: z
      .strictObject({
        lines: z.strictObject(Object.fromEntries(BOOKING_KINDS.map((kind) => [kind, lineOffset.optional()])) as Record<BookingKind, z.ZodOptional<typeof lineOffset>>),
        /** A button between the pin and ground, with the pull-up: pressed reads low. */
        activeLow: z.boolean().default(true),
        bias: z.enum(GPIO_BIASES).default(GPIO_DEFAULTS.buttonBias),
        debounceMs: int(0, 1000).default(GPIO_DEFAULTS.debounceMs),
      })
      .optional(),
  })
  .superRefine((value, ctx) => {
    const used = new Map<number, string>();
    const claim = (line: number | undefined, path: PropertyKey[]): void => {
      if (line === undefined) return;
      const other = used.get(line);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path, message: `line ${line} is already used by ${other}` });
      else used.set(line, path.join('.'));
    };
    for (const name of ['buzzer', 'greenLed', 'redLed', 'offlineLed'] as const) claim(value[name], [name]);
    for (const kind of BOOKING_KINDS) claim(value.buttons?.lines[kind], ['buttons', 'lines', kind]);
  });

export const terminalConfigFileSchema = z
  .strictObject({
    terminal: z.strictObject({
      id: z.string().regex(TOPIC_SAFE_ID, { error: 'expected a topic-safe id: lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters' }).optional(),
    }).prefault({}),
    /** Absent together with lora: MQTT with its defaults. */
    mqtt: mqttSchema.optional(),
    lora: loraSchema.optional(),
    /** A file with the pseudonym key as hex digits on its first line; relative to the configuration file. */
    pseudonymKeyFile: nonEmpty,
    outbox: z.strictObject({ path: nonEmpty.optional() }).prefault({}),
    badgeListFile: nonEmpty.optional(),
    reader: readerSchema.prefault({}),
    gpio: gpioSchema.optional(),
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
      /** Default: CORE_DEFAULTS.ackTimeoutMs, with lora at least what the link needs (loraTiming). */
      ackTimeoutS: z.number().min(0.1).max(3600).optional(),
      goFromHour: int(0, 24).default(CORE_DEFAULTS.goFromHour),
    })
    .prefault({}),
  })
  .superRefine((value, ctx) => {
    if (value.mqtt !== undefined && value.lora !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['lora'], message: 'give either mqtt or lora, not both: a terminal delivers its bookings over one of them' });
    }
    const resetLine = value.reader.resetLine;
    const gpio = value.gpio;
    if (resetLine !== undefined && gpio !== undefined) {
      const outputs = (['buzzer', 'greenLed', 'redLed', 'offlineLed'] as const).filter((name) => gpio[name] === resetLine).map((name) => `gpio.${name}`);
      const buttons = BOOKING_KINDS.filter((kind) => gpio.buttons?.lines[kind] === resetLine).map((kind) => `gpio.buttons.lines.${kind}`);
      const other = [...outputs, ...buttons][0];
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['reader', 'resetLine'], message: `line ${resetLine} is already used by ${other}` });
    }
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

  const mqtt = given.lora === undefined ? resolveMqtt(given.mqtt ?? mqttSchema.parse({}), id, source, checks) : undefined;
  const lora = given.lora === undefined ? undefined : resolveLora(given.lora);
  // session keys in the file: whoever reads it can forge this terminal's bookings (the bridge's rule for its file)
  if (lora !== undefined && checks.checkPermissions && source.file !== undefined) checkPrivate(source.file, 'LoRa session keys (lora.nwkSKey, lora.appSKey)', issues);

  let ackTimeoutMs = given.booking.ackTimeoutS === undefined ? CORE_DEFAULTS.ackTimeoutMs : Math.round(given.booking.ackTimeoutS * 1000);
  if (lora !== undefined) {
    const timing = loraTiming(lora.p2p, lora.batchSize, lora.uplinkSpacingMs, lora.receiveWindowMs);
    const leastMs = Math.ceil(timing.minAckTimeoutMs / 1000) * 1000;
    if (given.booking.ackTimeoutS === undefined) ackTimeoutMs = Math.max(ackTimeoutMs, leastMs);
    else if (ackTimeoutMs < timing.minAckTimeoutMs) {
      checks.report(
        ['booking', 'ackTimeoutS'],
        `with lora at least ${leastMs / 1000} s: 2 x (airtime ${Math.round(timing.airtimeMs)} ms + uplink spacing ${Math.round(timing.spacingMs)} ms + receive window ${timing.receiveWindowMs} ms), ` +
          'as an ack comes after the next uplink; shorter only makes the terminal resend what the link still delivers',
      );
    }
  }

  const pseudonymKeyFile = resolve(source.baseDir, given.pseudonymKeyFile);
  const pseudonymKey = readPseudonymKey(pseudonymKeyFile, (message) => checks.report(['pseudonymKeyFile'], message));
  if (checks.checkPermissions) checkPrivate(pseudonymKeyFile, 'the pseudonym key', issues);

  const badgeListFile = given.badgeListFile === undefined ? undefined : resolve(source.baseDir, given.badgeListFile);
  if (badgeListFile !== undefined) checkBadgeListFile(badgeListFile, (message) => checks.report(['badgeListFile'], message));

  if (issues.length > 0 || pseudonymKey === undefined) throw new ConfigError(issues);

  return {
    terminal: { id },
    ...(mqtt !== undefined ? { mqtt } : {}),
    ...(lora !== undefined ? { lora } : {}),
    pseudonymKey,
    pseudonymKeyFile,
    outbox: { path: given.outbox.path === undefined ? defaultTerminalOutboxPath(options.env, options.uid, options.cwd) : resolve(source.baseDir, given.outbox.path) },
    ...(badgeListFile !== undefined ? { badgeListFile } : {}),
    reader: readerConfig(given.reader, source.baseDir),
    kiosk: { host: given.kiosk.host, port: given.kiosk.port, ...(given.kiosk.timeZone !== undefined ? { timeZone: given.kiosk.timeZone } : {}) },
    ...(given.gpio !== undefined ? { gpio: gpioConfig(given.gpio) } : {}),
    clock: { trustWithoutTimesyncd: given.clock.trustWithoutTimesyncd },
    core: {
      ...CORE_DEFAULTS,
      backwardToleranceS: given.clock.backwardToleranceS,
      serverToleranceS: given.clock.serverToleranceS,
      debounceMs: Math.round(given.booking.debounceS * 1000),
      kindSelectionMs: Math.round(given.booking.kindSelectionS * 1000),
      ackTimeoutMs,
      goFromHour: given.booking.goFromHour,
    },
    source: source.file !== undefined ? { file: source.file } : {},
  };
}

type GivenConfig = z.output<typeof terminalConfigFileSchema>;

function resolveMqtt(given: z.output<typeof mqttSchema>, id: string, source: Source, checks: FileChecks): MqttConnectionConfig {
  const mqtt: MqttConnectionConfig = {
    url: given.url,
    rejectUnauthorized: given.rejectUnauthorized,
    clientId: given.clientId ?? `stadtsensor-terminal-${id}`,
    keepaliveS: given.keepaliveS,
  };
  if (given.username !== undefined) mqtt.username = given.username;
  if (given.passwordFile !== undefined) {
    mqtt.passwordFile = resolve(source.baseDir, given.passwordFile);
    const password = readPasswordFile(mqtt.passwordFile, ['mqtt', 'passwordFile'], checks);
    if (password !== undefined) mqtt.password = password;
  }
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = given[name];
    if (file === undefined) continue;
    mqtt[name] = resolve(source.baseDir, file);
    checkPemFile(mqtt[name], ['mqtt', name], name === 'key', checks);
  }
  return mqtt;
}

function resolveLora(given: NonNullable<GivenConfig['lora']>): LoraConfig {
  const { p2p } = given;
  return {
    // a device path, not relative to the file
    path: given.path,
    baudRate: given.baudRate,
    p2p: { freqHz: p2p.frequencyHz, sf: p2p.spreadingFactor, bwKhz: p2p.bandwidthKhz, cr: p2p.codingRate, preamble: p2p.preamble, txPowerDbm: p2p.txPowerDbm },
    keys: { devAddr: given.devAddr.toUpperCase(), nwkSKey: given.nwkSKey.toUpperCase(), appSKey: given.appSKey.toUpperCase() },
    batchSize: given.batchSize,
    uplinkSpacingMs: given.uplinkSpacingS === undefined ? null : Math.round(given.uplinkSpacingS * 1000),
    receiveWindowMs: Math.round(given.receiveWindowS * 1000),
  };
}

function readerConfig(given: GivenConfig['reader'], baseDir: string): ReaderConfig {
  if (given.type === 'mfrc522') {
    const d = TERMINAL_DEFAULTS.mfrc522;
    return {
      type: 'mfrc522',
      spiBus: given.spiBus ?? d.spiBus,
      spiDevice: given.spiDevice ?? d.spiDevice,
      speedHz: given.speedHz ?? d.speedHz,
      ...(given.resetLine !== undefined ? { resetLine: given.resetLine } : {}),
      pollMs: given.pollMs ?? d.pollMs,
    };
  }
  const format = given.format ?? TERMINAL_DEFAULTS.cardNumberFormat;
  const byteOrder = given.byteOrder ?? TERMINAL_DEFAULTS.uidByteOrder;
  // the schema has made sure an evtest reader has its device
  if (given.type === 'evtest') return { type: 'evtest', device: resolve(baseDir, given.device!), format, byteOrder };
  return { type: 'stdin', format, byteOrder };
}

function gpioConfig(given: NonNullable<GivenConfig['gpio']>): GpioConfig {
  const outputs: GpioConfig['outputs'] = {};
  for (const name of ['buzzer', 'greenLed', 'redLed', 'offlineLed'] as const) {
    const line = given[name];
    if (line !== undefined) outputs[name] = line;
  }
  const config: GpioConfig = { chip: given.chip, outputs, outputsActiveLow: given.activeLow };
  if (given.buttons !== undefined) {
    const lines: Partial<Record<BookingKind, number>> = {};
    for (const kind of BOOKING_KINDS) {
      const line = given.buttons.lines[kind];
      if (line !== undefined) lines[kind] = line;
    }
    config.buttons = { lines, activeLow: given.buttons.activeLow, bias: given.buttons.bias, debounceMs: given.buttons.debounceMs };
  }
  return config;
}

/** A badge list file must exist and be readable at start; its content is checked (and re-read) by the terminal. */
function checkBadgeListFile(file: string, report: (message: string) => void): void {
  try {
    readFileSync(file);
  } catch (error) {
    report(`cannot read ${file}: ${describeFsError(error)}`);
  }
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
