/**
 * Puts a firmware bundle and a node's keys (and settings) into an Espruino board's Storage over its console, the
 * way `espruino --board <json> --config SAVE_ON_SEND=1 --storage ss.keys:<file> bundle.js` would, then checks
 * what was written before starting it:
 *
 * 1. the port exists, is a character device and may be opened;
 * 2. connect and ask `process.env`: the board must answer and be the Espruino board the profile names;
 * 3. reset(), then write ss.keys (and ss.settings) and the bundle to `.bootcde` (Storage.write in 1 KB chunks);
 * 4. read back each file's length and E.CRC32 and compare them with the bytes sent;
 * 5. load() (boot from .bootcde, as after power-on) and listen to the console for a while: an `Uncaught` error
 *    fails the flash, anything else the node prints is reported.
 *
 * Keys never leave the process except to the board: not in progress lines, errors or the summary.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { HOST_CONSOLE } from '../../hardware/boards/board-profile.ts';
import { REPO_ROOT } from '../firmware-build/paths.ts';
import { EspruinoConnection } from './espruino-tools.ts';

export const ESPRUINO_BOARD_JSON_DIR = join(REPO_ROOT, 'hardware', 'boards', 'espruino');

/** Exit codes of `stadtsensor flash` besides 0 (ok), 1 (internal) and 2 (bad input). */
export const FLASH_EXIT = { buildFailed: 3, portMissing: 4, noAnswer: 5, verifyFailed: 6, wrongBoard: 7 } as const;

export class FlashError extends Error {
  override readonly name = 'FlashError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const KEYS_STORAGE_FILE = 'ss.keys';
export const SETTINGS_STORAGE_FILE = 'ss.settings';
export const CODE_STORAGE_FILE = '.bootcde';

export interface FlashOptions {
  /** The bundle text to run from `.bootcde`. */
  bundle: string;
  /** Contents of ss.keys. */
  keysText: string;
  /** Contents of ss.settings (deviceConfig overrides); left as it is on the board when absent. */
  settingsText?: string;
  port: string;
  baud: number;
  /** process.env.BOARD the board must report (the profile's espruinoBoard). */
  espruinoBoard: string;
  boardJsonDir?: string;
  /** How long to listen to the console after load(). Default 3000 ms. */
  watchMs?: number;
  progress?: (line: string) => void;
}

export interface FlashedFile {
  name: string;
  bytes: number;
  crc32: number;
}

export interface FlashResult {
  board: string;
  version: string;
  console: string;
  files: FlashedFile[];
  uploadMs: number;
  /** Lines the node printed after load(). */
  nodeOutput: string[];
}

/** Checks the port before the tools touch it: they would wait for it, or crash on an open error. */
export function checkPort(path: string): void {
  if (!existsSync(path)) {
    throw new FlashError(`no such port: ${path} (is the USB serial adapter plugged in? \`ls /dev/ttyUSB* /dev/ttyACM* /dev/serial/by-id/\`)`, FLASH_EXIT.portMissing);
  }
  if (!statSync(path).isCharacterDevice()) throw new FlashError(`${path} is not a serial port (not a character device)`, FLASH_EXIT.portMissing);
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new FlashError(`no permission to open ${path}: add yourself to its group (\`sudo usermod -aG dialout $USER\`, then log in again)`, FLASH_EXIT.portMissing);
  }
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function fileOf(name: string, text: string): FlashedFile {
  const bytes = latin1(text);
  return { name, bytes: bytes.length, crc32: crc32(bytes) >>> 0 };
}

/** Storage files' [length, CRC32] on the board; null for a missing file. */
function readBackExpression(names: readonly string[]): string {
  return `(function(){var s=require("Storage"),r={};${JSON.stringify(names)}.forEach(function(f){var d=s.read(f);r[f]=d===undefined?null:[d.length,E.CRC32(d)];});return r;})()`;
}

/** Console text as lines without prompts, echo-off markers and terminal escapes. */
export function consoleLines(text: string): string[] {
  return text
    // eslint-disable-next-line no-control-regex -- terminal escapes (ESC [ ... letter) are what is removed
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n|\r/)
    .map((line) => line.replace(/^>+/, '').trim())
    .filter((line) => line.length > 0);
}

/**
 * The first `Uncaught ...` line, with quoted text cut out: Espruino quotes tokens of a line it cannot parse, and
 * the lines we send hold the keys.
 */
function uncaught(text: string): string | undefined {
  return consoleLines(text)
    .find((line) => line.startsWith('Uncaught'))
    ?.replace(/"[^"]*"?|'[^']*'?/g, '"..."');
}

export async function flashNode(options: FlashOptions): Promise<FlashResult> {
  const progress = options.progress ?? (() => undefined);
  const boardJsonDir = options.boardJsonDir ?? ESPRUINO_BOARD_JSON_DIR;
  if (!existsSync(join(boardJsonDir, `${options.espruinoBoard}.json`))) {
    throw new FlashError(`no board JSON for ${options.espruinoBoard} in ${boardJsonDir}`, 2);
  }
  checkPort(options.port);
  progress(`connecting to ${options.port} at ${options.baud} baud ...`);
  let connection: EspruinoConnection;
  try {
    connection = await EspruinoConnection.open({ path: options.port, baud: options.baud, boardJsonDir });
  } catch (error) {
    throw new FlashError((error as Error).message, FLASH_EXIT.portMissing);
  }
  try {
    return await flashOver(connection, options, progress);
  } finally {
    await connection.close();
  }
}

async function flashOver(connection: EspruinoConnection, options: FlashOptions, progress: (line: string) => void): Promise<FlashResult> {
  const env = connection.env;
  if (typeof env.BOARD !== 'string') {
    throw new FlashError(
      `no answer from a board on ${options.port}: is it powered, the baud rate right (${options.baud}), TX and RX crossed? ` +
        'A node that runs its firmware may not answer on this port: see hardware/flashing.md, "Recovery"',
      FLASH_EXIT.noAnswer,
    );
  }
  if (env.BOARD !== options.espruinoBoard) {
    throw new FlashError(`the board on ${options.port} is a ${env.BOARD}, not the ${options.espruinoBoard} of the board profile: nothing written`, FLASH_EXIT.wrongBoard);
  }
  const version = String(env.VERSION);
  progress(`found ${env.BOARD} with Espruino ${version} (console ${String(env.CONSOLE)})`);

  const code = await connection.transform(options.bundle);
  const missing = connection.notices.filter((n) => n.level !== 'info' && /module/i.test(n.text)).map((n) => n.text);
  if (missing.length > 0 || code.includes('Modules.addCached')) {
    throw new FlashError(`the bundle needs modules this board's firmware lacks: ${missing.join('; ') || 'see Modules.addCached'}`, FLASH_EXIT.wrongBoard);
  }
  if (!code.includes(`require("Storage").write(${JSON.stringify(CODE_STORAGE_FILE)}`)) {
    throw new FlashError(`the Espruino tools did not prepare a Storage upload (Espruino ${version} is older than 1v96?)`, FLASH_EXIT.wrongBoard);
  }

  const files = [fileOf(KEYS_STORAGE_FILE, options.keysText)];
  let upload = `${connection.storageFileCode(KEYS_STORAGE_FILE, options.keysText)}\n`;
  if (options.settingsText !== undefined) {
    files.push(fileOf(SETTINGS_STORAGE_FILE, options.settingsText));
    upload += `${connection.storageFileCode(SETTINGS_STORAGE_FILE, options.settingsText)}\n`;
  }
  files.push(fileOf(CODE_STORAGE_FILE, options.bundle));
  upload += code;

  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  progress(`reset(), writing ${files.map((f) => `${f.name} (${f.bytes} B)`).join(', ')} ...`);
  const started = performance.now();
  const chunks = (upload.match(/\n/g) ?? []).length;
  // 10 bits per byte on the wire, 250 ms after each Storage write, and a generous margin
  const budgetMs = ((upload.length * 10) / options.baud) * 1000 * 2 + chunks * 250 * 2 + 30_000;
  connection.received = '';
  try {
    await connection.upload(upload, budgetMs);
  } catch (error) {
    throw new FlashError(`the board stopped taking data: ${(error as Error).message}`, FLASH_EXIT.noAnswer);
  }
  const uploadMs = performance.now() - started;
  progress(`sent ${total} bytes in ${(uploadMs / 1000).toFixed(1)} s; reading back ...`);

  const answer = await connection.expression(readBackExpression(files.map((f) => f.name)));
  const failed = uncaught(connection.received);
  if (answer === undefined) {
    throw new FlashError(`the board did not answer after the upload${failed ? `; it said: ${failed}` : ''}`, FLASH_EXIT.noAnswer);
  }
  let stored: Record<string, [number, number] | null>;
  try {
    stored = JSON.parse(answer) as typeof stored;
  } catch {
    throw new FlashError(`unexpected answer from the board: ${answer.slice(0, 80)}`, FLASH_EXIT.verifyFailed);
  }
  const wrong = files.filter((f) => {
    const s = stored[f.name];
    return !s || s[0] !== f.bytes || s[1] >>> 0 !== f.crc32;
  });
  if (wrong.length > 0) {
    const what = wrong.map((f) => {
      const s = stored[f.name];
      return s ? `${f.name}: ${s[0]} bytes, CRC32 ${(s[1] >>> 0).toString(16)} (sent ${f.bytes}, ${f.crc32.toString(16)})` : `${f.name}: missing`;
    });
    throw new FlashError(`Storage does not hold what was sent: ${what.join('; ')}${failed ? `; the board said: ${failed}` : ''}`, FLASH_EXIT.verifyFailed);
  }
  progress(`verified ${files.map((f) => `${f.name} (CRC32 ${f.crc32.toString(16).padStart(8, '0')})`).join(', ')}`);

  connection.received = '';
  await connection.send('\x10load()\n');
  const watchMs = options.watchMs ?? 3000;
  const hostConsole = HOST_CONSOLE[options.espruinoBoard as keyof typeof HOST_CONSOLE];
  progress(
    `load(): listening to the node for ${(watchMs / 1000).toFixed(0)} s ...` +
      (hostConsole && env.CONSOLE !== hostConsole
        ? ` (the firmware moves the console to ${hostConsole} as it starts: this port hears nothing after that; its first uplink at the bridge shows that it runs)`
        : ''),
  );
  await new Promise((resolve) => setTimeout(resolve, watchMs));
  const nodeOutput = consoleLines(connection.received);
  const crash = uncaught(connection.received);
  if (crash) throw new FlashError(`the firmware stopped with an error after load(): ${crash}`, FLASH_EXIT.verifyFailed);
  return { board: String(env.BOARD), version, console: String(env.CONSOLE), files, uploadMs, nodeOutput };
}
