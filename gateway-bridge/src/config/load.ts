/**
 * Loads the bridge's configuration: reads the file (parse.ts), validates it (schema.ts), reads the files it refers
 * to (files.ts, devices.ts), fills the defaults that depend on the machine (defaults.ts) and checks what spans
 * several entries. Any problem ends in one ConfigError listing all of them; files holding key material must not be
 * readable by others.
 */
import { hostname as osHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { defaultGatewayId, defaultMqttClientId, defaultNetworkId, defaultOutboxPath, defaultSerialId, NETWORK_TOPIC_DEFAULTS } from './defaults.ts';
import { checkUniqueDevices, loadDevicesFile, sessionKeysOf, toDeviceEntry, type PlacedDevice } from './devices.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { checkPemFile, checkPrivate, readPasswordFile, type FileChecks } from './files.ts';
import { located, readStructuredFile, validate, type Source } from './parse.ts';
import { bridgeConfigFileSchema, type BridgeConfig, type BridgeConfigFile, type MqttConnectionConfig, type NetworkInputConfig } from './schema.ts';
import { warningsFor } from './warnings.ts';

export { ConfigError, type ConfigIssue } from './errors.ts';

export interface LoadOptions {
  /** Refuse key material in files readable by others (default true; Windows has no such mode bits). */
  checkPermissions?: boolean;
  /** For the defaults: host name (gateway id), environment and uid (outbox path), working directory. */
  hostname?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  cwd?: string;
}

export interface ObjectOptions extends LoadOptions {
  /** Relative paths in the object resolve against this (default: the working directory). */
  baseDir?: string;
}

/** Loads and checks the configuration file at `path`; throws ConfigError naming every problem found. */
export function loadConfig(path: string, options: LoadOptions = {}): BridgeConfig {
  const file = resolve(options.cwd ?? process.cwd(), path);
  const { value, locate } = readStructuredFile(file);
  return resolveConfig(value, { file, baseDir: dirname(file), locate }, options);
}

/** The same checks for a configuration given as an object (tests, the demo); relative paths from `baseDir`. */
export function configFromObject(object: unknown, options: ObjectOptions = {}): BridgeConfig {
  const baseDir = resolve(options.cwd ?? process.cwd(), options.baseDir ?? '.');
  return resolveConfig(object, { baseDir, locate: () => undefined }, options);
}

function resolveConfig(value: unknown, source: Source, options: LoadOptions): BridgeConfig {
  const given = validate(bridgeConfigFileSchema, value ?? {}, source);
  const issues: ConfigIssue[] = [];
  const checks: FileChecks = {
    checkPermissions: (options.checkPermissions ?? true) && process.platform !== 'win32',
    report: (path, message) => issues.push(located(source, path, message)),
    issues,
  };

  const placed: PlacedDevice[] = given.devices.map((d, i) => ({ device: toDeviceEntry(d), at: source, path: ['devices', i] }));
  const devicesFile = given.devicesFile === undefined ? undefined : resolve(source.baseDir, given.devicesFile);
  if (devicesFile !== undefined) placed.push(...loadDevicesFile(devicesFile, checks.checkPermissions, issues));
  checkUniqueDevices(placed, issues);

  const gatewayId = given.gateway.id ?? defaultGatewayId(options.hostname ?? osHostname());
  const serial = given.serial.map((s, i) => ({ ...s, id: s.id ?? defaultSerialId(gatewayId, i) }));
  const network = given.network.map((n, i): NetworkInputConfig => {
    const id = n.id ?? defaultNetworkId(n.kind, i);
    const connection = resolveConnection(n, ['network', i], defaultMqttClientId(gatewayId, id), source, checks);
    return { ...connection, id, kind: n.kind, topic: n.topic ?? NETWORK_TOPIC_DEFAULTS[n.kind] };
  });
  const mqtt = {
    ...resolveConnection(given.mqtt, ['mqtt'], defaultMqttClientId(gatewayId), source, checks),
    topicPrefix: given.mqtt.topicPrefix,
    format: given.mqtt.format,
  };
  checkInputs(serial, network, checks);

  const secretsHere = [sessionKeysOf(given.devices), given.mqtt.password !== undefined ? 'mqtt.password' : undefined, ...given.network.map((n, i) => (n.password !== undefined ? `network[${i}].password` : undefined))];
  const holds = secretsHere.filter((s) => s !== undefined).join(', ');
  if (checks.checkPermissions && source.file !== undefined && holds !== '') checkPrivate(source.file, holds, issues);

  if (issues.length > 0) throw new ConfigError(issues);

  const resolved: Omit<BridgeConfig, 'source'> = {
    gateway: { id: gatewayId },
    serial,
    network,
    mqtt,
    homeAssistant: given.homeAssistant,
    outbox: {
      path: given.outbox.path === undefined ? defaultOutboxPath(options.env, options.uid, options.cwd) : resolve(source.baseDir, given.outbox.path),
      maxRows: given.outbox.maxRows,
      whenFull: given.outbox.whenFull,
    },
    lorawan: given.lorawan,
    devices: placed.map((p) => p.device),
    metrics: given.metrics,
    log: given.log,
    statsIntervalS: given.statsIntervalS,
  };
  return {
    ...resolved,
    source: {
      ...(source.file !== undefined ? { file: source.file } : {}),
      ...(devicesFile !== undefined ? { devicesFile } : {}),
      warnings: warningsFor(resolved),
    },
  };
}

/** Absolute paths, the password read from passwordFile, the PEM files checked, a client id. */
function resolveConnection(
  given: BridgeConfigFile['mqtt'] | BridgeConfigFile['network'][number],
  at: PropertyKey[],
  defaultClientId: string,
  source: Source,
  checks: FileChecks,
): MqttConnectionConfig {
  const connection: MqttConnectionConfig = {
    url: given.url,
    rejectUnauthorized: given.rejectUnauthorized,
    clientId: given.clientId ?? defaultClientId,
    keepaliveS: given.keepaliveS,
  };
  if (given.username !== undefined) connection.username = given.username;
  if (given.password !== undefined) connection.password = given.password;
  if (given.passwordFile !== undefined) {
    connection.passwordFile = resolve(source.baseDir, given.passwordFile);
    const password = readPasswordFile(connection.passwordFile, [...at, 'passwordFile'], checks);
    if (password !== undefined) connection.password = password;
  }
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = given[name];
    if (file === undefined) continue;
    connection[name] = resolve(source.baseDir, file);
    checkPemFile(connection[name], [...at, name], name === 'key', checks);
  }
  return connection;
}

/** Input ids are unique (they label metrics and rx metadata), and a bridge without inputs is a mistake. */
function checkInputs(serial: ReadonlyArray<{ id: string }>, network: ReadonlyArray<{ id: string }>, checks: FileChecks): void {
  const firstUse = new Map<string, string>();
  for (const [list, name] of [[serial, 'serial'], [network, 'network']] as const) {
    list.forEach((input, i) => {
      const other = firstUse.get(input.id);
      if (other !== undefined) checks.report([name, i, 'id'], `input id ${input.id} is already used by ${other}`);
      else firstUse.set(input.id, `${name}[${i}]`);
    });
  }
  if (serial.length + network.length === 0) {
    checks.report([], 'no inputs: add a serial module under "serial:" or a network server under "network:"');
  }
}
