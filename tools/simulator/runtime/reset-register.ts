/**
 * How firmware learns why the board restarted. Espruino has no JavaScript call for the reset cause
 * (E.getErrorFlags() reports interpreter errors only), but peek32() reads the chip's reset-cause register:
 * - nRF52: POWER.RESETREAS at 0x40000400. Bits: 0 reset pin, 1 watchdog, 2 soft reset (E.reboot),
 *   3 CPU lockup. Bits accumulate until cleared by writing 1s (poke32); a power-on or brownout reset
 *   clears the register, so 0 means power-on. Espruino's bootloader only clears it on boards with a screen.
 * - STM32F4 (Pico): RCC_CSR at 0x40023874. Flags: 25 brownout, 26 reset pin (set by every reset, as the
 *   internal reset drives NRST), 27 power-on, 28 software, 29 independent watchdog; writing bit 24 (RMVF)
 *   clears them.
 */
import type { ChipFamily } from './boards.ts';

export type ResetReason = 'power-on' | 'pin' | 'watchdog' | 'software' | 'brownout' | 'lockup';

export const RESET_CAUSE_ADDRESS: Record<ChipFamily, number> = {
  nrf52: 0x40000400,
  stm32f4: 0x40023874,
};

const NRF52_BITS: Record<ResetReason, number> = {
  'power-on': 0,
  brownout: 0,
  pin: 1 << 0,
  watchdog: 1 << 1,
  software: 1 << 2,
  lockup: 1 << 3,
};

const STM32_BOR = 1 << 25;
const STM32_PIN = 1 << 26;
const STM32_POR = 1 << 27;
const STM32_SFT = 1 << 28;
const STM32_IWDG = 1 << 29;
const STM32_RMVF = 1 << 24;

const STM32_BITS: Record<ResetReason, number> = {
  'power-on': STM32_POR | STM32_PIN | STM32_BOR,
  brownout: STM32_BOR | STM32_PIN,
  pin: STM32_PIN,
  watchdog: STM32_IWDG | STM32_PIN,
  software: STM32_SFT | STM32_PIN,
  lockup: STM32_PIN,
};

export class ResetRegister {
  private value = 0;

  constructor(private readonly family: ChipFamily) {}

  get address(): number {
    return RESET_CAUSE_ADDRESS[this.family];
  }

  record(reason: ResetReason): void {
    if (this.family === 'nrf52') {
      this.value = reason === 'power-on' || reason === 'brownout' ? 0 : this.value | NRF52_BITS[reason];
    } else {
      this.value = reason === 'power-on' ? STM32_BITS[reason] : this.value | STM32_BITS[reason];
    }
  }

  read(): number {
    return this.value >>> 0;
  }

  write(value: number): void {
    if (this.family === 'nrf52') this.value &= ~value;
    else if (value & STM32_RMVF) this.value = 0;
  }
}
