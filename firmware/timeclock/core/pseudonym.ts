/**
 * The keyed pseudonym of a badge: the first 4 bytes of HMAC-SHA256(pseudonymKey, UID bytes) as 8 lower-case hex
 * digits. The raw UID never leaves the terminal; without the key a pseudonym cannot be linked back to a card.
 */
import { toHex } from '../../../payload-schema/generated/firmware/payload.js';
import type { PseudonymHmac } from './ports.ts';

/** ISO 14443 UIDs are 4, 7 or 10 bytes; some wedge readers report up to 8 (125 kHz cards). */
export const MAX_UID_BYTES = 10;

export function badgePseudonym(hmac: PseudonymHmac, uid: Uint8Array): string {
  const digest = hmac.hmacSha256(uid);
  if (!digest || digest.length < 4) throw new Error('HMAC-SHA256 returned ' + (digest ? digest.length : 0) + ' bytes, expected 32');
  // toHex gives upper case (AT commands want it); the contract's pseudonyms are lower case
  return toHex(digest.subarray(0, 4)).toLowerCase();
}
