/**
 * The devices the bridge knows, from the configuration. Session keys are parsed into Buffers once and kept in a
 * private map: the entries handed out (to frames, events, logs) are copies without them, so nothing downstream can
 * serialise a key by accident.
 */
import type { DeviceEntry } from '../types.ts';

/** The ABP session keys of one device (LoRaWAN 1.0.x). */
export interface SessionKeys {
  nwkSKey: Buffer;
  appSKey: Buffer;
}

/** What `describe()` shows of a device: everything but the keys, and whether it has them. */
export type DeviceSummary = Omit<DeviceEntry, 'nwkSKey' | 'appSKey'> & { hasSessionKeys: boolean };

const HEX_DEVEUI = /^[0-9a-f]{16}$/;
const HEX_DEVADDR = /^[0-9a-f]{8}$/;
const HEX_KEY = /^[0-9a-fA-F]{32}$/;

/** A copy of the entry without its keys, frozen so no stage can change a shared device. */
function publicEntry(entry: DeviceEntry): DeviceEntry {
  const copy: DeviceEntry = { ...entry, devEui: entry.devEui.toLowerCase() };
  if (entry.devAddr !== undefined) copy.devAddr = entry.devAddr.toLowerCase();
  delete copy.nwkSKey;
  delete copy.appSKey;
  if (copy.location) copy.location = Object.freeze({ ...copy.location });
  return Object.freeze(copy);
}

/** Parses one key; the error names the device and the field, never the value. */
function parseKey(entry: DeviceEntry, field: 'nwkSKey' | 'appSKey'): Buffer {
  const text = entry[field]!;
  if (!HEX_KEY.test(text)) {
    throw new Error(`device ${entry.id}: ${field} must be 32 hex digits (16 bytes), got ${text.length} characters`);
  }
  return Buffer.from(text, 'hex');
}

export class DeviceRegistry {
  readonly #byId = new Map<string, DeviceEntry>();
  readonly #byDevEui = new Map<string, DeviceEntry>();
  readonly #byDevAddr = new Map<string, DeviceEntry>();
  readonly #keys = new Map<string, SessionKeys>();

  constructor(entries: readonly DeviceEntry[]) {
    for (const entry of entries) this.#add(entry);
  }

  #add(entry: DeviceEntry): void {
    const device = publicEntry(entry);
    if (!HEX_DEVEUI.test(device.devEui)) {
      throw new Error(`device ${entry.id}: devEui must be 16 hex digits, got "${entry.devEui}"`);
    }
    if (device.devAddr !== undefined && !HEX_DEVADDR.test(device.devAddr)) {
      throw new Error(`device ${entry.id}: devAddr must be 8 hex digits, got "${entry.devAddr}"`);
    }
    const clash = (what: string, value: string, other: DeviceEntry): Error =>
      new Error(`duplicate ${what} ${value}: devices "${other.id}" and "${entry.id}" (each device needs its own)`);
    const sameId = this.#byId.get(device.id);
    if (sameId) throw clash('device id', device.id, sameId);
    const sameEui = this.#byDevEui.get(device.devEui);
    if (sameEui) throw clash('DevEUI', device.devEui, sameEui);
    const sameAddr = device.devAddr === undefined ? undefined : this.#byDevAddr.get(device.devAddr);
    if (sameAddr) throw clash('DevAddr', device.devAddr!, sameAddr);

    const hasNwk = entry.nwkSKey !== undefined;
    const hasApp = entry.appSKey !== undefined;
    if (hasNwk !== hasApp) {
      throw new Error(`device ${entry.id}: give both nwkSKey and appSKey (ABP session keys), or neither`);
    }
    if (hasNwk && device.devAddr === undefined) {
      throw new Error(`device ${entry.id}: session keys need a devAddr (the ABP address the keys belong to)`);
    }
    if (hasNwk) this.#keys.set(device.id, { nwkSKey: parseKey(entry, 'nwkSKey'), appSKey: parseKey(entry, 'appSKey') });

    this.#byId.set(device.id, device);
    this.#byDevEui.set(device.devEui, device);
    if (device.devAddr !== undefined) this.#byDevAddr.set(device.devAddr, device);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Every device (without keys), in configuration order. */
  devices(): DeviceEntry[] {
    return [...this.#byId.values()];
  }

  byId(id: string): DeviceEntry | undefined {
    return this.#byId.get(id);
  }

  /** DevEUI as hex, any case. */
  byDevEui(devEui: string): DeviceEntry | undefined {
    return this.#byDevEui.get(devEui.toLowerCase());
  }

  /** DevAddr as hex, most significant byte first (as configured and as lora-packet prints it), any case. */
  byDevAddr(devAddr: string): DeviceEntry | undefined {
    return this.#byDevAddr.get(devAddr.toLowerCase());
  }

  /** The session keys of a device, or undefined for a device only seen through a network server. */
  sessionKeys(device: DeviceEntry): SessionKeys | undefined {
    return this.#keys.get(device.id);
  }

  /** The registry as people and logs may see it: no keys, only whether a device has them. */
  describe(): DeviceSummary[] {
    return this.devices().map((device) => ({ ...device, hasSessionKeys: this.#keys.has(device.id) }));
  }

  toJSON(): DeviceSummary[] {
    return this.describe();
  }
}
