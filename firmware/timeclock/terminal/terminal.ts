/**
 * The Pi terminal process: the booking core wired to the SQLite outbox, the MQTT transport, the system clock and
 * node:crypto, with the badge reader and the display the caller brings (the kiosk page, keyboard-wedge or MFRC522
 * readers; a test's fakes). `stadtsensor terminal` runs it with the kiosk and the configured reader (run.ts).
 */
import type { ConnectionTuning } from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import type { BookingKind } from '../core/contracts.ts';
import type { BadgeReader, ClockSource, Logger, TapOutcome, TerminalDisplay, TerminalStatus } from '../core/ports.ts';
import { createTerminal, type TimeClockTerminal } from '../core/terminal-core.ts';
import type { TerminalConfig } from './config.ts';
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
  readonly transport: MqttTransport;
  /** Stops the core, says `offline` on MQTT, disconnects and closes the database. Does not close the reader. */
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
  const transport = new MqttTransport({
    terminalId: config.terminal.id,
    connection: config.mqtt,
    log,
    ...(overrides.mqttTuning ? { tuning: overrides.mqttTuning } : {}),
  });
  let core: TimeClockTerminal;
  try {
    core = createTerminal({
      outbox,
      badgeStore: outbox,
      clock: overrides.clock ?? systemClock({ trustWithoutTimesyncd: config.clock.trustWithoutTimesyncd }),
      hmac: nodePseudonymHmac(config.pseudonymKey),
      transport,
      display: io.display,
      timers: nodeTimers,
      ...(io.reader ? { reader: io.reader } : {}),
      log,
      settings: config.core,
    });
  } catch (error) {
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
        await transport.close();
        outbox.close();
      })();
      return closing;
    },
  };
}
