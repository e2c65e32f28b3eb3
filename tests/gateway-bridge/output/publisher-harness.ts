/** Shared parts of the publisher tests: an outbox on a temp file, a bridge client, a recording subscriber. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttConnectionConfig } from '../../../gateway-bridge/src/config/schema.ts';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import { buildOutputConnectOptions, type ConnectionTuning } from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import { Publisher, type PublisherOptions } from '../../../gateway-bridge/src/output/publisher.ts';
import { topicLayout, type TopicLayout } from '../../../gateway-bridge/src/output/topics.ts';

export const GATEWAY_ID = 'test-gw';

export function connectionConfig(url: string, overrides: Partial<MqttConnectionConfig> = {}): MqttConnectionConfig {
  return { url, rejectUnauthorized: true, clientId: `stadtsensor-bridge-${GATEWAY_ID}`, keepaliveS: 30, ...overrides };
}

export interface Bridge {
  outbox: SqliteOutbox;
  client: MqttClient;
  publisher: Publisher;
  topics: TopicLayout;
  errors: Array<{ error: Error; context: string }>;
  /** Closes the publisher (if not yet) and the outbox. */
  close(): Promise<void>;
}

/** A temp dir removed by cleanup(). */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-publisher-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startBridge(
  file: string,
  config: MqttConnectionConfig,
  options: Partial<PublisherOptions> & { outbox?: SqliteOutboxOptions; tuning?: ConnectionTuning } = {},
): Bridge {
  const topics = topicLayout({ gatewayId: GATEWAY_ID });
  const outbox = SqliteOutbox.open(file, options.outbox);
  const client = mqtt.connect(config.url, buildOutputConnectOptions(config, topics, { reconnectPeriodMs: 100, ...options.tuning }));
  const errors: Bridge['errors'] = [];
  const publisher = new Publisher({
    client,
    outbox,
    topics,
    onError: (error, context) => errors.push({ error, context }),
    ...options,
  });
  let closed = false;
  return {
    outbox,
    client,
    publisher,
    topics,
    errors,
    async close() {
      if (closed) return;
      closed = true;
      await publisher.close(2_000);
      outbox.close();
    },
  };
}

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export interface Recorder {
  client: MqttClient;
  messages: Received[];
  on(topic: string): Received[];
  json<T = Record<string, unknown>>(topic: string): T[];
  close(): Promise<void>;
}

/** A QoS 1 subscriber that records everything on its filters. clean: false keeps its queue across broker restarts. */
export async function record(url: string, filters: string[], options: IClientOptions = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 100, ...options });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filters, { qos: 1 });
  const on = (topic: string): Received[] => messages.filter((m) => m.topic === topic);
  return {
    client,
    messages,
    on,
    json: <T>(topic: string) => on(topic).map((m) => JSON.parse(m.payload.toString()) as T),
    close: async () => {
      await client.endAsync(true);
    },
  };
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The retained message on a topic as a new subscriber sees it (undefined when none arrives within 500 ms). */
export async function retained(url: string, topic: string, options: IClientOptions = {}): Promise<Buffer | undefined> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  try {
    const message = new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 500);
      client.on('message', (t, payload, packet) => {
        if (t === topic && packet.retain) {
          clearTimeout(timer);
          resolve(payload);
        }
      });
    });
    await client.subscribeAsync(topic, { qos: 1 });
    return await message;
  } finally {
    await client.endAsync(true);
  }
}
