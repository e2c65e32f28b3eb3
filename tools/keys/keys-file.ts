/**
 * The device's keys file on the maker's computer: the JSON `stadtsensor flash` writes to the node's Storage as
 * `ss.keys` (firmware/platform/espruino.ts readKeys). Written with mode 0600 and never over an existing file;
 * read only when neither group nor others may read it, like an SSH private key.
 */
import { closeSync, constants, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { NodeKeys } from '../../firmware/core/node.ts';

export class KeysFileError extends Error {
  override readonly name = 'KeysFileError';
}

/** The file's text: one JSON object, as the firmware parses it. */
export function keysFileText(keys: NodeKeys): string {
  return `${JSON.stringify(keys)}\n`;
}

/** Creates `file` with mode 0600; refuses when it exists. */
export function writeKeysFile(file: string, keys: NodeKeys): void {
  let fd: number;
  try {
    // O_EXCL: never over an existing file, also not through a symbolic link planted there
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeysFileError(`${file} exists: not overwritten (a node flashed with it would lose its identity)`);
    throw new KeysFileError(`cannot create ${file}: ${(error as Error).message}`);
  }
  try {
    writeSync(fd, keysFileText(keys));
  } finally {
    closeSync(fd);
  }
}

const HEX = (digits: number): RegExp => new RegExp(`^[0-9a-fA-F]{${digits}}$`);

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** What is wrong with a parsed keys file, in words; empty when it is a NodeKeys the firmware can use. */
export function keysProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not a JSON object'];
  const v = value as Record<string, unknown>;
  const hex = (key: string, digits: number): void => {
    if (typeof v[key] !== 'string' || !HEX(digits).test(v[key])) problems.push(`${key}: expected ${digits} hex digits`);
  };
  if (v.network === 'p2p') {
    hex('devAddr', 8);
    hex('nwkSKey', 32);
    hex('appSKey', 32);
    const p = v.p2p as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) problems.push('p2p: expected the radio settings {freqHz, sf, bwKhz, cr, preamble, txPowerDbm}');
    else {
      if (!isInt(p.freqHz, 150_000_000, 960_000_000)) problems.push('p2p.freqHz: expected 150000000..960000000');
      if (!isInt(p.sf, 5, 12)) problems.push('p2p.sf: expected 5..12');
      if (![125, 250, 500].includes(p.bwKhz as number)) problems.push('p2p.bwKhz: expected 125, 250 or 500');
      if (!isInt(p.cr, 1, 4)) problems.push('p2p.cr: expected 1..4');
      if (!isInt(p.preamble, 5, 65_535)) problems.push('p2p.preamble: expected 5..65535');
      if (!isInt(p.txPowerDbm, 5, 22)) problems.push('p2p.txPowerDbm: expected 5..22');
    }
  } else if (v.network === 'lorawan') {
    if (v.activation !== 'otaa') problems.push('activation: expected "otaa"');
    if (v.band !== 'EU868') problems.push('band: expected "EU868"');
    hex('devEui', 16);
    hex('appEui', 16);
    hex('appKey', 32);
  } else {
    problems.push('network: expected "p2p" or "lorawan"');
  }
  return problems;
}

/** Reads and checks a keys file: private to its owner and a NodeKeys. Returns the parsed keys and the file's text. */
export function readKeysFile(file: string): { keys: NodeKeys; text: string } {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    throw new KeysFileError(`cannot read the keys file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    const perms = (mode & 0o777).toString(8).padStart(3, '0');
    throw new KeysFileError(`${file} holds session keys and is accessible by group or others (mode ${perms}): run chmod 600 ${file}`);
  }
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, and the text holds keys: not shown
    throw new KeysFileError(`${file} is not valid JSON`);
  }
  const problems = keysProblems(value);
  if (problems.length > 0) throw new KeysFileError(`${file} is not a keys file (stadtsensor keys new): ${problems.join('; ')}`);
  // the node gets the compact form: what it parses, nothing else
  return { keys: value as NodeKeys, text: JSON.stringify(value) };
}
