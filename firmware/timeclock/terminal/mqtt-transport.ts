/**
 * The booking core's transport on the LAN: MQTT (mqtt.js 5) with the topics of core/contracts.ts.
 *
 * - Bookings go out as BookingBatchMessage JSON, QoS 1, on TIMECLOCK_TOPICS.bookings(terminal).
 * - It subscribes (QoS 1) to its ack topic and the retained badge list, and reports `online` only after the broker
 *   granted both, so no acknowledgement can slip past between the two.
 * - Status: retained `online` on TIMECLOCK_TOPICS.status(terminal) after every connect; the last will says
 *   `offline` (cause 'last-will') when the connection is lost, close() says `offline` (cause 'stopped').
 * - clean session: the core sends every unacknowledged booking again after a reconnect, so the broker need not
 *   queue acks for the terminal; a queued ack delivered hours later would carry a stale serverTime and make the
 *   clock check flag good bookings.
 * - Reconnects by itself every second (connection options from the bridge: buildConnectOptions).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { buildConnectOptions, explainConnectionError, type ConnectionTuning } from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import type { MqttConnectionConfig } from '../../../gateway-bridge/src/config/schema.ts';
import {
  MAX_BOOKINGS_PER_MESSAGE,
  TIMECLOCK_TOPICS,
  type BadgeListMessage,
  type Booking,
  type BookingAckMessage,
  type BookingBatchMessage,
  type TerminalStatusMessage,
} from '../core/contracts.ts';
import type { BookingTransport, Logger, TransportEvents } from '../core/ports.ts';

const SUBSCRIBE_RETRY_MS = 10_000;

export interface MqttTransportOptions {
  terminalId: string;
  connection: MqttConnectionConfig;
  log?: Logger;
  /** Reconnect period and timeouts (tests shorten them). clean is always true here (see above). */
  tuning?: Omit<ConnectionTuning, 'clean'>;
}

export class MqttTransport implements BookingTransport {
  readonly maxBatch = MAX_BOOKINGS_PER_MESSAGE;
  readonly maxSpanS = null;
  private client: MqttClient | null = null;
  private online = false;
  private closed = false;
  private readonly log: Logger;
  private readonly topics: { bookings: string; ack: string; status: string };

  constructor(private readonly options: MqttTransportOptions) {
    this.log = options.log ?? (() => {});
    this.topics = {
      bookings: TIMECLOCK_TOPICS.bookings(options.terminalId),
      ack: TIMECLOCK_TOPICS.ack(options.terminalId),
      status: TIMECLOCK_TOPICS.status(options.terminalId),
    };
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** The mqtt.js client, for tests that cut the connection. */
  get mqttClient(): MqttClient | null {
    return this.client;
  }

  start(events: TransportEvents): void {
    if (this.client) throw new Error('MqttTransport already started');
    const connectOptions = buildConnectOptions(this.options.connection, { ...this.options.tuning, clean: true });
    connectOptions.will = { topic: this.topics.status, payload: Buffer.from(this.statusPayload('offline', 'last-will')), qos: 1, retain: true };
    const client = mqtt.connect(this.options.connection.url, connectOptions);
    this.client = client;

    const subscribeThenGoOnline = (): void => {
      client.subscribe([this.topics.ack, TIMECLOCK_TOPICS.badges], { qos: 1 }, (error, granted) => {
        if (this.closed || !client.connected) return;
        const refused = granted?.filter((g) => g.qos === 128) ?? [];
        if (error || refused.length > 0) {
          // without its ack topic the terminal would send forever: stay offline, say why, and try again
          this.log('error', `MQTT subscribe refused (${error?.message ?? refused.map((g) => g.topic).join(', ')}): check the broker's ACL for this terminal`);
          setTimeout(subscribeThenGoOnline, SUBSCRIBE_RETRY_MS).unref();
          return;
        }
        client.publish(this.topics.status, this.statusPayload('online'), { qos: 1, retain: true });
        this.setOnline(events, true);
      });
    };
    client.on('connect', subscribeThenGoOnline);
    client.on('close', () => this.setOnline(events, false));
    client.on('error', (error) => this.log('warn', explainConnectionError(error as Error & { code?: string | number }, this.options.connection)));
    client.on('message', (topic, payload) => {
      if (this.closed) return;
      let message: unknown;
      try {
        message = JSON.parse(payload.toString('utf8'));
      } catch (error) {
        events.invalid('invalidJson', `${topic}: ${(error as Error).message}`);
        return;
      }
      if (topic === this.topics.ack) events.ack(message as BookingAckMessage);
      else if (topic === TIMECLOCK_TOPICS.badges) events.badgeList(message as BadgeListMessage);
    });
  }

  send(batch: Booking[]): void {
    const client = this.client;
    if (!client || !this.online) throw new Error('not connected');
    const message: BookingBatchMessage = { terminal: this.options.terminalId, bookings: batch };
    client.publish(this.topics.bookings, JSON.stringify(message), { qos: 1 }, (error) => {
      // the core sends it again after its ack timeout
      if (error) this.log('warn', `publishing bookings ${batch[0]?.sequence}..${batch[batch.length - 1]?.sequence} failed: ${error.message}`);
    });
  }

  /** Says `offline` (stopped) if connected, then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.publish(this.topics.status, this.statusPayload('offline', 'stopped'), { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    // a connected client sends DISCONNECT, so the broker drops the last will and `offline stopped` stays retained
    await new Promise<void>((resolve) => client.end(!client.connected, {}, () => resolve()));
    this.online = false;
  }

  private setOnline(events: TransportEvents, online: boolean): void {
    if (this.online === online || this.closed) return;
    this.online = online;
    events.online(online);
  }

  private statusPayload(state: 'online' | 'offline', cause?: 'stopped' | 'last-will'): string {
    const message: TerminalStatusMessage = { terminal: this.options.terminalId, state };
    if (cause !== undefined) message.cause = cause;
    return JSON.stringify(message);
  }
}
