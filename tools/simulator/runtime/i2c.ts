/**
 * A hardware I2C bus (I2C1, I2C2) with the devices wired to it. Transfers block the interpreter as they
 * do on the chip, so their time on the wire counts as awake time. A NACK throws the InternalError the
 * board's Espruino build throws: "I2C Write Error 33281" / "I2C Read Error 33281" on nRF52
 * (NRF_ERROR_DRV_TWI_ERR_ANACK), "Timeout on I2C Write Transmit Mode 2" / "Timeout on I2C Read Receive
 * Mode" on STM32F4 (WAIT_UNTIL in targets/stm32/jshardware.c).
 */
import type { I2CDevice } from '../contracts.ts';
import type { ChipFamily } from './boards.ts';
import { bytesOf } from './bytes.ts';
import { guestBytes, type RuntimeHost } from './host.ts';

export interface I2CConfig {
  bitrate: number;
  scl: string | undefined;
  sda: string | undefined;
}

export interface I2CBusView {
  readonly name: string;
  readonly config: I2CConfig | undefined;
  readonly devices: ReadonlyMap<number, I2CDevice>;
  /** Transfers since the board started (all runs), NACKed ones included. */
  readonly transfers: number;
}

const NACK_MESSAGES: Record<ChipFamily, { write: string; read: string }> = {
  nrf52: { write: 'I2C Write Error 33281', read: 'I2C Read Error 33281' },
  stm32f4: { write: 'Timeout on I2C Write Transmit Mode 2', read: 'Timeout on I2C Read Receive Mode' },
};

export class I2CBus implements I2CBusView {
  config: I2CConfig | undefined;
  readonly devices = new Map<number, I2CDevice>();
  transfers = 0;

  constructor(
    readonly name: string,
    private readonly family: ChipFamily,
    private readonly host: () => RuntimeHost,
  ) {}

  attach(device: I2CDevice): void {
    if (this.devices.has(device.address)) {
      throw new Error(`${this.name} already has a device at 0x${device.address.toString(16)}`);
    }
    this.devices.set(device.address, device);
  }

  resetForRun(): void {
    this.config = undefined;
  }

  /** Start + address byte + data bytes (9 clocks each) + stop. */
  private blockFor(byteCount: number): void {
    const bits = (1 + byteCount) * 9 + 2;
    this.host().addAwakeMs((bits / (this.config?.bitrate ?? 100_000)) * 1000);
  }

  private static address(addr: unknown): number {
    const a = addr !== null && typeof addr === 'object' ? (addr as { address?: unknown }).address : addr;
    return Number(a) & 0x7f;
  }

  private nack(kind: 'write' | 'read'): never {
    throw new (this.host().realm.InternalError)(NACK_MESSAGES[this.family][kind]);
  }

  writeTo(addr: unknown, data: unknown[]): void {
    // nRF52 Espruino ignores transfers on a bus that was not set up.
    if (!this.config) return;
    const bytes = bytesOf(...data);
    this.transfers++;
    this.blockFor(bytes.length);
    const device = this.devices.get(I2CBus.address(addr));
    if (!device || !device.write(bytes)) this.nack('write');
  }

  readFrom(addr: unknown, quantity: unknown): Uint8Array {
    const realm = this.host().realm;
    const n = Math.max(0, Math.floor(Number(quantity)) || 0);
    if (!this.config) return new realm.Uint8Array(n);
    this.transfers++;
    this.blockFor(n);
    const device = this.devices.get(I2CBus.address(addr));
    const data = device?.read(n);
    if (!data) this.nack('read');
    const out = new Uint8Array(n);
    out.set(data.subarray(0, n));
    return guestBytes(realm, out);
  }

  guestObject(): Record<string, unknown> {
    return {
      setup: (options?: unknown) => {
        const o = (options ?? {}) as { bitrate?: unknown; scl?: unknown; sda?: unknown };
        const bitrate = Number(o.bitrate ?? 100_000);
        this.config = {
          bitrate: Number.isFinite(bitrate) && bitrate > 0 ? bitrate : 100_000,
          scl: o.scl === undefined ? undefined : String(o.scl),
          sda: o.sda === undefined ? undefined : String(o.sda),
        };
      },
      writeTo: (addr: unknown, ...data: unknown[]) => this.writeTo(addr, data),
      readFrom: (addr: unknown, quantity: unknown) => this.readFrom(addr, quantity),
      toString: () => `[object ${this.name}]`,
    };
  }
}
