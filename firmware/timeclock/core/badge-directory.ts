/**
 * Which badges may book, from the newest BadgeListMessage the terminal has seen (the ledger publishes it retained).
 * Plain objects as lookup tables: Espruino has no Map.
 */
import type { BadgeListMessage } from './contracts.ts';

export type BadgeLookup = { status: 'known'; greeting: string } | { status: 'revoked' } | { status: 'unknown' } | { status: 'noList' };

export interface BadgeDirectory {
  /** Takes `list` if it is newer than the one in use; returns whether it did. */
  update(list: BadgeListMessage): boolean;
  lookup(badge: string): BadgeLookup;
  version(): number | null;
  current(): BadgeListMessage | null;
}

const HEX_DIGITS = /^[0-9a-f]+$/;

/** 8 lower-case hex digits (no counted quantifier: Espruino's RegExp has none). */
function isPseudonym(value: unknown): boolean {
  return typeof value === 'string' && value.length === 8 && HEX_DIGITS.test(value);
}

/** Why `value` is not a BadgeListMessage, or null when it is one. */
export function badgeListProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'not an object';
  const list = value as BadgeListMessage;
  if (typeof list.version !== 'number' || !(list.version >= 0) || Math.floor(list.version) !== list.version) return 'version is not a whole number >= 0';
  if (!Array.isArray(list.badges)) return 'badges is not a list';
  if (!Array.isArray(list.revoked)) return 'revoked is not a list';
  for (let i = 0; i < list.badges.length; i++) {
    const entry = list.badges[i];
    if (!entry || !isPseudonym(entry.badge)) return 'badges[' + i + '].badge is not 8 lower-case hex digits';
    if (typeof entry.greeting !== 'string') return 'badges[' + i + '].greeting is not text';
  }
  for (let i = 0; i < list.revoked.length; i++) {
    const badge = list.revoked[i];
    if (!isPseudonym(badge)) return 'revoked[' + i + '] is not 8 lower-case hex digits';
  }
  return null;
}

export function createBadgeDirectory(): BadgeDirectory {
  let list: BadgeListMessage | null = null;
  let greetings: Record<string, string> = {};
  let revoked: Record<string, boolean> = {};

  function update(next: BadgeListMessage): boolean {
    if (list !== null && next.version <= list.version) return false;
    const nextGreetings: Record<string, string> = {};
    const nextRevoked: Record<string, boolean> = {};
    for (let i = 0; i < next.badges.length; i++) nextGreetings['b' + next.badges[i]!.badge] = next.badges[i]!.greeting;
    for (let i = 0; i < next.revoked.length; i++) nextRevoked['b' + next.revoked[i]] = true;
    list = next;
    greetings = nextGreetings;
    revoked = nextRevoked;
    return true;
  }

  // keys carry a prefix so that no pseudonym can collide with an Object.prototype member
  function lookup(badge: string): BadgeLookup {
    if (list === null) return { status: 'noList' };
    const key = 'b' + badge;
    if (revoked[key] === true) return { status: 'revoked' };
    const greeting = greetings[key];
    return typeof greeting === 'string' ? { status: 'known', greeting: greeting } : { status: 'unknown' };
  }

  return {
    update: update,
    lookup: lookup,
    version: function () {
      return list === null ? null : list.version;
    },
    current: function () {
      return list;
    },
  };
}
