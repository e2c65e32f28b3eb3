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
  // Over the 16 KB default (issue 3 asks for 16 KB). Measured on the RAK3172 boards: P2P 21,885 B, LoRaWAN
  // 20,883 B (25,220 B before the radio-mode builds, terser options and trims). What is left is function: the
  // payload codec's table interpreter and its four messages (~5 KB), the node core (~3.4 KB), the RUI3 driver and
  // its event parser (~3.5 KB), ABP framing with a pure-JavaScript AES and CMAC (~3 KB, P2P only), settings,
  // airtime budget, SHT3x. It runs from Storage (.bootcde), so its function text stays in flash, not in the 2,500
  // RAM blocks (shared/reference/espruino.md, "Memory"); the MDBT42Q's 40 KB Storage holds it with the keys,
  // settings and frame-counter files. A ratchet just above today's size: it stops growth.
  'road-climate': { maxMinifiedBytes: 22 * 1024 },
  // The other nodes carry the same driver, core and codec plus their own logic (largest board, P2P, measured):
  // parking-bay 24,498 B, garage-counter 24,437 B, water-level 25,651 B. Ratchets just above.
  'parking-bay': { maxMinifiedBytes: 25 * 1024 },
  'garage-counter': { maxMinifiedBytes: 25 * 1024 },
  'water-level': { maxMinifiedBytes: 26 * 1024 },
  // The LoRa-only time clock adds the booking core with its batches, the MFRC522 driver, HMAC-SHA256 and a flash
  // outbox: 31,103 B. On the MDBT42Q it leaves ~9.6 KB of Storage for pending bookings (~190).
  'timeclock-lora': { maxMinifiedBytes: 31.5 * 1024 },
  // Its output is the proof that a bundle runs on a board: the build tests read its info lines.
  selftest: { minifiedLogLevel: 'info' },
};

export function appConfig(app: string): AppConfig {
  return { ...DEFAULT_APP_CONFIG, ...APP_CONFIG[app] };
}
