/**
 * The terminal's GPIO from its configuration: libgpiod's tools on the configured chip (gpio-lines.ts), the buzzer and
 * LED signals as a display (gpio-signals.ts), and the buttons as a kind selection source (gpio-buttons.ts).
 */
import type { CoreTimers, Logger } from '../../core/ports.ts';
import type { GpioConfig, GpioOutputName } from './gpio-config.ts';
import { createGpioButtons, type GpioButtons } from './gpio-buttons.ts';
import { createGpiodCliLines, type GpioLines, type GpiodCliLinesOptions } from './gpio-lines.ts';
import { createGpioSignals, type GpioSignals } from './gpio-signals.ts';

export interface TerminalGpio {
  readonly lines: GpioLines;
  readonly signals: GpioSignals;
  /** Absent without a `buttons:` section. */
  readonly buttons?: GpioButtons;
  close(): Promise<void>;
}

export interface TerminalGpioOptions {
  timers: CoreTimers;
  log: Logger;
  /** Where the tools are found (tests put stand-ins on PATH). */
  env?: NodeJS.ProcessEnv;
  restartMs?: number;
}

export function describeGpio(config: GpioConfig): string {
  const outputs = (Object.entries(config.outputs) as [GpioOutputName, number][]).map(([name, line]) => `${name} ${line}`);
  const buttons = config.buttons ? Object.entries(config.buttons.lines).map(([kind, line]) => `${kind} ${line}`) : [];
  const parts = [`outputs ${outputs.length > 0 ? outputs.join(', ') : 'none'}${config.outputsActiveLow ? ' (active low)' : ''}`];
  parts.push(config.buttons ? `buttons ${buttons.join(', ')} (${config.buttons.activeLow ? 'active low' : 'active high'}, bias ${config.buttons.bias}, debounce ${config.buttons.debounceMs} ms)` : 'no buttons');
  return `${config.chip}: ${parts.join('; ')}`;
}

export function startTerminalGpio(config: GpioConfig, options: TerminalGpioOptions): TerminalGpio {
  const buttons = config.buttons;
  const lineOptions: GpiodCliLinesOptions = {
    chip: config.chip,
    outputs: Object.values(config.outputs),
    outputsActiveLow: config.outputsActiveLow,
    ...(buttons ? { inputs: { offsets: Object.values(buttons.lines), activeLow: buttons.activeLow, bias: buttons.bias } } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.restartMs !== undefined ? { restartMs: options.restartMs } : {}),
  };
  const lines = createGpiodCliLines(lineOptions);
  lines.onError((error) => options.log('warn', `GPIO: ${error.message}`));
  const signals = createGpioSignals(lines, config.outputs, options.timers);
  const kindButtons = buttons ? createGpioButtons(lines, buttons.lines, buttons.debounceMs) : undefined;
  return {
    lines,
    signals,
    ...(kindButtons ? { buttons: kindButtons } : {}),
    async close() {
      signals.stop();
      await lines.close();
    },
  };
}
