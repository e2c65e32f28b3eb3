/**
 * DFRobot A01NYUB (SEN0311) in UART mode: 9600 8N1, a frame `0xFF H L SUM` about every 100 ms while powered (RX open:
 * the processed value), distance = H * 256 + L in mm, SUM = (0xFF + H + L) & 0xFF (shared/reference/sensors.md).
 * Range 280-7500 mm (28 cm blind zone). DFRobot documents no codes for no target or too close and no temperature
 * compensation for this part: readings outside the range count as no target (above, including DFRobot's 0xFFFD/
 * 0xFFFE of its newer rangers) or too close (below, including 0), and the app rescales from 343 m/s.
 */
import type { RangeListener, RangerParser, RangerPart } from './ranger.ts';

export const A01NYUB_MIN_MM = 280;
export const A01NYUB_MAX_MM = 7500;

export function a01nyubParser(listener: RangeListener): RangerParser {
  const frame: number[] = [];
  let bad = 0;

  function check(): void {
    while (frame.length > 0 && frame[0] !== 0xff) {
      frame.shift();
      bad++;
    }
    if (frame.length < 4) return;
    const h = frame[1]!;
    const l = frame[2]!;
    if (((0xff + h + l) & 0xff) !== frame[3]) {
      // a lost byte shifts the frame: the next header may be inside it
      frame.shift();
      bad++;
      check();
      return;
    }
    frame.splice(0, 4);
    const mm = h * 256 + l;
    if (mm > A01NYUB_MAX_MM) listener('noTarget', mm);
    else listener(mm < A01NYUB_MIN_MM ? 'tooClose' : 'ok', mm);
  }

  function feed(data: string): void {
    for (let i = 0; i < data.length; i++) {
      frame.push(data.charCodeAt(i) & 0xff);
      check();
    }
  }

  return { feed: feed, bad: () => bad };
}

export const A01NYUB: RangerPart = { name: 'A01NYUB', baud: 9600, compensated: false, assumedSoundMs: 343, parser: a01nyubParser };
