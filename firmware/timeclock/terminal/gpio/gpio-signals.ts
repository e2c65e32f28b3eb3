/**
 * What the buzzer and the LEDs say, as a TerminalDisplay next to the kiosk page:
 * - booked: the green LED for 1.5 s and one short beep;
 * - refused (unknown, revoked badge, no badge list): the red LED for 2 s and three short beeps;
 * - failed (not saved): the red LED for 3 s and one long beep;
 * - offline (the ledger cannot be reached): the offline LED on while it lasts; without an offline LED the red LED
 *   flashes briefly every 3 s instead.
 * A pattern is a list of steps per output; a new pattern on an output replaces the one playing there. Each change of
 * the outputs' values goes to GpioLines.setOutputs once.
 */
import type { CoreTimers, TapOutcome, TerminalDisplay, TerminalStatus } from '../../core/ports.ts';
import type { GpioOutputName } from './gpio-config.ts';
import type { GpioLines } from './gpio-lines.ts';

/** [on, ms] steps; after the last step the output returns to its resting value. */
export type SignalSteps = ReadonlyArray<readonly [on: boolean, ms: number]>;
export type SignalPattern = Partial<Record<GpioOutputName, SignalSteps>>;

export const SIGNAL_PATTERNS = {
  booked: { greenLed: [[true, 1500]], buzzer: [[true, 120]] },
  refused: { redLed: [[true, 2000]], buzzer: [[true, 100], [false, 100], [true, 100], [false, 100], [true, 100]] },
  failed: { redLed: [[true, 3000]], buzzer: [[true, 800]] },
  /** Without an offline LED: repeated every offlineFlashEveryMs while offline. */
  offlineFlash: { redLed: [[true, 150]] },
} as const satisfies Record<string, SignalPattern>;

export const OFFLINE_FLASH_EVERY_MS = 3000;

interface Playing {
  steps: SignalSteps;
  startedMs: number;
}

export interface GpioSignals extends TerminalDisplay {
  /** The logical value of each configured output now (for tests and the log). */
  values(): Partial<Record<GpioOutputName, boolean>>;
  stop(): void;
}

export function createGpioSignals(lines: GpioLines, outputs: Partial<Record<GpioOutputName, number>>, timers: CoreTimers): GpioSignals {
  const names = (Object.keys(outputs) as GpioOutputName[]).filter((name) => outputs[name] !== undefined);
  const playing: Partial<Record<GpioOutputName, Playing>> = {};
  const resting: Partial<Record<GpioOutputName, boolean>> = {};
  let sent: Partial<Record<GpioOutputName, boolean>> = {};
  let wake: unknown;
  let flash: unknown;
  let offline = false;
  let stopped = false;

  function valueAt(name: GpioOutputName, nowMs: number): { on: boolean; untilMs: number | null } {
    const play = playing[name];
    if (play !== undefined) {
      let at = play.startedMs;
      for (const [on, ms] of play.steps) {
        if (nowMs < at + ms) return { on, untilMs: at + ms };
        at += ms;
      }
      delete playing[name];
    }
    return { on: resting[name] === true, untilMs: null };
  }

  function update(): void {
    if (stopped) return;
    const nowMs = timers.monotonicMs();
    const next: Partial<Record<GpioOutputName, boolean>> = {};
    let nextChangeMs: number | null = null;
    for (const name of names) {
      const { on, untilMs } = valueAt(name, nowMs);
      next[name] = on;
      if (untilMs !== null && (nextChangeMs === null || untilMs < nextChangeMs)) nextChangeMs = untilMs;
    }
    const changed: Record<number, 0 | 1> = {};
    let any = false;
    for (const name of names) {
      if (sent[name] !== next[name]) {
        changed[outputs[name]!] = next[name] ? 1 : 0;
        any = true;
      }
    }
    sent = next;
    if (any) lines.setOutputs(changed);
    if (wake !== undefined) timers.clearTimeout(wake);
    wake = nextChangeMs === null ? undefined : timers.setTimeout(update, Math.max(0, nextChangeMs - nowMs));
  }

  function play(pattern: SignalPattern): void {
    const nowMs = timers.monotonicMs();
    for (const name of Object.keys(pattern) as GpioOutputName[]) {
      if (outputs[name] !== undefined) playing[name] = { steps: pattern[name]!, startedMs: nowMs };
    }
    update();
  }

  function flashWhileOffline(): void {
    flash = undefined;
    if (stopped || !offline) return;
    play(SIGNAL_PATTERNS.offlineFlash);
    flash = timers.setTimeout(flashWhileOffline, OFFLINE_FLASH_EVERY_MS);
  }

  function setOffline(now: boolean): void {
    if (now === offline) return;
    offline = now;
    if (outputs.offlineLed !== undefined) {
      resting.offlineLed = offline;
      update();
    } else if (offline) {
      flash = timers.setTimeout(flashWhileOffline, OFFLINE_FLASH_EVERY_MS);
    } else if (flash !== undefined) {
      timers.clearTimeout(flash);
      flash = undefined;
    }
  }

  update();
  return {
    showOutcome(outcome: TapOutcome): void {
      if (outcome.result === 'booked') play(SIGNAL_PATTERNS.booked);
      else if (outcome.result === 'refused') play(SIGNAL_PATTERNS.refused);
      else play(SIGNAL_PATTERNS.failed);
    },
    showStatus(status: TerminalStatus): void {
      setOffline(!status.online);
    },
    values: () => ({ ...sent }),
    stop(): void {
      stopped = true;
      if (wake !== undefined) timers.clearTimeout(wake);
      if (flash !== undefined) timers.clearTimeout(flash);
    },
  };
}

/** Both displays get every call; one that throws does not keep the other from it. */
export function bothDisplays(first: TerminalDisplay, second: TerminalDisplay, onError: (error: Error) => void): TerminalDisplay {
  const each = (call: (display: TerminalDisplay) => void): void => {
    for (const display of [first, second]) {
      try {
        call(display);
      } catch (error) {
        onError(error as Error);
      }
    }
  };
  return {
    showOutcome: (outcome) => each((display) => display.showOutcome(outcome)),
    showStatus: (status) => each((display) => display.showStatus(status)),
  };
}
