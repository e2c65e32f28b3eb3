/**
 * Espruino globals that @types/espruino 1.95.0 leaves out, declared as the interpreter has them
 * (shared/reference/espruino.md). Only the firmware project sees this file; add a declaration when firmware needs one.
 */

/** Espruino's console prints to the active console device; `log` is the only method every build has. */
declare const console: { log(...values: unknown[]): void };

declare function setTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number;
declare function setInterval(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number;

/** The Storage module: files in flash that survive reboots and new firmware. */
interface EspruinoStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
  erase(name: string): void;
}
declare function require(name: 'Storage'): EspruinoStorage;

declare namespace E {
  /** Starts the watchdog: unless kicked (isAuto false) within `timeout` seconds the chip resets. */
  function enableWatchdog(timeout: number, isAuto?: boolean): void;
  /** Restarts the chip (a software reset). */
  function reboot(): void;
}
