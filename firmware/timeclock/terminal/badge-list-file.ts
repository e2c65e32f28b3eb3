/**
 * A badge list from a file, for terminals the ledger's retained MQTT list cannot reach (LoRa-only sites): the
 * BadgeListMessage JSON that `stadtsensor ledger badge export-list` writes (pseudonyms and greetings only), copied to
 * the terminal (hardware/timeclock/terminal-setup.md). The file goes to the booking core as if the transport had
 * brought it, at start and whenever it changes (checked every pollMs), so the core's rules hold: a list is taken only
 * when its version is newer than the one in use, is kept in the outbox's badge store, and survives restarts.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { badgeListProblem } from '../core/badge-directory.ts';
import type { BadgeListMessage } from '../core/contracts.ts';
import type { BookingTransport, Logger, TransportEvents } from '../core/ports.ts';

export const BADGE_LIST_POLL_MS = 5000;

/** The list in `file`, or why it cannot be used. */
export function readBadgeListFile(file: string): { list: BadgeListMessage } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { problem: `${file}: ${(error as Error).message}` };
  }
  const problem = badgeListProblem(value);
  return problem === null ? { list: value as BadgeListMessage } : { problem: `${file}: not a badge list: ${problem}` };
}

export interface BadgeListFileOptions {
  file: string;
  log: Logger;
  pollMs?: number;
}

/** `transport` with the badge list of `options.file` added to what it reports; the transport itself is unchanged. */
export function withBadgeListFile(transport: BookingTransport, options: BadgeListFileOptions): BookingTransport & { stopWatching(): void } {
  const { file, log } = options;
  let listener: ((current: Stats, previous: Stats) => void) | null = null;
  const deliver = (events: TransportEvents): void => {
    const read = readBadgeListFile(file);
    if ('problem' in read) {
      log('warn', `badge list file ignored: ${read.problem}`);
      return;
    }
    events.badgeList(read.list);
  };
  return {
    maxBatch: transport.maxBatch,
    maxSpanS: transport.maxSpanS,
    start(events: TransportEvents): void {
      transport.start(events);
      deliver(events);
      listener = (current, previous) => {
        if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino) deliver(events);
      };
      watchFile(file, { interval: options.pollMs ?? BADGE_LIST_POLL_MS, persistent: false }, listener);
    },
    send: (batch) => transport.send(batch),
    stopWatching(): void {
      if (listener !== null) unwatchFile(file, listener);
      listener = null;
    },
  };
}
