/**
 * Files a configuration refers to: password files (read), PEM files (checked), and the rule that a file holding key
 * material is not readable or writable by others.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ConfigIssue } from './errors.ts';
import { describeFsError } from './parse.ts';

/** Where the problems found go: `report` for one at a path of the configuration, `issues` for whole files. */
export interface FileChecks {
  checkPermissions: boolean;
  report(path: readonly PropertyKey[], message: string): void;
  issues: ConfigIssue[];
}

/** The issue for a file holding `holds` (e.g. "a password") that others may read or write, with the fix. */
export function checkPrivate(file: string, holds: string, issues: ConfigIssue[]): void {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return; // an unreadable file is reported where it is read
  }
  if ((mode & 0o006) !== 0) {
    const fixed = (mode & 0o770).toString(8).padStart(3, '0');
    const what = mode & 0o004 ? 'readable' : 'writable';
    issues.push({ file, path: '', message: `holds ${holds} and is ${what} by others (mode ${mode.toString(8).padStart(3, '0')}): run chmod ${fixed} ${file}` });
  }
}

/** The first line of a password file. */
export function readPasswordFile(file: string, at: readonly PropertyKey[], checks: FileChecks): string | undefined {
  const text = readReferenced(file, at, checks);
  if (text === undefined) return undefined;
  if (checks.checkPermissions) checkPrivate(file, 'a password', checks.issues);
  const firstLine = text.split(/\r?\n/)[0] ?? '';
  if (firstLine === '') checks.report(at, `${file} is empty: expected the password on its first line`);
  return firstLine;
}

export function checkPemFile(file: string, at: readonly PropertyKey[], isPrivateKey: boolean, checks: FileChecks): void {
  const text = readReferenced(file, at, checks);
  if (text === undefined) return;
  if (!text.includes('-----BEGIN ')) checks.report(at, `${file} is not a PEM file (expected a "-----BEGIN ..." line)`);
  if (isPrivateKey && checks.checkPermissions) checkPrivate(file, 'a private key', checks.issues);
}

function readReferenced(file: string, at: readonly PropertyKey[], checks: FileChecks): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    checks.report(at, `cannot read ${file}: ${describeFsError(error)}`);
    return undefined;
  }
}
