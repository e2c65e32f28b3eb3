/**
 * The device registry's entries: from the configuration file and a devices file, with ids, DevEUIs and DevAddrs
 * unique across both.
 */
import { basename, dirname } from 'node:path';
import type { DeviceEntry } from '../types.ts';
import { ConfigError, pathToString, type ConfigIssue } from './errors.ts';
import { checkPrivate } from './files.ts';
import { located, readStructuredFile, validate, type Source } from './parse.ts';
import { deviceListSchema, type BridgeConfigFile } from './schema.ts';

type FileDevice = BridgeConfigFile['devices'][number];

/** A device and where it was written, for messages about it. */
export interface PlacedDevice {
  device: DeviceEntry;
  at: Source;
  path: PropertyKey[];
}

export function toDeviceEntry(d: FileDevice): DeviceEntry {
  const id = d.id ?? d.devEui;
  const entry: DeviceEntry = { id, name: d.name ?? id, devEui: d.devEui, type: d.type };
  if (d.devAddr !== undefined) entry.devAddr = d.devAddr;
  if (d.nwkSKey !== undefined) entry.nwkSKey = d.nwkSKey;
  if (d.appSKey !== undefined) entry.appSKey = d.appSKey;
  if (d.location !== undefined) entry.location = d.location;
  if (d.sendIntervalS !== undefined) entry.sendIntervalS = d.sendIntervalS;
  if (d.counterReset !== undefined) entry.counterReset = d.counterReset;
  return entry;
}

/** "session keys of 3 devices", for the permission message; undefined when none has keys. */
export function sessionKeysOf(devices: readonly FileDevice[]): string | undefined {
  const count = devices.filter((d) => d.nwkSKey !== undefined).length;
  return count === 0 ? undefined : `session keys of ${count} device${count === 1 ? '' : 's'}`;
}

/** A devices file: a list of devices, or a map with the one key `devices`. Problems go to `issues`. */
export function loadDevicesFile(file: string, checkPermissions: boolean, issues: ConfigIssue[]): PlacedDevice[] {
  try {
    const { value, locate } = readStructuredFile(file);
    const source: Source = { file, baseDir: dirname(file), locate };
    const wrapped = value !== null && typeof value === 'object' && !Array.isArray(value);
    let devices: FileDevice[];
    if (wrapped) {
      const unknown = Object.keys(value).filter((k) => k !== 'devices');
      if (unknown.length > 0) {
        throw new ConfigError(unknown.map((k) => located(source, [k], `unknown key "${k}": a devices file holds a list, or a map with the one key "devices"`)));
      }
      devices = validate(deviceListSchema, (value as { devices?: unknown }).devices ?? [], source, ['devices']);
    } else {
      devices = validate(deviceListSchema, value ?? [], source);
    }
    const holds = sessionKeysOf(devices);
    if (checkPermissions && holds !== undefined) checkPrivate(file, holds, issues);
    return devices.map((d, i) => ({ device: toDeviceEntry(d), at: source, path: wrapped ? ['devices', i] : [i] }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
    return [];
  }
}

/** One issue per id, DevEUI or DevAddr used again, naming the first use. */
export function checkUniqueDevices(placed: readonly PlacedDevice[], issues: ConfigIssue[]): void {
  for (const key of ['id', 'devEui', 'devAddr'] as const) {
    const seen = new Map<string, PlacedDevice>();
    for (const entry of placed) {
      const value = entry.device[key];
      if (value === undefined) continue;
      const first = seen.get(value);
      if (first === undefined) {
        seen.set(value, entry);
        continue;
      }
      const otherFile = first.at !== entry.at && first.at.file !== undefined ? ` in ${basename(first.at.file)}` : '';
      issues.push(located(entry.at, [...entry.path, key], `${key} ${value} is already used by ${pathToString(first.path)}${otherFile}`));
    }
  }
}
