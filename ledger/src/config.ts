/**
 * The ledger's configuration file (YAML or JSON), checked with zod; unknown keys are errors. Parsing, located error
 * messages and the checks of files holding secrets are the gateway bridge's (gateway-bridge/src/config/), so both
 * services read and refuse files the same way. Example:
 *
 *   store: { kind: sqlite, path: /var/lib/stadtsensor/ledger.db }      # or { kind: postgres, url: postgres://ledger@db/ledger, passwordFile: ... }
 *   mqtt: { url: mqtts://broker.lan:8883, username: ledger, passwordFile: mqtt.pw, ca: ca.crt }
 *   retentionDays: 731
 *   pseudonymKeyFile: /etc/stadtsensor/pseudonym.key
 */
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { MIN_RETENTION_DAYS } from '../../firmware/timeclock/core/contracts.ts';
import { MQTT_DEFAULTS } from '../../gateway-bridge/src/config/defaults.ts';
import { ConfigError, type ConfigIssue } from '../../gateway-bridge/src/config/errors.ts';
import { checkPemFile, checkPrivate, readPasswordFile, type FileChecks } from '../../gateway-bridge/src/config/files.ts';
import { located, readStructuredFile, validate, type Source } from '../../gateway-bridge/src/config/parse.ts';
import { LOG_LEVELS, type LogLevel, type MqttConnectionConfig } from '../../gateway-bridge/src/config/schema.ts';
import { DEFAULT_GREETING } from './badge-list.ts';
import type { StoreConfig } from './store/open-store.ts';

export { ConfigError } from '../../gateway-bridge/src/config/errors.ts';

export const LEDGER_DEFAULTS = {
  retentionDays: MIN_RETENTION_DAYS,
  badgeListIntervalS: 10,
  fileName: 'ledger.db',
  configFile: '/etc/stadtsensor/ledger.yaml',
} as const;

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });

function urlWithout(protocols: readonly string[], what: string) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a ${what} URL (${protocols.join(', ')}//...)` });
      return;
    }
    if (!protocols.includes(url.protocol)) ctx.addIssue({ code: 'custom', message: `expected ${protocols.map((p) => p + '//').join(' or ')}, got ${url.protocol}//` });
    else if (url.password !== '') ctx.addIssue({ code: 'custom', message: 'put the password in passwordFile, not in the URL: URLs end up in logs' });
  });
}

const storeSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('sqlite'), path: nonEmpty.optional() }),
    z.strictObject({
      kind: z.literal('postgres'),
      url: urlWithout(['postgres:', 'postgresql:'], 'PostgreSQL'),
      passwordFile: nonEmpty.optional(),
      schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'expected a lower-case SQL identifier' }).optional(),
    }),
  ])
  .prefault({ kind: 'sqlite' });

const mqttSchema = z
  .strictObject({
    url: urlWithout(['mqtt:', 'mqtts:', 'ws:', 'wss:'], 'MQTT').default(MQTT_DEFAULTS.url),
    username: nonEmpty.optional(),
    password: nonEmpty.optional(),
    passwordFile: nonEmpty.optional(),
    ca: nonEmpty.optional(),
    cert: nonEmpty.optional(),
    key: nonEmpty.optional(),
    rejectUnauthorized: z.boolean().default(MQTT_DEFAULTS.rejectUnauthorized),
    /** Stable: the broker keeps the ledger's session (subscriptions, queued bookings) under it. */
    clientId: z.string().regex(/^[\x21-\x7e]{1,128}$/, { error: 'expected 1 to 128 printable ASCII characters without spaces' }).optional(),
    keepaliveS: z.number().int().min(0).max(65_535).default(MQTT_DEFAULTS.keepaliveS),
  })
  .superRefine((value, ctx) => {
    if (value.password !== undefined && value.passwordFile !== undefined) ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'give either password or passwordFile, not both' });
    if ((value.password !== undefined || value.passwordFile !== undefined) && value.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'required with a password' });
    if ((value.cert === undefined) !== (value.key === undefined)) ctx.addIssue({ code: 'custom', path: [value.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both cert and key' });
  })
  .prefault({});

export const ledgerConfigFileSchema = z.strictObject({
  store: storeSchema,
  mqtt: mqttSchema,
  /** The gateway bridge's topic prefix: LoRa bookings arrive on <prefix>/+/up, acks go to <prefix>/<device>/down. */
  bridgeTopicPrefix: z.string().regex(/^[^#+/$\s][^#+\s]*[^#+/\s]$|^[^#+/$\s]$/, { error: 'expected an MQTT topic without wildcards or leading/trailing "/"' }).default(MQTT_DEFAULTS.topicPrefix),
  retentionDays: z
    .number()
    .int()
    .min(MIN_RETENTION_DAYS, { error: `expected at least ${MIN_RETENTION_DAYS} days: working-time records are kept at least two years (ArbZG §16(2))` })
    .default(LEDGER_DEFAULTS.retentionDays),
  /** The installation's pseudonym key (hex, first line); needed by `ledger badge add --uid`. */
  pseudonymKeyFile: nonEmpty.optional(),
  /** What terminals show for an employee without a greeting of their own. */
  defaultGreeting: z.string().min(1).max(60).default(DEFAULT_GREETING),
  /** How often the service looks for badge changes made by the CLI (and badges whose validity began or ended). */
  badgeListIntervalS: z.number().min(0.05).max(3600).default(LEDGER_DEFAULTS.badgeListIntervalS),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info'), pretty: z.boolean().default(false) }).prefault({}),
});

export interface LedgerConfig {
  store: StoreConfig;
  mqtt: MqttConnectionConfig;
  bridgeTopicPrefix: string;
  retentionDays: number;
  /** Absolute. */
  pseudonymKeyFile?: string;
  defaultGreeting: string;
  badgeListIntervalS: number;
  log: { level: LogLevel; pretty: boolean };
  file?: string;
}

export interface LedgerLoadOptions {
  checkPermissions?: boolean;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  cwd?: string;
  hostname?: string;
}

/** STATE_DIRECTORY (systemd StateDirectory=), /var/lib/stadtsensor for root, ./data otherwise. */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.(), cwd = process.cwd()): string {
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return join(stateDirectory, LEDGER_DEFAULTS.fileName);
  if (uid === 0) return join('/var/lib/stadtsensor', LEDGER_DEFAULTS.fileName);
  return join(cwd, 'data', LEDGER_DEFAULTS.fileName);
}

export function loadLedgerConfig(path: string, options: LedgerLoadOptions = {}): LedgerConfig {
  const file = resolve(options.cwd ?? process.cwd(), path);
  const { value, locate } = readStructuredFile(file);
  return resolveLedgerConfig(value, { file, baseDir: dirname(file), locate }, options);
}

/** The same checks for an object (tests); relative paths from baseDir. */
export function ledgerConfigFromObject(object: unknown, baseDir: string, options: LedgerLoadOptions = {}): LedgerConfig {
  return resolveLedgerConfig(object, { baseDir, locate: () => undefined }, options);
}

function resolveLedgerConfig(value: unknown, source: Source, options: LedgerLoadOptions): LedgerConfig {
  const given = validate(ledgerConfigFileSchema, value ?? {}, source);
  const issues: ConfigIssue[] = [];
  const checks: FileChecks = {
    checkPermissions: (options.checkPermissions ?? true) && process.platform !== 'win32',
    report: (at, message) => issues.push(located(source, at, message)),
    issues,
  };
  const at = (file: string): string => resolve(source.baseDir, file);

  let store: StoreConfig;
  if (given.store.kind === 'sqlite') {
    store = { kind: 'sqlite', path: given.store.path === undefined ? defaultLedgerPath(options.env, options.uid, options.cwd) : at(given.store.path) };
  } else {
    store = { kind: 'postgres', url: given.store.url };
    if (given.store.schema !== undefined) store.schema = given.store.schema;
    if (given.store.passwordFile !== undefined) {
      const password = readPasswordFile(at(given.store.passwordFile), ['store', 'passwordFile'], checks);
      if (password !== undefined) store.password = password;
    }
  }

  const m = given.mqtt;
  const mqtt: MqttConnectionConfig = {
    url: m.url,
    rejectUnauthorized: m.rejectUnauthorized,
    clientId: m.clientId ?? `stadtsensor-ledger-${(options.hostname ?? hostname()).replace(/[^\x21-\x7e]/g, '')}`.slice(0, 128),
    keepaliveS: m.keepaliveS,
  };
  if (m.username !== undefined) mqtt.username = m.username;
  if (m.password !== undefined) mqtt.password = m.password;
  if (m.passwordFile !== undefined) {
    mqtt.passwordFile = at(m.passwordFile);
    const password = readPasswordFile(mqtt.passwordFile, ['mqtt', 'passwordFile'], checks);
    if (password !== undefined) mqtt.password = password;
  }
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = m[name];
    if (file === undefined) continue;
    mqtt[name] = at(file);
    checkPemFile(mqtt[name], ['mqtt', name], name === 'key', checks);
  }

  let pseudonymKeyFile: string | undefined;
  if (given.pseudonymKeyFile !== undefined) {
    pseudonymKeyFile = at(given.pseudonymKeyFile);
    if (checks.checkPermissions) checkPrivate(pseudonymKeyFile, 'the pseudonym key', issues);
  }
  if (checks.checkPermissions && source.file !== undefined && m.password !== undefined) checkPrivate(source.file, 'mqtt.password', issues);
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    store,
    mqtt,
    bridgeTopicPrefix: given.bridgeTopicPrefix,
    retentionDays: given.retentionDays,
    ...(pseudonymKeyFile !== undefined ? { pseudonymKeyFile } : {}),
    defaultGreeting: given.defaultGreeting,
    badgeListIntervalS: given.badgeListIntervalS,
    log: given.log,
    ...(source.file !== undefined ? { file: source.file } : {}),
  };
}

/** Every secret the configuration holds, for the logger to scrub. */
export function ledgerSecrets(config: LedgerConfig): string[] {
  const secrets: string[] = [];
  if (config.mqtt.password !== undefined) secrets.push(config.mqtt.password);
  if (config.store.kind === 'postgres' && config.store.password !== undefined) secrets.push(config.store.password);
  return secrets;
}
