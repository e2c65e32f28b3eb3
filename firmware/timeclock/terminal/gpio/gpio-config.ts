/**
 * The terminal's GPIO wiring as the configuration gives it (config.ts `gpio:`): line offsets on one chip for the
 * buzzer and the LEDs, and for the booking-kind buttons. Pins and their wiring: hardware/timeclock/terminal-setup.md.
 */
import type { BookingKind } from '../../core/contracts.ts';

export type GpioBias = 'as-is' | 'disable' | 'pull-down' | 'pull-up';
export type GpioOutputName = 'buzzer' | 'greenLed' | 'redLed' | 'offlineLed';

export const GPIO_DEFAULTS = {
  chip: 'gpiochip0',
  buttonBias: 'pull-up',
  /** Contact bounce of push buttons lasts a few ms; a person cannot press the same button twice within 50 ms. */
  debounceMs: 50,
  /** After gpioset or gpiomon ended on its own (line busy, chip missing), start it again after this long. */
  restartMs: 5000,
} as const satisfies { buttonBias: GpioBias; [key: string]: unknown };

export interface GpioButtonsConfig {
  /** Line offset per booking kind; kinds without a button are left out. */
  lines: Partial<Record<BookingKind, number>>;
  /** Pressed reads low (button to ground with a pull-up). */
  activeLow: boolean;
  bias: GpioBias;
  debounceMs: number;
}

export interface GpioConfig {
  /** gpiochip name, number or path, as libgpiod's tools take it. */
  chip: string;
  outputs: Partial<Record<GpioOutputName, number>>;
  outputsActiveLow: boolean;
  buttons?: GpioButtonsConfig;
}
