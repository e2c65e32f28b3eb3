/**
 * The AT line link to a RAK modem (RUI3 framing, shared/reference/rak-rui3-at.md): splits the UART stream into
 * lines and runs one command at a time, in the style of EspruinoDocs `modules/AT.js`. The caller passes the serial
 * port and the timer functions, so this runs on Espruino and under vitest alike.
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

/** At most this many unmatched lines are kept in a reply (a boot banner prints a handful). */
const MAX_REPLY_LINES = 16;

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
 * Splits a character stream into trimmed lines. \r\n, \r and \n all end a line and blank lines are ignored, so a
 * \r\n split across two chunks does no harm. Noise before the first printable character (a reset glitch) is
 * stripped; a line with other non-printable characters, or longer than MAX_LINE_LENGTH, is dropped and counted.
 */
export class LineSplitter {
  dropped = 0;
  private buffer = '';
  /** Inside an over-long line that was already dropped: discard up to the next line end. */
  private skipping = false;
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  feed(data: string): void {
    const parts = (this.buffer + data).split(/[\r\n]/);
    this.buffer = parts.pop() || '';
    for (let i = 0; i < parts.length; i++) {
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      this.accept(parts[i] || '');
    }
    if (this.buffer.length > MAX_LINE_LENGTH) {
      if (!this.skipping) this.dropped++;
      this.buffer = '';
      this.skipping = true;
    }
  }

  private accept(raw: string): void {
    let start = 0;
    while (start < raw.length && !isPrintable(raw.charCodeAt(start))) start++;
    const line = raw.substring(start).trim();
    if (line === '') {
      if (start > 0) this.dropped++;
      return;
    }
    if (line.length > MAX_LINE_LENGTH) {
      this.dropped++;
      return;
    }
    for (let i = 0; i < line.length; i++) {
      if (!isPrintable(line.charCodeAt(i))) {
        this.dropped++;
        return;
      }
    }
    this.onLine(line);
  }
}

/** What a command produced besides its status. */
export interface AtReply {
  /** 'OK', an AT_* error string, or '' when the command ended otherwise (timeout, `until` line). */
  status: string;
  /** `<value>` of an `AT+XXX=<value>` line naming the command in flight (a query reply). */
  value?: string;
  /** Other lines seen while the command was in flight (info text, a boot banner). */
  lines: string[];
  /** From `Restricted_Wait_<ms>_ms`: the duty cycle blocks the command for this long. */
  waitMs?: number;
}

/** err: null on OK, 'timeout', 'overflow' (queue full) or the AT_* status line. */
export type AtCallback = (err: string | null, reply: AtReply) => void;

export interface AtCommandOptions {
  /** Default: the link's defaultTimeoutMs. */
  timeoutMs?: number;
  /** A line starting with this completes the command (a boot banner); OK is then not final, errors still are. */
  until?: string;
  /** Runs instead of writing the command (pulling a reset pin); the command text is only logged. */
  action?: () => void;
}

export interface AtLinkOptions {
  log?: Logger;
  /** Rewrites a line before it is logged (to hide key values). */
  redact?: (line: string) => string;
  /** 2000 ms: RUI3 answers within milliseconds, a flash write takes up to ~100 ms. */
  defaultTimeoutMs?: number;
  /** Commands waiting behind the one in flight: 8. */
  maxQueue?: number;
}

export interface AtLinkStats {
  commandsSent: number;
  timeouts: number;
  linesDropped: number;
}

interface Pending {
  command: string;
  /** Upper-case name of an `AT+NAME...` command, for matching its query reply. */
  name: string;
  options: AtCommandOptions;
  cb: AtCallback;
  reply: AtReply;
  timer: unknown;
}

const RESTRICTED = /^Restricted_Wait_([0-9]+)_ms$/;
const STATUS = /^AT_[A-Z_]+$/;
const COMMAND_NAME = /^AT\+([A-Z0-9]+)/;

/** The status line that ends a command: OK or one of RUI3's AT_* errors. */
export function isStatusLine(line: string): boolean {
  return line === 'OK' || STATUS.test(line);
}

/** The wait in ms of a `Restricted_Wait_<ms>_ms` line, else undefined. */
export function restrictedWaitMs(line: string): number | undefined {
  const m = RESTRICTED.exec(line);
  return m ? parseInt(m[1] || '', 10) : undefined;
}

export class AtLink {
  private readonly serial: SerialPort;
  private readonly timers: Timers;
  private readonly log: Logger | undefined;
  private readonly redact: (line: string) => string;
  private readonly defaultTimeoutMs: number;
  private readonly maxQueue: number;
  private readonly splitter: LineSplitter;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private readonly listeners: ((line: string) => void)[] = [];
  private sent = 0;
  private timedOut = 0;

  constructor(serial: SerialPort, timers: Timers, options?: AtLinkOptions) {
    const o = options || {};
    this.serial = serial;
    this.timers = timers;
    this.log = o.log;
    this.redact = o.redact || ((line) => line);
    this.defaultTimeoutMs = o.defaultTimeoutMs || 2000;
    this.maxQueue = o.maxQueue || 8;
    this.splitter = new LineSplitter((line) => this.handleLine(line));
    serial.on('data', (data) => this.splitter.feed(data));
  }

  /** Queues a command; cb(err, reply) once its status line arrives, its `until` line arrives, or it times out. */
  cmd(command: string, options: AtCommandOptions | undefined, cb: AtCallback): void {
    const reply: AtReply = { status: '', lines: [] };
    if (this.queue.length >= this.maxQueue) {
      this.timers.setTimeout(() => cb('overflow', reply), 0);
      return;
    }
    const m = COMMAND_NAME.exec(command.toUpperCase());
    this.queue.push({ command, name: m ? m[1] || '' : '', options: options || {}, cb, reply, timer: undefined });
    this.next();
  }

  /**
   * Every line no command claims: +EVT: events always (also while a command is in flight), other lines only when
   * none is.
   */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  isBusy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  stats(): AtLinkStats {
    return { commandsSent: this.sent, timeouts: this.timedOut, linesDropped: this.splitter.dropped };
  }

  private next(): void {
    if (this.current) return;
    const p = this.queue.shift();
    if (!p) return;
    this.current = p;
    p.timer = this.timers.setTimeout(() => {
      p.timer = undefined;
      this.timedOut++;
      this.debug('timeout: ' + this.redact(p.command));
      this.finish(p, 'timeout');
    }, p.options.timeoutMs || this.defaultTimeoutMs);
    this.debug('> ' + this.redact(p.command));
    if (p.options.action) {
      p.options.action();
    } else {
      this.sent++;
      this.serial.write(p.command + '\r\n');
    }
  }

  private finish(p: Pending, err: string | null): void {
    if (this.current !== p) return;
    cancelTimer(this.timers, p.timer);
    p.timer = undefined;
    this.current = undefined;
    try {
      p.cb(err, p.reply);
    } finally {
      this.next();
    }
  }

  private handleLine(line: string): void {
    this.debug('< ' + this.redact(line));
    const p = this.current;
    if (p) {
      if (p.options.until && line.indexOf(p.options.until) === 0) {
        this.finish(p, null);
        return;
      }
      if (line.indexOf('+EVT:') !== 0) {
        this.claim(p, line);
        return;
      }
    }
    for (let i = 0; i < this.listeners.length; i++) {
      const listener = this.listeners[i];
      if (listener) listener(line);
    }
  }

  /** A non-event line while p is in flight. */
  private claim(p: Pending, line: string): void {
    if (isStatusLine(line)) {
      p.reply.status = line;
      if (line !== 'OK') this.finish(p, line);
      else if (!p.options.until) this.finish(p, null);
      return;
    }
    const wait = restrictedWaitMs(line);
    if (wait !== undefined) {
      p.reply.waitMs = wait;
      return;
    }
    const upper = line.toUpperCase();
    if (upper === p.command.toUpperCase()) return; // echo (ATE on)
    const prefix = 'AT+' + p.name + '=';
    if (p.name !== '' && upper.indexOf(prefix) === 0) {
      p.reply.value = line.substring(prefix.length);
      return;
    }
    if (p.reply.lines.length < MAX_REPLY_LINES) p.reply.lines.push(line);
  }

  private debug(message: string): void {
    if (this.log) this.log('debug', message);
  }
}
