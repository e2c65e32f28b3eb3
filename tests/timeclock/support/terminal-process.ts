/**
 * The parent's side of a terminal in a child process (terminal-child.ts): taps in lock step (the next badge only
 * after the screen showed the last outcome), SIGKILL right after a confirmation, restart on the same outbox, a
 * graceful stop. Every child still running when the test process exits is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import type { BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { TapOutcome, TerminalStatus } from '../../../firmware/timeclock/core/ports.ts';
import type { FromChild, ToChild } from './child-protocol.ts';
import type { SimClock } from './sim-clock.ts';
import type { SimulatedTerminal } from './simulated-terminal.ts';

const CHILD = fileURLToPath(new URL('./terminal-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const REPLY_TIMEOUT_MS = 10_000;

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export class TerminalProcess implements SimulatedTerminal {
  /** SIGKILLs so far. */
  kills = 0;
  starts = 0;
  #child: ChildProcess | null = null;
  #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: 0, signal: null });
  #stderr = '';
  #outcome: Waiter<TapOutcome> | null = null;
  #replies = new Map<number, Waiter<{ status: TerminalStatus; counters: Record<string, number> }>>();
  #nextId = 1;

  constructor(
    readonly id: string,
    private readonly configFile: string,
    private readonly clock: SimClock,
  ) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const child of alive) child.kill('SIGKILL');
      });
    }
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** The child's stderr (the terminal's warnings and errors), last 20 KB. */
  stderr(): string {
    return this.#stderr;
  }

  /** Starts the terminal process on its outbox; resolves once the outbox is open and the terminal runs. */
  async start(): Promise<TerminalStatus> {
    if (this.#child) throw new Error(`terminal ${this.id} runs already`);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, this.configFile, JSON.stringify(this.clock.anchor())], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.#child = child;
    this.starts++;
    alive.add(child);
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-20_000);
    });
    let started: Waiter<TerminalStatus> | null = null;
    const startedPromise = new Promise<TerminalStatus>((resolve, reject) => (started = { resolve, reject }));
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        alive.delete(child);
        if (this.#child === child) this.#child = null;
        const error = new Error(`terminal process ${this.id} exited (code ${code}, signal ${signal}); stderr:\n${this.#stderr}`);
        started?.reject(error);
        this.#outcome?.reject(error);
        this.#outcome = null;
        for (const waiter of this.#replies.values()) waiter.reject(error);
        this.#replies.clear();
        resolve({ code, signal });
      });
    });
    child.on('message', (message: FromChild) => {
      if (message.type === 'started') {
        started?.resolve(message.status);
        started = null;
      } else if (message.type === 'outcome') {
        const waiter = this.#outcome;
        this.#outcome = null;
        if (waiter) waiter.resolve(message.outcome);
      } else if (message.type === 'reply') {
        this.#replies.get(message.id)?.resolve({ status: message.status, counters: message.counters });
        this.#replies.delete(message.id);
      }
    });
    const timer = setTimeout(() => started?.reject(new Error(`terminal process ${this.id} did not start within ${START_TIMEOUT_MS} ms:\n${this.#stderr}`)), START_TIMEOUT_MS);
    try {
      return await startedPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  tap(uid: Uint8Array, kind: BookingKind): Promise<TapOutcome> {
    const child = this.#child;
    if (!child) return Promise.reject(new Error(`terminal process ${this.id} is not running`));
    if (this.#outcome) return Promise.reject(new Error(`terminal process ${this.id}: a tap is already waiting for its outcome`));
    const shown = new Promise<TapOutcome>((resolve, reject) => (this.#outcome = { resolve, reject }));
    this.#send(child, { type: 'tap', uid: Buffer.from(uid).toString('hex'), kind, anchor: this.clock.anchor() });
    return shown;
  }

  async status(): Promise<TerminalStatus> {
    return (await this.#request((id) => ({ type: 'status', id }))).status;
  }

  async counters(): Promise<Record<string, number>> {
    return (await this.#request((id) => ({ type: 'status', id }))).counters;
  }

  /** Gives the child the test clock's current anchor; resolves once it uses it. */
  async syncClock(): Promise<void> {
    await this.#request((id) => ({ type: 'clock', id, anchor: this.clock.anchor() }));
  }

  /** SIGKILL: nothing of the terminal runs after it, no offline status, no database close. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    const { signal } = await this.#exited;
    if (signal !== 'SIGKILL') throw new Error(`terminal process ${this.id} ended by itself before the SIGKILL (${signal}):\n${this.#stderr}`);
    this.kills++;
  }

  /** Closes the terminal the way systemd's stop does; throws if it does not exit with 0. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#send(child, { type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const { code } = await this.#exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`terminal process ${this.id} stopped with code ${code}:\n${this.#stderr}`);
  }

  #send(child: ChildProcess, message: ToChild): void {
    child.send(message);
  }

  #request(make: (id: number) => ToChild): Promise<{ status: TerminalStatus; counters: Record<string, number> }> {
    const child = this.#child;
    if (!child) return Promise.reject(new Error(`terminal process ${this.id} is not running`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#replies.delete(id);
        reject(new Error(`terminal process ${this.id} did not answer within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.#replies.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.#send(child, make(id));
    });
  }
}
