/**
 * The simulated staff of the acceptance tests: employees with badge UIDs, enrolled in the ledger through its store
 * API with the pseudonyms the ledger computes (ledger/src/pseudonym.ts, the same key the terminals use), plus a
 * revoked badge and badges nobody enrolled. Each employee works through days of come, an optional break, an
 * optional errand and go, so the readers book every kind.
 */
import type { BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import { DEFAULT_GREETING } from '../../../ledger/src/badge-list.ts';
import { badgePseudonym } from '../../../ledger/src/pseudonym.ts';
import type { Actor, LedgerStore } from '../../../ledger/src/store/types.ts';

export interface Badge {
  uid: Uint8Array;
  /** The keyed pseudonym, as terminal and ledger compute it. */
  badge: string;
}

export interface StaffMember extends Badge {
  employeeId: string;
  name: string;
  /** What the terminal must greet with. */
  greeting: string;
  /** Set for some employees; the others get the ledger's default greeting. */
  ownGreeting: string | null;
  /** The kinds still to book today, in order. */
  today: BookingKind[];
}

export interface Workforce {
  staff: StaffMember[];
  /** Enrolled, then revoked before the day starts: every tap must be refused. */
  revoked: Badge;
  /** Never enrolled: every tap must be refused. */
  unknown: Badge[];
}

function randomUid(random: () => number): Uint8Array {
  // NXP-style 7-byte UIDs (first byte 0x04) and some 4-byte ones
  const length = random() < 0.7 ? 7 : 4;
  const uid = new Uint8Array(length);
  for (let i = 0; i < length; i++) uid[i] = Math.floor(random() * 256);
  if (length === 7) uid[0] = 0x04;
  return uid;
}

export function createWorkforce(size: number, key: Uint8Array, random: () => number, unknownCount = 5): Workforce {
  const seen = new Set<string>();
  const badge = (): Badge => {
    for (;;) {
      const uid = randomUid(random);
      const pseudonym = badgePseudonym(key, uid);
      if (seen.has(pseudonym)) continue;
      seen.add(pseudonym);
      return { uid, badge: pseudonym };
    }
  };
  const staff = Array.from({ length: size }, (_, i): StaffMember => {
    const ownGreeting = i % 7 === 0 ? `Hallo ${i + 1}` : null;
    return { ...badge(), employeeId: `p${String(i + 1).padStart(4, '0')}`, name: `Employee ${i + 1}`, ownGreeting, greeting: ownGreeting ?? DEFAULT_GREETING, today: [] };
  });
  return { staff, revoked: badge(), unknown: Array.from({ length: unknownCount }, badge) };
}

/** Adds every employee and badge to the ledger (valid from `validFrom`), and the revoked badge, revoked at `revokedAt`. */
export async function enrol(store: LedgerStore, workforce: Workforce, validFrom: number, revokedAt: number): Promise<void> {
  const by: Actor = { actor: 'acceptance-test', now: validFrom };
  for (const member of workforce.staff) {
    await store.addEmployee({ id: member.employeeId, name: member.name, greeting: member.ownGreeting }, by);
    await store.addBadge({ badge: member.badge, employeeId: member.employeeId, validFrom }, by);
  }
  await store.addEmployee({ id: 'left', name: 'Former Employee' }, by);
  await store.addBadge({ badge: workforce.revoked.badge, employeeId: 'left', validFrom }, by);
  if ((await store.revokeBadge(workforce.revoked.badge, { actor: 'acceptance-test', now: revokedAt })) !== 1) throw new Error('the revoked badge was not revoked');
}

/** The kind `member` books next; a new day starts when the last one ended with `go`. */
export function nextKind(member: StaffMember, random: () => number): BookingKind {
  if (member.today.length === 0) {
    member.today = ['come'];
    if (random() < 0.6) member.today.push('breakStart', 'breakEnd');
    if (random() < 0.15) member.today.push('errand');
    member.today.push('go');
  }
  return member.today.shift()!;
}
