/**
 * The other side of the ledger in tests: an MQTT client that publishes booking batches the way a LAN terminal does
 * and the bridge's `up` events the way the gateway bridge does (built by the bridge's own EventBuilder from a real
 * bookingBatch payload), and records what comes back on the ack, down and badge-list topics.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { TIMECLOCK_TOPICS, type Booking, type BookingBatchMessage } from '../../firmware/timeclock/core/contracts.ts';
import { EventBuilder } from '../../gateway-bridge/src/events/event-builder.ts';
import { eventToJson } from '../../gateway-bridge/src/output/formats.ts';
import { encode } from '../../payload-schema/src/codec.ts';

export interface Received {
  topic: string;
  body: unknown;
  retain: boolean;
}

export class FakeTerminal {
  readonly received: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        body = payload.toString('utf8');
      }
      this.received.push({ topic, body, retain: packet.retain });
    });
  }

  static async connect(url: string, topics: string[]): Promise<FakeTerminal> {
    const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 200 });
    const terminal = new FakeTerminal(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return terminal;
  }

  async sendLan(terminal: string, bookings: Booking[]): Promise<void> {
    const message: BookingBatchMessage = { terminal, bookings };
    await this.client.publishAsync(TIMECLOCK_TOPICS.bookings(terminal), JSON.stringify(message), { qos: 1 });
  }

  async sendRaw(topic: string, body: string): Promise<void> {
    await this.client.publishAsync(topic, body, { qos: 1 });
  }

  /** What the bridge publishes for a bookingBatch uplink of `device` (sequence, baseTime and offsets as on the air). */
  async sendLoraUp(device: string, bookings: Booking[], fCnt: number): Promise<void> {
    await this.sendRaw(`stadtsensor/${device}/up`, bridgeUpEvent(device, bookings, fCnt));
  }

  /** Bodies received on `topic` so far. */
  bodies(topic: string): unknown[] {
    return this.received.filter((r) => r.topic === topic).map((r) => r.body);
  }

  async waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.received.slice(-5))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export function bridgeUpEvent(device: string, bookings: Booking[], fCnt: number): string {
  const baseTime = bookings[0]!.time;
  const encoded = encode(40, {
    sequence: bookings[0]!.sequence,
    baseTime,
    bookings: bookings.map((b) => ({ badge: b.badge, kind: b.kind, offset: b.time - baseTime, clockUnsynced: b.clockUnsynced })),
  });
  if (!encoded.ok) throw new Error(encoded.error.message);
  const built = new EventBuilder().build({
    device: { id: device, name: device, devEui: '70b3d57ed0000001', devAddr: '26011234', type: 'timeClock' },
    fCnt,
    fPort: 40,
    payload: encoded.bytes,
    confirmed: false,
    counterReset: false,
    rx: [{ gatewayId: 'gw-1', input: 'serial', rssi: -80, snr: 7.5, receivedAt: new Date().toISOString(), clock: 'bridge', clockSynced: true }],
    input: 'serial',
  });
  if (!built.ok) throw new Error(built.rejection.detail);
  return eventToJson(built.event);
}
