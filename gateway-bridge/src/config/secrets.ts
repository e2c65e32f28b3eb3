/** Every secret value a configuration holds, for the logger to scrub from its output whatever key it sits under. */
import type { BridgeConfig } from './schema.ts';

export function collectSecrets(config: BridgeConfig): string[] {
  const secrets = new Set<string>();
  for (const device of config.devices) {
    if (device.nwkSKey !== undefined) secrets.add(device.nwkSKey);
    if (device.appSKey !== undefined) secrets.add(device.appSKey);
  }
  for (const connection of [config.mqtt, ...config.network]) {
    if (connection.password !== undefined) secrets.add(connection.password);
  }
  return [...secrets];
}
