/**
 * `stadtsensor terminal --config <file>`: the time-clock terminal as a service (systemd runs this, see
 * hardware/timeclock/terminal-setup.md): kiosk page, badge reader, GPIO, booking outbox, delivery to the ledger over
 * MQTT or, at a LoRa-only site, through a RAK3172 and the gateway bridge.
 */
import type { Command } from 'commander';
import { ConfigError, loadTerminalConfig, type TerminalConfig } from '../../firmware/timeclock/terminal/config.ts';
import { describeGpio } from '../../firmware/timeclock/terminal/gpio/terminal-gpio.ts';
import { describeReader, startTerminalService, TerminalStartError } from '../../firmware/timeclock/terminal/run.ts';
import { stderrLogger } from '../../firmware/timeclock/terminal/terminal.ts';
import { UsageError } from './input.ts';
import { firstStopSignal } from './signals.ts';

/** main.ts's EXIT.internal (not imported: main.ts imports this file). */
const EXIT_INTERNAL = 1;

function load(path: string): TerminalConfig {
  try {
    return loadTerminalConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** How bookings travel; never a key or a password. */
function describeTransport(config: TerminalConfig): string {
  const { mqtt, lora } = config;
  if (lora !== undefined) {
    const { p2p } = lora;
    const spacing = lora.uplinkSpacingMs === null ? 'duty-cycle spacing' : `${lora.uplinkSpacingMs} ms spacing`;
    return (
      `LoRa ${lora.path} at ${lora.baudRate} baud, P2P ${p2p.freqHz} Hz SF${p2p.sf} ${p2p.bwKhz} kHz, DevAddr ${lora.keys.devAddr}, ` +
      `${lora.batchSize} bookings per uplink, ${spacing}, receive window ${lora.receiveWindowMs} ms, ack timeout ${config.core.ackTimeoutMs / 1000} s`
    );
  }
  const user = mqtt?.username === undefined ? '' : ` as ${mqtt.username}`;
  return `MQTT ${mqtt?.url}${user}, client id ${mqtt?.clientId}`;
}

/** What --check prints; never the key, only where it is and how long. */
export function summarizeTerminalConfig(config: TerminalConfig): string {
  const { kiosk } = config;
  const host = kiosk.host.includes(':') ? `[${kiosk.host}]` : kiosk.host;
  return [
    `terminal ${config.terminal.id}: ${describeTransport(config)}`,
    `pseudonym key ${config.pseudonymKeyFile} (${config.pseudonymKey.length} bytes); outbox ${config.outbox.path}`,
    ...(config.badgeListFile !== undefined ? [`badge list file: ${config.badgeListFile}`] : []),
    `badge reader: ${describeReader(config.reader)}`,
    `kiosk page: http://${host}:${kiosk.port}/ (times in ${kiosk.timeZone ?? 'the system time zone'})`,
    ...(config.gpio !== undefined ? [`GPIO ${describeGpio(config.gpio)}`] : []),
  ].join('\n');
}

export function registerTimeclockCommands(program: Command): void {
  program
    .command('terminal')
    .description('run the time-clock terminal: badge reader, booking outbox, MQTT or LoRa to the ledger, kiosk page, GPIO (see hardware/timeclock/terminal-setup.md)')
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON), e.g. /etc/stadtsensor/terminal.yaml')
    .option('--check', 'check the configuration, print what it sets up and exit')
    .action(async (opts: { config: string; check?: boolean }) => {
      const config = load(opts.config);
      if (opts.check) {
        console.log(`${opts.config}: ok\n${summarizeTerminalConfig(config)}`);
        return;
      }
      // listening before anything starts: a SIGTERM during start-up still closes everything
      const stop = firstStopSignal();
      const log = stderrLogger(config.terminal.id);
      const service = await startTerminalService(config, { log }).catch((error: unknown) => {
        throw error instanceof TerminalStartError ? new UsageError(error.message, EXIT_INTERNAL) : error;
      });
      const signal = await stop;
      log('info', `${signal}: stopping`);
      await service.close();
      log('info', 'stopped');
    });
}
