/**
 * A hardware SPI port (SPI1 ..) with the devices wired to it, with Espruino's API (espruino.com/Reference#SPI):
 * `SPI1.setup({sck, miso, mosi, baud, mode, order, bits})`, `spi.send(data, nss_pin)` returning what was clocked in
 * (a number for a number, a string for a string, a Uint8Array for arrays and typed arrays), `spi.write(data..., nss)`
 * (nothing returned; a trailing Pin argument is the NSS pin), `spi.send4bit/send8bit` are not simulated.
 *
 * NSS: `send(data, nss)` drives the pin low for the transfer and high after it, as Espruino does. A device attached
 * with an NSS pin sees a transfer when that pin was passed to send/write, or when firmware holds it low itself
 * (digitalWrite); a device attached without one sees every transfer. A port that was not set up clocks nothing in
 * (zeros) and reaches no device. Transfers block the interpreter: their time on the wire counts as awake time.
 */
import { bytesOf, bytesToString } from './bytes.ts';
import { guestBytes, type RuntimeHost } from './host.ts';
import type { PinBank } from './pins.ts';

/** A device on an SPI bus: one call per NSS-low period. */
export interface SPIDevice {
  /** The bytes on MOSI in, the bytes on MISO out (missing bytes read 0xFF: MISO idles high). */
  transfer(mosi: Uint8Array): Uint8Array;
}

export interface SPIConfig {
  baud: number;
  mode: number;
  sck: string | undefined;
  miso: string | undefined;
  mosi: string | undefined;
}

export interface SPIBusView {
  readonly name: string;
  readonly config: SPIConfig | undefined;
  /** Transfers since the board started (all runs). */
  readonly transfers: number;
}

interface Attached {
  device: SPIDevice;
  /** Pin number of the device's NSS, or undefined for "always selected". */
  nss: number | undefined;
}

export class SPIBus implements SPIBusView {
  config: SPIConfig | undefined;
  transfers = 0;
  private readonly devices: Attached[] = [];

  constructor(
    readonly name: string,
    private readonly pins: PinBank,
    private readonly host: () => RuntimeHost,
  ) {}

  attach(device: SPIDevice, nssPin?: string): void {
    const nss = nssPin === undefined ? undefined : this.pins.resolve(nssPin);
    if (nssPin !== undefined && nss === undefined) throw new Error(`${this.name}: no pin ${nssPin} for NSS`);
    this.devices.push({ device, nss });
  }

  resetForRun(): void {
    this.config = undefined;
  }

  private transfer(bytes: Uint8Array, nss: number | undefined): Uint8Array {
    const out = new Uint8Array(bytes.length);
    if (!this.config) return out;
    this.transfers++;
    this.host().addAwakeMs(((bytes.length * 8) / this.config.baud) * 1000);
    if (nss !== undefined) this.pins.write(nss, 0);
    out.fill(0xff);
    for (const { device, nss: deviceNss } of this.devices) {
      const selected = deviceNss === undefined || deviceNss === nss || (nss === undefined && this.pins.level(deviceNss) === 0);
      if (!selected) continue;
      const back = device.transfer(Uint8Array.from(bytes));
      for (let i = 0; i < out.length; i++) out[i] = out[i]! & (back[i] ?? 0xff);
    }
    if (nss !== undefined) this.pins.write(nss, 1);
    return out;
  }

  private nssOf(pin: unknown): number | undefined {
    if (pin === undefined || pin === null) return undefined;
    const n = this.pins.resolve(pin);
    if (n === undefined) throw new (this.host().realm.Error)('Invalid pin!');
    return n;
  }

  guestObject(): Record<string, unknown> {
    return {
      setup: (options?: unknown) => {
        const o = (options ?? {}) as { baud?: unknown; mode?: unknown; sck?: unknown; miso?: unknown; mosi?: unknown };
        const baud = Number(o.baud ?? 100_000);
        const pin = (p: unknown): string | undefined => (p === undefined ? undefined : this.pins.name(this.nssOf(p)!));
        this.config = {
          baud: Number.isFinite(baud) && baud > 0 ? baud : 100_000,
          mode: Number(o.mode ?? 0) & 3,
          sck: pin(o.sck),
          miso: pin(o.miso),
          mosi: pin(o.mosi),
        };
      },
      send: (data: unknown, nss?: unknown) => {
        const back = this.transfer(bytesOf(data), this.nssOf(nss));
        if (typeof data === 'number') return back[0] ?? 0;
        if (typeof data === 'string') return bytesToString(back);
        return guestBytes(this.host().realm, back);
      },
      write: (...args: unknown[]) => {
        const last = args[args.length - 1];
        // a trailing Pin object is the NSS pin (Espruino: "if the last argument is a pin, it is taken as NSS")
        const isPin = args.length > 1 && last !== null && typeof last === 'object' && typeof (last as { getInfo?: unknown }).getInfo === 'function';
        const nss = isPin ? this.nssOf(last) : undefined;
        this.transfer(bytesOf(...(isPin ? args.slice(0, -1) : args)), nss);
      },
      toString: () => `[object ${this.name}]`,
    };
  }
}
