/**
 * `stadtsensor bridge --config <file>`: the gateway bridge as a service (systemd runs this), and
 * `stadtsensor demo` (what `npm start` runs): the whole path on one machine with the embedded broker.
 */
import type { Command } from 'commander';
import { Bridge } from '../../gateway-bridge/src/bridge.ts';
import { ConfigError, loadConfig } from '../../gateway-bridge/src/config/load.ts';
import type { BridgeConfig } from '../../gateway-bridge/src/config/schema.ts';
import { UsageError } from './input.ts';
import { firstStopSignal } from './signals.ts';

function load(path: string): BridgeConfig {
  try {
    return loadConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function summarize(config: BridgeConfig): string {
  const inputs = [...config.serial.map((s) => `serial ${s.id} (${s.path}, ${s.module})`), ...config.network.map((n) => `${n.kind} ${n.id}`)];
  return [
    `gateway ${config.gateway.id}: ${config.devices.length} devices; inputs: ${inputs.join(', ')}`,
    `output ${config.mqtt.url} as ${config.mqtt.format}, topics ${config.mqtt.topicPrefix}/...; outbox ${config.outbox.path}`,
    ...config.source.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`not a positive number of seconds: ${text}`);
  return value;
}

export function registerBridgeCommands(program: Command): void {
  program
    .command('bridge')
    .description('run the gateway bridge: serial RAK module and TTN/ChirpStack in, MQTT out (see hardware/gateway/README.md)')
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON), e.g. /etc/stadtsensor/bridge.yaml')
    .option('--check', 'check the configuration, print what it sets up and exit')
    .action(async (opts: { config: string; check?: boolean }) => {
      const config = load(opts.config);
      if (opts.check) {
        console.log(`${opts.config}: ok\n${summarize(config)}`);
        return;
      }
      const bridge = await Bridge.start(config);
      const signal = await firstStopSignal();
      bridge.logger.info(`${signal}: stopping, flushing the outbox`);
      await bridge.stop(20_000);
    });

  program
    .command('demo')
    .description('the whole path on this machine: embedded broker, simulated RAK module on a pseudo-terminal, bridge, nodes')
    .option('--broker <url>', 'use this broker instead of the embedded one, e.g. mqtt://127.0.0.1:1883')
    .option('--port <port>', 'preferred port of the embedded broker (another one is taken when it is in use)', '1883')
    .option('--interval <seconds>', 'time between two uplinks', '1.5')
    .option('--duration <seconds>', 'stop after this long (default: run until Ctrl-C)')
    .option('--verbose', 'show the bridge log')
    .action(async (opts: { broker?: string; port: string; interval: string; duration?: string; verbose?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`not a port: ${opts.port}`);
      // the demo's simulator stays out of a bridge's memory
      const { runDemo } = await import('../demo/run-demo.ts');
      await runDemo({
        brokerUrl: opts.broker,
        port,
        intervalS: seconds(opts.interval),
        durationS: opts.duration === undefined ? undefined : seconds(opts.duration),
        logLevel: opts.verbose ? 'info' : 'warn',
      });
    });
}
