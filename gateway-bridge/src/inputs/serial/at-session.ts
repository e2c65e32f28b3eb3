/**
 * The command side of one open serial port: writes AT commands one at a time and matches the classified lines that
 * come back (module-lines.ts) to the command in flight, with a timeout per command. Lines that are not a reply (an
 * event the caller waits for, a banner) go to waiters registered with waitFor() before the command that causes them,
 * so an event in the same read as the command's OK is not missed. One session lives as long as the port is open;
 * closing it fails whatever still waits, with an error naming the command.
 */
import type { ModuleLine } from './module-lines.ts';
import { quote } from './module-lines.ts';

export interface AtReply {
  command: string;
  /** The status line: `OK`, `AT_BUSY_ERROR`, `OK V3.0.0.14.H`, `ERROR: 80`, `Initialization OK`. */
  status: string;
  ok: boolean;
  /** Text lines printed before the status (query values, notices). */
  lines: string[];
}

export type AtProblem = 'timeout' | 'refused' | 'closed';

export class AtError extends Error {
  constructor(
    readonly command: string,
    readonly problem: AtProblem,
    message: string,
    readonly reply?: AtReply,
  ) {
    super(message);
    this.name = 'AtError';
  }
}

export interface Wait<T> {
  promise: Promise<T>;
  cancel(): void;
}

interface InFlight {
  command: string;
  lines: string[];
  timer: NodeJS.Timeout;
  resolve(reply: AtReply): void;
  reject(error: Error): void;
}

interface Waiter {
  match(line: ModuleLine): boolean;
  what: string;
  timer: NodeJS.Timeout;
  resolve(line: ModuleLine): void;
  reject(error: Error): void;
}

/** Commands in messages: a PSEND carries up to 478 hex digits, which help nobody reading a log. */
export function shortCommand(command: string): string {
  return command.length > 48 ? `${command.slice(0, 44)}...` : command;
}

export class AtSession {
  private current: InFlight | undefined;
  private readonly waiters = new Set<Waiter>();
  private lock: Promise<unknown> = Promise.resolve();
  private closedBecause: string | undefined;

  constructor(
    /** Writes text to the port; may throw when the port is gone. */
    private readonly write: (text: string) => void,
    /** Adds the meaning of a status for messages (RAK811 error codes). */
    private readonly describeStatus: (status: string) => string = (status) => status,
  ) {}

  get closed(): boolean {
    return this.closedBecause !== undefined;
  }

  /** Runs `fn` when no other exclusive sequence runs: a setup and a downlink never interleave their commands. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Writes `command` and resolves with its reply, also when the status is an error; rejects on timeout or close. */
  command(command: string, timeoutMs: number): Promise<AtReply> {
    if (this.closedBecause !== undefined) return Promise.reject(this.closedError(command));
    if (this.current) return Promise.reject(new Error(`AtSession: ${shortCommand(command)} while ${shortCommand(this.current.command)} waits`));
    return new Promise<AtReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.current = undefined;
        reject(new AtError(command, 'timeout', `no answer to ${shortCommand(command)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.current = { command, lines: [], timer, resolve, reject };
      try {
        this.write(command + '\r\n');
      } catch (err) {
        clearTimeout(timer);
        this.current = undefined;
        reject(new AtError(command, 'closed', `${shortCommand(command)} could not be written: ${(err as Error).message}`));
      }
    });
  }

  /** As command(), but a status other than OK rejects with an error naming the command and the reply. */
  async expectOk(command: string, timeoutMs: number): Promise<AtReply> {
    const reply = await this.command(command, timeoutMs);
    if (!reply.ok) {
      const said = reply.lines.length > 0 ? ` (after ${reply.lines.map((l) => quote(l, 80)).join(', ')})` : '';
      throw new AtError(command, 'refused', `${shortCommand(command)} answered ${this.describeStatus(reply.status)}${said}`, reply);
    }
    return reply;
  }

  /** Writes text that expects no reply (a line end to clear the module's input, ATZ). */
  send(text: string): void {
    if (this.closedBecause === undefined) this.write(text);
  }

  /** Waits for a line that is not a reply (an event, a banner); register it before the command that causes it. */
  waitFor(match: (line: ModuleLine) => boolean, timeoutMs: number, what: string): Wait<ModuleLine> {
    let waiter: Waiter | undefined;
    const promise = new Promise<ModuleLine>((resolve, reject) => {
      if (this.closedBecause !== undefined) {
        reject(this.closedError(what));
        return;
      }
      const timer = setTimeout(() => {
        if (waiter) this.waiters.delete(waiter);
        reject(new AtError(what, 'timeout', `no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter = { match, what, timer, resolve, reject };
      this.waiters.add(waiter);
    });
    // a wait given up by its caller (its command failed first) must not become an unhandled rejection
    promise.catch(() => undefined);
    return {
      promise,
      cancel: () => {
        if (!waiter || !this.waiters.delete(waiter)) return;
        clearTimeout(waiter.timer);
        waiter.reject(new AtError(waiter.what, 'closed', `stopped waiting for ${waiter.what}`));
      },
    };
  }

  /** Hands over a classified line that is not a packet or a rejection. */
  offer(line: ModuleLine): void {
    for (const waiter of this.waiters) {
      if (!waiter.match(line)) continue;
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(line);
    }
    const current = this.current;
    if (!current) return;
    if (line.kind === 'status') {
      clearTimeout(current.timer);
      this.current = undefined;
      current.resolve({ command: current.command, status: line.text, ok: line.ok, lines: current.lines });
    } else if (line.kind === 'text') {
      current.lines.push(line.text);
    }
  }

  /** Fails the command in flight and every waiter; later calls fail at once. */
  close(reason: string): void {
    if (this.closedBecause !== undefined) return;
    this.closedBecause = reason;
    const current = this.current;
    this.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.reject(this.closedError(current.command));
    }
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(this.closedError(waiter.what));
    }
    this.waiters.clear();
  }

  private closedError(what: string): AtError {
    return new AtError(what, 'closed', `${shortCommand(what)}: the port closed (${this.closedBecause ?? 'closed'})`);
  }
}
