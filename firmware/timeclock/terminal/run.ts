/**
 * The terminal as `stadtsensor terminal` runs it: the kiosk page, the configured badge reader (evtest or standard
 * input) and the terminal (terminal.ts) drawing on the page, with the page's buttons choosing the booking kind.
 * close() stops them in this order: reader (no new taps), terminal (outbox closed, `offline` on MQTT), kiosk page.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../core/ports.ts';
import type { ReaderConfig, TerminalConfig } from './config.ts';
import { startKioskServer, type KioskServer } from './kiosk/kiosk-server.ts';
import { forwardKindSelection, kioskTerminalDisplay } from './kiosk/terminal-display.ts';
import type { BadgeReader } from './readers/badge-reader.ts';
import { createEvtestBadgeReader } from './readers/evtest-reader.ts';
import { createLineBadgeReader } from './readers/line-reader.ts';
import { startTerminal, stderrLogger, type RunningTerminal, type TerminalOverrides } from './terminal.ts';

export interface TerminalServiceIo {
  /** Where a `type: stdin` reader reads (default: process.stdin). */
  stdin?: Readable;
  log?: Logger;
}

export interface TerminalService {
  readonly terminal: RunningTerminal;
  readonly kiosk: KioskServer;
  readonly reader: BadgeReader;
  close(): Promise<void>;
}

/** Trouble at start that is no bug: the kiosk port is taken, the outbox cannot be opened. One line, no stack. */
export class TerminalStartError extends Error {
  override readonly name = 'TerminalStartError';
}

export function describeReader(reader: ReaderConfig): string {
  const source = reader.type === 'evtest' ? `evtest --grab ${reader.device}` : 'standard input, one card number a line';
  return `${source} (format ${reader.format}, byte order ${reader.byteOrder})`;
}

export async function startTerminalService(config: TerminalConfig, io: TerminalServiceIo = {}, overrides: TerminalOverrides = {}): Promise<TerminalService> {
  const log = io.log ?? stderrLogger(config.terminal.id);
  const { host, port, timeZone } = config.kiosk;
  let kiosk: KioskServer;
  try {
    kiosk = await startKioskServer({ host, port, ...(timeZone !== undefined ? { timeZone } : {}) });
  } catch (error) {
    throw new TerminalStartError(`kiosk page: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }

  const reader = openReader(config.reader, io.stdin ?? process.stdin, log);
  let terminal: RunningTerminal;
  try {
    terminal = startTerminal(config, { reader, display: kioskTerminalDisplay(kiosk), log }, overrides);
  } catch (error) {
    await reader.close();
    await kiosk.close();
    throw new TerminalStartError(`cannot start the terminal (outbox ${config.outbox.path}): ${(error as Error).message}`);
  }
  forwardKindSelection(kiosk, terminal);
  log('info', `kiosk page on ${kiosk.url}; badge reader: ${describeReader(config.reader)}`);

  let closing: Promise<void> | null = null;
  return {
    terminal,
    kiosk,
    reader,
    close() {
      closing ??= (async () => {
        await reader.close();
        await terminal.close();
        await kiosk.close();
      })();
      return closing;
    },
  };
}

function openReader(config: ReaderConfig, stdin: Readable, log: Logger): BadgeReader {
  const cardNumbers = { format: config.format, byteOrder: config.byteOrder };
  let reader: BadgeReader;
  if (config.type === 'evtest') {
    reader = createEvtestBadgeReader({ device: config.device, ...cardNumbers });
  } else {
    reader = createLineBadgeReader(stdin, cardNumbers);
    // under systemd standard input is /dev/null: say why no badge ever arrives
    stdin.once('end', () => log('warn', 'badge reader: standard input ended, no more card numbers from it'));
  }
  // rejections carry a reason only, never the number read
  reader.onRejected(({ reason }) => log('warn', `badge reader: refused a read (${reason})`));
  reader.onError((error) => log('warn', `badge reader: ${error.message}`));
  return reader;
}
