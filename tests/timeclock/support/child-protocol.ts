/** The IPC messages between the acceptance test and a terminal in a child process (terminal-child.ts). */
import type { BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { TapOutcome, TerminalStatus } from '../../../firmware/timeclock/core/ports.ts';
import type { ClockAnchor } from './sim-clock.ts';

export type ToChild =
  /** Sets the clock, presses the kind's button unless shown, presents the badge (UID as hex). */
  | { type: 'tap'; uid: string; kind: BookingKind; anchor: ClockAnchor }
  | { type: 'clock'; id: number; anchor: ClockAnchor }
  | { type: 'status'; id: number }
  /** Closes the terminal (offline status, database closed) and exits with 0. */
  | { type: 'stop' };

export type FromChild =
  | { type: 'started'; status: TerminalStatus }
  | { type: 'outcome'; outcome: TapOutcome }
  | { type: 'reply'; id: number; status: TerminalStatus; counters: Record<string, number> };
