/**
 * A simulated Espruino board's REPL console on one end of a pseudo-terminal pair, in real time: a program on the
 * other end (the `espruino` tools behind `stadtsensor flash`) talks to it as to a board on a USB serial adapter.
 * The JavaScript it receives runs in the simulator's Espruino runtime (createEspruinoBoard on a
 * RealtimeScheduler), whose require('Storage') is a FlashImage: after an upload the test reads `.bootcde` and
 * `ss.keys` from `flash` byte for byte, and can boot the same image on another simulated board.
 *
 * The console follows Espruino's src/jsinteractive.c (jsiHandleChar, jsiHandleNewLine, jsiLoop):
 * - characters are echoed while echo is on; a line executes at CR or LF when its brackets are closed (otherwise
 *   `\r\n:` and the line goes on); ESC LF adds a newline without executing; CR LF counts once;
 * - DLE (0x10) at the start of a line turns echo off for that line: nothing echoed, no `=result`, and the prompt
 *   is printed again only if the line printed something;
 * - an executed line with echo on prints `\r\n`, then `=<value>` (not for an empty line), then the prompt `>`;
 * - output (print, console.log, `Uncaught ...`) first removes the shown input line (`\r` ESC[J while echo is on);
 *   the prompt comes back once the input received so far has been handled;
 * - Ctrl-C clears the input line after the pending input has been handled (the chip notices it in an interrupt);
 *   Ctrl-U and Ctrl-W clear it at once; backspace deletes;
 * - echo(0)/echo(1) switch echo; reset() restarts the interpreter once the input so far is handled (Storage
 *   stays, .bootcde does not run), prints the banner and turns echo on again; load() boots from Storage
 *   (.bootcde runs: the firmware starts, on the wall clock) and keeps the echo setting.
 * - the pty is the board's USB port on a Pico (plugged in, so the console is there) and a USB serial adapter on
 *   the MDBT42Q's Serial1 pins: while the console is elsewhere (the firmware forces it onto Bluetooth, see
 *   runtime/console-device.ts) the pty hears nothing and what it sends reaches no REPL.
 * Not modelled: cursor keys and history, the debugger, password protection, Espruino's own parser (V8 runs the
 * code: syntax Espruino lacks is accepted here), interrupting a running line with Ctrl-C, and baud rate and flow
 * control (a pty carries everything at once).
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { Scheduler } from '../contracts.ts';
import { BOARDS, createEspruinoBoard, type BoardName, type BoardProfile, type EspruinoBoard } from '../runtime/index.ts';
import { formatValue, uncaughtText } from '../runtime/format.ts';
import { FlashImage } from '../runtime/storage.ts';
import { RealtimeScheduler } from './realtime-scheduler.ts';

export interface EspruinoConsoleOptions {
  /** The board's end of the pty pair. */
  path: string;
  /** Runtime board (default MDBT42Q); its name is process.env.BOARD, so give the Pico's profile the name PICO_R1_3. */
  board?: BoardName | BoardProfile;
  /** Storage; default an empty FlashImage of the board's size. */
  flash?: FlashImage;
  /** Default: a RealtimeScheduler of its own, stopped by close(). */
  scheduler?: Scheduler;
  /** Called once the board exists (attach devices to it). */
  setup?: (board: EspruinoBoard) => void;
}

/** The Espruino profile with the name a real Pico reports (the runtime calls it PICO). */
export const PICO_R1_3: BoardProfile = { ...BOARDS.PICO, name: 'PICO_R1_3' };

const BANNER =
  '\x1b[?7l\n' +
  ' ____                 _ \n' +
  '|  __|___ ___ ___ _ _|_|___ ___ \n' +
  '|  __|_ -| . |  _| | | |   | . |\n' +
  '|____|___|  _|_| |___|_|_|_|___|\n' +
  '         |_| espruino.com\n' +
  ' 2v29 (c) 2025 G.Williams\n';

/** Marks console lines the console's own hooks print (never shown on the wire). */
const HOOK = '\x01console:';
const HOOKS = `(function (g) {
  var p = g.print, r = g.reset, l = g.load;
  g.reset = function (clearFlash) { p(${JSON.stringify(HOOK)} + 'reset'); return r(clearFlash); };
  g.load = function (file) { p(${JSON.stringify(HOOK)} + 'load'); return file === undefined ? l() : l(file); };
  g.echo = function (on) { p(${JSON.stringify(HOOK)} + (on ? 'echo1' : 'echo0')); };
})(global);`;

/** Espruino's jsiCountBracketsInInput: ( [ { minus ) ] }, outside strings and comments, stopping at an unfinished one. */
export function countBrackets(line: string): number {
  let brackets = 0;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      let j = i + 1;
      while (j < line.length && line[j] !== ch) j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) return brackets; // unfinished string
      i = j + 1;
      continue;
    }
    if (ch === '/' && line[i + 1] === '/') {
      const end = line.indexOf('\n', i);
      if (end < 0) return brackets;
      i = end + 1;
      continue;
    }
    if (ch === '/' && line[i + 1] === '*') {
      const end = line.indexOf('*/', i + 2);
      if (end < 0) return brackets; // unfinished comment
      i = end + 2;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') brackets++;
    if (ch === ')' || ch === ']' || ch === '}') brackets--;
    if (brackets < 0) return brackets;
    i++;
  }
  return brackets;
}

function resultText(value: unknown): string {
  if (value === undefined) return 'undefined';
  return typeof value === 'string' ? JSON.stringify(value) : formatValue(value);
}

export class EspruinoConsole {
  readonly flash: FlashImage;
  readonly board: EspruinoBoard;
  readonly scheduler: Scheduler;
  /** Every line executed, in order (echo-off marker removed). */
  readonly executed: string[] = [];
  resets = 0;
  loads = 0;
  private port: SerialPort | undefined;
  private readonly ownsScheduler: boolean;
  private out = '';
  private inputLine = '';
  private inputLineRemoved = false;
  private echoOff = false;
  private echoOffForLine = false;
  private ctrlC = false;
  private escape: 'none' | '27' | '27-79' | '27-91' | '27-91-n' = 'none';
  private hadCR = false;
  private knownBoots: number;
  private pendingBoot: 'reset' | 'load' | undefined;
  private bootCheck: NodeJS.Timeout | undefined;
  /** Input that arrived while the interpreter restarts: it waits in the UART's queue. */
  private backlog: Uint8Array[] = [];
  private closed = false;
  /** The console device this pty is: `USB` on a Pico, `Serial1` (an adapter on its console pins) on an MDBT42Q. */
  private readonly device: string;

  private constructor(options: EspruinoConsoleOptions) {
    this.ownsScheduler = options.scheduler === undefined;
    this.scheduler = options.scheduler ?? new RealtimeScheduler();
    const profile = typeof options.board === 'object' ? options.board : BOARDS[options.board ?? 'MDBT42Q'];
    this.flash = options.flash ?? new FlashImage(profile.storageBytes);
    this.board = createEspruinoBoard({
      scheduler: this.scheduler,
      board: profile,
      flash: this.flash,
      onConsole: (line) => this.consoleLine(line.text, line.device),
    });
    if (profile.hostConsole === 'USB') this.board.setHostConnected(true);
    this.device = this.board.consoleDevice.device;
    options.setup?.(this.board);
    this.knownBoots = this.board.boots;
    this.installHooks();
    // power-on: the banner, then the prompt
    this.printRaw(`${BANNER}\n`);
    this.inputLineRemoved = true;
    this.returnInputLine();
  }

  /** Opens the pty end and shows the power-on banner and prompt. */
  static async open(options: EspruinoConsoleOptions): Promise<EspruinoConsole> {
    if (!existsSync(options.path)) throw new Error(`no pty at ${options.path}`);
    const console = new EspruinoConsole(options);
    const port = new SerialPort({ path: options.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    console.port = port;
    port.on('data', (data: Buffer) => console.receive(data));
    port.on('error', () => undefined);
    console.flush();
    return console;
  }

  /** Handles bytes as they arrive at the board's console UART (exposed for tests without a pty). */
  receive(data: Uint8Array): void {
    if (this.closed) return;
    this.checkBoot();
    if (this.board.consoleDevice.device !== this.device) return;
    if (this.pendingBoot) {
      this.backlog.push(data);
      return;
    }
    // Ctrl-C is seen by the UART interrupt as it arrives, before the queued characters are handled
    if (data.includes(3)) this.ctrlC = true;
    for (let i = 0; i < data.length; i++) {
      this.handleChar(data[i]!);
      if (this.pendingBoot) {
        this.backlog.push(data.subarray(i + 1));
        break;
      }
    }
    this.endOfLoop();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.bootCheck);
    if (this.ownsScheduler) (this.scheduler as RealtimeScheduler).stop();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  // ---------------------------------------------------------------- jsinteractive.c

  private get echo(): boolean {
    return !this.echoOff && !this.echoOffForLine;
  }

  private get showInputLine(): boolean {
    return this.echo && !this.inputLineRemoved;
  }

  private handleChar(ch: number): void {
    if (this.escape === '27') {
      this.escape = ch === 79 ? '27-79' : ch === 91 ? '27-91' : 'none';
      if (ch === 10) this.handleNewLine(false); // ESC LF: Alt-Enter
      return;
    }
    if (this.escape === '27-79') {
      this.escape = 'none';
      return;
    }
    if (this.escape === '27-91') {
      this.escape = ch >= 48 && ch <= 57 ? '27-91-n' : 'none';
      return;
    }
    if (this.escape === '27-91-n') {
      if (ch < 48 || ch > 57) this.escape = 'none'; // ESC [ <number> d sets the line number: nothing to do here
      return;
    }
    if (ch === 27) {
      this.escape = '27';
    } else if (ch === 21 || ch === 23) {
      this.clearInputLine(true);
    } else if (ch === 16 && this.inputLine.length === 0) {
      this.echoOffForLine = true;
    } else if (ch === 8 || ch === 127) {
      if (this.inputLine.length > 0) {
        this.inputLine = this.inputLine.slice(0, -1);
        if (this.showInputLine) this.printRaw('\x08 \x08');
      }
    } else if (ch === 10 && this.hadCR) {
      // CR LF: handled at the CR
    } else if (ch === 13 || ch === 10) {
      this.handleNewLine(true);
    } else if (ch >= 32 || ch === 9) {
      const text = ch === 9 ? '    ' : String.fromCharCode(ch);
      this.inputLine += text;
      if (this.showInputLine) this.printRaw(text);
    }
    this.hadCR = ch === 13;
  }

  private handleNewLine(execute: boolean): void {
    if (!execute || countBrackets(this.inputLine) > 0) {
      if (this.showInputLine) this.printRaw('\n:');
      this.inputLine += '\n';
      return;
    }
    if (this.showInputLine) this.printRaw('\n');
    if (!this.echoOffForLine) this.inputLineRemoved = true;
    const line = this.inputLine.trimEnd();
    this.inputLine = '';
    this.execute(line);
    this.echoOffForLine = false;
  }

  private execute(line: string): void {
    this.executed.push(line);
    let value: unknown;
    let error: { value: unknown } | undefined;
    try {
      value = this.board.evaluate(line);
    } catch (e) {
      error = { value: e };
    }
    if (error) {
      this.removeInputLine();
      this.printRaw(`Uncaught ${uncaughtText(error.value)}\n`);
    } else if (this.echo && line.length > 0) {
      this.printRaw(`=${resultText(value)}\n`);
    }
  }

  private removeInputLine(): void {
    if (this.inputLineRemoved) return;
    this.inputLineRemoved = true;
    if (this.echo) this.printRaw('\r\x1b[J');
  }

  private returnInputLine(): void {
    if (!this.inputLineRemoved) return;
    this.inputLineRemoved = false;
    if (this.echo) this.printRaw(`>${this.inputLine.replace(/\n/g, '\n:')}`);
  }

  private clearInputLine(updateConsole: boolean): void {
    if (this.inputLine.length === 0) return;
    if (updateConsole) this.removeInputLine();
    this.inputLine = '';
  }

  /** The end of one pass of jsiLoop: Ctrl-C, then the prompt, then out to the wire. */
  private endOfLoop(): void {
    if (this.ctrlC) {
      this.ctrlC = false;
      this.clearInputLine(true);
    }
    this.returnInputLine();
    this.flush();
  }

  // ---------------------------------------------------------------- output and boots

  /** Console text as Espruino sends it: every LF preceded by CR. */
  private printRaw(text: string): void {
    this.out += text.replace(/\n/g, '\r\n');
  }

  private flush(): void {
    if (!this.out || !this.port?.isOpen) return;
    this.port.write(Buffer.from(this.out, 'latin1'));
    this.out = '';
  }

  private consoleLine(text: string, device: string): void {
    if (text.startsWith(HOOK)) {
      const event = text.slice(HOOK.length);
      if (event === 'echo0') this.echoOff = true;
      else if (event === 'echo1') this.echoOff = false;
      else {
        this.pendingBoot = event as 'reset' | 'load';
        this.watchForBoot(0);
      }
      return;
    }
    // print and console.log output, Uncaught errors of callbacks, while the console is on this pty
    if (device !== this.device) return;
    this.removeInputLine();
    this.printRaw(`${text}\n`);
    if (this.bootCheck === undefined) setImmediate(() => this.endOfLoop());
  }

  /** reset()/load() take effect once the running code returns: the runtime boots 1 ms later. */
  private watchForBoot(tries: number): void {
    clearTimeout(this.bootCheck);
    this.bootCheck = setTimeout(() => {
      this.bootCheck = undefined;
      if (this.closed) return;
      if (!this.checkBoot() && tries < 50) {
        this.watchForBoot(tries + 1);
        return;
      }
      this.pendingBoot = undefined;
      this.endOfLoop();
      for (const data of this.backlog.splice(0)) this.receive(data);
    }, 2);
  }

  /** After a boot: fresh input line and hooks; reset (and power-on) print the banner and turn echo on. */
  private checkBoot(): boolean {
    if (this.board.boots === this.knownBoots) return false;
    this.knownBoots = this.board.boots;
    const kind = this.pendingBoot;
    this.pendingBoot = undefined;
    this.inputLine = '';
    this.echoOffForLine = false;
    if (kind === 'load') {
      this.loads++;
    } else {
      if (kind === 'reset') this.resets++;
      this.echoOff = false;
      this.printRaw(`${BANNER}\n`);
      this.inputLineRemoved = true;
    }
    try {
      this.installHooks();
    } catch {
      // the board is rebooting again; the next check installs them
    }
    return true;
  }

  private installHooks(): void {
    this.board.evaluate(HOOKS);
  }
}
