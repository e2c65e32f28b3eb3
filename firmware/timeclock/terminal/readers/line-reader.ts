/**
 * The stdin fallback: one card number per line (decimal or hex, see card-number.ts), e.g. a reader that is not an
 * input device, a test harness, or `stadtsensor terminal` run by hand. Blank lines are skipped.
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { BadgeReaderEvents, type BadgeReader } from './badge-reader.ts';
import { cardNumberToUid, type CardNumberOptions } from './card-number.ts';

/** Longer lines are refused without being kept (a runaway input, not a card). */
const MAX_LINE_LENGTH = 64;

export function createLineBadgeReader(input: Readable, options: CardNumberOptions = {}): BadgeReader {
  const events = new BadgeReaderEvents();
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    if (line.length > MAX_LINE_LENGTH) {
      events.emitRejected('too-long');
      return;
    }
    const result = cardNumberToUid(line, options);
    if (result.ok) events.emitBadge(result.uid);
    else events.emitRejected(result.reason);
  });
  input.on('error', (error: Error) => events.emitError(error));

  return events.reader(async () => {
    lines.close();
  });
}
