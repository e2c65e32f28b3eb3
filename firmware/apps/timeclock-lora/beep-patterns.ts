/** The buzzer's patterns, as digitalPulse times (on, off, on, ...) in ms. */

/** Booked (also a repeated tap): one beep. */
export const GOOD_BEEP_MS = [150];
/** Refused or failed: three short beeps. */
export const BAD_BEEP_MS = [80, 80, 80, 80, 80];
/** A button press. */
export const CLICK_MS = [30];
