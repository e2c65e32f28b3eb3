/**
 * A device's retained state: the newest event of each message it sends (roadClimate readings and deviceStatus
 * heartbeats side by side), so a heartbeat never hides the last reading. "Newest" is by receivedAt, then fCnt: an
 * event drained late after an outage, or a network server's late delivery, never replaces a newer one.
 */
import type { BridgeEvent } from '../types.ts';

/** Message name → that message's newest event, for one device. */
export type DeviceState = ReadonlyMap<string, BridgeEvent>;

/** Negative when a is older than b, positive when newer, 0 when as new (receivedAt, then fCnt). */
export function compareAge(a: BridgeEvent, b: BridgeEvent): number {
  return Date.parse(a.receivedAt) - Date.parse(b.receivedAt) || a.fCnt - b.fCnt;
}

/**
 * The state with this event as its message's newest, or undefined when the state already holds a newer event of
 * that message (or the event has no valid receive time, so no place in the order).
 */
export function withEvent(state: DeviceState | undefined, event: BridgeEvent): Map<string, BridgeEvent> | undefined {
  if (Number.isNaN(Date.parse(event.receivedAt))) return undefined;
  const stored = state?.get(event.message);
  if (stored !== undefined && compareAge(event, stored) < 0) return undefined;
  return new Map(state).set(event.message, event);
}

/** The newest event of any message; undefined for an empty state. */
export function newestEvent(state: DeviceState): BridgeEvent | undefined {
  let newest: BridgeEvent | undefined;
  for (const event of state.values()) if (newest === undefined || compareAge(event, newest) >= 0) newest = event;
  return newest;
}
