/**
 * The ledger service: bookings in over MQTT (LAN terminals directly, LoRa terminals through the gateway bridge),
 * committed to the store, acknowledged only after the commit; the badge list published retained.
 *
 * MQTT behaviour (what terminals and the bridge can rely on):
 * - A persistent session (clean: false, a stable client id): the broker queues QoS 1 bookings while the ledger is
 *   away, up to its max_queued_messages.
 * - The broker's PUBACK for a booking message is sent only after the store committed it (mqtt.js handleMessage,
 *   which also processes incoming messages one at a time). A ledger killed before the commit leaves the message
 *   unacknowledged: the broker delivers it again when the ledger reconnects.
 * - Every valid batch, new or repeated, is answered with the terminal's cumulative ackedThrough (QoS 1, not
 *   retained): LAN on stadtsensor/timeclock/<terminal>/ack, LoRa as a bookingAck downlink request on
 *   <bridge prefix>/<device>/down. A repeated batch gets its ack again; so a terminal resends whatever is not
 *   acknowledged after a while and needs nothing else to recover from a lost ack.
 * - A message that fails validation is PUBACKed (it would only come back), counted by reason, logged, never stored
 *   and never acknowledged. A store failure leaves the message without PUBACK and without ack.
 * - The badge list is published retained at every connect and whenever its content changes (checked every
 *   badgeListIntervalS), with a version that only grows.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { TIMECLOCK_TOPICS, type BadgeListMessage } from '../../firmware/timeclock/core/contracts.ts';
import { createLogger, type Logger } from '../../gateway-bridge/src/ops/logger.ts';
import { buildConnectOptions, describeConnection, explainConnectionError, type ConnectionTuning } from '../../gateway-bridge/src/output/mqtt-connection.ts';
import { badgeListContent } from './badge-list.ts';
import { ledgerSecrets, type LedgerConfig } from './config.ts';
import { lanAck, loraAckRequest, parseBridgeUp, parseLanBatch, type Parsed, type RejectReason } from './messages.ts';
import { openStore } from './store/open-store.ts';
import type { IncomingBatch, LedgerStore } from './store/types.ts';


/** How long stop() waits for the broker to confirm what is in flight before it drops the connection. */
const STOP_FLUSH_MS = 3_000;
export interface LedgerOptions {
  config: LedgerConfig;
  /** Default: openStore(config.store); a given store is not closed by stop(). */
  store?: LedgerStore;
  logger?: Logger;
  /** Unix seconds; default the system clock. */
  now?: () => number;
  tuning?: ConnectionTuning;
}

export interface LedgerStats {
  /** Valid batches handled (new or repeated). */
  batches: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  acksPublished: number;
  /** Other devices' uplinks on the bridge topic. */
  ignored: number;
  rejected: Partial<Record<RejectReason, number>>;
  storeErrors: number;
  badgeListsPublished: number;
  badgeListVersion: number | null;
}

const systemNow = (): number => Math.floor(Date.now() / 1000);

export class Ledger {
  readonly logger: Logger;
  readonly store: LedgerStore;
  readonly #config: LedgerConfig;
  readonly #client: MqttClient;
  readonly #now: () => number;
  readonly #ownsStore: boolean;
  readonly #stats: LedgerStats = {
    batches: 0,
    inserted: 0,
    duplicates: 0,
    conflicts: 0,
    acksPublished: 0,
    ignored: 0,
    rejected: {},
    storeErrors: 0,
    badgeListsPublished: 0,
    badgeListVersion: null,
  };
  readonly #upPrefix: string;
  #badgeList: BadgeListMessage | undefined;
  #badgeListTimer: NodeJS.Timeout | undefined;
  #badgeListRun: Promise<void> = Promise.resolve();
  #stopping = false;
  readonly #ready: Promise<void>;
  #markReady: () => void = () => undefined;
  readonly #batchListeners = new Set<(batch: IncomingBatch) => void>();

  private constructor(options: LedgerOptions, store: LedgerStore, ownsStore: boolean) {
    this.#config = options.config;
    this.store = store;
    this.#ownsStore = ownsStore;
    this.#now = options.now ?? systemNow;
    this.logger = options.logger ?? createLogger({ level: options.config.log.level, pretty: options.config.log.pretty, secrets: ledgerSecrets(options.config), bindings: { service: 'ledger' } });
    this.#upPrefix = `${options.config.bridgeTopicPrefix}/`;
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
    this.#client = mqtt.connect(options.config.mqtt.url, buildConnectOptions(options.config.mqtt, options.tuning));
    this.#client.handleMessage = (packet, done) => {
      this.#handle(packet).then(
        () => done(),
        (error: Error) => done(error),
      );
    };
    this.#client.on('connect', () => void this.#onConnect());
    this.#client.on('error', (error) => this.logger.error(explainConnectionError(error as Error & { code?: string | number }, options.config.mqtt)));
    this.#client.on('offline', () => this.logger.warn('MQTT broker unreachable; reconnecting'));
  }

  /** Opens the store (unless given) and connects; the broker may still be away (mqtt.js reconnects). */
  static async start(options: LedgerOptions): Promise<Ledger> {
    const store = options.store ?? (await openStore(options.config.store));
    const ledger = new Ledger(options, store, options.store === undefined);
    ledger.logger.info(`ledger: ${store.kind} store, MQTT ${describeConnection(options.config.mqtt)}`);
    ledger.#badgeListTimer = setInterval(() => void ledger.#checkBadgeList(false), options.config.badgeListIntervalS * 1000);
    return ledger;
  }

  /** Resolves once subscribed and the badge list is published (the first connect). */
  ready(): Promise<void> {
    return this.#ready;
  }

  stats(): LedgerStats {
    return { ...this.#stats, rejected: { ...this.#stats.rejected } };
  }

  /** For tests and metrics: called after each batch's commit, before its ack is published. */
  onBatch(listener: (batch: IncomingBatch) => void): () => void {
    this.#batchListeners.add(listener);
    return () => this.#batchListeners.delete(listener);
  }

  /**
   * Ends the MQTT session and closes the store. `force`: drops the connection at once, without waiting for a commit
   * in progress (whose message then stays without PUBACK and comes again at the next start), as after a fatal error.
   */
  async stop(options: { force?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#badgeListTimer);
    if (options.force) {
      await this.#client.endAsync(true);
      return;
    }
    // mqtt.js end() waits for every unconfirmed QoS 1 publish and no longer reconnects: without a broker (or when
    // it does not answer) that wait never ends. Acks not confirmed are harmless: terminals resend, acks repeat.
    const limit = (promise: Promise<unknown>, ms: number): Promise<unknown> =>
      Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
    await limit(this.#badgeListRun, STOP_FLUSH_MS);
    const graceful = this.#client.connected;
    if (!graceful || (await limit(this.#client.endAsync().then(() => 'ended'), STOP_FLUSH_MS)) !== 'ended') {
      await this.#client.endAsync(true);
    }
    if (this.#ownsStore) await this.store.close();
  }

  async #onConnect(): Promise<void> {
    const topics = { [TIMECLOCK_TOPICS.allBookings]: { qos: 1 as const }, [`${this.#upPrefix}+/up`]: { qos: 1 as const } };
    try {
      await this.#client.subscribeAsync(topics);
    } catch (error) {
      this.logger.error(`subscribing failed: ${(error as Error).message}`);
      return;
    }
    this.logger.info(`connected; subscribed to ${Object.keys(topics).join(', ')}`);
    // the broker may have restarted without its retained messages: publish the list at every connect
    await this.#checkBadgeList(true);
    this.#markReady();
  }

  async #handle(packet: IPublishPacket): Promise<void> {
    const parsed = this.#parse(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
    if (parsed.kind === 'ignored') {
      this.#stats.ignored++;
      return;
    }
    if (parsed.kind === 'rejected') {
      this.#stats.rejected[parsed.reason] = (this.#stats.rejected[parsed.reason] ?? 0) + 1;
      this.logger.warn({ topic: packet.topic, reason: parsed.reason }, `message refused: ${parsed.detail}`);
      return;
    }
    const { batch } = parsed;
    let result;
    try {
      result = await this.store.insertBatch(batch);
    } catch (error) {
      this.#stats.storeErrors++;
      this.logger.error({ terminal: batch.terminal, err: error }, 'store failed: batch neither committed nor acknowledged');
      throw error;
    }
    this.#stats.batches++;
    this.#stats.inserted += result.inserted;
    this.#stats.duplicates += result.duplicates;
    this.#stats.conflicts += result.conflicts;
    if (result.conflicts > 0) {
      this.logger.warn({ terminal: batch.terminal, conflicts: result.conflicts }, 'sequence numbers reused with different bookings: kept in booking_conflicts, check the terminal');
    }
    this.logger.debug({ terminal: batch.terminal, via: batch.via, ...result }, 'batch committed');
    for (const listener of this.#batchListeners) listener(batch);
    this.#publishAck(batch, result.ackedThrough);
  }

  #parse(topic: string, body: Uint8Array): Parsed {
    const levels = topic.split('/');
    const now = this.#now();
    if (levels.length === 4 && topic === TIMECLOCK_TOPICS.bookings(levels[2]!)) return parseLanBatch(levels[2]!, body, now);
    if (topic.startsWith(this.#upPrefix) && topic.endsWith('/up')) {
      const device = topic.slice(this.#upPrefix.length, -'/up'.length);
      if (!device.includes('/')) return parseBridgeUp(device, body, now);
    }
    return { kind: 'ignored' };
  }

  /** Not awaited: the PUBACK of our own publish is queued behind the message being handled (see handleMessage). */
  #publishAck(batch: IncomingBatch, ackedThrough: number): void {
    const serverTime = this.#now();
    const [topic, body] =
      batch.via === 'lan'
        ? [TIMECLOCK_TOPICS.ack(batch.terminal), lanAck(ackedThrough, serverTime)]
        : [`${this.#upPrefix}${batch.terminal}/down`, loraAckRequest(ackedThrough, serverTime)];
    this.#client.publish(topic, JSON.stringify(body), { qos: 1 }, (error) => {
      if (error) this.logger.warn({ topic }, `ack not delivered to the broker: ${error.message} (the terminal will resend)`);
    });
    this.#stats.acksPublished++;
  }

  /** Serialised: one check at a time. */
  #checkBadgeList(force: boolean): Promise<void> {
    const run = this.#badgeListRun.then(() => this.#publishBadgeList(force));
    this.#badgeListRun = run.catch((error: Error) => this.logger.error(`badge list: ${error.message}`));
    return this.#badgeListRun;
  }

  async #publishBadgeList(force: boolean): Promise<void> {
    if (this.#stopping || !this.#client.connected) return;
    const [mappings, employees] = await Promise.all([this.store.badges(), this.store.employees()]);
    const content = badgeListContent(mappings, employees, this.#now(), this.#config.defaultGreeting);
    const previous = this.#badgeList;
    const changed = previous === undefined || JSON.stringify({ badges: previous.badges, revoked: previous.revoked }) !== JSON.stringify(content);
    if (!changed && !force) return;
    const message: BadgeListMessage = changed || previous === undefined ? { version: await this.store.nextBadgeListVersion(), ...content } : previous;
    this.#badgeList = message;
    this.#stats.badgeListVersion = message.version;
    await this.#client.publishAsync(TIMECLOCK_TOPICS.badges, JSON.stringify(message), { qos: 1, retain: true });
    this.#stats.badgeListsPublished++;
    this.logger.info(`badge list version ${message.version} published: ${message.badges.length} badges, ${message.revoked.length} revoked`);
  }
}
