/**
 * The terminals of the acceptance tests, as a person at the terminal sees them: a badge reader to hold a badge to,
 * kind buttons, and a screen. SimulatedReader and Screen are the reader and display handed to the real terminal
 * (startTerminal); InProcessTerminal runs it in the test process with the real SQLite outbox and MQTT transport.
 * The child-process terminal (terminal-process.ts) offers the same SimulatedTerminal interface.
 */
import type { BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { BadgeReader, Logger, TapOutcome, TerminalDisplay, TerminalStatus } from '../../../firmware/timeclock/core/ports.ts';
import type { TerminalConfig } from '../../../firmware/timeclock/terminal/config.ts';
import { startTerminal, type RunningTerminal, type TerminalOverrides } from '../../../firmware/timeclock/terminal/terminal.ts';

export interface SimulatedTerminal {
  readonly id: string;
  /**
   * A person books `kind`: presses its button unless the screen already shows that kind, holds the badge to the
   * reader, and reads the screen. Resolves with what the screen showed.
   */
  tap(uid: Uint8Array, kind: BookingKind): Promise<TapOutcome>;
  /** The terminal's status now (pending bookings, online, clock). */
  status(): Promise<TerminalStatus>;
}

/** A badge reader the test holds badges to. */
export class SimulatedReader implements BadgeReader {
  readonly #listeners: ((uid: Uint8Array) => void)[] = [];

  onBadge(listener: (uid: Uint8Array) => void): void {
    this.#listeners.push(listener);
  }

  present(uid: Uint8Array): void {
    for (const listener of this.#listeners) listener(uid);
  }
}

/** The display: keeps the last outcome and status shown, and tells a listener about every outcome. */
export class Screen implements TerminalDisplay {
  lastOutcome: TapOutcome | null = null;
  lastStatus: TerminalStatus | null = null;
  onOutcome: (outcome: TapOutcome) => void = () => {};
  onStatus: (status: TerminalStatus) => void = () => {};

  showOutcome(outcome: TapOutcome): void {
    this.lastOutcome = outcome;
    this.onOutcome(outcome);
  }

  showStatus(status: TerminalStatus): void {
    this.lastStatus = status;
    this.onStatus(status);
  }
}

/** The person's part of a tap, on a running terminal: the button if needed, then the badge. */
export function pressAndPresent(terminal: Pick<RunningTerminal, 'status' | 'selectKind'>, reader: SimulatedReader, uid: Uint8Array, kind: BookingKind): void {
  if (terminal.status().kind !== kind) terminal.selectKind(kind);
  reader.present(uid);
}

/** A log that keeps the last warnings and errors, for failure messages. */
export function keptLog(limit = 200): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (level, message) => {
      if (level !== 'warn' && level !== 'error') return;
      lines.push(`${level} ${message}`);
      if (lines.length > limit) lines.shift();
    },
  };
}

export class InProcessTerminal implements SimulatedTerminal {
  readonly id: string;
  readonly running: RunningTerminal;
  readonly screen = new Screen();
  readonly logLines: string[];
  readonly #reader = new SimulatedReader();

  constructor(config: TerminalConfig, overrides: TerminalOverrides) {
    this.id = config.terminal.id;
    const kept = keptLog();
    this.logLines = kept.lines;
    this.running = startTerminal(config, { reader: this.#reader, display: this.screen, log: kept.log }, overrides);
  }

  tap(uid: Uint8Array, kind: BookingKind): Promise<TapOutcome> {
    this.screen.lastOutcome = null;
    pressAndPresent(this.running, this.#reader, uid, kind);
    const shown = this.screen.lastOutcome;
    return shown === null ? Promise.reject(new Error(`terminal ${this.id} showed nothing for a tap`)) : Promise.resolve(shown);
  }

  status(): Promise<TerminalStatus> {
    return Promise.resolve(this.running.status());
  }

  close(): Promise<void> {
    return this.running.close();
  }
}
