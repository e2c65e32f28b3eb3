/**
 * The one place that wires the bridge together (as ChirpStack's forwarder does): serial and network inputs feed
 * the LoRaWAN stage; accepted frames are decoded into events; events and rejections go to the durable outbox in
 * the same transaction as the frame-counter update; the publisher drains the outbox to the broker; downlinks
 * asked for over MQTT wait for the device's next uplink and go out through the module that heard it.
 *
 * A frame counts as received only after its transaction committed (group commit: one fsync per burst). Nothing
 * here throws on bad input: every refused line or frame becomes a counted, published Rejection.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import type { P2PSettings } from '../../firmware/drivers/modem.ts';
import { MULTI_RECEIVER_HOLD_MS, P2P_DOWNLINK_DELAY_MS } from './config/defaults.ts';
import type { BridgeConfig, NetworkInputConfig, P2pRadioConfig } from './config/schema.ts';
import { buildAbpDownlink } from './downlink/abp-downlink.ts';
import { DownlinkQueue } from './downlink/downlink-queue.ts';
import { parseDownlinkRequest } from './downlink/downlink-request.ts';
import { SqliteDownlinkCounter } from './downlink/sqlite-downlink-counter.ts';
import { EventBuilder, eventIdOf } from './events/event-builder.ts';
import { parseNetworkUplink, uplinkSubscription } from './inputs/network/index.ts';
import { SerialInput } from './inputs/serial/serial-input.ts';
import { FrameProcessor, type ProcessResult } from './lorawan/frame-processor.ts';
import { DeviceRegistry } from './lorawan/registry.ts';
import { createBridgeLogger, type Logger } from './ops/logger.ts';
import { createBridgeMetrics, type BridgeMetrics } from './ops/metrics.ts';
import { startMetricsServer, type MetricsServer } from './ops/metrics-server.ts';
import { AnnouncedDevices } from './outbox/announced-devices.ts';
import { openBridgeDatabase, type BridgeDatabase } from './outbox/database.ts';
import { GroupCommit } from './outbox/group-commit.ts';
import { SqliteCounterStore } from './outbox/sqlite-counter-store.ts';
import { SqliteOutbox } from './outbox/sqlite-outbox.ts';
import { DeviceCleanup, type DeviceChange } from './output/device-cleanup.ts';
import { serializeEvent, stateToJson } from './output/formats.ts';
import { discoveryMessages, gatewayDiscoveryMessages, haStatusTopic } from './output/home-assistant.ts';
import { buildConnectOptions, buildOutputConnectOptions, describeConnection, explainConnectionError } from './output/mqtt-connection.ts';
import { Publisher } from './output/publisher.ts';
import { topicLayout, type TopicLayout } from './output/topics.ts';
import type { AcceptedFrame, BridgeEvent, Rejection } from './types.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface BridgeOptions {
  /** Default: pino with the config's level, keys redacted. */
  logger?: Logger;
  /** Called for every event once it is on disk (the demo prints them; tests count them). */
  onEvent?: (event: BridgeEvent) => void;
  /** Called for every rejection once it is counted. */
  onRejection?: (rejection: Rejection) => void;
}

/** Counts of this process's run, for the stats message, the demo's summary and tests. */
export interface BridgeCounts {
  received: number;
  accepted: number;
  duplicates: number;
  rejected: Record<string, number>;
  downlinksQueued: number;
  downlinksSent: number;
  downlinksFailed: number;
}

function p2pSettings(radio: P2pRadioConfig): P2PSettings {
  return {
    freqHz: radio.frequencyHz,
    sf: radio.spreadingFactor,
    bwKhz: radio.bandwidthKhz,
    cr: radio.codingRate,
    preamble: radio.preamble,
    txPowerDbm: radio.txPowerDbm,
  };
}

export class Bridge {
  readonly config: BridgeConfig;
  readonly logger: Logger;
  readonly metrics: BridgeMetrics;
  readonly topics: TopicLayout;
  readonly counts: BridgeCounts = {
    received: 0,
    accepted: 0,
    duplicates: 0,
    rejected: {},
    downlinksQueued: 0,
    downlinksSent: 0,
    downlinksFailed: 0,
  };
  readonly serialInputs: SerialInput[] = [];
  readonly #db: BridgeDatabase;
  readonly #outbox: SqliteOutbox;
  readonly #group: GroupCommit;
  readonly #registry: DeviceRegistry;
  readonly #processor: FrameProcessor;
  readonly #events = new EventBuilder();
  readonly #downlinks = new DownlinkQueue();
  readonly #downCounter: SqliteDownlinkCounter;
  readonly #client: MqttClient;
  readonly #publisher: Publisher;
  readonly #networkClients: MqttClient[] = [];
  readonly #options: BridgeOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #metricsServer: MetricsServer | undefined;
  #stopping = false;
  #reconnects = 0;

  private constructor(config: BridgeConfig, options: BridgeOptions) {
    this.config = config;
    this.#options = options;
    this.logger = options.logger ?? createBridgeLogger(config);
    this.metrics = createBridgeMetrics(config);
    this.topics = topicLayout({ prefix: config.mqtt.topicPrefix, gatewayId: config.gateway.id });
    this.#registry = new DeviceRegistry(config.devices);

    this.#db = openBridgeDatabase(config.outbox.path);
    this.#outbox = new SqliteOutbox(this.#db, {
      maxRows: config.outbox.maxRows,
      whenFull: config.outbox.whenFull,
      keepPublishedMs: config.lorawan.dedupWindowMs,
      onDrop: (info) => {
        this.metrics.outboxRowsDropped('outbox-full');
        this.logger.warn({ dropped: info }, 'outbox full: rows dropped');
      },
    });
    this.metrics.setOutboxPendingSource(() => this.#outbox.stats().pending);
    this.#group = new GroupCommit(this.#outbox);
    this.#downCounter = new SqliteDownlinkCounter(this.#db);
    this.#processor = new FrameProcessor({
      registry: this.#registry,
      counters: new SqliteCounterStore(this.#db),
      maxFCntGap: config.lorawan.maxFCntGap,
      dedupWindowMs: config.lorawan.dedupWindowMs,
      counterReset: config.lorawan.counterReset,
      resetWindow: config.lorawan.resetWindow,
    });

    const configuredIds = new Set(this.#registry.devices().map((device) => device.id));
    // before the publisher: it reads the saved states, which move to a renamed device's new id here
    const cleanup = new DeviceCleanup({
      store: new AnnouncedDevices(this.#db),
      devices: this.#registry.devices(),
      topics: this.topics,
      ...(config.homeAssistant.enabled ? { discoveryPrefix: config.homeAssistant.prefix } : {}),
      onCleared: (change) => this.#logCleared(change),
    });

    this.#client = mqtt.connect(config.mqtt.url, buildOutputConnectOptions(config.mqtt, this.topics));
    this.#publisher = new Publisher({
      client: this.#client,
      outbox: this.#outbox,
      topics: this.topics,
      serialize: (event) => serializeEvent(event, config.mqtt.format),
      // Home Assistant and dashboards read the retained state as JSON whatever the up format is
      serializeState: stateToJson,
      keepsState: (deviceId) => configuredIds.has(deviceId),
      discovery: config.homeAssistant.enabled ? this.#discovery() : undefined,
      cleanup,
      counters: () => this.#stats(),
      statsIntervalMs: config.statsIntervalS * 1000,
      holdMs: config.serial.length + config.network.length > 1 ? MULTI_RECEIVER_HOLD_MS : 0,
      onPublished: (row, ackedAt) => {
        if (row.kind === 'up') this.metrics.eventPublished((ackedAt - row.addedAt) / 1000);
      },
      onError: (error, context) => this.logger.warn(`${context}: ${explainConnectionError(error, config.mqtt)}`),
    });
    this.#watchOutputConnection();
  }

  /** Opens the database, connects the broker and starts every input. Throws only for what cannot start at all. */
  static async start(config: BridgeConfig, options: BridgeOptions = {}): Promise<Bridge> {
    const bridge = new Bridge(config, options);
    try {
      await bridge.#startInputs();
    } catch (error) {
      await bridge.stop();
      throw error;
    }
    return bridge;
  }

  /** Frames, rejections and downlinks still waiting in the outbox. */
  get pending(): number {
    return this.#outbox.stats().pending;
  }

  get mqttConnected(): boolean {
    return this.#client.connected;
  }

  /** Connections to the output broker after the first one. */
  get mqttReconnects(): number {
    return this.#reconnects;
  }

  get metricsUrl(): string | undefined {
    return this.#metricsServer?.url;
  }

  /**
   * Graceful shutdown: stop listening, let committed frames drain to the broker for up to `flushTimeoutMs`,
   * publish `offline`, close the database. What is not acknowledged by then stays in the outbox for the next start.
   */
  async stop(flushTimeoutMs = 10_000): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.allSettled(this.serialInputs.map((input) => input.close()));
    await Promise.allSettled(this.#networkClients.map((client) => client.endAsync()));
    // the last group transaction commits on the next turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    await this.#publisher.close(flushTimeoutMs).catch((error: unknown) => this.logger.warn(`closing the publisher: ${String(error)}`));
    await this.#client.endAsync().catch(() => undefined);
    await this.#metricsServer?.close();
    this.#outbox.close();
    // the outbox and the counter store share it; closing checkpoints the WAL into the file
    if (this.#db.open) this.#db.close();
    this.logger.info({ counts: this.counts }, 'bridge stopped');
  }

  async #startInputs(): Promise<void> {
    const { config } = this;
    this.logger.info(
      { gateway: config.gateway.id, devices: this.#registry.describe().length, output: describeConnection(config.mqtt) },
      'bridge starting',
    );
    for (const warning of config.source.warnings) this.logger.warn(warning);
    if (config.metrics.enabled) {
      this.#metricsServer = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        registry: this.metrics.registry,
        health: () => ({
          mqttConnected: this.#client.connected,
          outboxWritable: this.#outboxWritable(),
          serialConfigured: this.serialInputs.every((input) => input.configuredNow),
        }),
      });
      this.logger.info(`metrics on ${this.#metricsServer.url}/metrics`);
    }
    for (const serial of config.serial) this.#startSerial(serial.id, serial.path, serial.baudRate, serial.module, p2pSettings(serial.p2p));
    for (const network of config.network) this.#startNetwork(network);
  }

  #startSerial(id: string, path: string, baudRate: number, module: 'rui3' | 'rak811', p2p: P2PSettings): void {
    const input = new SerialInput({ id, path, baudRate, module, p2p });
    input.on('frame', (frame) => {
      this.counts.received++;
      this.metrics.frameReceived(id);
      this.#commit(() => this.#processor.process(frame), input);
    });
    input.on('rejected', (rejection) => {
      this.counts.received++;
      this.metrics.frameReceived(id);
      this.#commit(() => ({ kind: 'rejected', rejection }) as const, input);
    });
    input.on('status', (status) => {
      if (status.state === 'reopening') this.metrics.serialReopened(id);
      const level = status.state === 'setup-failed' || status.state === 'closed' || status.state === 'reopening' ? 'warn' : 'info';
      this.logger[level]({ input: id, ...status }, `serial ${id}: ${status.state}`);
    });
    input.start();
    this.serialInputs.push(input);
  }

  #startNetwork(network: NetworkInputConfig): void {
    const client = mqtt.connect(network.url, buildConnectOptions(network));
    // mqtt.js sends the PUBACK of a QoS 1 message only after handleMessage calls back: the network server's
    // message is acknowledged once the frame is on disk, and sent again by the broker when it is not
    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      this.counts.received++;
      this.metrics.frameReceived(network.id);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const parsed = parseNetworkUplink(network.kind, packet.topic, payload, { sourceId: network.id });
      const work = (): ProcessResult =>
        parsed.ok ? this.#processor.processNetworkUplink(parsed.uplink) : { kind: 'rejected', rejection: parsed.rejection };
      this.#commit(work, undefined).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    };
    client.on('connect', () => {
      this.logger.info(`network input ${network.id}: connected to ${describeConnection(network)}`);
      client.subscribe(network.topic || uplinkSubscription(network.kind), { qos: 1 }, (error) => {
        if (error) this.logger.error(`network input ${network.id}: subscribing ${network.topic}: ${error.message}`);
      });
    });
    client.on('error', (error) => this.logger.warn(`network input ${network.id}: ${explainConnectionError(error, network)}`));
    this.#networkClients.push(client);
  }

  /**
   * Runs one frame's processing (counter update included) and its outbox write in the next group transaction;
   * after the commit, counts it, tells the listeners and sends a waiting downlink.
   */
  #commit(work: () => ProcessResult, input: SerialInput | undefined): Promise<void> {
    type Outcome =
      | { kind: 'event'; event: BridgeEvent; frame: AcceptedFrame }
      | { kind: 'duplicate' }
      | { kind: 'rejected'; rejection: Rejection; stored: boolean };
    const job = (): Outcome => {
      const result = work();
      if (result.kind === 'duplicate') {
        this.#outbox.mergeRx(eventIdOf(result.frame), result.rx);
        return { kind: 'duplicate' };
      }
      if (result.kind === 'rejected') return this.#storeRejection(result.rejection);
      const built = this.#events.build(result.frame);
      if (!built.ok) return this.#storeRejection(built.rejection);
      const added = this.#outbox.add(built.event, 'up');
      if (added.status === 'duplicate') {
        this.#outbox.mergeRx(built.event.id, built.event.rx);
        return { kind: 'duplicate' };
      }
      if (added.status === 'refused') {
        const rejection: Rejection = {
          reason: 'outbox-full',
          detail: `outbox full (${this.config.outbox.maxRows} rows, policy refuse-new): event ${built.event.id} of ${built.event.device.id} refused`,
          input: built.event.input,
          gatewayId: built.event.rx[0]?.gatewayId ?? this.config.gateway.id,
          receivedAt: built.event.receivedAt,
          device: built.event.device.id,
          fCnt: built.event.fCnt,
          port: built.event.port,
        };
        return { kind: 'rejected', rejection, stored: false };
      }
      return { kind: 'event', event: built.event, frame: result.frame };
    };
    return this.#group.run(job).then(
      (outcome) => {
        if (outcome.kind === 'duplicate') {
          this.counts.duplicates++;
          this.metrics.frameDuplicate();
        } else if (outcome.kind === 'rejected') {
          this.#countRejection(outcome.rejection);
        } else {
          this.counts.accepted++;
          this.logger.debug({ event: outcome.event.id, device: outcome.event.device.id, fCnt: outcome.event.fCnt }, 'accepted');
          this.#options.onEvent?.(outcome.event);
          if (input) this.#answer(outcome.frame, input);
        }
      },
      (error: unknown) => {
        this.logger.error(`a frame could not be stored: ${(error as Error).message}`);
        throw error;
      },
    );
  }

  #storeRejection(rejection: Rejection): { kind: 'rejected'; rejection: Rejection; stored: boolean } {
    const added = this.#outbox.add(rejection, 'rejected');
    return { kind: 'rejected', rejection, stored: added.status === 'added' };
  }

  #countRejection(rejection: Rejection): void {
    this.counts.rejected[rejection.reason] = (this.counts.rejected[rejection.reason] ?? 0) + 1;
    this.metrics.frameRejected(rejection.reason);
    this.logger.info({ reason: rejection.reason, device: rejection.device, input: rejection.gatewayId }, `rejected: ${rejection.detail}`);
    this.#options.onRejection?.(rejection);
  }

  /**
   * Class A: a waiting downlink, or the ACK a confirmed uplink asked for, in the node's receive window. The queue is
   * read when the window opens, not when the uplink is accepted: an answer published in between (a ledger's booking
   * acknowledgement, a reaction to this very uplink) still goes out in this window instead of after the next uplink.
   */
  #answer(frame: AcceptedFrame, input: SerialInput): void {
    if (!frame.device.devAddr) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const next = this.#downlinks.take(frame.device.id);
      if (!next && !frame.confirmed) return;
      const keys = this.#registry.sessionKeys(frame.device);
      if (!keys) {
        if (next) this.#downlinks.push(next);
        return;
      }
      const fCnt = this.#downCounter.take(frame.device.devEui);
      const phyPayload = buildAbpDownlink({
        devAddr: frame.device.devAddr!,
        nwkSKey: keys.nwkSKey.toString('hex'),
        appSKey: keys.appSKey.toString('hex'),
        fCnt,
        ack: frame.confirmed,
        ...(next ? { port: next.port, payload: next.payload } : {}),
      });
      input.sendDownlink(phyPayload).then(
        () => {
          this.counts.downlinksSent++;
          this.logger.info({ device: frame.device.id, fCnt, port: next?.port, ack: frame.confirmed }, 'downlink sent');
        },
        (error: unknown) => {
          this.counts.downlinksFailed++;
          this.logger.warn({ device: frame.device.id }, `downlink not sent: ${(error as Error).message}`);
          // the node did not get it: try again after its next uplink
          if (next) this.#downlinks.push(next);
        },
      );
    }, P2P_DOWNLINK_DELAY_MS);
    this.#timers.add(timer);
  }

  /** The bridge's part of the periodic stats on the status topic (the publisher adds what it published and queues). */
  #stats(): Record<string, unknown> {
    const { received, accepted, duplicates, rejected } = this.counts;
    return {
      framesReceived: received,
      framesAccepted: accepted,
      framesDuplicate: duplicates,
      framesRejected: Object.values(rejected).reduce((sum, n) => sum + n, 0),
      rejectedByReason: { ...rejected },
      mqttReconnects: this.#reconnects,
      serial: Object.fromEntries(
        this.serialInputs.map((input) => [input.id, { configured: input.configuredNow, reopens: input.counters.reopens, lines: input.counters.lines }]),
      ),
      downlinks: { queued: this.#downlinks.pending(), sent: this.counts.downlinksSent, failed: this.counts.downlinksFailed },
    };
  }

  #discovery() {
    const opts = {
      prefix: this.config.homeAssistant.prefix,
      topicPrefix: this.config.mqtt.topicPrefix,
      gatewayId: this.config.gateway.id,
      swVersion: VERSION,
    };
    return {
      statusTopic: haStatusTopic(this.config.homeAssistant.prefix),
      messages: () => [...gatewayDiscoveryMessages(opts), ...this.#registry.devices().flatMap((device) => discoveryMessages(device, opts))],
    };
  }

  #logCleared({ kind, before, after }: DeviceChange): void {
    const fields = { device: after?.id ?? before.id, devEui: before.devEui };
    if (kind === 'removed') {
      this.logger.info(fields, `device ${before.id} (${before.devEui}) is no longer configured: its retained state and discovery configs were cleared`);
    } else if (kind === 'renamed') {
      this.logger.info({ ...fields, was: before.id }, `device ${before.devEui} was renamed ${before.id} -> ${after?.id}: the retained state of ${before.id} was cleared`);
    } else {
      this.logger.info(
        { ...fields, was: before.type },
        `device ${before.id} changed type ${before.type} -> ${after?.type}: discovery configs of the old type's other entities were cleared`,
      );
    }
  }

  /** Connection state for metrics and logs; downlink requests from `<prefix>/<device>/down`. */
  #watchOutputConnection(): void {
    let connectedOnce = false;
    this.#client.on('connect', () => {
      if (connectedOnce) {
        this.#reconnects++;
        this.metrics.mqttReconnected();
      }
      connectedOnce = true;
      this.metrics.setMqttConnected(true);
      this.logger.info(`connected to ${describeConnection(this.config.mqtt)}`);
      this.#client.subscribe(this.topics.downSubscription, { qos: 1 }, (error) => {
        if (error) this.logger.error(`subscribing ${this.topics.downSubscription}: ${error.message}`);
      });
    });
    this.#client.on('close', () => this.metrics.setMqttConnected(false));
    this.#client.on('message', (topic, payload) => {
      const deviceId = this.topics.parseDown(topic);
      if (deviceId === undefined) return;
      this.#downlinkRequested(deviceId, payload);
    });
  }

  #downlinkRequested(deviceId: string, payload: Buffer): void {
    const device = this.#registry.byId(deviceId);
    const refuse = (detail: string): void => {
      const rejection: Rejection = {
        reason: 'input-malformed',
        detail: `downlink for ${deviceId}: ${detail}`,
        input: 'downlink',
        gatewayId: this.config.gateway.id,
        receivedAt: new Date().toISOString(),
        device: deviceId,
      };
      this.#group.run(() => this.#storeRejection(rejection)).then(
        () => this.#countRejection(rejection),
        () => undefined,
      );
    };
    if (!device) return refuse('no such device in the registry');
    if (!device.devAddr || !this.#registry.sessionKeys(device)) return refuse('the device has no ABP session keys (P2P downlinks only)');
    const parsed = parseDownlinkRequest(deviceId, payload);
    if (!parsed.ok) return refuse(parsed.error);
    if (!this.#downlinks.push(parsed.request)) return refuse('too many downlinks already waiting for this device');
    this.counts.downlinksQueued++;
    this.logger.info({ device: deviceId, port: parsed.request.port }, 'downlink queued for the next uplink');
  }

  #outboxWritable(): boolean {
    try {
      this.#outbox.stats();
      return true;
    } catch {
      return false;
    }
  }
}
