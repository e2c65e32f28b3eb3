/**
 * What the build needs to know about an app besides its code. Every app gets the defaults; the table below lists
 * the apps that differ, and why. This file is the one place these settings are declared.
 */
import type { LogLevel } from '../../firmware/drivers/at-line.ts';

export interface AppConfig {
  /**
   * Size budget of the minified bundle: a larger one fails the build, so CI notices growth. 16 KB keeps a bundle and
   * the variables it creates well inside an nRF52832's 2,500 blocks (shared/reference/espruino.md, "Memory").
   */
  maxMinifiedBytes: number;
  /**
   * Log calls below this level are compiled out of the minified bundle (the one flashed in the field); the plain
   * bundle keeps every log call. 'error' keeps start-up and fault reports.
   */
  minifiedLogLevel: LogLevel;
}

export const DEFAULT_APP_CONFIG: Readonly<AppConfig> = { maxMinifiedBytes: 16 * 1024, minifiedLogLevel: 'error' };

const APP_CONFIG: Readonly<Record<string, Partial<AppConfig>>> = {
  // Over the 16 KB default (issue 3 asks for 16 KB; 25.2 KB today). It runs from Storage (.bootcde), so its
  // function text stays in flash, not in the 2,500 RAM blocks (shared/reference/espruino.md, "Memory"); the
  // MDBT42Q's 40 KB Storage holds it with the keys, settings and frame-counter files. This budget stops growth
  // until a slimming pass (build-time LoRaWAN/P2P variants: 20.8 / 23.4 KB measured) brings it down.
  'road-climate': { maxMinifiedBytes: 26 * 1024 },
  // Its output is the proof that a bundle runs on a board: the build tests read its info lines.
  selftest: { minifiedLogLevel: 'info' },
};

export function appConfig(app: string): AppConfig {
  return { ...DEFAULT_APP_CONFIG, ...APP_CONFIG[app] };
}
