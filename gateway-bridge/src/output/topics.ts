/**
 * The bridge's MQTT topic layout, in one place:
 *
 *   <prefix>/<device>/up                  one event per frame (QoS 1)
 *   <prefix>/<device>/state               the device's latest values (retained, JSON whatever the up format)
 *   <prefix>/<device>/down                downlink requests (the bridge subscribes to <prefix>/+/down)
 *   <prefix>/gateway/<id>/status          {"state":"online"|"offline", ...} retained, last will, periodic stats
 *   <prefix>/gateway/<id>/rejected        each rejected frame with its reason
 *
 * The state holds the newest event (receivedAt, then fCnt) of every message the device sent, each as the up topic
 * gives it in JSON, and the device and time of the newest of them (stateToJson in formats.ts):
 *   {"device": {...}, "updatedAt": "2025-03-01T06:00:20.000Z",
 *    "messages": {"deviceStatus": {"id": ..., "receivedAt": "2025-03-01T06:00:20.000Z", "data": {...}, ...},
 *                 "roadClimate": {"id": ..., "receivedAt": "2025-03-01T06:00:10.000Z", "data": {...}, ...}}}
 *
 * Ids become topic levels, so each must be one safe level: not empty, no '/', no wildcard ('+', '#'), no NUL.
 * A device cannot be called "gateway": its topics would collide with the gateway's.
 */
import { MQTT_DEFAULTS } from '../config/defaults.ts';

export class TopicError extends Error {
  override name = 'TopicError';
}

const NUL = String.fromCharCode(0);
const UNSAFE_CHARACTERS = ['/', '+', '#', NUL];

/** The first character that may not be in a topic level, or undefined. */
function unsafeCharacter(value: string): string | undefined {
  return UNSAFE_CHARACTERS.find((c) => value.includes(c));
}

/** Throws a TopicError naming what is wrong when value cannot be one topic level. */
export function assertTopicLevel(what: string, value: string): void {
  if (typeof value !== 'string' || value === '') throw new TopicError(`${what} must not be empty`);
  const bad = unsafeCharacter(value);
  if (bad !== undefined) {
    const show = (text: string): string => text.split(NUL).join('\\0');
    throw new TopicError(`${what} "${show(value)}" must not contain "${show(bad)}"`);
  }
  if (Buffer.byteLength(value) > 256) throw new TopicError(`${what} is longer than 256 bytes`);
}

/** A prefix may have several levels ("town/stadtsensor"), each of them safe; none may start with '$'. */
export function assertTopicPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || prefix === '') throw new TopicError('topic prefix must not be empty');
  for (const level of prefix.split('/')) assertTopicLevel(`topic prefix "${prefix}": level`, level);
  if (prefix.startsWith('$')) throw new TopicError(`topic prefix "${prefix}" must not start with "$" (reserved for the broker)`);
}

/** The gateway's reserved level below the prefix. */
const GATEWAY_LEVEL = 'gateway';

export interface TopicLayoutOptions {
  /** Default MQTT_DEFAULTS.topicPrefix ('stadtsensor'). */
  prefix?: string;
  gatewayId: string;
}

export interface TopicLayout {
  readonly prefix: string;
  readonly gatewayId: string;
  up(deviceId: string): string;
  state(deviceId: string): string;
  down(deviceId: string): string;
  /** The subscription for every device's down topic. */
  readonly downSubscription: string;
  /** The device id of a down topic, or undefined when the topic is not one. */
  parseDown(topic: string): string | undefined;
  readonly status: string;
  readonly rejected: string;
}

export function topicLayout(options: TopicLayoutOptions): TopicLayout {
  const prefix = options.prefix ?? MQTT_DEFAULTS.topicPrefix;
  assertTopicPrefix(prefix);
  assertTopicLevel('gateway id', options.gatewayId);
  const gateway = `${prefix}/${GATEWAY_LEVEL}/${options.gatewayId}`;
  const device = (deviceId: string, leaf: string): string => {
    assertTopicLevel('device id', deviceId);
    if (deviceId === GATEWAY_LEVEL) throw new TopicError(`device id "${GATEWAY_LEVEL}" is reserved for the gateway's topics`);
    return `${prefix}/${deviceId}/${leaf}`;
  };
  const downPrefix = `${prefix}/`;
  return {
    prefix,
    gatewayId: options.gatewayId,
    up: (deviceId) => device(deviceId, 'up'),
    state: (deviceId) => device(deviceId, 'state'),
    down: (deviceId) => device(deviceId, 'down'),
    downSubscription: `${prefix}/+/down`,
    parseDown(topic) {
      if (!topic.startsWith(downPrefix) || !topic.endsWith('/down')) return undefined;
      const deviceId = topic.slice(downPrefix.length, -'/down'.length);
      if (deviceId === '' || deviceId === GATEWAY_LEVEL || unsafeCharacter(deviceId) !== undefined) return undefined;
      return deviceId;
    },
    status: `${gateway}/status`,
    rejected: `${gateway}/rejected`,
  };
}

export type GatewayState = 'online' | 'offline';

/** The status topic's JSON: `state` first, so Home Assistant reads it with GATEWAY_AVAILABILITY. */
export interface GatewayStatus {
  state: GatewayState;
  gatewayId: string;
  /** ISO 8601: online since (the connection), or offline since (a graceful close; the last will has none). */
  since?: string;
  /** Why offline: the bridge closed, or the broker published the last will because the connection was lost. */
  cause?: 'shutdown' | 'last-will';
  /** Present on the periodic updates while online and on a graceful offline. */
  stats?: Record<string, unknown>;
}

export function gatewayStatusPayload(status: GatewayStatus): string {
  return JSON.stringify(status);
}

/** How a Home Assistant availability block reads the status topic (for home-assistant.ts). */
export const GATEWAY_AVAILABILITY = {
  valueTemplate: '{{ value_json.state }}',
  payloadAvailable: 'online',
  payloadNotAvailable: 'offline',
} as const;
