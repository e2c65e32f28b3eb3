/**
 * The terminal's confirmation without a screen: an active buzzer and the board's LEDs.
 * - booked (also a repeated tap): one 150 ms beep, the last LED (green on the Pico) on for 1 s;
 * - refused or failed: three 80 ms beeps, the first LED blinking with them;
 * - a button press: a 30 ms click.
 */
import type { TapOutcome, TerminalDisplay } from '../../timeclock/core/ports.ts';
import { BAD_BEEP_MS, CLICK_MS, GOOD_BEEP_MS } from './beep-patterns.ts';

export interface Feedback extends TerminalDisplay {
  click(): void;
}

export function createFeedback(buzzer: Pin, goodLed: Pin, badLed: Pin): Feedback {
  function pulse(pin: Pin, times: number[]): void {
    digitalPulse(pin, true, times);
  }
  return {
    showOutcome: function (outcome: TapOutcome): void {
      if (outcome.result === 'booked') {
        pulse(buzzer, GOOD_BEEP_MS);
        pulse(goodLed, [1000]);
      } else {
        pulse(buzzer, BAD_BEEP_MS);
        pulse(badLed, BAD_BEEP_MS);
      }
    },
    showStatus: function (): void {
      // no screen: the pending count and the clock state are for the log only
    },
    click: function (): void {
      pulse(buzzer, CLICK_MS);
    },
  };
}
