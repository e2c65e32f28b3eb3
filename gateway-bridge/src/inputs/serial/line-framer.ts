/**
 * Serial bytes to lines, the stage before the line parsers. A line ends at `\r` or `\n` (RAK modules print `\r\n`;
 * a bare `\n` from a noisy line still ends one); empty lines are skipped. Bytes are read as latin1, one character
 * per byte, so a parser sees exactly what arrived.
 *
 * Framed here rather than with @serialport/parser-readline because the buffer must be bounded: a port that babbles
 * without line ends (wrong baud rate, a crashing module) keeps at most `maxLength` characters, and the overlong line
 * is still reported once its end arrives. `flush()` hands out the line cut off by a closing port, so it is
 * classified instead of lost.
 */
import { MAX_LINE_LENGTH } from './module-lines.ts';

export interface FramedLine {
  /** The line, or its first `maxLength` characters when it was longer. */
  text: string;
  /** Characters the line really had. */
  length: number;
  overlong: boolean;
  /** The stream ended before the line did (flush()). */
  partial: boolean;
}

const CR = 13;
const LF = 10;

export class LineFramer {
  private buffer = '';
  private length = 0;

  constructor(private readonly maxLength = MAX_LINE_LENGTH) {}

  /** The lines completed by `chunk` (latin1 text). */
  push(chunk: string): FramedLine[] {
    const out: FramedLine[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== CR && c !== LF) continue;
      this.append(chunk, start, i);
      start = i + 1;
      if (this.length > 0) out.push(this.take(false));
    }
    this.append(chunk, start, chunk.length);
    return out;
  }

  /** The unfinished line, if any; the framer is empty afterwards. */
  flush(): FramedLine | undefined {
    return this.length > 0 ? this.take(true) : undefined;
  }

  /** Characters waiting for their line end. */
  get pending(): number {
    return this.length;
  }

  private append(chunk: string, from: number, to: number): void {
    if (to <= from) return;
    const room = this.maxLength - this.buffer.length;
    if (room > 0) this.buffer += chunk.slice(from, Math.min(to, from + room));
    this.length += to - from;
  }

  private take(partial: boolean): FramedLine {
    const line: FramedLine = { text: this.buffer, length: this.length, overlong: this.length > this.maxLength, partial };
    this.buffer = '';
    this.length = 0;
    return line;
  }
}
