/**
 * Clears from the broker what the bridge announced for devices that are no longer configured as they were
 * (compared by DevEUI with what outbox/announced-devices.ts remembers):
 * - removed (DevEUI no longer configured): empty retained configs for every discovery entity the DevEUI could have
 *   (removalMessages) and an empty retained payload on its old state topic (MQTT deletes the retained message);
 * - renamed (same DevEUI, new id): an empty retained payload on the old id's state topic (the discovery unique_ids
 *   come from the DevEUI: the configs are simply republished with the new state topic);
 * - retyped (same DevEUI, new type): empty configs for the entities the old type had and the new one has not.
 * The publisher sends these on every connect and calls `cleared()` once the broker acknowledged all of a device's;
 * only then is the device forgotten (removed: its row and its saved state go) or remembered as it is now.
 * A renamed device's saved state (device_state) moves to its new id at construction, before the publisher reads it,
 * so the new id's first state still has the other messages' latest values.
 */
import type { AnnouncedDevice, AnnouncedDevices } from '../outbox/announced-devices.ts';
import type { DeviceEntry } from '../types.ts';
import { removalMessages } from './home-assistant.ts';
import type { CleanupItem, CleanupSource, OutgoingMessage } from './publisher.ts';
import type { TopicLayout } from './topics.ts';

export interface DeviceChange {
  kind: 'removed' | 'renamed' | 'retyped';
  /** As it was announced. */
  before: AnnouncedDevice;
  /** As it is configured now; absent for a removed device. */
  after?: DeviceEntry;
}

export interface DeviceCleanupOptions {
  store: AnnouncedDevices;
  /** The configured devices. */
  devices: readonly DeviceEntry[];
  topics: TopicLayout;
  /** Home Assistant's discovery prefix; absent when discovery is off (then only old state topics are cleared). */
  discoveryPrefix?: string;
  /** After a change's messages were acknowledged and the store updated. */
  onCleared?: (change: DeviceChange) => void;
}

export class DeviceCleanup implements CleanupSource {
  readonly #store: AnnouncedDevices;
  readonly #devices: ReadonlyMap<string, DeviceEntry>;
  readonly #topics: TopicLayout;
  readonly #discoveryPrefix: string | undefined;
  readonly #onCleared: ((change: DeviceChange) => void) | undefined;

  constructor(options: DeviceCleanupOptions) {
    this.#store = options.store;
    this.#devices = new Map(options.devices.map((device) => [device.devEui.toLowerCase(), device]));
    this.#topics = options.topics;
    this.#discoveryPrefix = options.discoveryPrefix;
    this.#onCleared = options.onCleared;
    for (const change of this.changes()) {
      if (change.after && change.after.id !== change.before.id) this.#store.moveStates(change.before.devEui, change.before.id, change.after.id);
    }
    this.#store.rememberNew(options.devices);
  }

  /** Remembered devices that are not configured as they were announced. */
  changes(): DeviceChange[] {
    const changes: DeviceChange[] = [];
    for (const before of this.#store.list()) {
      const after = this.#devices.get(before.devEui);
      if (after === undefined) changes.push({ kind: 'removed', before });
      else if (after.id !== before.id) changes.push({ kind: 'renamed', before, after });
      else if (after.type !== before.type) changes.push({ kind: 'retyped', before, after });
    }
    return changes;
  }

  pending(): CleanupItem[] {
    return this.changes().map((change) => ({
      key: change.before.devEui,
      messages: this.#messages(change),
      cleared: () => this.#cleared(change),
    }));
  }

  #messages({ before, after }: DeviceChange): OutgoingMessage[] {
    const messages: OutgoingMessage[] = [];
    if (this.#discoveryPrefix !== undefined && before.type !== after?.type) {
      const keepType = after?.type;
      messages.push(...removalMessages(before, { prefix: this.#discoveryPrefix, ...(keepType === undefined ? {} : { keepType }) }));
    }
    if (before.id !== after?.id) {
      const topic = stateTopic(this.#topics, before.id);
      if (topic !== undefined) messages.push({ topic, payload: '' });
    }
    return messages;
  }

  #cleared(change: DeviceChange): void {
    if (change.after === undefined) this.#store.forget(change.before);
    else this.#store.update(change.after);
    this.#onCleared?.(change);
  }
}

/** Undefined for an id that is no topic level (a hand-edited row): nothing was ever published there. */
function stateTopic(topics: TopicLayout, id: string): string | undefined {
  try {
    return topics.state(id);
  } catch {
    return undefined;
  }
}
