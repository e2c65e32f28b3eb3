/**
 * MaxBotix HRXL-MaxSonar-WRT (MB738x, TTL serial): 9600 8N1, free-running at ~6.67 Hz (MB7389) while pin 4 is high
 * or open, each reading `R####\r`, four ASCII digits in mm (shared/reference/sensors.md). 5000 (5 m models) or 9999
 * (10 m models) means no target; a target closer than 300 mm reads as 300. The HRXL-WR compensates for the speed of
 * sound with its internal temperature sensor (or an HR-MaxTemp on pin 1, found at power-up): its reading is a distance.
 */
import type { RangeListener, RangerParser, RangerPart } from './ranger.ts';

export const MAXBOTIX_MIN_MM = 300;

export function maxbotixParser(listener: RangeListener): RangerParser {
  /** Digits of the frame being read, or -1 outside a frame. */
  let digits = -1;
  let value = 0;
  let bad = 0;

  function feed(data: string): void {
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c === 82 /* R */) {
        if (digits >= 0) bad++;
        digits = 0;
        value = 0;
      } else if (digits < 0) {
        bad++;
      } else if (c >= 48 && c <= 57 && digits < 4) {
        value = value * 10 + c - 48;
        digits++;
      } else if (c === 13 && digits === 4) {
        digits = -1;
        if (value === 5000 || value === 9999) listener('noTarget', value);
        else listener(value <= MAXBOTIX_MIN_MM ? 'tooClose' : 'ok', value);
      } else {
        bad++;
        digits = -1;
      }
    }
  }

  return { feed: feed, bad: () => bad };
}

export const MAXBOTIX: RangerPart = { name: 'MB738x', baud: 9600, compensated: true, assumedSoundMs: 0, parser: maxbotixParser };
