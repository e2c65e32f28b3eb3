/**
 * The bridge's Prometheus metrics, on a registry of its own (never prom-client's global one, so two bridges in one
 * process, as in tests, do not collide), and the periodic stats snapshot built from the same counters.
 * The stages report what happened through the methods; the wiring passes the outbox's pending count in.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PUBLISH_LATENCY_BUCKETS_S } from '../config/defaults.ts';
import type { RejectReason } from '../types.ts';

export const METRIC_PREFIX = 'stadtsensor_bridge_';

export const REJECT_REASONS = [
  'line-garbage',
  'line-too-long',
  'hex-invalid',
  'frame-too-short',
  'not-an-uplink',
  'lorawan-version',
  'unknown-devaddr',
  'unknown-deveui',
  'mic-mismatch',
  'fcnt-replay',
  'fcnt-gap',
  'payload-invalid',
  'unknown-port',
  'input-malformed',
  'outbox-full',
] as const satisfies readonly RejectReason[];
// compile-time: the list names every RejectReason, so each has a series from the start
const everyReason: Exclude<RejectReason, (typeof REJECT_REASONS)[number]> extends never ? true : never = true;
void everyReason;

export interface MetricsOptions {
  /** Input ids (serial[].id, network[].id): their series exist at 0 before the first frame. */
  inputs?: readonly string[];
  /** Serial input ids, for serial_reopens_total. */
  serialInputs?: readonly string[];
  /** Rows waiting in the outbox, read at each scrape and snapshot. */
  outboxPending?: () => number;
  /** Node's process metrics (memory, CPU, event loop lag) on the same registry; default true. */
  processMetrics?: boolean;
}

/** What the periodic stats message on stadtsensor/gateway/<id>/status carries: totals since the bridge started. */
export interface StatsSnapshot {
  framesReceived: number;
  receivedByInput: Record<string, number>;
  framesRejected: number;
  /** Only reasons that occurred. */
  rejectedByReason: Partial<Record<RejectReason, number>>;
  framesDuplicate: number;
  eventsPublished: number;
  /** Stored and not yet acknowledged by the broker. */
  outboxPending: number;
  outboxDropped: number;
  mqttReconnects: number;
  serialReopens: number;
}

export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly framesReceived: Counter<'input'>;
  private readonly framesRejected: Counter<'reason'>;
  private readonly framesDuplicate: Counter;
  private readonly eventsPublished: Counter;
  private readonly outboxPendingGauge: Gauge;
  private readonly outboxDropped: Counter<'reason'>;
  private readonly mqttConnected: Gauge;
  private readonly mqttReconnects: Counter;
  private readonly serialReopens: Counter<'input'>;
  private readonly publishLatency: Histogram;
  private pendingSource: (() => number) | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const name = (base: string): string => `${METRIC_PREFIX}${base}`;
    this.pendingSource = options.outboxPending;
    this.framesReceived = new Counter({ name: name('frames_received_total'), help: 'Frames and uplinks heard, by input id', labelNames: ['input'], registers });
    this.framesRejected = new Counter({ name: name('frames_rejected_total'), help: 'Frames and lines refused, by reason', labelNames: ['reason'], registers });
    this.framesDuplicate = new Counter({ name: name('frames_duplicate_total'), help: 'Frames heard again within the dedup window (merged, not published twice)', registers });
    this.eventsPublished = new Counter({ name: name('events_published_total'), help: 'Events acknowledged by the broker (QoS 1)', registers });
    const pending = (): number | undefined => {
      try {
        return this.pendingSource?.();
      } catch {
        return undefined; // a closed outbox during shutdown: keep the last value
      }
    };
    this.outboxPendingGauge = new Gauge({
      name: name('outbox_pending'),
      help: 'Events stored in the outbox and not yet acknowledged by the broker',
      registers,
      collect() {
        const value = pending();
        if (value !== undefined) this.set(value);
      },
    });
    this.outboxDropped = new Counter({ name: name('outbox_dropped_total'), help: 'Events removed from a full outbox unpublished, by reason', labelNames: ['reason'], registers });
    this.mqttConnected = new Gauge({ name: name('mqtt_connected'), help: '1 while the output broker connection is up', registers });
    this.mqttReconnects = new Counter({ name: name('mqtt_reconnects_total'), help: 'Reconnections to the output broker', registers });
    this.serialReopens = new Counter({ name: name('serial_reopens_total'), help: 'Serial ports reopened after they failed or vanished, by input id', labelNames: ['input'], registers });
    this.publishLatency = new Histogram({
      name: name('publish_latency_seconds'),
      help: 'From a frame\'s arrival to the broker\'s acknowledgement of its event',
      buckets: PUBLISH_LATENCY_BUCKETS_S,
      registers,
    });
    for (const reason of REJECT_REASONS) this.framesRejected.inc({ reason }, 0);
    for (const input of options.inputs ?? []) this.framesReceived.inc({ input }, 0);
    for (const input of options.serialInputs ?? []) this.serialReopens.inc({ input }, 0);
    this.mqttConnected.set(0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  frameReceived(input: string): void {
    this.framesReceived.inc({ input });
  }

  frameRejected(reason: RejectReason): void {
    this.framesRejected.inc({ reason });
  }

  frameDuplicate(): void {
    this.framesDuplicate.inc();
  }

  /** One event acknowledged by the broker, `latencySeconds` after its frame arrived. */
  eventPublished(latencySeconds?: number): void {
    this.eventsPublished.inc();
    if (latencySeconds !== undefined && Number.isFinite(latencySeconds) && latencySeconds >= 0) this.publishLatency.observe(latencySeconds);
  }

  /** Rows removed unpublished; reason e.g. 'drop-oldest'. */
  outboxRowsDropped(reason: string, count = 1): void {
    this.outboxDropped.inc({ reason }, count);
  }

  setOutboxPendingSource(source: () => number): void {
    this.pendingSource = source;
  }

  setMqttConnected(connected: boolean): void {
    this.mqttConnected.set(connected ? 1 : 0);
  }

  mqttReconnected(): void {
    this.mqttReconnects.inc();
  }

  serialReopened(input: string): void {
    this.serialReopens.inc({ input });
  }

  /** The Prometheus text exposition. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  async snapshot(): Promise<StatsSnapshot> {
    const byLabel = async (counter: Counter<string>, label: string): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const v of (await counter.get()).values) out[String(v.labels[label])] = v.value;
      return out;
    };
    const total = async (counter: Counter<string>): Promise<number> => (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
    const receivedByInput = await byLabel(this.framesReceived, 'input');
    const rejectedAll = await byLabel(this.framesRejected, 'reason');
    const rejectedByReason = Object.fromEntries(Object.entries(rejectedAll).filter(([, n]) => n > 0)) as Partial<Record<RejectReason, number>>;
    const pendingNow = (await this.outboxPendingGauge.get()).values[0]?.value ?? 0;
    return {
      framesReceived: Object.values(receivedByInput).reduce((a, b) => a + b, 0),
      receivedByInput,
      framesRejected: Object.values(rejectedByReason).reduce((a, b) => a + b, 0),
      rejectedByReason,
      framesDuplicate: await total(this.framesDuplicate),
      eventsPublished: await total(this.eventsPublished),
      outboxPending: pendingNow,
      outboxDropped: await total(this.outboxDropped),
      mqttReconnects: await total(this.mqttReconnects),
      serialReopens: await total(this.serialReopens),
    };
  }
}

/** The metrics of a bridge with this configuration: a series per configured input from the start. */
export function createBridgeMetrics(config: { serial: Array<{ id: string }>; network: Array<{ id: string }> }, options: Omit<MetricsOptions, 'inputs' | 'serialInputs'> = {}): BridgeMetrics {
  const serialInputs = config.serial.map((s) => s.id);
  return new BridgeMetrics({ ...options, inputs: [...serialInputs, ...config.network.map((n) => n.id)], serialInputs });
}
