/**
 * The badge list as a file, for time-clock terminals the retained MQTT list cannot reach (LoRa-only sites): the same
 * BadgeListMessage the ledger publishes (badge-list.ts: pseudonyms and greetings, no UIDs, no employee ids), with a
 * version from the store's badge-list counter, so a terminal that also hears the MQTT list keeps whichever is newer.
 * The terminal reads it with its `badgeListFile` setting (firmware/timeclock/terminal/badge-list-file.ts).
 */
import type { BadgeListMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { badgeListContent } from '../badge-list.ts';
import type { Actor, LedgerStore } from '../store/types.ts';

/** The badge list valid at `by.now`, with a new version; the export goes to the audit log. */
export async function exportBadgeList(store: LedgerStore, defaultGreeting: string, by: Actor, out: string): Promise<BadgeListMessage> {
  const [mappings, employees] = await Promise.all([store.badges(), store.employees()]);
  const content = badgeListContent(mappings, employees, by.now, defaultGreeting);
  const list: BadgeListMessage = { version: await store.nextBadgeListVersion(), ...content };
  await store.audit('export', { kind: 'badge-list', version: list.version, badges: list.badges.length, revoked: list.revoked.length, out }, by);
  return list;
}

/** The file's text: one JSON object, one badge a line, so that a diff of two exports shows what changed. */
export function badgeListFileText(list: BadgeListMessage): string {
  const lines = (items: string[]): string => (items.length === 0 ? '[]' : `[\n${items.map((item) => `    ${item}`).join(',\n')}\n  ]`);
  return (
    `{\n  "version": ${list.version},\n  "badges": ${lines(list.badges.map((b) => JSON.stringify({ badge: b.badge, greeting: b.greeting })))},\n` +
    `  "revoked": ${lines(list.revoked.map((badge) => JSON.stringify(badge)))}\n}\n`
  );
}
