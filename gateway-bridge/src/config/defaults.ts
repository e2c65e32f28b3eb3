/**
 * Every default of the gateway bridge, in one place. The schema (schema.ts) fills a configuration file's gaps from
 * here; defaults that depend on the machine (gateway id, outbox path) are functions of what they depend on.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The radio settings of the gateway module; equal to the nodes' (DEMO_P2P_KEYS.p2p in tools/simulator/world/keys.ts). */
export const P2P_DEFAULTS = {
  frequencyHz: 868_100_000,
  spreadingFactor: 9,
  bandwidthKhz: 125,
  /** Coding rate 4/(4 + codingRate): 1 = 4/5 (as P2PSettings.cr in firmware/drivers/modem.ts). */
  codingRate: 1,
  preamble: 8,
  txPowerDbm: 14,
} as const;

export const SERIAL_DEFAULTS = { baudRate: 115_200, module: 'rui3' } as const;

/** From a P2P uplink to the downlink that answers it: the middle of the node's receive window (one definition). */
export { P2P_DOWNLINK_DELAY_MS } from '../../../firmware/core/p2p-window.ts';

/**
 * With more than one receiver (two modules, or a module and a network server) an event waits this long in the
 * outbox before it is published, so the same frame heard by another receiver merges its rx metadata (the best
 * first) instead of arriving after publication. One receiver publishes at once.
 */
export const MULTI_RECEIVER_HOLD_MS = 250;

export const MQTT_DEFAULTS = {
  url: 'mqtt://127.0.0.1:1883',
  rejectUnauthorized: true,
  keepaliveS: 30,
  topicPrefix: 'stadtsensor',
  format: 'json',
} as const;

/** Topics the bridge subscribes to on a network server's MQTT integration. */
export const NETWORK_TOPIC_DEFAULTS = {
  ttn: 'v3/+/devices/+/up',
  chirpstack: 'application/+/device/+/event/up',
} as const;

export const HOME_ASSISTANT_DEFAULTS = { enabled: true, prefix: 'homeassistant' } as const;

/**
 * About 1 KB per row with WAL overhead: a million rows is roughly 1 GB, several weeks of a busy town network
 * (100 nodes every 5 minutes are 29,000 rows a day). When full the oldest rows go first: a fresh reading is worth
 * more than the one it displaces, and every dropped row is counted (outbox_dropped_total).
 */
export const OUTBOX_DEFAULTS = { maxRows: 1_000_000, whenFull: 'drop-oldest', fileName: 'bridge.sqlite' } as const;

export const LORAWAN_DEFAULTS = {
  /** LoRaWAN 1.0 MAX_FCNT_GAP: a frame further ahead of the last accepted counter is rejected. */
  maxFCntGap: 16_384,
  dedupWindowMs: 60_000,
  counterReset: 'startup-status',
  /** A counter restart is accepted only from a frame counter below this (docs/gateway-bridge/frame-counters.md). */
  resetWindow: 16,
} as const;

export const METRICS_DEFAULTS = { enabled: true, host: '127.0.0.1', port: 9_464 } as const;

export const LOG_DEFAULTS = { level: 'info', pretty: false } as const;

export const STATS_INTERVAL_S_DEFAULT = 60;

/** publish_latency_seconds buckets: from a frame's arrival to the broker's PUBACK; outages land in +Inf. */
export const PUBLISH_LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600];

const ID_MAX_LENGTH = 64;

/** Ids used in topics and metric labels: lower-case letters, digits, '-' and '_'. */
export const TOPIC_SAFE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The host name's first label made topic-safe ("Gateway-Pi.town.example" -> "gateway-pi"); "gateway" if nothing is left. */
export function defaultGatewayId(host: string = hostname()): string {
  const firstLabel = host.split('.')[0] ?? '';
  const id = firstLabel
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, ID_MAX_LENGTH);
  return id === '' ? 'gateway' : id;
}

/** `serial[i].id` when the file gives none: the gateway id and the input's number, unique across bridges. */
export function defaultSerialId(gatewayId: string, index: number): string {
  return `${gatewayId.slice(0, ID_MAX_LENGTH - 4)}-${index + 1}`;
}

export function defaultNetworkId(kind: 'ttn' | 'chirpstack', index: number): string {
  return `${kind}-${index + 1}`;
}

/** A stable client id, so the broker keeps the bridge's QoS 1 session across reconnects. */
export function defaultMqttClientId(gatewayId: string, suffix?: string): string {
  return suffix === undefined ? `stadtsensor-bridge-${gatewayId}` : `stadtsensor-bridge-${gatewayId}-${suffix}`;
}

/**
 * Where the outbox lives when the file does not say: systemd's StateDirectory (STATE_DIRECTORY, set by the unit in
 * hardware/gateway/), else /var/lib/stadtsensor when running as root, else ./data under the working directory.
 */
export function defaultOutboxPath(
  env: NodeJS.ProcessEnv = process.env,
  uid: number | undefined = process.getuid?.(),
  cwd: string = process.cwd(),
): string {
  // systemd may list several state directories separated by ':'; the first one is ours
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return join(stateDirectory, OUTBOX_DEFAULTS.fileName);
  if (uid === 0) return join('/var/lib/stadtsensor', OUTBOX_DEFAULTS.fileName);
  return join(cwd, 'data', OUTBOX_DEFAULTS.fileName);
}
