/**
 * Command lines of libgpiod 1.6's tools (Debian/Raspberry Pi OS Bookworm package `gpiod`), and the lines gpiomon
 * prints. From the tools' source (tools/gpioset.c, tools/gpiomon.c of libgpiod v1.6):
 *
 *   gpioset [-l] [-B bias] [-D drive] [-m exit|wait|time|signal] [-s SEC] [-u USEC] [-b] <chip> <offset>=<value> ...
 *     --mode=signal sets the values and holds the lines until SIGINT or SIGTERM, then releases them and exits 0.
 *     A line keeps its value only while the process holds it ("reverts to default when the last process
 *     referencing the file descriptor ... exits"), so every output state is one gpioset process.
 *   gpiomon [-l] [-B bias] [-n NUM] [-s] [-r] [-f] [-b] [-F FMT] <chip> <offset> ...
 *     prints one line per edge; --line-buffered (-b) flushes each line (standard output is a pipe here);
 *     -F takes %o (offset), %e (1 rising, 0 falling edge), %s and %n (seconds and nanoseconds of the event's
 *     kernel timestamp); without -F: "event:  RISING EDGE offset: 17 timestamp: [     123.000000456]".
 *     SIGINT or SIGTERM end it with exit 0.
 * -l (--active-low) makes the values logical: with it, 1 is the active level (low on the pin) for gpioset, and a
 * rising edge in gpiomon's output is the line becoming active. Both take -B/--bias (since v1.5).
 */
import type { GpioBias } from './gpio-config.ts';

/** What gpiomon prints per edge with GPIOMON_FORMAT. */
export const GPIOMON_FORMAT = '%o %e %s %n';

export interface GpiosetCall {
  chip: string;
  activeLow: boolean;
  /** Logical value per line offset (1: active). */
  values: ReadonlyArray<readonly [offset: number, value: 0 | 1]>;
}

/** gpioset holding `values` until SIGTERM. */
export function gpiosetArgs(call: GpiosetCall): string[] {
  return [...(call.activeLow ? ['--active-low'] : []), '--mode=signal', call.chip, ...call.values.map(([offset, value]) => `${offset}=${value}`)];
}

export interface GpiomonCall {
  chip: string;
  offsets: readonly number[];
  activeLow: boolean;
  bias: GpioBias;
}

/** gpiomon on both edges of `offsets`, one GPIOMON_FORMAT line per edge, flushed per line. */
export function gpiomonArgs(call: GpiomonCall): string[] {
  return [...(call.activeLow ? ['--active-low'] : []), `--bias=${call.bias}`, '--line-buffered', `--format=${GPIOMON_FORMAT}`, call.chip, ...call.offsets.map(String)];
}

export interface GpioEdge {
  offset: number;
  /** The line became active (a rising edge in gpiomon's terms, logical with --active-low). */
  active: boolean;
  /** The kernel's event timestamp, ns (CLOCK_MONOTONIC on current kernels; only differences are used). */
  timeNs: bigint;
}

const CUSTOM_LINE = /^(\d+) ([01]) (\d+) (\d+)$/;
const DEFAULT_LINE = /^event:\s+(RISING|FALLING) EDGE offset: (\d+) timestamp: \[\s*(\d+)\.(\d{9})\]$/;

/** One line of gpiomon's output (GPIOMON_FORMAT, or its default format), or null when it is neither. */
export function parseGpiomonLine(line: string): GpioEdge | null {
  const text = line.trimEnd();
  const custom = CUSTOM_LINE.exec(text);
  if (custom) {
    const nanoseconds = BigInt(custom[4]!);
    if (nanoseconds >= 1_000_000_000n) return null;
    return { offset: Number(custom[1]), active: custom[2] === '1', timeNs: BigInt(custom[3]!) * 1_000_000_000n + nanoseconds };
  }
  const human = DEFAULT_LINE.exec(text);
  if (human) return { offset: Number(human[2]), active: human[1] === 'RISING', timeNs: BigInt(human[3]!) * 1_000_000_000n + BigInt(human[4]!) };
  return null;
}
