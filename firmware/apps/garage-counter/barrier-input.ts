/**
 * A light barrier's switching output on an input pin (hardware/garage-node.md): open collector, so the pin gets its
 * pull-up; both edges watched with setWatch and debounced by Espruino (the callback comes once the pin has kept its
 * new level for `debounceMs`, with the time of the last edge). `blockedLevel` is what the pin reads while the beam is
 * interrupted. It uses Espruino's globals, which firmware/drivers may not, so it lives with the app.
 */

/** Longer than the bounce at a beam's edge (a few ms at a bumper's curve), far shorter than any car. */
export const BARRIER_DEBOUNCE_MS = 20;

/** Calls `onChange(blocked, timeMs)` on every debounced change; returns whether the beam is blocked now. */
export function watchBarrier(pin: Pin, blockedLevel: number, onChange: (blocked: boolean, timeMs: number) => void): boolean {
  pinMode(pin, 'input_pullup', false);
  setWatch(
    (e: { state: boolean; time: number }) => onChange((e.state ? 1 : 0) === blockedLevel, e.time * 1000),
    pin,
    { edge: 'both', repeat: true, debounce: BARRIER_DEBOUNCE_MS },
  );
  return digitalRead(pin) === blockedLevel;
}
