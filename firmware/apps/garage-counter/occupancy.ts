/**
 * The garage's counts, free of hardware. `entries` and `exits` count every passage modulo 2^16, as the garageCounter
 * message carries them (payload-schema/src/catalog/garage-counter.ts); `occupied` is the number of cars inside, kept
 * within [0, capacity]: an entry into a full garage or an exit from an empty one still counts as a passage but
 * leaves `occupied` at the bound and sets `clamped` (the count is off: a resync is advised). A resync sets the free
 * spaces from a manual count and clears `clamped`; a new capacity keeps the cars inside, up to the new capacity.
 */

export const COUNTER_MODULO = 65536;

export interface Counts {
  entries: number;
  exits: number;
  occupied: number;
  clamped: boolean;
}

export function newCounts(): Counts {
  return { entries: 0, exits: 0, occupied: 0, clamped: false };
}

export function countPassage(counts: Counts, entry: boolean, capacity: number): void {
  if (entry) counts.entries = (counts.entries + 1) % COUNTER_MODULO;
  else counts.exits = (counts.exits + 1) % COUNTER_MODULO;
  const occupied = counts.occupied + (entry ? 1 : -1);
  if (occupied < 0 || occupied > capacity) counts.clamped = true;
  counts.occupied = Math.max(0, Math.min(capacity, occupied));
}

export function setCapacity(counts: Counts, capacity: number): void {
  counts.occupied = Math.min(counts.occupied, capacity);
}

export function resync(counts: Counts, capacity: number, free: number): void {
  counts.occupied = capacity - Math.min(free, capacity);
  counts.clamped = false;
}

/** capacity - occupied: always within [0, capacity]. */
export function freeSpaces(counts: Counts, capacity: number): number {
  return capacity - counts.occupied;
}

/** The counts as the text of a Storage file. */
export function formatCounts(counts: Counts): string {
  return [counts.entries, counts.exits, counts.occupied, counts.clamped ? 1 : 0].join(',');
}

/** Counts from formatCounts' text; null for anything else (a torn or foreign file). */
export function parseCounts(text: string | undefined): Counts | null {
  const parts = text ? text.split(',') : [];
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p) && p.length <= 5) || (parts[3] !== '0' && parts[3] !== '1')) return null;
  const v = parts.map((x) => parseInt(x, 10));
  if (v[0]! >= COUNTER_MODULO || v[1]! >= COUNTER_MODULO) return null;
  return { entries: v[0]!, exits: v[1]!, occupied: v[2]!, clamped: v[3] === 1 };
}
