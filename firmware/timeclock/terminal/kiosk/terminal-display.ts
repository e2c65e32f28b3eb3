/**
 * Plugs the kiosk into the booking core: the core's TerminalDisplay (tap outcomes, status) drawn on a KioskDisplay,
 * and the kiosk's buttons fed to the core's selectKind.
 *
 *   const kiosk = await startKioskServer({ port: DEFAULT_KIOSK_PORT });
 *   const terminal = createTerminal({ ..., display: kioskTerminalDisplay(kiosk), reader });
 *   forwardKindSelection(kiosk, terminal);
 */
import type { BookingKind } from '../../core/contracts.ts';
import type { TapOutcome, TerminalDisplay, TerminalStatus } from '../../core/ports.ts';
import type { KindSelectionSource, KioskDisplay } from './kiosk-display.ts';
import { OUTCOME_TEXTS } from './labels.ts';

export function kioskTerminalDisplay(kiosk: KioskDisplay): TerminalDisplay {
  return {
    showOutcome(outcome: TapOutcome): void {
      if (outcome.result === 'booked') {
        const booking = outcome.booking;
        kiosk.showConfirmation({
          greeting: outcome.greeting,
          kind: booking.kind,
          time: booking.time,
          sequence: booking.sequence,
          clockUnsynced: booking.clockUnsynced,
        });
      } else if (outcome.result === 'refused') {
        if (outcome.reason === 'unknownBadge') kiosk.showRefusal({ reason: 'unknown' });
        else if (outcome.reason === 'revokedBadge') kiosk.showRefusal({ reason: 'revoked' });
        else kiosk.showRefusal({ reason: 'error', text: OUTCOME_TEXTS.noBadgeList });
      } else {
        kiosk.showRefusal({ reason: 'error', text: OUTCOME_TEXTS[outcome.reason] });
      }
    },
    showStatus(status: TerminalStatus): void {
      // pending is -1 when the outbox cannot be read: no count rather than a wrong one
      kiosk.setOnline(status.online, Math.max(0, status.pending));
      kiosk.setSelectedKind(status.kind);
      kiosk.setClockSynced(status.clockSynced);
    },
  };
}

export function forwardKindSelection(source: KindSelectionSource, terminal: { selectKind(kind: BookingKind): void }): void {
  source.onKindSelected((kind) => terminal.selectKind(kind));
}
