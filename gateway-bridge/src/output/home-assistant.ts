/**
 * Home Assistant MQTT discovery: one retained config per entity on `<prefix>/<component>/<unique_id>/config`.
 *
 * Which entities a device gets follows from the catalog: the messages its device type sends are walked field by
 * field, and a field becomes an entity when ENTITY_RULES maps its path to a Home Assistant component and device
 * class. The same path in several messages (battery in deviceStatus and in roadClimate) is one entity whose
 * template reads the newest of those messages. Units, enum options and display precision come from the schema.
 *
 * Contract with the publisher (topics from topics.ts):
 * - the state topic holds, retained, the newest event of every message of the device as JSON (`stateToJson`,
 *   whatever format the `up` topic uses): `{"device": {...}, "updatedAt": ..., "messages": {"<name>": <event>}}`.
 *   Each template reads its source messages from `messages` (the newest of them by receivedAt, then fCnt), so a
 *   Home Assistant restarted after a heartbeat still shows the last reading. An entity none of whose messages has
 *   arrived yet renders '' (ignored: the entity stays unknown). Any publish keeps every entity fresh for
 *   `expire_after`.
 * - the status topic holds the bridge status, retained, with an MQTT last will: `gatewayStatusPayload()` JSON whose
 *   `state` is online/offline (a plain `online`/`offline` string is read as well).
 * - discovery is published at start and again whenever `haStatusTopic()` receives HA_ONLINE.
 * - `removalMessages()` clears every config a device could have (for a device removed from the configuration;
 *   device-cleanup.ts publishes them).
 * Device and gateway ids must be valid topic levels (topics.ts throws a TopicError otherwise).
 */
import { NODE_DEFAULTS } from '../../../firmware/core/node.ts';
import { catalog } from '../../../payload-schema/src/catalog/index.ts';
import type { MessageDef } from '../../../payload-schema/src/dsl.ts';
import { HOME_ASSISTANT_DEFAULTS } from '../config/defaults.ts';
import type { DeviceEntry, DeviceType } from '../types.ts';
import { schemaLeaves, type SchemaLeaf } from './readings.ts';
import { GATEWAY_AVAILABILITY, topicLayout, type TopicLayout } from './topics.ts';

/** Home Assistant's birth payload on `haStatusTopic()`: republish discovery when it arrives. */
export const HA_ONLINE = 'online';
const MANUFACTURER = 'stadtsensor';
const ONLINE = GATEWAY_AVAILABILITY.payloadAvailable;
const OFFLINE = GATEWAY_AVAILABILITY.payloadNotAvailable;
/** The `state` of the status JSON, or the whole payload when it is a plain string. */
const STATUS_STATE = `value_json['state'] if value_json is defined and value_json is mapping else value`;

export function haStatusTopic(prefix: string = HOME_ASSISTANT_DEFAULTS.prefix): string {
  return `${prefix}/status`;
}

export interface DiscoveryOptions {
  /** Discovery prefix, Home Assistant's default `homeassistant`. */
  prefix?: string;
  /** Prefix of the bridge's own topics, default MQTT_DEFAULTS.topicPrefix. */
  topicPrefix?: string;
  gatewayId: string;
  /** Bridge version, reported as the origin of the discovery messages. */
  swVersion: string;
  supportUrl?: string;
  /** Node firmware version when known (from its last deviceStatus), e.g. `1.2.0`. */
  firmware?: string;
}

export interface RetainedMessage {
  topic: string;
  payload: string;
  retain: true;
}

type Component = 'sensor' | 'binary_sensor';

interface EntityRule {
  /** Suffix of unique_id and entity id: stable, never derived from a value. */
  key: string;
  component: Component;
  /** Schema leaf paths this entity shows; a list item path (`readings[].level`) reads the newest item. */
  fields: readonly string[];
  name: string;
  deviceClass?: string;
  diagnostic?: boolean;
  /** Home Assistant unit where the schema has none. */
  unit?: string;
  /** Numeric sensors are `state_class: measurement` unless this is false (configuration values). */
  measurement?: boolean;
  /** binary_sensor from an enum: the label that means on. */
  on?: string;
}

/** Field path to Home Assistant entity. Device classes and units are checked against HA's docs in the tests. */
export const ENTITY_RULES: readonly EntityRule[] = [
  { key: 'air_temperature', component: 'sensor', fields: ['air.temperature'], name: 'Air temperature', deviceClass: 'temperature' },
  { key: 'air_humidity', component: 'sensor', fields: ['air.relativeHumidity'], name: 'Air humidity', deviceClass: 'humidity' },
  { key: 'air_dew_point', component: 'sensor', fields: ['air.dewPoint'], name: 'Dew point', deviceClass: 'temperature' },
  { key: 'air_frost_point', component: 'sensor', fields: ['air.frostPoint'], name: 'Frost point', deviceClass: 'temperature' },
  { key: 'surface_temperature', component: 'sensor', fields: ['surface.temperature'], name: 'Road surface temperature', deviceClass: 'temperature' },
  { key: 'ice_risk', component: 'sensor', fields: ['iceRisk'], name: 'Ice risk', deviceClass: 'enum' },
  { key: 'ice_warning', component: 'binary_sensor', fields: ['iceRisk'], name: 'Ice warning', deviceClass: 'problem', on: 'risk' },
  { key: 'air_sensor_failed', component: 'binary_sensor', fields: ['status.airSensorFailed'], name: 'Air sensor failed', deviceClass: 'problem', diagnostic: true },
  { key: 'surface_sensor_failed', component: 'binary_sensor', fields: ['status.surfaceSensorFailed'], name: 'Surface sensor failed', deviceClass: 'problem', diagnostic: true },
  { key: 'occupancy', component: 'binary_sensor', fields: ['occupied'], name: 'Occupancy', deviceClass: 'occupancy' },
  { key: 'magnetometer_fault', component: 'binary_sensor', fields: ['sensorFault'], name: 'Magnetometer fault', deviceClass: 'problem', diagnostic: true },
  { key: 'free_spaces', component: 'sensor', fields: ['freeSpaces'], name: 'Free spaces', unit: 'spaces' },
  { key: 'capacity', component: 'sensor', fields: ['capacity'], name: 'Capacity', unit: 'spaces', diagnostic: true, measurement: false },
  { key: 'detector_a_fault', component: 'binary_sensor', fields: ['faults.sensorA'], name: 'Detector A fault', deviceClass: 'problem', diagnostic: true },
  { key: 'detector_b_fault', component: 'binary_sensor', fields: ['faults.sensorB'], name: 'Detector B fault', deviceClass: 'problem', diagnostic: true },
  { key: 'beam_blocked', component: 'binary_sensor', fields: ['faults.beamBlocked'], name: 'Beam blocked', deviceClass: 'problem' },
  { key: 'count_clamped', component: 'binary_sensor', fields: ['faults.countClamped'], name: 'Count needs resync', deviceClass: 'problem', diagnostic: true },
  { key: 'water_level', component: 'sensor', fields: ['level', 'readings[].level'], name: 'Water level', deviceClass: 'distance' },
  { key: 'ranger_distance', component: 'sensor', fields: ['distance'], name: 'Distance to water', deviceClass: 'distance', diagnostic: true },
  { key: 'warning_stage', component: 'sensor', fields: ['stage'], name: 'Warning stage' },
  { key: 'level_trend', component: 'sensor', fields: ['trend'], name: 'Level trend', deviceClass: 'enum' },
  { key: 'no_echo', component: 'binary_sensor', fields: ['quality.noTarget', 'readings[].quality.noTarget'], name: 'No echo', deviceClass: 'problem', diagnostic: true },
  { key: 'out_of_range', component: 'binary_sensor', fields: ['quality.outOfRange', 'readings[].quality.outOfRange'], name: 'Out of range', deviceClass: 'problem', diagnostic: true },
  { key: 'battery_voltage', component: 'sensor', fields: ['battery'], name: 'Battery voltage', deviceClass: 'voltage', diagnostic: true },
  { key: 'low_battery', component: 'binary_sensor', fields: ['errors.lowBattery'], name: 'Low battery', deviceClass: 'battery', diagnostic: true },
  { key: 'sensor_failed', component: 'binary_sensor', fields: ['errors.sensorFailed'], name: 'Sensor failed', deviceClass: 'problem', diagnostic: true },
];

/** Radio entities every device has, read from the best receiver of the newest event of any message. */
const RADIO_ENTITIES = [
  { key: 'rssi', name: 'RSSI', field: 'rssi', unit: 'dBm' },
  { key: 'snr', name: 'SNR', field: 'snr', unit: 'dB' },
] as const;

/** Catalog names of the messages every node sends. */
const COMMON_MESSAGES: readonly string[] = ['deviceStatus', 'deviceConfigReport'];

/** Catalog names of the application messages of each device type (the types of deviceStatus.deviceType). */
export const APP_MESSAGES: Readonly<Record<DeviceType, readonly string[]>> = {
  parkingBay: ['parkingBay'],
  garageCounter: ['garageCounter'],
  roadClimate: ['roadClimate'],
  waterLevel: ['waterLevel', 'waterLevelBatch'],
  timeClock: ['bookingBatch'],
  unknown: [],
};

/** The messages a device type sends, from the catalog. */
export function messagesOf(type: DeviceType): MessageDef[] {
  return [...COMMON_MESSAGES, ...APP_MESSAGES[type]].map((name) => {
    const message = catalog.find((m) => m.name === name);
    if (!message) throw new Error(`catalog has no message ${name}`);
    return message;
  });
}

/** Schema unit (UCUM) to Home Assistant unit. */
const HA_UNITS: Readonly<Record<string, string>> = {
  Cel: '°C',
  '%RH': '%',
  V: 'V',
  cm: 'cm',
  mm: 'mm',
  s: 's',
  min: 'min',
};

const HEARTBEAT_S = Number(NODE_DEFAULTS.heartbeatInterval) * 60;
const SEND_INTERVAL_S = Number(NODE_DEFAULTS.sendInterval);

/** Seconds between two uplinks of a device type when its configuration does not say (firmware defaults). */
const DEFAULT_INTERVAL_S: Readonly<Record<DeviceType, number | undefined>> = {
  roadClimate: SEND_INTERVAL_S,
  waterLevel: SEND_INTERVAL_S,
  garageCounter: SEND_INTERVAL_S,
  // sends on every change of occupancy, and a heartbeat when nothing changes
  parkingBay: HEARTBEAT_S,
  unknown: HEARTBEAT_S,
  // mains-powered terminal that sends bookings when there are some: never stale by silence
  timeClock: undefined,
};

/**
 * expire_after: three missed uplinks. Every event on the state topic restarts Home Assistant's expiry timer of
 * every entity of the device, so the device's shortest regular interval counts, not each field's own.
 */
export function expireAfterS(device: DeviceEntry): number | undefined {
  const interval = device.sendIntervalS ?? DEFAULT_INTERVAL_S[device.type];
  return interval === undefined ? undefined : 3 * interval;
}

interface Source {
  message: string;
  leaf: SchemaLeaf;
  /** The newest-item key when the leaf is in a list. */
  newestBy?: string;
}

interface Entity {
  rule: EntityRule;
  sources: Source[];
}

/** The entities of a device type: every rule with at least one field among the type's messages. */
export function entitiesOf(type: DeviceType): Entity[] {
  const messages = messagesOf(type);
  const out: Entity[] = [];
  for (const rule of ENTITY_RULES) {
    const sources: Source[] = [];
    for (const message of messages) {
      const leaves = schemaLeaves(message);
      for (const leaf of leaves) {
        if (!rule.fields.includes(leaf.path)) continue;
        const age = leaf.list === undefined ? undefined : leaves.find((l) => l.path === `${leaf.list}[].age`);
        sources.push({ message: message.name, leaf, ...(age ? { newestBy: 'age' } : {}) });
      }
    }
    if (sources.length > 0) out.push({ rule, sources });
  }
  return out;
}

function topicsOf(opts: DiscoveryOptions): TopicLayout {
  return topicLayout({ ...(opts.topicPrefix === undefined ? {} : { prefix: opts.topicPrefix }), gatewayId: opts.gatewayId });
}

export function discoveryMessages(device: DeviceEntry, opts: DiscoveryOptions): RetainedMessage[] {
  const prefix = opts.prefix ?? HOME_ASSISTANT_DEFAULTS.prefix;
  const topics = topicsOf(opts);
  const devEui = device.devEui.toLowerCase();
  const common = {
    stateTopic: topics.state(device.id),
    device: deviceBlock(device, devEui, opts),
    origin: originBlock(opts),
    availability: [{ topic: topics.status, value_template: `{{ ${STATUS_STATE} }}`, payload_available: ONLINE, payload_not_available: OFFLINE }],
    expireAfter: expireAfterS(device),
  };
  const configs: { component: Component; config: Record<string, unknown> }[] = [];
  for (const entity of entitiesOf(device.type)) {
    configs.push({ component: entity.rule.component, config: entityConfig(entity, device, devEui, common) });
  }
  for (const radio of RADIO_ENTITIES) {
    configs.push({
      component: 'sensor',
      config: baseConfig('sensor', radio.key, radio.name, device, devEui, common, {
        value_template: radioTemplate(radio.field),
        device_class: 'signal_strength',
        unit_of_measurement: radio.unit,
        state_class: 'measurement',
        entity_category: 'diagnostic',
      }),
    });
  }
  return configs.map(({ component, config }) => retained(configTopic(prefix, component, config.unique_id as string), JSON.stringify(config)));
}

/**
 * Empty retained configs for every entity any device type could give this DevEUI: removes it from HA. With
 * `keepType`, the entities a device of that type has are left alone (a device whose type changed).
 */
export function removalMessages(device: Pick<DeviceEntry, 'devEui'>, opts: { prefix?: string; keepType?: DeviceType } = {}): RetainedMessage[] {
  const prefix = opts.prefix ?? HOME_ASSISTANT_DEFAULTS.prefix;
  const devEui = device.devEui.toLowerCase();
  const kept = new Set(opts.keepType === undefined ? [] : entitiesOf(opts.keepType).map((entity) => entity.rule.key));
  const entities: [Component, string][] = [
    ...ENTITY_RULES.filter((rule) => !kept.has(rule.key)).map((rule): [Component, string] => [rule.component, rule.key]),
    ...(opts.keepType === undefined ? RADIO_ENTITIES.map((radio): [Component, string] => ['sensor', radio.key]) : []),
  ];
  return entities.map(([component, key]) => retained(configTopic(prefix, component, uniqueId(devEui, key)), ''));
}

/** The bridge itself as a device with one connectivity entity, the `via_device` of every node. */
export function gatewayDiscoveryMessages(opts: DiscoveryOptions): RetainedMessage[] {
  const prefix = opts.prefix ?? HOME_ASSISTANT_DEFAULTS.prefix;
  const id = gatewayIdentifier(opts.gatewayId);
  const config = {
    name: 'Bridge',
    unique_id: `${id}_connectivity`,
    default_entity_id: `binary_sensor.${slug(id)}_connectivity`,
    state_topic: topicsOf(opts).status,
    value_template: `{% set s = ${STATUS_STATE} %}{{ 'ON' if s == '${ONLINE}' else 'OFF' }}`,
    payload_on: 'ON',
    payload_off: 'OFF',
    device_class: 'connectivity',
    entity_category: 'diagnostic',
    device: {
      identifiers: [id],
      name: `stadtsensor gateway ${opts.gatewayId}`,
      model: 'gateway-bridge',
      manufacturer: MANUFACTURER,
      sw_version: opts.swVersion,
    },
    origin: originBlock(opts),
  };
  return [retained(configTopic(prefix, 'binary_sensor', config.unique_id), JSON.stringify(config))];
}

// ---------------------------------------------------------------------------------------------- building blocks

interface Common {
  stateTopic: string;
  device: Record<string, unknown>;
  origin: Record<string, unknown>;
  availability: Record<string, unknown>[];
  expireAfter: number | undefined;
}

function entityConfig(entity: Entity, device: DeviceEntry, devEui: string, common: Common): Record<string, unknown> {
  const { rule, sources } = entity;
  const leaf = sources[0]!.leaf;
  const extra: Record<string, unknown> = { value_template: template(entity) };
  if (rule.component === 'binary_sensor') {
    extra.payload_on = 'ON';
    extra.payload_off = 'OFF';
    if (rule.deviceClass) extra.device_class = rule.deviceClass;
  } else if (leaf.kind === 'enum') {
    extra.device_class = 'enum';
    extra.options = enumOptions(leaf);
  } else {
    if (rule.deviceClass) extra.device_class = rule.deviceClass;
    const unit = rule.unit ?? haUnit(entity);
    if (unit !== undefined) extra.unit_of_measurement = unit;
    if (rule.measurement !== false) extra.state_class = 'measurement';
    if (leaf.decimals !== undefined) extra.suggested_display_precision = leaf.decimals;
  }
  if (rule.diagnostic) extra.entity_category = 'diagnostic';
  return baseConfig(rule.component, rule.key, rule.name, device, devEui, common, extra);
}

function baseConfig(
  component: Component,
  key: string,
  name: string,
  device: DeviceEntry,
  devEui: string,
  common: Common,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    name,
    unique_id: uniqueId(devEui, key),
    default_entity_id: `${component}.${slug(device.id)}_${key}`,
    state_topic: common.stateTopic,
    ...extra,
    ...(common.expireAfter === undefined ? {} : { expire_after: common.expireAfter }),
    availability: common.availability,
    device: common.device,
    origin: common.origin,
  };
}

function deviceBlock(device: DeviceEntry, devEui: string, opts: DiscoveryOptions): Record<string, unknown> {
  return {
    identifiers: [`stadtsensor_${devEui}`],
    name: device.name,
    model: humanize(device.type),
    manufacturer: MANUFACTURER,
    serial_number: devEui,
    ...(opts.firmware === undefined ? {} : { sw_version: opts.firmware }),
    via_device: gatewayIdentifier(opts.gatewayId),
  };
}

function originBlock(opts: DiscoveryOptions): Record<string, unknown> {
  return {
    name: 'stadtsensor gateway-bridge',
    sw_version: opts.swVersion,
    ...(opts.supportUrl === undefined ? {} : { support_url: opts.supportUrl }),
  };
}

function uniqueId(devEui: string, key: string): string {
  return `stadtsensor_${devEui}_${key}`;
}

function gatewayIdentifier(gatewayId: string): string {
  return `stadtsensor_gateway_${gatewayId}`;
}

/** HA allows [a-zA-Z0-9_-] in the object id of a discovery topic. */
function configTopic(prefix: string, component: Component, objectId: string): string {
  return `${prefix}/${component}/${objectId.replace(/[^a-zA-Z0-9_-]/g, '_')}/config`;
}

function retained(topic: string, payload: string): RetainedMessage {
  return { topic, payload, retain: true };
}

/** Entity id part: Home Assistant allows [a-z0-9_]. */
function slug(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
}

/** `roadClimate` -> `Road climate`. */
function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function haUnit(entity: Entity): string | undefined {
  const units = new Set(entity.sources.map((s) => s.leaf.unit));
  if (units.size !== 1) throw new Error(`entity ${entity.rule.key}: its fields disagree on the unit`);
  const unit = entity.sources[0]!.leaf.unit;
  if (unit === undefined) return undefined;
  const ha = HA_UNITS[unit];
  if (ha === undefined) throw new Error(`entity ${entity.rule.key}: no Home Assistant unit for ${unit}`);
  return ha;
}

// An enum label `unknown` means the node could not tell: Home Assistant shows its own unknown state instead.
const UNKNOWN_LABEL = 'unknown';

function enumOptions(leaf: SchemaLeaf): string[] {
  return (leaf.values ?? []).filter((v) => v !== UNKNOWN_LABEL);
}

// ---------------------------------------------------------------------------------------------- templates

/** The state's `messages`, or an empty mapping for any other payload (e.g. an older bridge's retained state). */
const MESSAGES = `{% set ms = value_json['messages'] if value_json is defined and value_json is mapping and value_json['messages'] is mapping else {} %}`;

/** Sets `m` to the newest of the state's events (of these messages only, when given); undefined when none. */
function newestMessage(names?: readonly string[]): string {
  const only = names === undefined ? '' : ` | selectattr('message', 'in', [${names.map((n) => `'${n}'`).join(', ')}])`;
  return `${MESSAGES}{% set m = ms.values()${only} | sort(attribute='receivedAt,fCnt') | last %}`;
}

function radioTemplate(field: string): string {
  return `${newestMessage()}{% if m is defined and m['rx'] | length > 0 and m['rx'][0]['${field}'] is number %}{{ m['rx'][0]['${field}'] }}{% endif %}`;
}

/** Jinja expression for a leaf of the event `m`; list items from the newest item. */
function valueExpression(source: Source): string {
  const { leaf } = source;
  const subscript = (path: string): string =>
    path
      .split('.')
      .map((part) => `['${part}']`)
      .join('');
  if (leaf.list === undefined) return `m['data']${subscript(leaf.path)}`;
  const inner = leaf.path.slice(leaf.list.length + 3); // after `list[].`
  const items = `m['data']${subscript(leaf.list)}`;
  const item = source.newestBy ? `(${items} | sort(attribute='${source.newestBy}') | first)` : `(${items} | last)`;
  return `${item}${subscript(inner)}`;
}

/** What the template renders for one leaf: a number, an enum label, ON/OFF, or None (HA: unknown). */
function rendered(entity: Entity, source: Source): string {
  const x = valueExpression(source);
  const { rule } = entity;
  const { leaf } = source;
  if (rule.component === 'binary_sensor') {
    if (leaf.kind === 'enum') {
      if (rule.on === undefined || !(leaf.values ?? []).includes(rule.on)) {
        throw new Error(`entity ${rule.key}: binary sensor from an enum needs an 'on' label of ${leaf.path}`);
      }
      const unknown = (leaf.values ?? []).includes(UNKNOWN_LABEL) ? `'None' if ${x} == '${UNKNOWN_LABEL}' else ` : '';
      return `{{ ${unknown}('ON' if ${x} == '${rule.on}' else 'OFF') }}`;
    }
    return leaf.nullable ? `{{ 'None' if ${x} is none else ('ON' if ${x} else 'OFF') }}` : `{{ 'ON' if ${x} else 'OFF' }}`;
  }
  if (leaf.kind === 'enum' && (leaf.values ?? []).includes(UNKNOWN_LABEL)) {
    return `{{ 'None' if ${x} == '${UNKNOWN_LABEL}' else ${x} }}`;
  }
  return `{{ ${x} }}`;
}

/**
 * The value template: takes the newest of the entity's source messages in the state and renders the leaf of that
 * message; nothing when the state has none of them, which Home Assistant ignores.
 */
function template(entity: Entity): string {
  const byRendering = new Map<string, string[]>();
  for (const source of entity.sources) {
    const r = rendered(entity, source);
    byRendering.set(r, [...(byRendering.get(r) ?? []), source.message]);
  }
  let out = '';
  let first = true;
  for (const [r, messages] of byRendering) {
    const test = messages.length === 1 ? `m['message'] == '${messages[0]}'` : `m['message'] in [${messages.map((m) => `'${m}'`).join(', ')}]`;
    out += `{% ${first ? 'if' : 'elif'} ${test} %}${r}`;
    first = false;
  }
  const names = [...new Set(entity.sources.map((s) => s.message))];
  return `${newestMessage(names)}{% if m is defined %}${out}{% endif %}{% endif %}`;
}
