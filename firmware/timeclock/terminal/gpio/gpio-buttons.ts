/**
 * The booking-kind buttons on GPIO lines as a KindSelectionSource, like the kiosk page's buttons: a press (the line
 * becoming active) selects its kind. Contact bounce is filtered on the kernel's event timestamps: an edge counts only
 * when the line's previous edge is at least debounceMs older, so the bursts of edges when a contact closes or opens
 * give one press and no second one on release.
 */
import type { BookingKind } from '../../core/contracts.ts';
import type { KindSelectionSource } from '../kiosk/kiosk-display.ts';
import type { GpioLines } from './gpio-lines.ts';

export interface GpioButtons extends KindSelectionSource {
  /** Presses taken and edges dropped as bounce, for the log and tests. */
  counts(): { presses: number; bounces: number };
}

export function createGpioButtons(lines: GpioLines, kindByLine: Partial<Record<BookingKind, number>>, debounceMs: number): GpioButtons {
  const kinds = new Map<number, BookingKind>();
  for (const [kind, line] of Object.entries(kindByLine) as [BookingKind, number | undefined][]) if (line !== undefined) kinds.set(line, kind);
  const listeners: ((kind: BookingKind) => void)[] = [];
  const lastEdgeNs = new Map<number, bigint>();
  const debounceNs = BigInt(Math.round(debounceMs * 1_000_000));
  let presses = 0;
  let bounces = 0;

  lines.onEdge((edge) => {
    const kind = kinds.get(edge.offset);
    if (kind === undefined) return;
    const previous = lastEdgeNs.get(edge.offset);
    lastEdgeNs.set(edge.offset, edge.timeNs);
    if (previous !== undefined && edge.timeNs - previous < debounceNs) {
      bounces++;
      return;
    }
    if (!edge.active) return;
    presses++;
    for (const listener of listeners) listener(kind);
  });

  return {
    onKindSelected(listener) {
      listeners.push(listener);
    },
    counts: () => ({ presses, bounces }),
  };
}
