/**
 * The terminal as `stadtsensor terminal` runs it: the kiosk page, the configured badge reader (evtest, standard
 * input or an MFRC522), GPIO buzzer, LEDs and buttons when configured, and the terminal (terminal.ts) drawing on the
 * page and the LEDs, with the page's buttons and the GPIO buttons choosing the booking kind.
 * close() stops them in this order: reader (no new taps), terminal (outbox closed, `offline` on MQTT), GPIO, page.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../core/ports.ts';
import type { Mfrc522ReaderConfig, ReaderConfig, TerminalConfig } from './config.ts';
import { GPIO_DEFAULTS } from './gpio/gpio-config.ts';
import { createGpiodCliLines } from './gpio/gpio-lines.ts';
import { describeGpio, startTerminalGpio, type TerminalGpio } from './gpio/terminal-gpio.ts';
import { bothDisplays } from './gpio/gpio-signals.ts';
import { startKioskServer, type KioskServer } from './kiosk/kiosk-server.ts';
import { forwardKindSelection, kioskTerminalDisplay } from './kiosk/terminal-display.ts';
import { nodeTimers } from './node-platform.ts';
import type { BadgeReader } from './readers/badge-reader.ts';
import { createEvtestBadgeReader } from './readers/evtest-reader.ts';
import { createLineBadgeReader } from './readers/line-reader.ts';
import { startTerminal, stderrLogger, type RunningTerminal, type TerminalOverrides } from './terminal.ts';

export interface TerminalServiceIo {
  /** Where a `type: stdin` reader reads (default: process.stdin). */
  stdin?: Readable;
  log?: Logger;
  /** The environment GPIO tools are started with (default process.env; tests put stand-ins on its PATH). */
  gpioEnv?: NodeJS.ProcessEnv;
}

export interface TerminalService {
  readonly terminal: RunningTerminal;
  readonly kiosk: KioskServer;
  readonly reader: BadgeReader;
  /** Absent without a `gpio:` section. */
  readonly gpio?: TerminalGpio;
  close(): Promise<void>;
}

/** The MFRC522 reader's module, written separately; loaded when a configuration asks for it. */
const MFRC522_MODULE = './readers/mfrc522-reader.ts';
/** The options of its createMfrc522Reader (readers/mfrc522-reader.ts Mfrc522ReaderOptions), as far as used here. */
type CreateMfrc522Reader = (options: { bus: number; device: number; maxSpeedHz: number; pollMs: number; reset?: (high: boolean) => void }) => BadgeReader;

/** Trouble at start that is no bug: the kiosk port is taken, the outbox cannot be opened. One line, no stack. */
export class TerminalStartError extends Error {
  override readonly name = 'TerminalStartError';
}

export function describeReader(reader: ReaderConfig): string {
  if (reader.type === 'mfrc522') {
    const reset = reader.resetLine === undefined ? 'no reset line' : `reset on line ${reader.resetLine}`;
    return `MFRC522 on /dev/spidev${reader.spiBus}.${reader.spiDevice} at ${reader.speedHz} Hz, ${reset}, polled every ${reader.pollMs} ms`;
  }
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

  let reader: BadgeReader;
  try {
    reader = await openReader(config, io.stdin ?? process.stdin, log, io.gpioEnv);
  } catch (error) {
    await kiosk.close();
    throw new TerminalStartError(`badge reader: ${(error as Error).message}`);
  }
  const gpio = config.gpio === undefined ? undefined : startTerminalGpio(config.gpio, { timers: nodeTimers, log, ...(io.gpioEnv ? { env: io.gpioEnv } : {}) });
  const kioskDisplay = kioskTerminalDisplay(kiosk);
  const display = gpio ? bothDisplays(kioskDisplay, gpio.signals, (error) => log('warn', `display: ${error.message}`)) : kioskDisplay;
  let terminal: RunningTerminal;
  try {
    terminal = startTerminal(config, { reader, display, log }, overrides);
  } catch (error) {
    await reader.close();
    await gpio?.close();
    await kiosk.close();
    throw new TerminalStartError(`cannot start the terminal (outbox ${config.outbox.path}): ${(error as Error).message}`);
  }
  forwardKindSelection(kiosk, terminal);
  if (gpio?.buttons) forwardKindSelection(gpio.buttons, terminal);
  log('info', `kiosk page on ${kiosk.url}; badge reader: ${describeReader(config.reader)}`);
  if (config.gpio) log('info', `GPIO ${describeGpio(config.gpio)}`);

  let closing: Promise<void> | null = null;
  return {
    terminal,
    kiosk,
    reader,
    ...(gpio ? { gpio } : {}),
    close() {
      closing ??= (async () => {
        await reader.close();
        await terminal.close();
        await gpio?.close();
        await kiosk.close();
      })();
      return closing;
    },
  };
}

/** The MFRC522 reader, imported only when configured, so the terminal runs without that module. */
async function openMfrc522(config: Mfrc522ReaderConfig, gpioChip: string | undefined, env: NodeJS.ProcessEnv | undefined, log: Logger): Promise<BadgeReader> {
  let create: CreateMfrc522Reader | undefined;
  try {
    const module = (await import(MFRC522_MODULE)) as { createMfrc522Reader?: CreateMfrc522Reader };
    create = module.createMfrc522Reader;
  } catch (error) {
    throw new Error(`type mfrc522: the MFRC522 reader module (${MFRC522_MODULE}) cannot be loaded: ${(error as Error).message}`);
  }
  if (typeof create !== 'function') throw new Error(`type mfrc522: ${MFRC522_MODULE} does not export createMfrc522Reader`);
  // the module's NRSTPD pin, held by gpioset like the other outputs (high: running)
  const resetLine = config.resetLine;
  const resetLines = resetLine === undefined ? null : createGpiodCliLines({ chip: gpioChip ?? GPIO_DEFAULTS.chip, outputs: [resetLine], outputsActiveLow: false, ...(env ? { env } : {}) });
  resetLines?.onError((error) => log('warn', `MFRC522 reset line: ${error.message}`));
  const reader = create({
    bus: config.spiBus,
    device: config.spiDevice,
    maxSpeedHz: config.speedHz,
    pollMs: config.pollMs,
    ...(resetLines !== null ? { reset: (high: boolean) => resetLines.setOutputs({ [resetLine!]: high ? 1 : 0 }) } : {}),
  });
  if (resetLines === null) return reader;
  const close = reader.close.bind(reader);
  reader.close = async () => {
    await close();
    await resetLines.close();
  };
  return reader;
}

async function openReader(config: TerminalConfig, stdin: Readable, log: Logger, gpioEnv: NodeJS.ProcessEnv | undefined): Promise<BadgeReader> {
  const readerConfig = config.reader;
  let reader: BadgeReader;
  if (readerConfig.type === 'mfrc522') {
    reader = await openMfrc522(readerConfig, config.gpio?.chip, gpioEnv, log);
  } else if (readerConfig.type === 'evtest') {
    reader = createEvtestBadgeReader({ device: readerConfig.device, format: readerConfig.format, byteOrder: readerConfig.byteOrder });
  } else {
    reader = createLineBadgeReader(stdin, { format: readerConfig.format, byteOrder: readerConfig.byteOrder });
    // under systemd standard input is /dev/null: say why no badge ever arrives
    stdin.once('end', () => log('warn', 'badge reader: standard input ended, no more card numbers from it'));
  }
  // rejections carry a reason only, never the number read
  reader.onRejected(({ reason }) => log('warn', `badge reader: refused a read (${reason})`));
  reader.onError((error) => log('warn', `badge reader: ${error.message}`));
  return reader;
}
