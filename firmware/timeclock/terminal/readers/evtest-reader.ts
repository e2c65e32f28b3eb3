/**
 * A USB keyboard-wedge badge reader read through evdev with an exclusive grab, so the typed number reaches no other
 * program (not the kiosk browser, not a console). Node has no ioctl(EVIOCGRAB), so this runs Debian's
 * `evtest --grab <device>` and parses its output (evtest-lines.ts → keystrokes.ts → card-number.ts).
 *
 * When evtest ends (reader unplugged, no permission, evtest missing) or the device is grabbed by another process,
 * the error is reported and evtest is started again with a growing delay (1 s doubling to 30 s); the by-id path
 * finds the reader again once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BadgeReaderEvents, type BadgeReader } from './badge-reader.ts';
import { cardNumberToUid, type CardNumberOptions } from './card-number.ts';
import { parseEvtestLine } from './evtest-lines.ts';
import { KeystrokeAssembler, type KeystrokeOptions } from './keystrokes.ts';

export interface EvtestReaderOptions extends CardNumberOptions, KeystrokeOptions {
  /** The reader's event device, e.g. /dev/input/by-id/usb-Sycreader_RFID_Reader-event-kbd. */
  device: string;
  /** Defaults to `evtest` on the PATH. */
  evtestPath?: string;
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

const STDERR_KEPT = 1000;

/** The command line: evtest's capture mode with an exclusive grab. */
export function evtestArguments(device: string): string[] {
  return ['--grab', device];
}

export function createEvtestBadgeReader(options: EvtestReaderOptions): BadgeReader {
  const events = new BadgeReaderEvents();
  const firstDelay = options.restartDelayMs ?? 1000;
  const maxDelay = options.maxRestartDelayMs ?? 30_000;
  let delay = firstDelay;
  let child: ChildProcess | null = null;
  let restartTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const start = (): void => {
    restartTimer = null;
    if (closed) return;
    const assembler = new KeystrokeAssembler(options);
    let stderr = '';
    let reported = false;
    const proc = spawn(options.evtestPath ?? 'evtest', evtestArguments(options.device), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const fail = (message: string): void => {
      if (reported) return;
      reported = true;
      events.emitError(new Error(message));
    };

    proc.on('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'ENOENT'
          ? 'evtest not found (' + (options.evtestPath ?? 'evtest') + '): install the Debian package evtest'
          : 'evtest could not start: ' + error.message,
      );
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on('line', (text) => {
      const line = parseEvtestLine(text);
      if (line.type === 'grabbed-elsewhere') {
        fail(options.device + ' is grabbed by another process; retrying');
        proc.kill('SIGTERM');
        return;
      }
      if (line.type === 'garbage') {
        events.emitRejected('unreadable-event');
        return;
      }
      if (line.type === 'key') delay = firstDelay;
      for (const result of assembler.push(line)) {
        if (!result.ok) {
          events.emitRejected(result.reason);
          continue;
        }
        const uid = cardNumberToUid(result.number, options);
        if (uid.ok) events.emitBadge(uid.uid);
        else events.emitRejected(uid.reason);
      }
    });
    proc.on('close', (code, signal) => {
      if (child === proc) child = null;
      if (closed) return;
      const detail = stderr.trim() === '' ? '' : ': ' + stderr.trim().split('\n').slice(-2).join(' ');
      fail('evtest for ' + options.device + ' ended (' + (signal ?? 'exit code ' + code) + ')' + detail);
      restartTimer = setTimeout(start, delay);
      delay = Math.min(delay * 2, maxDelay);
    });
  };

  start();

  return events.reader(async () => {
    closed = true;
    if (restartTimer) clearTimeout(restartTimer);
    const proc = child;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('close', () => resolve());
      proc.kill('SIGTERM');
    });
  });
}
