/**
 * The Pi terminal process: the booking core wired to the SQLite outbox, the configured transport (MQTT on the LAN,
 * or LoRa through a RAK3172 for a LoRa-only site), the system clock and node:crypto, with the badge reader and the
 * display the caller brings (the kiosk page, keyboard-wedge or MFRC522 readers; a test's fakes). A badge list file
 * (config badgeListFile) adds the ledger's exported list to what the transport brings. `stadtsensor terminal` runs it
 * with the kiosk, the configured reader and GPIO (run.ts).
 */
import type { ConnectionTuning } from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import type { BookingKind } from '../core/contracts.ts';
import type { BadgeReader, ClockSource, Logger, TapOutcome, TerminalDisplay, TerminalStatus } from '../core/ports.ts';
import { createTerminal, type TimeClockTerminal } from '../core/terminal-core.ts';
import { withBadgeListFile } from './badge-list-file.ts';
import type { TerminalConfig } from './config.ts';
import { createLoraTransport, type LoraTransport } from './lora-transport.ts';
import { loraTiming } from './lora/lora-timing.ts';
import { MqttTransport } from './mqtt-transport.ts';
import { nodePseudonymHmac, nodeTimers, systemClock } from './node-platform.ts';
import { SqliteOutbox } from './sqlite-outbox.ts';

export interface TerminalIo {
  /** Where badges come from; optional: taps can also go through RunningTerminal.tap. */
  reader?: BadgeReader;
  display: TerminalDisplay;
  log?: Logger;
}

export interface TerminalOverrides {
  /** Instead of the system clock (tests, an RTC). */
  clock?: ClockSource;
  /** MQTT reconnect timing (tests). */
  mqttTuning?: Omit<ConnectionTuning, 'clean'>;
  /** How often a badge list file is checked for changes, ms (tests). */
  badgeListPollMs?: number;
}

export interface RunningTerminal {
  readonly config: TerminalConfig;
  /** A badge read (also what the reader's listener calls). */
  tap(uid: Uint8Array): TapOutcome;
  /** A kind button on the kiosk page or a GPIO button. */
  selectKind(kind: BookingKind): void;
  status(): TerminalStatus;
  counters(): Record<string, number>;
  readonly core: TimeClockTerminal;
  /** MqttTransport with an `mqtt:` section, LoraTransport with a `lora:` section. */
  readonly transport: MqttTransport | LoraTransport;
  /** Stops the core, says `offline` on MQTT (or closes the serial port), closes the database. Not the reader. */
  close(): Promise<void>;
}

/** Log lines to stderr without debug noise (the default logger). */
export function stderrLogger(terminalId: string): Logger {
  return (level, message) => {
    if (level !== 'debug') process.stderr.write(`${new Date().toISOString()} ${level} terminal ${terminalId}: ${message}\n`);
  };
}

/** Starts the terminal; it works offline from the first moment and connects in the background. */
export function startTerminal(config: TerminalConfig, io: TerminalIo, overrides: TerminalOverrides = {}): RunningTerminal {
  const log = io.log ?? stderrLogger(config.terminal.id);
  const outbox = new SqliteOutbox(config.outbox.path);
  let transport: MqttTransport | LoraTransport;
  try {
    transport = openTransport(config, log, overrides);
  } catch (error) {
    outbox.close();
    throw error;
  }
  const badgeList = config.badgeListFile === undefined ? null : withBadgeListFile(transport, { file: config.badgeListFile, log, ...(overrides.badgeListPollMs ? { pollMs: overrides.badgeListPollMs } : {}) });
  let core: TimeClockTerminal;
  try {
    core = createTerminal({
      outbox,
      badgeStore: outbox,
      clock: overrides.clock ?? systemClock({ trustWithoutTimesyncd: config.clock.trustWithoutTimesyncd }),
      hmac: nodePseudonymHmac(config.pseudonymKey),
      transport: badgeList ?? transport,
      display: io.display,
      timers: nodeTimers,
      ...(io.reader ? { reader: io.reader } : {}),
      log,
      settings: config.core,
    });
  } catch (error) {
    badgeList?.stopWatching();
    outbox.close();
    void transport.close();
    throw error;
  }
  log('info', `started: outbox ${config.outbox.path} with ${outbox.pendingCount()} pending, next sequence ${outbox.nextSequence()}`);
  let closing: Promise<void> | null = null;
  return {
    config,
    core,
    transport,
    tap: (uid) => core.tap(uid),
    selectKind: (kind) => core.selectKind(kind),
    status: () => core.status(),
    counters: () => core.counters(),
    close() {
      closing ??= (async () => {
        core.stop();
        badgeList?.stopWatching();
        await transport.close();
        outbox.close();
      })();
      return closing;
    },
  };
}

/** MQTT or LoRa, as the configuration says (config.ts makes sure it is exactly one). */
function openTransport(config: TerminalConfig, log: Logger, overrides: TerminalOverrides): MqttTransport | LoraTransport {
  const lora = config.lora;
  if (lora !== undefined) {
    const dutyCycle = loraTiming(lora.p2p, lora.batchSize, null, lora.receiveWindowMs);
    if (lora.uplinkSpacingMs !== null && lora.uplinkSpacingMs < dutyCycle.spacingMs) {
      log('warn', `LoRa uplink spacing ${lora.uplinkSpacingMs} ms is below the duty-cycle off time of a full batch (${Math.round(dutyCycle.spacingMs)} ms): keep it only where the band allows it`);
    }
    return createLoraTransport({
      path: lora.path,
      baudRate: lora.baudRate,
      p2p: lora.p2p,
      keys: lora.keys,
      // the session counters live next to the bookings, in the outbox file
      statePath: config.outbox.path,
      maxBatch: lora.batchSize,
      log,
      settings: { uplinkSpacingMs: lora.uplinkSpacingMs, receiveWindowMs: lora.receiveWindowMs },
    });
  }
  if (config.mqtt === undefined) throw new Error('the configuration has neither mqtt nor lora');
  return new MqttTransport({
    terminalId: config.terminal.id,
    connection: config.mqtt,
    log,
    ...(overrides.mqttTuning ? { tuning: overrides.mqttTuning } : {}),
  });
}
