/** The five booking buttons: each from its pin to GND, pull-up on, debounced by setWatch; a press chooses the kind. */
import type { ButtonWiring } from '../../../hardware/boards/board-profile.ts';
import type { BookingKind } from '../../timeclock/core/contracts.ts';

const DEBOUNCE_MS = 50;
const KINDS: BookingKind[] = ['come', 'go', 'breakStart', 'breakEnd', 'errand'];

export function watchButtons(wiring: ButtonWiring, pins: Record<string, Pin>, pressed: (kind: BookingKind) => void): void {
  for (let i = 0; i < KINDS.length; i++) {
    const kind = KINDS[i]!;
    const pin = pins[wiring[kind]]!;
    pinMode(pin, 'input_pullup', false);
    setWatch(
      function () {
        pressed(kind);
      },
      pin,
      { repeat: true, edge: 'falling', debounce: DEBOUNCE_MS },
    );
  }
}
