/**
 * The UART side of a RAK modem's AT interface (RUI3 framing, shared/reference/rak-rui3-at.md): the serial port and
 * timer seams, and the splitting of the character stream into clean lines. The caller passes the serial port and
 * the timer functions, so drivers run on Espruino and under vitest alike.
 */

/** Espruino's Serial: `write(string)` and `on('data', fn(string))`. */
export interface SerialPort {
  write(data: string): void;
  on(event: 'data', listener: (data: string) => void): void;
}

/** setTimeout/clearTimeout as Espruino (or Node, or a virtual clock) provides them. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

/** Longer lines are dropped: RUI3's longest (a 500-hex-digit payload in an event) stays below this. */
export const MAX_LINE_LENGTH = 512;

/**
 * Cancels a timer. Espruino's clearTimeout() without an id stops every timer, and older builds throw on an id
 * that already fired, so only live handles go in and an error is swallowed.
 */
export function cancelTimer(timers: Timers, handle: unknown): void {
  if (handle === undefined) return;
  try {
    timers.clearTimeout(handle);
  } catch {
    // the timer had fired already
  }
}

function isPrintable(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

/**
 * Splits a character stream into trimmed lines; returns the function to feed it with. \r\n, \r and \n all end a
 * line and blank lines are ignored, so a \r\n split across two chunks does no harm. Noise before the first printable
 * character (a reset glitch) is stripped; a line with other non-printable characters, or longer than
 * MAX_LINE_LENGTH, is dropped and reported to onDrop.
 */
export function lineSplitter(onLine: (line: string) => void, onDrop: () => void): (data: string) => void {
  let buffer = '';
  /** Inside an over-long line that was already dropped: discard up to the next line end. */
  let skipping = false;

  function accept(raw: string): void {
    let start = 0;
    while (start < raw.length && !isPrintable(raw.charCodeAt(start))) start++;
    const line = raw.substring(start).trim();
    let ok = line.length <= MAX_LINE_LENGTH && (line !== '' || start === 0);
    for (let i = 0; ok && i < line.length; i++) ok = isPrintable(line.charCodeAt(i));
    if (!ok) onDrop();
    else if (line !== '') onLine(line);
  }

  return (data) => {
    const parts = (buffer + data).split(/[\r\n]/);
    buffer = parts.pop() || '';
    for (let i = 0; i < parts.length; i++) {
      if (skipping) skipping = false;
      else accept(parts[i] || '');
    }
    if (buffer.length > MAX_LINE_LENGTH) {
      if (!skipping) onDrop();
      buffer = '';
      skipping = true;
    }
  };
}
