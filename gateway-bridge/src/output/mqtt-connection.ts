/**
 * mqtt.js connect options from the configuration, for the output broker (with the gateway's last will) and for
 * the network-server inputs (without).
 *
 * Choices:
 * - clean: false with the stable client id: the broker keeps the bridge's subscriptions (downlinks,
 *   homeassistant/status) and queues QoS 1 downlinks while the bridge restarts. The bridge's own QoS 1 publishes
 *   do not depend on it: unacknowledged ones stay in the outbox and mqtt.js resends its in-flight ones on reconnect.
 * - reconnectPeriod 1 s: mqtt.js reconnects by itself, forever, also after the broker refused the connection
 *   (reconnectOnConnackError: a broker restarting with its password file may refuse for a moment); the publisher
 *   resumes draining on 'connect'.
 * - resubscribe: false: the publisher (and the downlink input) subscribe on every connect themselves, also when the
 *   broker kept the session (the configured topics may have changed since), so subscriptions are not sent twice.
 * - MQTT 3.1.1 unless asked for 5: every broker speaks it.
 * Passwords and keys never leave this module in anything meant for a log (describeConnection).
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConnectionConfig } from '../config/schema.ts';
import { gatewayStatusPayload, type TopicLayout } from './topics.ts';

export interface ConnectionTuning {
  /** Default false (see above). */
  clean?: boolean;
  /** Default 1000. */
  reconnectPeriodMs?: number;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
}

export const CONNECTION_DEFAULTS = { clean: false, reconnectPeriodMs: 1_000, connectTimeoutMs: 10_000, protocolVersion: 4 } as const;

export class ConnectionConfigError extends Error {
  override name = 'ConnectionConfigError';
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConnectionConfigError(`mqtt ${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Options for mqtt.connect(config.url, options): credentials, TLS material, client id, keepalive, reconnects. */
export function buildConnectOptions(config: MqttConnectionConfig, tuning: ConnectionTuning = {}): IClientOptions {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new ConnectionConfigError(`mqtt url is not a URL: ${describeUrl(config.url)}`);
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new ConnectionConfigError(`mqtt url must start with mqtt://, mqtts://, ws:// or wss://, got ${url.protocol}//`);
  }
  const options: IClientOptions = {
    clientId: config.clientId,
    clean: tuning.clean ?? CONNECTION_DEFAULTS.clean,
    keepalive: config.keepaliveS,
    reconnectPeriod: tuning.reconnectPeriodMs ?? CONNECTION_DEFAULTS.reconnectPeriodMs,
    connectTimeout: tuning.connectTimeoutMs ?? CONNECTION_DEFAULTS.connectTimeoutMs,
    protocolVersion: tuning.protocolVersion ?? CONNECTION_DEFAULTS.protocolVersion,
    reconnectOnConnackError: true,
    resubscribe: false,
    rejectUnauthorized: config.rejectUnauthorized,
  };
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  const tls = url.protocol === 'mqtts:' || url.protocol === 'wss:';
  if (!tls && (config.ca !== undefined || config.cert !== undefined)) {
    throw new ConnectionConfigError(`mqtt ca/cert/key need a TLS url (mqtts:// or wss://), got ${url.protocol}//`);
  }
  if (config.ca !== undefined) options.ca = readPem('ca', config.ca);
  if ((config.cert === undefined) !== (config.key === undefined)) {
    throw new ConnectionConfigError('mqtt client certificate needs both cert and key');
  }
  if (config.cert !== undefined && config.key !== undefined) {
    options.cert = readPem('cert', config.cert);
    options.key = readPem('key', config.key);
  }
  // for wss:// mqtt.js copies ca, cert, key and rejectUnauthorized into the WebSocket's options itself
  return options;
}

/** The output broker's options: buildConnectOptions plus the last will `offline` on the gateway's status topic. */
export function buildOutputConnectOptions(
  config: MqttConnectionConfig,
  topics: TopicLayout,
  tuning: ConnectionTuning = {},
): IClientOptions {
  const options = buildConnectOptions(config, tuning);
  options.will = {
    topic: topics.status,
    payload: Buffer.from(gatewayStatusPayload({ state: 'offline', gatewayId: topics.gatewayId, cause: 'last-will' })),
    qos: 1,
    retain: true,
  };
  return options;
}

function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** One line for logs: where, as whom, with which TLS material, never a password or key. */
export function describeConnection(config: MqttConnectionConfig): string {
  const parts = [describeUrl(config.url), `client id ${config.clientId}`];
  if (config.username !== undefined) parts.push(`user ${config.username}${config.password !== undefined ? ' with password' : ''}`);
  if (config.ca !== undefined) parts.push(`CA ${config.ca}`);
  if (config.cert !== undefined) parts.push(`client certificate ${config.cert}`);
  if (!config.rejectUnauthorized) parts.push('server certificate NOT verified');
  return parts.join(', ');
}

/** mqtt.js and Node TLS error codes, said so that an operator knows what to fix. */
const EXPLANATIONS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: "the broker's certificate is not signed by a trusted CA: set mqtt.ca to the private CA that signed it",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the broker's certificate is self-signed: set mqtt.ca to it",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the broker's certificate is not signed by the configured CA (mqtt.ca)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the broker's certificate is not signed by the configured CA (mqtt.ca)",
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate does not name the host in mqtt.url",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate: set mqtt.cert and mqtt.key',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the broker requires a client certificate: set mqtt.cert and mqtt.key',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker does not trust the client certificate (mqtt.cert): its CA is not the one the broker knows',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker refused the client certificate (mqtt.cert)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the broker does not speak TLS on this port: use mqtt:// or the TLS port',
  ECONNREFUSED: 'nothing listens at the broker address (is the broker running, is the port right?)',
  ENOTFOUND: 'the broker host name does not resolve',
  ETIMEDOUT: 'the broker did not answer in time',
  ECONNRESET: 'the broker closed the connection (TLS expected? client certificate required?)',
};

/** MQTT CONNACK return codes (3.1.1) and reason codes (5). */
const CONNACK: Record<number, string> = {
  1: 'unacceptable protocol version (try MQTT 3.1.1)',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized (wrong user name or password, or the user may not connect)',
  134: 'bad user name or password',
  135: 'not authorized',
};

/** A clear one-line explanation of a connection error, never containing a secret. */
export function explainConnectionError(error: Error & { code?: string | number }, config: MqttConnectionConfig): string {
  const where = describeUrl(config.url);
  const code = error.code;
  if (typeof code === 'number' && CONNACK[code]) return `MQTT broker ${where} refused the connection: ${CONNACK[code]} (user ${config.username ?? 'none'})`;
  const explanation = typeof code === 'string' ? EXPLANATIONS[code] : undefined;
  const detail = redact(error.message, config).replace(/\s+/g, ' ').trim();
  return explanation
    ? `MQTT connection to ${where} failed: ${explanation} (${code}: ${detail})`
    : `MQTT connection to ${where} failed: ${detail}${code !== undefined ? ` (${code})` : ''}`;
}

function redact(text: string, config: MqttConnectionConfig): string {
  return config.password ? text.split(config.password).join('***') : text;
}
