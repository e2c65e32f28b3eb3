/**
 * A terminal on a simulated serial device, for tests, demos and the simulated gateway: writes command lines to the
 * device and collects the lines it prints, with their virtual time. It plays the board's side of the UART without
 * wire delays.
 */
import type { SerialDevice } from './contracts.ts';
import type { VirtualScheduler } from './scheduler.ts';

export interface TerminalLine {
  atMs: number;
  text: string;
}

export class SerialTerminal {
  /** Non-empty lines printed so far. */
  readonly lines: TerminalLine[] = [];
  /** Every character received, line ends included. */
  raw = '';
  private partial = '';
  private readonly listeners: ((line: TerminalLine) => void)[] = [];

  constructor(
    private readonly device: SerialDevice,
    private readonly scheduler: VirtualScheduler,
  ) {
    device.connect((bytes) => this.received(bytes), scheduler);
  }

  /** Calls `listener` with every line as it completes (at the virtual time it arrives). */
  onLine(listener: (line: TerminalLine) => void): void {
    this.listeners.push(listener);
  }

  /** Sends `text` followed by `ending` (default \r\n) to the device. */
  write(text: string, ending = '\r\n'): void {
    const all = text + ending;
    const bytes = new Uint8Array(all.length);
    for (let i = 0; i < all.length; i++) bytes[i] = all.charCodeAt(i) & 0xff;
    this.device.receive(bytes);
  }

  /** Writes a command line, runs the simulation for `waitMs` and returns the lines printed meanwhile. */
  command(text: string, waitMs = 100): string[] {
    const from = this.lines.length;
    this.write(text);
    this.scheduler.runFor(waitMs);
    return this.lines.slice(from).map((l) => l.text);
  }

  /** Runs the simulation for `ms` and returns the lines printed meanwhile. */
  wait(ms: number): string[] {
    const from = this.lines.length;
    this.scheduler.runFor(ms);
    return this.lines.slice(from).map((l) => l.text);
  }

  /** Runs until a line starting with `prefix` appears (at most `timeoutMs`); returns it, or undefined. */
  waitFor(prefix: string, timeoutMs: number): TerminalLine | undefined {
    return this.waitUntil((text) => text.startsWith(prefix), timeoutMs);
  }

  /** Runs until a new line satisfies `match` (at most `timeoutMs`); returns it, or undefined. */
  waitUntil(match: (text: string) => boolean, timeoutMs: number): TerminalLine | undefined {
    const from = this.lines.length;
    const deadline = this.scheduler.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find((l) => match(l.text));
      if (found) return found;
      const next = this.scheduler.nextTime();
      if (next === undefined || next > deadline) {
        this.scheduler.runUntil(deadline);
        return undefined;
      }
      this.scheduler.step();
    }
  }

  private received(bytes: Uint8Array): void {
    for (const byte of bytes) {
      const ch = String.fromCharCode(byte);
      this.raw += ch;
      if (ch === '\n' || ch === '\r') {
        if (this.partial.length > 0) this.completeLine({ atMs: this.scheduler.now(), text: this.partial });
        this.partial = '';
      } else {
        this.partial += ch;
      }
    }
  }

  private completeLine(line: TerminalLine): void {
    this.lines.push(line);
    for (const listener of this.listeners) listener(line);
  }
}
