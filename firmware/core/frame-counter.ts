/**
 * The 32-bit uplink frame counter (FCntUp) of an ABP session, kept across reboots without a flash write
 * per uplink.
 *
 * Counters are reserved in blocks: before handing out the first counter of a block, the end of the block
 * is persisted; after a power cycle counting resumes there. A reboot therefore skips at most
 * `blockSize - 1` values (network servers accept any increase) but never repeats one (a repeat is dropped as a
 * replay). Flash wear: every Espruino Storage write appends a new copy of the file and the area is erased
 * (compacted) when full; flash pages last about 10,000 erase cycles. Reserving blocks of N divides writes,
 * compactions and power-loss windows by N. Keep N far below 16,384 (MAX_FCNT_GAP of LoRaWAN 1.0.2) so a
 * server's 16-to-32-bit counter reconstruction still follows the jump; 100 is a good default.
 *
 * Espruino's Storage.write erases the old file before writing the new one, so a power cut in between loses
 * it. The reservation therefore alternates between two files, `<name>0` and `<name>1`, and on boot the
 * larger valid one counts: when one is lost, the other still covers every counter handed out.
 */

/** What the app maps to `require('Storage')`. write returns false (or throws) when the value was not stored. */
export interface CounterStorage {
  read(name: string): string | undefined;
  write(name: string, value: string): boolean | void;
}

export interface FrameCounter {
  /**
   * The counter for the next uplink, or null when none may be used: the reservation could not be
   * stored (try again later), or the 32-bit space is used up (the session needs new keys).
   */
  next(): number | null;
}

/** 2^32: the first value that is no longer a counter. */
const LIMIT = 0x100000000;

/** The stored value, or -1 when the file is missing or torn (an interrupted write leaves 0xFF bytes). */
function readSlot(storage: CounterStorage, name: string): number {
  const text = storage.read(name);
  if (text === undefined || text.length > 10 || !/^[0-9]+$/.test(text)) return -1;
  const value = parseInt(text, 10);
  return value <= LIMIT ? value : -1;
}

export function createFrameCounter(storage: CounterStorage, name: string, blockSize: number): FrameCounter {
  const slots = [name + '0', name + '1'];
  const stored = [readSlot(storage, slots[0]!), readSlot(storage, slots[1]!)];
  let next = Math.max(0, stored[0]!, stored[1]!);
  let reservedUntil = next;
  const step = Math.max(1, Math.floor(blockSize));

  return {
    next: function (): number | null {
      if (next >= reservedUntil) {
        if (next >= LIMIT) return null;
        const until = Math.min(next + step, LIMIT);
        // Overwrite the older file, so the newer one survives a power cut during the write.
        const older = stored[0]! <= stored[1]! ? 0 : 1;
        let written = false;
        try {
          written = storage.write(slots[older]!, String(until)) !== false;
        } catch {
          written = false;
        }
        stored[older] = written ? until : -1;
        if (!written) return null;
        reservedUntil = until;
      }
      return next++;
    },
  };
}
