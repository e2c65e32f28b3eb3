/** A second message of the road-climate node (deviceStatus heartbeats) beside sampleEvent's readings, for state tests. */
import type { StateJson } from '../../../gateway-bridge/src/output/formats.ts';
import type { BridgeEvent } from '../../../gateway-bridge/src/types.ts';
import { sampleEvent } from '../outbox/sample-events.ts';

/** Heartbeat number n of a device: like sampleEvent(n) (fCnt n, received n s after the start), port 1. */
export function statusEvent(n: number, options: Parameters<typeof sampleEvent>[1] = {}): BridgeEvent {
  const event = sampleEvent(n, options);
  return {
    ...event,
    id: `${event.id}-status`,
    port: 1,
    message: 'deviceStatus',
    data: { event: 'heartbeat', deviceType: 'roadClimate', battery: 2.9 + (n % 10) / 100, uptime: 3600 + n, errors: { lowBattery: false } },
    units: { battery: 'V', uptime: 's' },
    payloadHex: '0d03010200',
  };
}

/** The fCnt of each message's event in a state payload, by message name. */
export function stateFCnts(state: StateJson): Record<string, number> {
  return Object.fromEntries(Object.entries(state.messages).map(([name, event]) => [name, event.fCnt]));
}
