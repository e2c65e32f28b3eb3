/**
 * The board side of a node: Espruino globals turned into the small interfaces firmware/core and the drivers take,
 * using the board profile (the only place pins live).
 */
import { battery as batteryPins, hostConsole, i2c as i2cPins, modem as modemPins, nrf52 } from 'stadtsensor:board';
import type { Timers } from '../drivers/at-line.ts';
import type { NodeKeys } from '../core/node.ts';

const pins = global as unknown as Record<string, Pin>;

// Before any UART is set up: without a computer on Bluetooth or USB, Espruino's REPL sits on Serial1 and would take
// the modem's or the ranger's bytes as typed code (HOST_CONSOLE in hardware/boards/board-profile.ts).
(global as unknown as Record<string, Serial>)[hostConsole]!.setConsole(true);

export const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle),
};

/** Storage that reports a failed write as false instead of throwing (flash full, file too large). */
export const storage = {
  read(name: string): string | undefined {
    return require('Storage').read(name);
  },
  write(name: string, value: string): boolean {
    try {
      return require('Storage').write(name, value);
    } catch {
      return false;
    }
  },
};

/** The keys file written by `stadtsensor flash`; undefined when the node was never provisioned. */
export function readKeys(): NodeKeys | undefined {
  try {
    const text = storage.read('ss.keys');
    return text ? (JSON.parse(text) as NodeKeys) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The reset cause from the chip's register (Espruino has no call for it), as a deviceStatus label; the register is
 * cleared so the next boot reports its own cause. nRF52 RESETREAS: 0 after power-on or brownout.
 */
export function readResetReason(): string {
  if (nrf52) {
    const r = peek32(0x40000400, 1) as number;
    poke32(0x40000400, 0xf000f);
    if (r & 2) return 'watchdog';
    if (r & 8) return 'lockup';
    if (r & 4) return 'software';
    if (r & 1) return 'pinReset';
    return 'powerOn';
  }
  // STM32F4 RCC_CSR: 29 watchdog, 28 software, 27 power-on, 25 brownout, 26 pin (set by every reset)
  const csr = peek32(0x40023874, 1) as number;
  poke32(0x40023874, csr | (1 << 24));
  if (csr & (1 << 29)) return 'watchdog';
  if (csr & (1 << 28)) return 'software';
  if (csr & (1 << 27)) return 'powerOn';
  if (csr & (1 << 25)) return 'brownout';
  return csr & (1 << 26) ? 'pinReset' : 'unknown';
}

/** Battery voltage over the divider; null when the reading is implausible (divider not fitted). */
export function readBatteryVolts(): number | null {
  const atPin = analogRead(pins[batteryPins.pin]!) * E.getAnalogVRef();
  const volts = (atPin * (batteryPins.r1Ohms + batteryPins.r2Ohms)) / batteryPins.r2Ohms;
  return volts > 0.5 ? Math.round(volts * 100) / 100 : null;
}

/** The sensors' I2C bus, set up as the profile says. */
export function boardI2c(): I2C {
  const bus = pins[i2cPins.bus] as unknown as I2C;
  bus.setup({ scl: pins[i2cPins.scl]!, sda: pins[i2cPins.sda]!, bitrate: i2cPins.bitrate });
  return bus;
}

/** The modem's UART, set up as the profile says. */
export function modemSerial(): Serial {
  const serial = pins[modemPins.serial] as unknown as Serial;
  serial.setup(modemPins.baud, { rx: pins[modemPins.rx]!, tx: pins[modemPins.tx]! });
  return serial;
}

/** Pulls the modem's reset pin low for 10 ms. */
export function resetModem(): void {
  digitalPulse(pins[modemPins.reset]!, false, 10);
}
