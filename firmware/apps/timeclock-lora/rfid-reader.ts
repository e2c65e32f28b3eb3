/**
 * The MFRC522 on the board's SPI port as the booking core's BadgeReader: the reader is released from reset, set up
 * after its oscillator has started, then polled. A card is read once (the driver halts it), so a card left on the
 * reader books once; a failed read (CRC, collision) is retried by the next poll, since the card was not halted.
 */
import type { RfidWiring } from '../../../hardware/boards/board-profile.ts';
import { createMfrc522, type Mfrc522, type SpiTransfer } from '../../drivers/mfrc522.ts';
import type { Logger } from '../../drivers/at-line.ts';
import type { BadgeReader } from '../../timeclock/core/ports.ts';

/** Datasheet 8.8.2: crystal start-up plus 37.74 us; 50 ms as the common libraries wait. */
const STARTUP_MS = 50;
const POLL_MS = 250;
const RETRY_INIT_MS = 5000;

export interface RfidReader extends BadgeReader {
  /** Reads that failed, by driver error (timeouts, i.e. no card, not counted). */
  errors(): Record<string, number>;
}

export function startRfidReader(wiring: RfidWiring, pins: Record<string, Pin>, log: Logger): RfidReader {
  const spi = pins[wiring.spi] as unknown as SPI;
  const nss = pins[wiring.nss]!;
  const listeners: ((uid: Uint8Array) => void)[] = [];
  const errors: Record<string, number> = {};
  spi.setup({ sck: pins[wiring.sck]!, miso: pins[wiring.miso]!, mosi: pins[wiring.mosi]!, baud: wiring.baud, mode: 0 });
  digitalWrite(nss, 1);
  digitalWrite(pins[wiring.reset]!, 1);
  const transfer = function (bytes: number[]): number[] {
    return spi.send(bytes, nss) as unknown as number[];
  } as SpiTransfer;
  const chip: Mfrc522 = createMfrc522(transfer);

  function poll(): void {
    const read = chip.readCard();
    if (read.ok) {
      const uid = new Uint8Array(read.uid);
      for (let i = 0; i < listeners.length; i++) listeners[i]!(uid);
    } else if (read.error !== 'timeout') {
      errors[read.error] = (errors[read.error] || 0) + 1;
      log(read.error === 'noChip' ? 'error' : 'warn', 'RFID read failed: ' + read.error);
    }
  }

  function start(): void {
    const ready = chip.init();
    if (!ready.ok) {
      log('error', 'RFID reader does not answer: trying again in ' + RETRY_INIT_MS + ' ms');
      setTimeout(start, RETRY_INIT_MS);
      return;
    }
    log('info', 'RFID reader MFRC522 version 0x' + ready.version.toString(16));
    setInterval(poll, POLL_MS);
  }

  setTimeout(start, STARTUP_MS);
  return {
    onBadge: function (listener: (uid: Uint8Array) => void): void {
      listeners.push(listener);
    },
    errors: function (): Record<string, number> {
      return errors;
    },
  };
}
