/**
 * A pair of connected pseudo-terminals made by socat, reachable through two symbolic links in a temporary directory:
 * what one program writes to link A the other reads from link B, as over a serial cable.
 *
 *   socat -d -d pty,raw,echo=0,link=<dir>/a pty,raw,echo=0,link=<dir>/b
 *
 * stop() ends socat (the links go with it: an adapter unplugged) and start() makes a new pair behind the same links
 * (plugged in again; the links then point to new /dev/pts devices). close() also removes the directory.
 * Needs socat (`apt-get install socat`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPairOptions {
  /** Directory of the links; default a new temporary directory. */
  dir?: string;
  /** Link names. Default 'a' and 'b'. */
  names?: [string, string];
}

/** socat processes still running, killed if the process exits without closing them. */
const running = new Set<ChildProcess>();
let exitHook = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

export class PtyPair {
  readonly dir: string;
  readonly pathA: string;
  readonly pathB: string;
  private child: ChildProcess | undefined;
  private readonly ownsDir: boolean;

  private constructor(options: PtyPairOptions) {
    this.ownsDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'stadtsensor-pty-'));
    const [a, b] = options.names ?? ['a', 'b'];
    this.pathA = join(this.dir, a);
    this.pathB = join(this.dir, b);
  }

  /** Makes the links and starts socat; resolves once both links exist. */
  static async create(options: PtyPairOptions = {}): Promise<PtyPair> {
    const pair = new PtyPair(options);
    try {
      await pair.start();
    } catch (err) {
      await pair.close();
      throw err;
    }
    return pair;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts socat (again) behind the same links; resolves when both exist. */
  async start(timeoutMs = 5000): Promise<void> {
    if (this.child) return;
    // links left by a socat that was killed hard (SIGKILL leaves them dangling)
    rmSync(this.pathA, { force: true });
    rmSync(this.pathB, { force: true });
    const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.pathA}`, `pty,raw,echo=0,link=${this.pathB}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    killOnExit(child);
    let log = '';
    child.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-2000);
    });
    let exited: string | undefined;
    child.once('error', (err) => {
      exited = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'socat not found (apt-get install socat)' : err.message;
    });
    child.once('exit', (code, signal) => {
      exited ??= `socat exited (${signal ?? code}): ${log.trim()}`;
      if (this.child === child) this.child = undefined;
    });
    const deadline = performance.now() + timeoutMs;
    while (!(existsSync(this.pathA) && existsSync(this.pathB))) {
      if (exited !== undefined) throw new Error(exited);
      if (performance.now() > deadline) {
        await this.stop();
        throw new Error(`socat made no pty pair within ${timeoutMs} ms: ${log.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Ends socat: both ends see their pty vanish. SIGTERM lets socat remove the links; SIGKILL leaves them dangling
   * (pointing to /dev/pts devices that no longer exist).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill(signal);
    });
  }

  /** Stops socat and removes the links (and the directory, when the pair made it). */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.pathA, { force: true });
    rmSync(this.pathB, { force: true });
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
