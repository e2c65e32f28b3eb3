/**
 * The counts in Storage, so that a power cut loses at most the passages of the last `delayMs`. Writes are batched
 * (a busy hour would otherwise append a copy of the file per car and wear the flash out: every Storage write
 * appends, and a full area is erased), and alternate between two files with a sequence number, because Espruino's
 * Storage.write erases the old file before writing the new one: if power fails in between, the other file is there.
 */
import { formatCounts, parseCounts, type Counts } from './occupancy.ts';

export interface CountFiles {
  read(name: string): string | undefined;
  write(name: string, value: string): boolean | void;
}

export interface CountStore {
  /** The newest stored counts, or null. */
  load(): Counts | null;
  /** Writes now; false when the write failed. */
  save(counts: Counts): boolean;
}

function parseSlot(text: string | undefined): { seq: number; counts: Counts } | null {
  if (!text) return null;
  const i = text.indexOf(';');
  const seq = parseInt(text.slice(0, i), 10);
  const counts = parseCounts(text.slice(i + 1));
  return i > 0 && seq >= 0 && counts ? { seq: seq, counts: counts } : null;
}

export function createCountStore(files: CountFiles, name: string): CountStore {
  const names = [name + '0', name + '1'];
  const seq = [-1, -1];

  return {
    load: function () {
      let best: Counts | null = null;
      let bestSeq = -1;
      for (let i = 0; i < 2; i++) {
        const slot = parseSlot(files.read(names[i]!));
        seq[i] = slot ? slot.seq : -1;
        if (slot && slot.seq > bestSeq) {
          bestSeq = slot.seq;
          best = slot.counts;
        }
      }
      return best;
    },
    save: function (counts) {
      const older = seq[0]! <= seq[1]! ? 0 : 1;
      const next = Math.max(seq[0]!, seq[1]!) + 1;
      let ok = false;
      try {
        ok = files.write(names[older]!, next + ';' + formatCounts(counts)) !== false;
      } catch {
        ok = false;
      }
      seq[older] = ok ? next : -1;
      return ok;
    },
  };
}
