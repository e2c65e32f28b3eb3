/** What a valid configuration may still get wrong: said at start, not refused. */
import type { BridgeConfig, MqttConnectionConfig } from './schema.ts';

export function warningsFor(config: Omit<BridgeConfig, 'source'>): string[] {
  const warnings: string[] = [];
  if (config.serial.length > 0 && !config.devices.some((d) => d.devAddr !== undefined)) {
    warnings.push('serial inputs are configured but no device has devAddr, nwkSKey and appSKey: every frame they hear will be rejected as unknown-devaddr');
  }
  const keyOwner = new Map<string, string>();
  for (const device of config.devices) {
    for (const key of [device.nwkSKey, device.appSKey]) {
      if (key === undefined) continue;
      const owner = keyOwner.get(key);
      if (owner !== undefined && owner !== device.id) warnings.push(`devices ${owner} and ${device.id} share a session key: give every node its own keys`);
      else keyOwner.set(key, device.id);
    }
  }
  const connections: Array<[string, MqttConnectionConfig]> = [['mqtt', config.mqtt], ...config.network.map((n, i): [string, MqttConnectionConfig] => [`network[${i}]`, n])];
  for (const [name, c] of connections) {
    if (!c.rejectUnauthorized) warnings.push(`${name}.rejectUnauthorized is false: the broker's certificate is not checked`);
    const url = new URL(c.url);
    if (c.password !== undefined && (url.protocol === 'mqtt:' || url.protocol === 'ws:') && !isLoopback(url.hostname)) {
      warnings.push(`${name}: the password goes unencrypted over ${url.protocol}// to ${url.hostname}; use ${url.protocol === 'mqtt:' ? 'mqtts' : 'wss'}://`);
    }
  }
  return [...new Set(warnings)];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]' || host === '::1';
}
