/** The firmware's logger: `level message` lines on the Espruino console, filtered by a threshold that can be switched off. */
import type { Logger, LogLevel } from '../drivers/at-line.ts';

export type LogThreshold = LogLevel | 'off';

const RANK: Record<LogThreshold, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

export interface ConsoleLogger {
  /** Pass this to drivers and core modules. */
  log: Logger;
  setThreshold(threshold: LogThreshold): void;
}

export function createConsoleLogger(threshold: LogThreshold): ConsoleLogger {
  let min = RANK[threshold];
  return {
    log: (level, message) => {
      if (RANK[level] >= min) console.log(level + ' ' + message);
    },
    setThreshold: (next) => {
      min = RANK[next];
    },
  };
}
