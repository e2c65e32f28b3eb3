/**
 * What the water-level app needs from an ultrasonic ranger on a UART: a frame parser that is fed the bytes as the
 * UART delivers them (Espruino passes them as a string) and reports each complete, valid frame. Both parts send
 * continuously at 9600 8N1 while powered, so a parser owns no port and no timers: resync on garbage is its job.
 */

/** ok: a distance; noTarget: no echo or beyond the range; tooClose: inside the blind zone (distance unreliable). */
export type RangeStatus = 'ok' | 'noTarget' | 'tooClose';

export type RangeListener = (status: RangeStatus, mm: number) => void;

export interface RangerParser {
  /** Bytes from the UART, one char per byte. */
  feed(data: string): void;
  /** Frames dropped since start: malformed, bad checksum, bytes outside a frame. */
  bad(): number;
}

/** A ranger part: its parser and what it does about the speed of sound. */
export interface RangerPart {
  name: string;
  baud: number;
  /**
   * true: the part corrects for temperature itself (its reading is a distance); false: it converts time of flight
   * at a fixed speed of sound (`assumedSoundMs`), so the app must rescale with the air temperature.
   */
  compensated: boolean;
  assumedSoundMs: number;
  parser(listener: RangeListener): RangerParser;
}
