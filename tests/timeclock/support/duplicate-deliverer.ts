/**
 * Duplicate deliveries for the acceptance tests: an MQTT client that sees every booking message the terminals
 * publish and publishes some of them once more, byte for byte: at once (a network or broker duplicate) and later on
 * demand (a stale copy of a batch the ledger acknowledged long ago).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { TIMECLOCK_TOPICS } from '../../../firmware/timeclock/core/contracts.ts';

interface Captured {
  topic: string;
  payload: Buffer;
}

export class DuplicateDeliverer {
  /** Copies published so far. */
  published = 0;
  readonly #seen = new Set<string>();
  readonly #captured: Captured[] = [];

  private constructor(
    private readonly client: MqttClient,
    /** Share of new booking messages published a second time as soon as they are seen. */
    private readonly immediateShare: number,
    private readonly random: () => number,
  ) {
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  static async connect(url: string, immediateShare: number, random: () => number): Promise<DuplicateDeliverer> {
    const client = await mqtt.connectAsync(url, { clientId: `duplicate-deliverer-${process.pid}-${Math.random().toString(16).slice(2)}`, clean: true, reconnectPeriod: 200, resubscribe: true });
    const deliverer = new DuplicateDeliverer(client, immediateShare, random);
    await client.subscribeAsync(TIMECLOCK_TOPICS.allBookings, { qos: 1 });
    return deliverer;
  }

  /** Booking messages seen so far (each distinct message once). */
  get seen(): number {
    return this.#captured.length;
  }

  /** Publishes `count` randomly chosen earlier messages again. */
  replayOld(count: number): void {
    for (let i = 0; i < count && this.#captured.length > 0; i++) {
      this.#publish(this.#captured[Math.floor(this.random() * this.#captured.length)]!);
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const key = `${topic} ${payload.toString('utf8')}`;
    // copies (ours, and the terminals' own resends) are not captured twice
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const message = { topic, payload: Buffer.from(payload) };
    this.#captured.push(message);
    if (this.random() < this.immediateShare) this.#publish(message);
  }

  #publish(message: Captured): void {
    this.published++;
    this.client.publish(message.topic, message.payload, { qos: 1 });
  }
}
