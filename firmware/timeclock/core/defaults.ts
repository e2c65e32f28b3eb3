/**
 * Every default of the booking core, in one place; the Pi terminal's configuration (terminal/config.ts) may change
 * them within the bounds it checks.
 */

export interface CoreSettings {
  /**
   * A tap of the same badge within this many ms of that badge's last booking, with no button pressed in between,
   * is the same booking: its confirmation is shown again and nothing new is stored. Keyboard-wedge readers repeat a
   * card held on the reader, and people tap twice when unsure; a deliberate correction presses a button first.
   */
  debounceMs: number;
  /** A chosen button (come, go, break ...) applies to the next tap within this many ms, then the default returns. */
  kindSelectionMs: number;
  /** A batch without an acknowledgement is sent again after this many ms. */
  ackTimeoutMs: number;
  /** Unix seconds: a clock showing an earlier time is wrong (an RTC that lost power starts in 1970 or 2000). */
  clockFloorS: number;
  /** The clock going back by more than this (s) against the latest time seen makes it untrusted. */
  backwardToleranceS: number;
  /** A ledger time (from an ack) further off than this (s) makes the clock untrusted until one agrees again. */
  serverToleranceS: number;
  /** Local hour (0-23) from which the default kind is `go`; before it, `come`. */
  goFromHour: number;
}

/** 2026-11-01T00:00:00Z, before this code was written: no correct clock shows an earlier time. */
export const BUILD_FLOOR_S = 1793491200;

export const CORE_DEFAULTS: CoreSettings = {
  debounceMs: 5000,
  kindSelectionMs: 10000,
  ackTimeoutMs: 30000,
  clockFloorS: BUILD_FLOOR_S,
  backwardToleranceS: 120,
  serverToleranceS: 120,
  goFromHour: 12,
};

/** The defaults with `given`'s values where it has them (no spread: the core runs on Espruino). */
export function coreSettings(given: Partial<CoreSettings> | undefined): CoreSettings {
  const settings = Object.assign({}, CORE_DEFAULTS) as CoreSettings;
  if (given) {
    const keys = Object.keys(given) as (keyof CoreSettings)[];
    for (let i = 0; i < keys.length; i++) {
      const value = given[keys[i]!];
      if (value !== undefined) settings[keys[i]!] = value;
    }
  }
  return settings;
}
