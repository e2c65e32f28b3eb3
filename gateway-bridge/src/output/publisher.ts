/**
 * Drains the outbox to the broker. Rows go out in insertion order with QoS 1, at most `maxInFlight` rows awaiting
 * their PUBACK, and a row leaves the outbox only after every message it produced was acknowledged. When the
 * connection drops, mqtt.js keeps the unacknowledged publishes and sends them again after it reconnected (before
 * it emits 'connect'); the publisher then goes on from where it was. Nothing is deleted without a PUBACK: a bridge
 * killed in between publishes those rows again at its next start (subscribers dedup by event id).
 *
 * Per row:
 * - 'up' → `<prefix>/<device>/up`, and `<prefix>/<device>/state` (retained) when the event is at least as new as the
 *   device's last event of the same message (receivedAt, then fCnt; device-state.ts). The state holds the newest
 *   event of every message of the device, JSON whatever the up format (stateToJson in formats.ts):
 *     { "device": {...}, "updatedAt": "<receivedAt of the newest>", "messages": { "roadClimate": <event>, ... } }
 *   so a heartbeat does not hide the last reading, and a frame drained late after an outage, or a network server's
 *   late delivery, never overwrites a newer value. Each event of a state is saved in the outbox database when its
 *   row is acknowledged (a restarted bridge starts from them; a row not acknowledged before a crash is published
 *   again and goes into the state then).
 * - 'rejected' → `<prefix>/gateway/<id>/rejected`.
 * On every connect: status `online` (retained), the Home Assistant discovery messages, the messages that clear what
 * was announced for devices removed from the configuration or renamed (device-cleanup.ts; each device is forgotten
 * once all of its were acknowledged), then the outbox. Discovery again whenever Home Assistant announces itself
 * online. Every `statsIntervalMs` the status is republished with
 * stats. close() drains what it can, publishes `offline` and disconnects (so the broker drops the last will).
 */
import type { MqttClient } from 'mqtt';
import { STATS_INTERVAL_S_DEFAULT } from '../config/defaults.ts';
import type { Outbox, OutboxKind, OutboxRow } from '../outbox/outbox.ts';
import type { BridgeEvent, Rejection } from '../types.ts';
import { compareAge, withEvent, type DeviceState } from './device-state.ts';
import { stateToJson } from './formats.ts';
import { gatewayStatusPayload, type GatewayStatus, type TopicLayout } from './topics.ts';

export interface OutgoingMessage {
  topic: string;
  payload: string | Buffer;
}

export interface DiscoverySource {
  /** Home Assistant's birth topic, e.g. 'homeassistant/status'. */
  statusTopic: string;
  /** The birth payload that asks for discovery again; default 'online'. */
  onlinePayload?: string;
  /** Every discovery config to publish (retained, QoS 1), for the gateway and all devices. */
  messages(): OutgoingMessage[];
}

/** Retained messages (empty payloads) that clear one device's old topics, and what to do once all are acknowledged. */
export interface CleanupItem {
  /** One item per key at a time (the DevEUI). */
  key: string;
  messages: OutgoingMessage[];
  /** Called once the broker acknowledged every message (at once when there are none). */
  cleared(): void;
}

export interface CleanupSource {
  /** What is still to clear; asked on every connect. */
  pending(): CleanupItem[];
}

export interface PublisherOptions {
  client: MqttClient;
  outbox: Outbox;
  topics: TopicLayout;
  /** Payload of the up topic (the configured format). Default JSON.stringify(event). */
  serialize?: (event: BridgeEvent) => string | Buffer;
  /** Payload of the retained state topic from the device's newest event of each message. Default stateToJson. */
  serializeState?: (state: DeviceState) => string | Buffer;
  /** Payload of the rejected topic. Default JSON of the rejection with its outbox id. */
  serializeRejection?: (id: string, rejection: Rejection) => string | Buffer;
  /**
   * Whether a device keeps a retained state. Default: every device. A device removed from the configuration does
   * not: its rows still pending go out on `up`, but must not put back the state its clean-up deleted.
   */
  keepsState?: (deviceId: string) => boolean;
  /** Home Assistant discovery; none when absent. */
  discovery?: DiscoverySource;
  /** Old topics of removed and renamed devices, cleared on every connect until acknowledged; none when absent. */
  cleanup?: CleanupSource;
  /** The bridge's counters for the stats (frames received, rejected by reason, ...): merged into `stats`. */
  counters?: () => Record<string, unknown>;
  /** Rows awaiting their PUBACKs at most. Default 100. */
  maxInFlight?: number;
  /** Rows stay this long in the outbox before they are published, so duplicates can merge their rx. Default 0. */
  holdMs?: number;
  /** Status with stats this often while connected; 0 = only on connect. Default STATS_INTERVAL_S_DEFAULT s. */
  statsIntervalMs?: number;
  /** First wait before a refused publish is tried again; doubles up to a minute. Default 1000. */
  retryDelayMs?: number;
  /** Acknowledged rows are deleted together after this many ms (one transaction). Default 10. */
  ackBatchMs?: number;
  /** After a row's last PUBACK (for the publish-latency metric). */
  onPublished?: (row: { id: string; kind: OutboxKind; addedAt: number }, ackedAt: number) => void;
  /** Connection errors, refused publishes, rows that cannot be published. */
  onError?: (error: Error, context: string) => void;
  now?: () => number;
}

export interface PublisherCounts {
  up: number;
  state: number;
  rejected: number;
  discovery: number;
  /** Retained topics cleared for removed or renamed devices. */
  cleared: number;
  /** Publishes the broker refused or that failed (they are retried). */
  errors: number;
}

interface InFlight {
  row: OutboxRow;
  /** Messages of the row still awaiting their PUBACK. */
  waiting: number;
  failed: boolean;
  /** Set when the row's event went into its device's state. */
  stateEvent?: BridgeEvent;
}

const MAX_RETRY_DELAY_MS = 60_000;

export class Publisher {
  readonly #client: MqttClient;
  readonly #outbox: Outbox;
  readonly #topics: TopicLayout;
  readonly #serialize: (event: BridgeEvent) => string | Buffer;
  readonly #serializeState: (state: DeviceState) => string | Buffer;
  readonly #serializeRejection: (id: string, rejection: Rejection) => string | Buffer;
  readonly #keepsState: (deviceId: string) => boolean;
  readonly #discovery: DiscoverySource | undefined;
  readonly #cleanup: CleanupSource | undefined;
  readonly #counters: (() => Record<string, unknown>) | undefined;
  readonly #maxInFlight: number;
  readonly #holdMs: number;
  readonly #statsIntervalMs: number;
  readonly #retryDelayMs: number;
  readonly #ackBatchMs: number;
  readonly #onPublished: PublisherOptions['onPublished'];
  readonly #onError: (error: Error, context: string) => void;
  readonly #now: () => number;
  readonly #startedAt: number;

  /** Seq of the last row handed to mqtt.js; rows after it have not been sent in this process. */
  #cursor = 0;
  readonly #inFlight = new Map<string, InFlight>();
  /** Rows whose publish was refused, by seq, waiting for #retryTimer. */
  #retry: OutboxRow[] = [];
  #retryDelay: number;
  readonly #acked: string[] = [];
  /** Acknowledged state events to save with the next flush, the newest per device and message. */
  readonly #ackedStates = new Map<string, BridgeEvent>();
  /** What each device's state topic was last given (not all of it acknowledged yet). */
  readonly #states: Map<string, DeviceState>;
  readonly #counts: PublisherCounts = { up: 0, state: 0, rejected: 0, discovery: 0, cleared: 0, errors: 0 };
  /** Keys of the cleanup items awaiting their PUBACKs (mqtt.js sends them again itself after a reconnect). */
  readonly #clearing = new Set<string>();
  #connectedSince: string | undefined;
  #closing = false;
  #closed = false;
  #pumpScheduled = false;
  #holdTimer: NodeJS.Timeout | undefined;
  #holdTimerAt = Infinity;
  #retryTimer: NodeJS.Timeout | undefined;
  #ackTimer: NodeJS.Timeout | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  /** Removes the publisher's listeners from the outbox and the client. */
  readonly #detach: Array<() => void> = [];

  constructor(options: PublisherOptions) {
    this.#client = options.client;
    this.#outbox = options.outbox;
    this.#topics = options.topics;
    this.#serialize = options.serialize ?? ((event) => JSON.stringify(event));
    this.#serializeState = options.serializeState ?? stateToJson;
    this.#serializeRejection = options.serializeRejection ?? ((id, rejection) => JSON.stringify({ id, ...rejection }));
    this.#keepsState = options.keepsState ?? (() => true);
    this.#discovery = options.discovery;
    this.#cleanup = options.cleanup;
    this.#counters = options.counters;
    this.#maxInFlight = options.maxInFlight ?? 100;
    this.#holdMs = options.holdMs ?? 0;
    this.#statsIntervalMs = options.statsIntervalMs ?? STATS_INTERVAL_S_DEFAULT * 1000;
    this.#retryDelayMs = options.retryDelayMs ?? 1_000;
    this.#retryDelay = this.#retryDelayMs;
    this.#ackBatchMs = options.ackBatchMs ?? 10;
    this.#onPublished = options.onPublished;
    this.#onError = options.onError ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#states = this.#outbox.deviceStates();

    this.#detach.push(this.#outbox.onAdded(() => this.#schedulePump()));
    const client = this.#client;
    const onConnect = (): void => this.#onConnect();
    const onClose = (): void => this.#onDisconnect();
    const onMessage = (topic: string, payload: Buffer): void => this.#onMessage(topic, payload);
    // without an 'error' listener an EventEmitter throws
    const onError = (error: Error): void => this.#onError(error, 'connection');
    client.on('connect', onConnect).on('close', onClose).on('message', onMessage).on('error', onError);
    // the error listener stays: mqtt.js may still report the closing connection, and an unheard 'error' throws
    this.#detach.push(() => client.off('connect', onConnect).off('close', onClose).off('message', onMessage));
    if (client.connected) this.#onConnect();
  }

  /** What was acknowledged so far in this process. */
  get counts(): Readonly<PublisherCounts> {
    return { ...this.#counts };
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The stats JSON published on the status topic. */
  stats(): Record<string, unknown> {
    const outbox = this.#outbox.stats();
    let counters: Record<string, unknown> = {};
    try {
      counters = this.#counters?.() ?? {};
    } catch (error) {
      this.#onError(error as Error, 'reading the bridge counters for the stats');
    }
    return {
      ...counters,
      published: { ...this.#counts },
      queued: outbox.pending,
      queuedRejected: outbox.pendingRejected,
      oldestQueuedAgeS: Math.round(outbox.oldestPendingAgeMs / 1000),
      inFlight: this.#inFlight.size,
      dropped: outbox.dropped,
      failed: outbox.failed,
      uptimeS: Math.round((this.#now() - this.#startedAt) / 1000),
      at: new Date(this.#now()).toISOString(),
    };
  }

  /**
   * Publishes what it can within timeoutMs (the outbox drained, every PUBACK in), then the status `offline` and a
   * clean disconnect. Rows not acknowledged by then stay in the outbox for the next start.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const deadline = this.#now() + timeoutMs;
    this.#schedulePump();
    while (this.#now() < deadline && (this.#inFlight.size > 0 || this.#clearing.size > 0 || this.#outbox.stats().pending > this.#retry.length)) {
      await sleep(10);
    }
    this.#stopTimers();
    this.#flushAcks();
    let offlineAcked = false;
    if (this.#client.connected) {
      const status: GatewayStatus = {
        state: 'offline',
        gatewayId: this.#topics.gatewayId,
        since: new Date(this.#now()).toISOString(),
        cause: 'shutdown',
        stats: this.stats(),
      };
      offlineAcked = await withTimeout(
        new Promise<boolean>((resolve) =>
          this.#client.publish(this.#topics.status, gatewayStatusPayload(status), { qos: 1, retain: true }, (error) => resolve(!error)),
        ),
        Math.max(deadline - this.#now(), 1_000),
        false,
      );
    }
    this.#closed = true;
    this.#flushAcks();
    // a graceful DISCONNECT makes the broker drop the last will; force when something would keep end() waiting
    const force = !offlineAcked || this.#inFlight.size > 0 || this.#clearing.size > 0;
    await withTimeout(this.#client.endAsync(force), 2_000, undefined);
    for (const detach of this.#detach.splice(0)) detach();
  }

  #onConnect(): void {
    if (this.#closed) return;
    this.#connectedSince = new Date(this.#now()).toISOString();
    // subscribed on every connect, also when the broker kept the session: the configured topic may have changed
    if (this.#discovery) {
      this.#client.subscribe(this.#discovery.statusTopic, { qos: 1 }, (error) => {
        if (error) this.#onError(error, `subscribing to ${this.#discovery?.statusTopic}`);
      });
    }
    this.#publishStatus();
    this.#publishDiscovery();
    this.#publishCleanup();
    if (this.#statsIntervalMs > 0 && this.#statsTimer === undefined) {
      this.#statsTimer = setInterval(() => this.#publishStatus(), this.#statsIntervalMs);
      this.#statsTimer.unref();
    }
    this.#schedulePump();
  }

  #onDisconnect(): void {
    if (this.#statsTimer !== undefined) clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
  }

  #onMessage(topic: string, payload: Buffer): void {
    const discovery = this.#discovery;
    if (discovery && topic === discovery.statusTopic && payload.toString() === (discovery.onlinePayload ?? 'online')) {
      this.#publishDiscovery();
    }
  }

  #publishStatus(): void {
    if (this.#closing || !this.#client.connected) return;
    const status: GatewayStatus = { state: 'online', gatewayId: this.#topics.gatewayId, since: this.#connectedSince, stats: this.stats() };
    this.#client.publish(this.#topics.status, gatewayStatusPayload(status), { qos: 1, retain: true }, (error) => {
      if (error) this.#failed(error, 'publishing the gateway status');
    });
  }

  #publishDiscovery(): void {
    if (!this.#discovery || this.#closing) return;
    let messages: OutgoingMessage[];
    try {
      messages = this.#discovery.messages();
    } catch (error) {
      this.#onError(error as Error, 'building Home Assistant discovery');
      return;
    }
    for (const message of messages) {
      this.#client.publish(message.topic, message.payload, { qos: 1, retain: true }, (error) => {
        if (error) this.#failed(error, `publishing discovery ${message.topic}`);
        else this.#counts.discovery++;
      });
    }
  }

  #publishCleanup(): void {
    if (!this.#cleanup || this.#closing) return;
    let items: CleanupItem[];
    try {
      items = this.#cleanup.pending();
    } catch (error) {
      this.#onError(error as Error, 'reading the removed and renamed devices');
      return;
    }
    for (const item of items) {
      if (this.#clearing.has(item.key)) continue;
      this.#clearing.add(item.key);
      let waiting = item.messages.length;
      let failed = false;
      const cleared = (): void => {
        this.#clearing.delete(item.key);
        try {
          item.cleared();
        } catch (error) {
          // remembered still: cleared again at the next connect
          this.#onError(error as Error, `forgetting ${item.key} after clearing its topics`);
        }
      };
      if (waiting === 0) cleared();
      for (const message of item.messages) {
        this.#client.publish(message.topic, message.payload, { qos: 1, retain: true }, (error) => {
          if (failed) return;
          if (error) {
            // not forgotten: the next connect clears it again
            failed = true;
            this.#clearing.delete(item.key);
            this.#failed(error, `clearing ${message.topic}`);
            return;
          }
          this.#counts.cleared++;
          if (--waiting === 0) cleared();
        });
      }
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#closed || !this.#client.connected) return;
    try {
      while (this.#inFlight.size < this.#maxInFlight) {
        const room = this.#maxInFlight - this.#inFlight.size;
        const { rows, heldUntil } = this.#outbox.nextBatch(room, { afterSeq: this.#cursor, holdMs: this.#holdMs });
        for (const row of rows) {
          this.#cursor = row.seq;
          this.#send(row);
        }
        if (heldUntil !== undefined) this.#wakeAt(heldUntil);
        if (rows.length < room) break;
      }
    } catch (error) {
      this.#onError(error as Error, 'reading the outbox');
    }
  }

  #wakeAt(at: number): void {
    if (this.#holdTimer !== undefined && this.#holdTimerAt <= at) return;
    clearTimeout(this.#holdTimer);
    this.#holdTimerAt = at;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      this.#holdTimerAt = Infinity;
      this.#schedulePump();
    }, Math.max(0, at - this.#now()));
  }

  #send(row: OutboxRow): void {
    let messages: Array<OutgoingMessage & { retain: boolean; counts: keyof PublisherCounts }>;
    let state: { device: string; value: DeviceState; event: BridgeEvent } | undefined;
    try {
      if (row.kind === 'up') {
        const event = row.event;
        messages = [{ topic: this.#topics.up(event.device.id), payload: this.#serialize(event), retain: false, counts: 'up' }];
        const value = this.#keepsState(event.device.id) ? withEvent(this.#states.get(event.device.id), event) : undefined;
        if (value) {
          messages.push({ topic: this.#topics.state(event.device.id), payload: this.#serializeState(value), retain: true, counts: 'state' });
          state = { device: event.device.id, value, event };
        }
      } else {
        messages = [{ topic: this.#topics.rejected, payload: this.#serializeRejection(row.id, row.rejection), retain: false, counts: 'rejected' }];
      }
    } catch (error) {
      // e.g. a device id that is not topic-safe: kept in the outbox as failed, not retried forever
      this.#outbox.markFailed(row.id, (error as Error).message);
      this.#onError(error as Error, `row ${row.id} cannot be published`);
      return;
    }
    if (state) this.#states.set(state.device, state.value);
    const entry: InFlight = { row, waiting: messages.length, failed: false, stateEvent: state?.event };
    this.#inFlight.set(row.id, entry);
    for (const message of messages) {
      if (entry.failed) break;
      this.#client.publish(message.topic, message.payload, { qos: 1, retain: message.retain }, (error) => {
        if (error) this.#onRefused(entry, error);
        else {
          this.#counts[message.counts]++;
          this.#onAck(entry);
        }
      });
    }
  }

  #onAck(entry: InFlight): void {
    if (entry.failed || --entry.waiting > 0) return;
    const { row } = entry;
    this.#inFlight.delete(row.id);
    this.#retryDelay = this.#retryDelayMs;
    this.#acked.push(row.id);
    const event = entry.stateEvent;
    if (event) {
      const key = JSON.stringify([event.device.id, event.message]);
      const saved = this.#ackedStates.get(key);
      if (saved === undefined || compareAge(event, saved) >= 0) this.#ackedStates.set(key, event);
    }
    this.#onPublished?.({ id: row.id, kind: row.kind, addedAt: row.addedAt }, this.#now());
    if (this.#ackTimer === undefined && !this.#closed) {
      this.#ackTimer = setTimeout(() => {
        this.#ackTimer = undefined;
        this.#flushAcks();
      }, this.#ackBatchMs);
    }
    this.#schedulePump();
  }

  #onRefused(entry: InFlight, error: Error): void {
    this.#failed(error, `publishing ${entry.row.kind} ${entry.row.id}`);
    if (entry.failed) return;
    entry.failed = true;
    this.#inFlight.delete(entry.row.id);
    if (this.#closed) return;
    // the row stays in the outbox; send it again later (mqtt.js gave up on this publish)
    this.#retry.push(entry.row);
    if (this.#retryTimer === undefined) {
      this.#retryTimer = setTimeout(() => this.#sendRetries(), this.#retryDelay);
      this.#retryDelay = Math.min(this.#retryDelay * 2, MAX_RETRY_DELAY_MS);
    }
  }

  #sendRetries(): void {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    if (!this.#client.connected) {
      this.#retryTimer = setTimeout(() => this.#sendRetries(), this.#retryDelay);
      return;
    }
    const rows = this.#retry.sort((a, b) => a.seq - b.seq);
    this.#retry = [];
    for (const row of rows) this.#send(row);
  }

  #failed(error: Error, context: string): void {
    this.#counts.errors++;
    this.#onError(error, context);
  }

  #flushAcks(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.#acked.length === 0) return;
    const ids = this.#acked.splice(0);
    const states = [...this.#ackedStates.values()];
    this.#ackedStates.clear();
    try {
      this.#outbox.markPublished(ids, states);
    } catch (error) {
      // the rows stay pending in the file: published again after a restart, which subscribers dedup
      this.#onError(error as Error, `deleting ${ids.length} published rows from the outbox`);
    }
  }

  #stopTimers(): void {
    clearTimeout(this.#holdTimer);
    clearTimeout(this.#retryTimer);
    if (this.#statsTimer !== undefined) clearInterval(this.#statsTimer);
    this.#holdTimer = this.#retryTimer = this.#statsTimer = undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
