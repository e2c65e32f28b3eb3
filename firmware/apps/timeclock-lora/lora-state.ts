/** The LoRa session's counters in Storage: the uplink counter's reservations and the next acceptable downlink counter. */
import type { LoraStateStore } from '../../timeclock/terminal/lora/booking-link.ts';

export interface CounterFiles {
  read(name: string): string | undefined;
  write(name: string, value: string): boolean;
}

const DOWNLINK_FILE = 'lora.fCntDn';

export function createLoraState(storage: CounterFiles): LoraStateStore {
  return {
    read: function (name: string): string | undefined {
      return storage.read(name);
    },
    write: function (name: string, value: string): boolean {
      return storage.write(name, value);
    },
    downlinkCounter: function (): number {
      const value = parseInt(storage.read(DOWNLINK_FILE) || '0', 10);
      return value >= 0 ? value : 0;
    },
    setDownlinkCounter: function (expected: number): void {
      if (!storage.write(DOWNLINK_FILE, String(expected))) throw new Error('Storage full: downlink counter not kept');
    },
  };
}
