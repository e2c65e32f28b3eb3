/**
 * The retained BadgeListMessage (contracts.ts): the pseudonyms that may book now with what a terminal greets them
 * with, and the pseudonyms that were revoked or expired and have no valid mapping now. No names unless a greeting
 * was set for an employee: by default every badge gets the same neutral greeting (data minimisation — the list is
 * retained on the broker and every terminal reads it).
 */
import type { BadgeListMessage } from '../../firmware/timeclock/core/contracts.ts';
import { mappingEnd } from './store/sql-store.ts';
import type { BadgeMapping, Employee } from './store/types.ts';

export const DEFAULT_GREETING = 'Guten Tag';

export type BadgeListContent = Omit<BadgeListMessage, 'version'>;

export function badgeListContent(mappings: readonly BadgeMapping[], employees: readonly Employee[], now: number, defaultGreeting: string): BadgeListContent {
  const greetings = new Map(employees.map((e) => [e.id, e.greeting ?? defaultGreeting]));
  const active = new Map<string, string>();
  const ended = new Set<string>();
  for (const m of mappings) {
    const end = mappingEnd(m);
    if (m.validFrom <= now && (end === null || now < end)) active.set(m.badge, greetings.get(m.employeeId) ?? defaultGreeting);
    else if (end !== null && end <= now) ended.add(m.badge);
  }
  return {
    badges: [...active].map(([badge, greeting]) => ({ badge, greeting })).sort((a, b) => a.badge.localeCompare(b.badge)),
    revoked: [...ended].filter((badge) => !active.has(badge)).sort(),
  };
}
