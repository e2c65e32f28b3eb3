/**
 * The gateway bridge's registry entry for a new device (a `devices:` list item of gateway-bridge/src/config/schema.ts),
 * as YAML to paste into the bridge configuration or its devices file. P2P entries carry the session keys the bridge
 * needs to check MIC and decrypt; OTAA devices are joined by TTN or ChirpStack, so their entry has no keys.
 */
import { stringify } from 'yaml';
import type { DeviceEntry } from '../../gateway-bridge/src/types.ts';
import type { DeviceIdentity } from './identity.ts';

/** The fields of the bridge's DeviceEntry a new device has; the type as the bridge's config names it. */
export type RegistryEntry = Pick<DeviceEntry, 'id' | 'name' | 'devEui' | 'devAddr' | 'nwkSKey' | 'appSKey'> & { type: string };

export function registryEntry(identity: DeviceIdentity): RegistryEntry {
  const { id, name, devEui, type, keys } = identity;
  if (keys.network !== 'p2p') return { id, name, devEui, type };
  return { id, name, devEui, devAddr: keys.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey, type };
}

/** The entry as a one-item YAML list, with comments that say what is secret and where it goes. */
export function registryEntryYaml(identity: DeviceIdentity): string {
  const entry = registryEntry(identity);
  const head =
    identity.keys.network === 'p2p'
      ? [
          `# Bridge registry entry for ${identity.name}: add it under "devices:" of the bridge configuration`,
          '# (or to its devicesFile). nwkSKey and appSKey are SECRET: keep that file chmod 600 (640 for the',
          '# stadtsensor group at most); the bridge refuses a file others can read, and never logs these keys.',
        ]
      : [
          `# Bridge registry entry for ${identity.name} (LoRaWAN OTAA): add it under "devices:" of the bridge`,
          '# configuration. Register the device in TTN or ChirpStack with its DevEUI, JoinEUI and AppKey (from the',
          '# keys file); the network server holds the session keys, so this entry has none.',
        ];
  // yaml quotes hex strings that would otherwise read as numbers (e.g. 00000012 or 1E100000)
  return `${head.join('\n')}\n${stringify([entry], { lineWidth: 0 })}`;
}
