/**
 * The seam between the terminal's signals and buttons and the GPIO pins: logical output values per line offset in,
 * edges of input lines out. createGpiodCliLines implements it with libgpiod 1.6's tools as child processes
 * (gpiod-cli.ts): one `gpioset --mode=signal` holding every output line at its current values, replaced (SIGTERM,
 * wait for its exit, start the next) when a value changes, and one `gpiomon` on the input lines for as long as the
 * terminal runs. States asked for while a replacement runs are queued and held in order, each as long as it was
 * asked for and at least MIN_HOLD_MS: when starting processes is slow, a 120 ms beep comes late, but it comes. There is no npm binding for libgpiod on the Pi's Node without building one (libgpiod-dev); the
 * tools come with Raspberry Pi OS's `gpiod` package.
 *
 * Between two gpioset processes the lines are released for a few milliseconds; the Pi's GPIO driver keeps a
 * released output's level, and a buzzer's transistor has a pull-down on its base (terminal-setup.md), so nothing
 * beeps in that gap. When a tool ends on its own (line busy, chip missing) the error is reported and the tool is
 * started again after restartMs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { GPIO_DEFAULTS, type GpioBias } from './gpio-config.ts';
import { gpiomonArgs, gpiosetArgs, parseGpiomonLine, type GpioEdge } from './gpiod-cli.ts';

export type { GpioEdge } from './gpiod-cli.ts';

export interface GpioLines {
  /** Logical values (1: active) of every output line; lines left out keep their value. */
  setOutputs(values: Readonly<Record<number, 0 | 1>>): void;
  onEdge(listener: (edge: GpioEdge) => void): void;
  /** A tool that could not start or ended on its own; it is started again. */
  onError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface GpiodCliLinesOptions {
  chip: string;
  /** Output line offsets; held at 0 (inactive) from the start. */
  outputs: readonly number[];
  outputsActiveLow: boolean;
  inputs?: { offsets: readonly number[]; activeLow: boolean; bias: GpioBias };
  /** The tools' paths; default: gpioset and gpiomon found on PATH. */
  commands?: { gpioset: string; gpiomon: string };
  env?: NodeJS.ProcessEnv;
  restartMs?: number;
}

const STOP_WAIT_MS = 2000;
/** gpioset starts and sets its lines within a few ms on a Pi; a state is held at least this long before the next. */
const MIN_HOLD_MS = 50;
/** A tap's pattern is at most 6 states; more waiting means the tools start far too slowly. */
const MAX_QUEUED_STATES = 16;

function describeExit(tool: string, code: number | null, signal: NodeJS.Signals | null, stderr: string): Error {
  const how = signal !== null ? `was killed by ${signal}` : `ended with exit code ${code}`;
  const said = stderr.trim().split('\n').filter(Boolean).pop();
  return new Error(`${tool} ${how}${said ? `: ${said}` : ''}`);
}

function describeSpawnError(tool: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT') return new Error(`${tool} not found: install libgpiod's tools (apt install gpiod)`);
  return new Error(`${tool} could not start: ${error.message}`);
}

/** Ends a child with SIGTERM (SIGKILL after STOP_WAIT_MS) and resolves when it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function createGpiodCliLines(options: GpiodCliLinesOptions): GpioLines {
  const gpioset = options.commands?.gpioset ?? 'gpioset';
  const gpiomon = options.commands?.gpiomon ?? 'gpiomon';
  const restartMs = options.restartMs ?? GPIO_DEFAULTS.restartMs;
  const env = options.env ?? process.env;
  const edgeListeners: ((edge: GpioEdge) => void)[] = [];
  const errorListeners: ((error: Error) => void)[] = [];
  const report = (error: Error): void => {
    for (const listener of errorListeners) listener(error);
  };
  let closed = false;

  // ---- outputs: one gpioset holding the wanted values, the states asked for in their order ----
  const latest = new Map<number, 0 | 1>(options.outputs.map((offset) => [offset, 0]));
  const keyOf = (values: ReadonlyMap<number, 0 | 1>): string => [...values].map(([offset, value]) => `${offset}=${value}`).join(' ');
  /**
   * States not held yet, oldest first, with the time they were asked for. Each is held as long as it was asked for
   * (until the next one's time), at least MIN_HOLD_MS: a beep comes late when processes start slowly, never shorter.
   */
  type State = { key: string; values: [number, 0 | 1][]; askedMs: number };
  const stateNow = (): State => ({ key: keyOf(latest), values: [...latest], askedMs: Date.now() });
  const queue: State[] = latest.size > 0 ? [stateNow()] : [];
  let holder: { child: ChildProcess; key: string; askedMs: number; startedMs: number } | null = null;
  let stopping = false;
  let outputRetry: NodeJS.Timeout | undefined;
  let switchTimer: NodeJS.Timeout | undefined;

  function applyOutputs(): void {
    if (closed || stopping || outputRetry !== undefined || switchTimer !== undefined) return;
    if (holder === null) {
      const next = queue.shift();
      if (next === undefined) return;
      startHolder(next);
      // states asked for meanwhile follow after their minimum hold
      if (queue.length === 0) return;
    }
    if (queue.length === 0 || holder === null) return;
    const holdMs = Math.max(MIN_HOLD_MS, queue[0]!.askedMs - holder.askedMs);
    const heldMs = Date.now() - holder.startedMs;
    if (heldMs < holdMs) {
      switchTimer = setTimeout(() => {
        switchTimer = undefined;
        applyOutputs();
      }, holdMs - heldMs);
      return;
    }
    stopping = true;
    const old = holder;
    void stopChild(old.child).then(() => {
      stopping = false;
      if (holder === old) holder = null;
      applyOutputs();
    });
  }

  function startHolder(state: State): void {
    const child = spawn(gpioset, gpiosetArgs({ chip: options.chip, activeLow: options.outputsActiveLow, values: state.values }), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const current = { child, key: state.key, askedMs: state.askedMs, startedMs: Date.now() };
    holder = current;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    const failed = (error: Error): void => {
      if (holder !== current) return;
      holder = null;
      if (closed) return;
      report(error);
      // try again with the newest state
      queue.splice(0, queue.length, stateNow());
      outputRetry = setTimeout(() => {
        outputRetry = undefined;
        applyOutputs();
      }, restartMs);
    };
    child.once('error', (error) => failed(describeSpawnError('gpioset', error)));
    // our own SIGTERM ends it while `stopping`: only an exit nobody asked for is an error
    child.once('exit', (code, signal) => {
      if (!stopping || holder !== current) failed(describeExit('gpioset', code, signal, stderr));
    });
  }

  // ---- inputs: one gpiomon on the button lines ----
  let monitor: ChildProcess | null = null;
  let inputRetry: NodeJS.Timeout | undefined;

  function startMonitor(): void {
    const inputs = options.inputs;
    if (closed || !inputs || inputs.offsets.length === 0) return;
    const child = spawn(gpiomon, gpiomonArgs({ chip: options.chip, offsets: inputs.offsets, activeLow: inputs.activeLow, bias: inputs.bias }), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    monitor = child;
    let stderr = '';
    let unparsed = 0;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const edge = parseGpiomonLine(line);
        if (edge === null) {
          if (unparsed++ === 0) report(new Error(`gpiomon printed a line that is no event: ${JSON.stringify(line.slice(0, 80))}`));
          return;
        }
        for (const listener of edgeListeners) listener(edge);
      });
    }
    let failedOnce = false;
    const failed = (error: Error): void => {
      if (failedOnce || monitor !== child) return;
      failedOnce = true;
      monitor = null;
      if (closed) return;
      report(error);
      inputRetry = setTimeout(startMonitor, restartMs);
    };
    child.once('error', (error) => failed(describeSpawnError('gpiomon', error)));
    child.once('exit', (code, signal) => failed(describeExit('gpiomon', code, signal, stderr)));
  }

  applyOutputs();
  startMonitor();

  return {
    setOutputs(values) {
      for (const [offset, value] of Object.entries(values)) {
        if (latest.has(Number(offset))) latest.set(Number(offset), value);
      }
      const state = stateNow();
      if (state.key !== (queue.at(-1)?.key ?? holder?.key)) queue.push(state);
      // processes that cannot keep up (a stalled machine): the oldest states go, the newest always stays
      if (queue.length > MAX_QUEUED_STATES) queue.splice(0, queue.length - MAX_QUEUED_STATES);
      applyOutputs();
    },
    onEdge(listener) {
      edgeListeners.push(listener);
    },
    onError(listener) {
      errorListeners.push(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(outputRetry);
      clearTimeout(switchTimer);
      clearTimeout(inputRetry);
      const children = [holder?.child, monitor].filter((c): c is ChildProcess => c !== undefined && c !== null);
      holder = null;
      monitor = null;
      await Promise.all(children.map(stopChild));
    },
  };
}
