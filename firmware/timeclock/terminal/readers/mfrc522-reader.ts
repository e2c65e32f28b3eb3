/**
 * An MFRC522 RFID module on the Pi's SPI bus (/dev/spidev<bus>.<device>), read with the same driver the Espruino
 * terminal uses (firmware/drivers/mfrc522.ts) over npm spi-device's transferSync. The reader polls: each poll is
 * one REQA; a card is read once and halted, so a card left on the reader is not read again until it has left the
 * field. UIDs go to the badge listeners in the card's anticollision byte order (what the booking core expects);
 * failed reads (CRC, BCC, collision, protocol) are counted as rejections `read-<error>` and retried by the next
 * poll; a module that does not answer is reported as an error and set up again every retryMs.
 *
 * NRSTPD: when the module's RST is wired to a GPIO, pass `reset` (the terminal drives it, e.g. through its
 * GpioLines): it is pulled low, released, and the oscillator given 50 ms before the set-up. Wired to 3.3 V, leave it
 * out: a soft reset is done either way.
 */
import { createRequire } from 'node:module';
import { createMfrc522, type Mfrc522, type SpiTransfer } from '../../../drivers/mfrc522.ts';
import { BadgeReaderEvents, type BadgeReader } from './badge-reader.ts';

export interface Mfrc522ReaderOptions {
  /** SPI bus and chip select: /dev/spidev0.0 is bus 0, device 0 (CE0). */
  bus: number;
  device: number;
  /** SPI clock; default 1 MHz (the MFRC522 takes up to 10 MHz, long wires less). */
  maxSpeedHz?: number;
  /** Default 150 ms: a tap is seen within that, at about 15 short SPI transfers per poll. */
  pollMs?: number;
  /** Default 5000 ms. */
  retryMs?: number;
  /** Drives the module's NRSTPD line (true: high, released). */
  reset?: (high: boolean) => void;
  /** The SPI seam: tests pass a simulated MFRC522 here; default: spi-device on /dev/spidev<bus>.<device>. */
  transfer?: SpiTransfer;
}

/** The spi-device slice used here (the package ships its own types; loaded only when a real bus is opened). */
interface SpiDeviceModule {
  openSync(
    bus: number,
    device: number,
    options?: { mode?: 0 | 1 | 2 | 3; maxSpeedHz?: number },
  ): { transferSync(message: { byteLength: number; sendBuffer?: Buffer; receiveBuffer?: Buffer; speedHz?: number }[]): unknown; closeSync(): void };
}

export const MFRC522_READER_DEFAULTS = { maxSpeedHz: 1_000_000, pollMs: 150, retryMs: 5000 };
/** Datasheet 8.8.2: crystal start-up plus 37.74 us; 50 ms as the common libraries wait. */
const OSCILLATOR_MS = 50;

/** A transfer over /dev/spidev<bus>.<device>, SPI mode 0 (MFRC522 datasheet 8.1.2), and its close. */
export function spidevTransfer(bus: number, device: number, maxSpeedHz: number): { transfer: SpiTransfer; close(): void } {
  const spi = createRequire(import.meta.url)('spi-device') as SpiDeviceModule;
  const handle = spi.openSync(bus, device, { mode: 0, maxSpeedHz });
  return {
    transfer: (bytes) => {
      const receiveBuffer = Buffer.alloc(bytes.length);
      handle.transferSync([{ sendBuffer: Buffer.from(bytes), receiveBuffer, byteLength: bytes.length, speedHz: maxSpeedHz }]);
      return Array.from(receiveBuffer);
    },
    close: () => handle.closeSync(),
  };
}

export function createMfrc522Reader(options: Mfrc522ReaderOptions): BadgeReader {
  const events = new BadgeReaderEvents();
  const pollMs = options.pollMs ?? MFRC522_READER_DEFAULTS.pollMs;
  const retryMs = options.retryMs ?? MFRC522_READER_DEFAULTS.retryMs;
  const where = `/dev/spidev${options.bus}.${options.device}`;
  let closeBus: () => void = () => {};
  let chip: Mfrc522 | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const later = (fn: () => void, ms: number): void => {
    if (closed) return;
    timer = setTimeout(() => {
      timer = null;
      if (!closed) fn();
    }, ms);
  };

  const fail = (message: string): void => {
    // start over with a freshly opened bus
    chip = null;
    try {
      closeBus();
    } catch {
      // already gone
    }
    closeBus = () => {};
    events.emitError(new Error(`MFRC522 on ${where}: ${message}: trying again in ${retryMs} ms`));
    later(start, retryMs);
  };

  const poll = (): void => {
    let read;
    try {
      read = chip!.readCard();
    } catch (error) {
      // the bus itself failed (device gone): set up again
      fail((error as Error).message);
      return;
    }
    if (read.ok) events.emitBadge(Uint8Array.from(read.uid));
    else if (read.error === 'noChip') {
      fail('the module stopped answering');
      return;
    } else if (read.error !== 'timeout') events.emitRejected(`read-${read.error}`);
    later(poll, pollMs);
  };

  const setUp = (): void => {
    try {
      const ready = chip!.init();
      if (!ready.ok) return fail('no answer (wiring, power, RST low?)');
    } catch (error) {
      return fail((error as Error).message);
    }
    later(poll, pollMs);
  };

  const start = (): void => {
    if (!chip) {
      try {
        if (options.transfer) chip = createMfrc522(options.transfer);
        else {
          const bus = spidevTransfer(options.bus, options.device, options.maxSpeedHz ?? MFRC522_READER_DEFAULTS.maxSpeedHz);
          closeBus = bus.close;
          chip = createMfrc522(bus.transfer);
        }
      } catch (error) {
        return fail(`cannot open: ${(error as Error).message}`);
      }
    }
    if (options.reset) {
      options.reset(false);
      later(() => {
        options.reset!(true);
        later(setUp, OSCILLATOR_MS);
      }, 1);
    } else setUp();
  };

  start();
  return events.reader(async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = null;
    try {
      closeBus();
    } catch {
      // already closed
    }
  });
}
