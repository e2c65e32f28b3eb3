/**
 * Badge pseudonyms on the ledger side, computed exactly as a terminal computes them: the booking core's
 * badgePseudonym (first 4 bytes of HMAC-SHA256(key, UID bytes), 8 lower-case hex digits) with the Pi terminal's Node
 * HMAC, and the key file read by the terminal's reader (hex on the first line, 32 to 128 digits). The ledger adds
 * the bridge's rule for files holding key material: refused when others may read or write it.
 */
import { checkPrivate } from '../../gateway-bridge/src/config/files.ts';
import type { ConfigIssue } from '../../gateway-bridge/src/config/errors.ts';
import { badgePseudonym as corePseudonym, MAX_UID_BYTES } from '../../firmware/timeclock/core/pseudonym.ts';
import { readPseudonymKey as readKeyFile } from '../../firmware/timeclock/terminal/config.ts';
import { nodePseudonymHmac } from '../../firmware/timeclock/terminal/node-platform.ts';

export class PseudonymKeyError extends Error {
  override name = 'PseudonymKeyError';
}

export function badgePseudonym(key: Uint8Array, uid: Uint8Array): string {
  return corePseudonym(nodePseudonymHmac(key), uid);
}

/** A UID typed by a person: hex, spaces, ':' or '-' between bytes allowed, 4 to MAX_UID_BYTES bytes. */
export function parseUid(text: string): Uint8Array {
  const digits = text.trim().replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(digits) || digits.length < 8 || digits.length > MAX_UID_BYTES * 2) {
    throw new PseudonymKeyError(`not a badge UID: expected 4 to ${MAX_UID_BYTES} bytes as hex digits, e.g. 04A1B2C3D4E5F6`);
  }
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/** Reads the key file; refuses one others may read or write, and one that is not a key. Never repeats the key. */
export function readPseudonymKey(file: string, checkPermissions = process.platform !== 'win32'): Uint8Array {
  if (checkPermissions) {
    const issues: ConfigIssue[] = [];
    checkPrivate(file, 'the pseudonym key', issues);
    if (issues.length > 0) throw new PseudonymKeyError(`pseudonym key file ${file} ${issues[0]!.message}`);
  }
  const problems: string[] = [];
  const key = readKeyFile(file, (message) => problems.push(message));
  if (key === undefined) throw new PseudonymKeyError(`pseudonym key file: ${problems.join('; ')}`);
  return key;
}
