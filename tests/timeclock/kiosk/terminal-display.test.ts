/** The core's outcomes and status as the kiosk page's calls. */
import { describe, expect, it } from 'vitest';
import type { TerminalStatus } from '../../../firmware/timeclock/core/ports.ts';
import type { KioskDisplay } from '../../../firmware/timeclock/terminal/kiosk/kiosk-display.ts';
import { OUTCOME_TEXTS } from '../../../firmware/timeclock/terminal/kiosk/labels.ts';
import { kioskTerminalDisplay as kioskDisplay } from '../../../firmware/timeclock/terminal/kiosk/terminal-display.ts';

function recordingKiosk(): { kiosk: KioskDisplay; calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    kiosk: {
      showConfirmation: (c) => calls.push(['confirmation', c]),
      showRefusal: (r) => calls.push(['refusal', r]),
      setOnline: (online, waiting) => calls.push(['online', online, waiting]),
      setSelectedKind: (kind) => calls.push(['kind', kind]),
      setClockSynced: (synced) => calls.push(['clock', synced]),
    },
  };
}

describe('kioskTerminalDisplay', () => {
  it('shows a booking as a confirmation with greeting, kind, time, sequence and the clock flag', () => {
    const { kiosk, calls } = recordingKiosk();
    kioskDisplay(kiosk).showOutcome({ result: 'booked', greeting: 'Hallo', repeated: false, booking: { sequence: 9, badge: '0badc0de', kind: 'breakStart', time: 1795766400, clockUnsynced: true } });
    expect(calls).toEqual([['confirmation', { greeting: 'Hallo', kind: 'breakStart', time: 1795766400, sequence: 9, clockUnsynced: true }]]);
  });

  it('shows refusals and failures with their reason, and never the badge', () => {
    const { kiosk, calls } = recordingKiosk();
    const display = kioskDisplay(kiosk);
    display.showOutcome({ result: 'refused', reason: 'unknownBadge', badge: '0badc0de', message: 'm1' });
    display.showOutcome({ result: 'refused', reason: 'revokedBadge', badge: '0badc0de', message: 'm2' });
    display.showOutcome({ result: 'refused', reason: 'noBadgeList', badge: '0badc0de', message: 'no list' });
    display.showOutcome({ result: 'failed', reason: 'storageFailed', message: 'not saved' });
    expect(calls).toEqual([
      ['refusal', { reason: 'unknown' }],
      ['refusal', { reason: 'revoked' }],
      ['refusal', { reason: 'error', text: OUTCOME_TEXTS.noBadgeList }],
      ['refusal', { reason: 'error', text: OUTCOME_TEXTS.storageFailed }],
    ]);
    expect(JSON.stringify(calls)).not.toContain('0badc0de');
  });

  it('passes the online state, the waiting bookings and the kind', () => {
    const { kiosk, calls } = recordingKiosk();
    const status: TerminalStatus = { online: false, pending: 3, clockSynced: true, clockProblem: null, kind: 'go', kindChosen: true, badgeListVersion: 1 };
    kioskDisplay(kiosk).showStatus(status);
    expect(calls).toEqual([['online', false, 3], ['kind', 'go'], ['clock', true]]);
  });
});
