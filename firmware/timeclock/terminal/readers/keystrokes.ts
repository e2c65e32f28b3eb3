/**
 * Key events of a keyboard-wedge reader → card numbers. Key-down events of digits (top row and keypad) and the
 * letters A-F are collected until Enter; Shift, Caps Lock and Num Lock are ignored (some readers shift hex letters).
 * A number is refused, never guessed, when another key was typed into it, when it grows too long, or when evdev
 * dropped events (SYN_DROPPED) while it was typed. A gap between keys longer than `maxKeyGapMs` (readers type a whole
 * number within a few tens of milliseconds) ends an unfinished number, so a half-read card cannot prefix the next.
 */
import type { EvtestLine } from './evtest-lines.ts';

export type KeystrokeRejection = 'unexpected-key' | 'too-long' | 'events-dropped' | 'interrupted' | 'empty';

export type KeystrokeResult = { ok: true; number: string } | { ok: false; reason: KeystrokeRejection };

export interface KeystrokeOptions {
  maxKeyGapMs?: number;
  maxLength?: number;
}

const KEY_CHARS: Record<number, string> = {
  2: '1', 3: '2', 4: '3', 5: '4', 6: '5', 7: '6', 8: '7', 9: '8', 10: '9', 11: '0',
  79: '1', 80: '2', 81: '3', 75: '4', 76: '5', 77: '6', 71: '7', 72: '8', 73: '9', 82: '0',
  30: 'A', 48: 'B', 46: 'C', 32: 'D', 18: 'E', 33: 'F',
};
const ENTER_KEYS = [28, 96];
const IGNORED_KEYS = [42, 54, 58, 69];
const KEY_DOWN = 1;

export const DEFAULT_MAX_KEY_GAP_MS = 300;
export const DEFAULT_MAX_NUMBER_LENGTH = 25;

export class KeystrokeAssembler {
  private chars = '';
  private spoiled: KeystrokeRejection | null = null;
  private lastKeyMs: number | null = null;
  private readonly maxKeyGapMs: number;
  private readonly maxLength: number;

  constructor(options: KeystrokeOptions = {}) {
    this.maxKeyGapMs = options.maxKeyGapMs ?? DEFAULT_MAX_KEY_GAP_MS;
    this.maxLength = options.maxLength ?? DEFAULT_MAX_NUMBER_LENGTH;
  }

  /** Feeds one parsed evtest line; returns the results it completed (0, 1 or 2: an interrupted number and a new one). */
  push(line: EvtestLine): KeystrokeResult[] {
    if (line.type === 'sync') {
      if (line.name === 'SYN_DROPPED' && this.started()) this.spoiled = 'events-dropped';
      return [];
    }
    if (line.type !== 'key' || line.value !== KEY_DOWN || IGNORED_KEYS.includes(line.code)) return [];

    const results: KeystrokeResult[] = [];
    if (this.started() && this.lastKeyMs !== null && line.timeMs - this.lastKeyMs > this.maxKeyGapMs) {
      results.push({ ok: false, reason: 'interrupted' });
      this.reset();
    }
    this.lastKeyMs = line.timeMs;

    if (ENTER_KEYS.includes(line.code)) {
      results.push(this.finish());
      return results;
    }
    const char = KEY_CHARS[line.code];
    if (char === undefined) this.spoiled ??= 'unexpected-key';
    else if (this.chars.length >= this.maxLength) this.spoiled ??= 'too-long';
    else this.chars += char;
    return results;
  }

  private finish(): KeystrokeResult {
    const result: KeystrokeResult =
      this.spoiled !== null
        ? { ok: false, reason: this.spoiled }
        : this.chars === ''
          ? { ok: false, reason: 'empty' }
          : { ok: true, number: this.chars };
    this.reset();
    return result;
  }

  private started(): boolean {
    return this.chars !== '' || this.spoiled !== null;
  }

  private reset(): void {
    this.chars = '';
    this.spoiled = null;
    this.lastKeyMs = null;
  }
}
