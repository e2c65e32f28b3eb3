import { afterEach, describe, expect, it } from 'vitest';
import { BridgeMetrics, createBridgeMetrics, REJECT_REASONS } from '../../../gateway-bridge/src/ops/metrics.ts';
import { startMetricsServer, type HealthChecks, type MetricsServer } from '../../../gateway-bridge/src/ops/metrics-server.ts';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(metrics: BridgeMetrics, health?: () => HealthChecks | Promise<HealthChecks>): Promise<MetricsServer> {
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, ...(health ? { health } : {}) });
  servers.push(server);
  return server;
}

/** Prometheus text exposition -> { 'name{labels}': value }, checking each line's shape. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/i.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    // prom-client prints NaN as "Nan"; Prometheus parses floats case-insensitively
    samples.set(`${match[1]}${match[2] ?? ''}`, /^nan$/i.test(match[3]!) ? NaN : Number(match[3]));
  }
  return samples;
}

async function scrape(server: MetricsServer): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe('bridge metrics over HTTP', () => {
  it('exposes every bridge metric with its labels, scraped and parsed', async () => {
    let pending = 7;
    const metrics = createBridgeMetrics({ serial: [{ id: 'gw-1' }], network: [{ id: 'ttn-1' }] }, { outboxPending: () => pending });
    const server = await serve(metrics);

    const before = await scrape(server);
    expect(before.get('stadtsensor_bridge_frames_received_total{input="gw-1"}')).toBe(0);
    expect(before.get('stadtsensor_bridge_frames_received_total{input="ttn-1"}')).toBe(0);
    for (const reason of REJECT_REASONS) expect(before.get(`stadtsensor_bridge_frames_rejected_total{reason="${reason}"}`)).toBe(0);
    expect(before.get('stadtsensor_bridge_serial_reopens_total{input="gw-1"}')).toBe(0);
    expect(before.get('stadtsensor_bridge_mqtt_connected')).toBe(0);
    expect(before.get('stadtsensor_bridge_outbox_pending')).toBe(7);

    for (let i = 0; i < 5; i++) metrics.frameReceived('gw-1');
    metrics.frameReceived('ttn-1');
    metrics.frameRejected('mic-mismatch');
    metrics.frameRejected('mic-mismatch');
    metrics.frameRejected('line-garbage');
    metrics.frameDuplicate();
    metrics.eventPublished(0.004);
    metrics.eventPublished(0.03);
    metrics.eventPublished(2);
    metrics.eventPublished();
    metrics.outboxRowsDropped('drop-oldest', 3);
    metrics.setMqttConnected(true);
    metrics.mqttReconnected();
    metrics.serialReopened('gw-1');
    pending = 2;

    const after = await scrape(server);
    expect(after.get('stadtsensor_bridge_frames_received_total{input="gw-1"}')).toBe(5);
    expect(after.get('stadtsensor_bridge_frames_received_total{input="ttn-1"}')).toBe(1);
    expect(after.get('stadtsensor_bridge_frames_rejected_total{reason="mic-mismatch"}')).toBe(2);
    expect(after.get('stadtsensor_bridge_frames_rejected_total{reason="line-garbage"}')).toBe(1);
    expect(after.get('stadtsensor_bridge_frames_rejected_total{reason="fcnt-replay"}')).toBe(0);
    expect(after.get('stadtsensor_bridge_frames_duplicate_total')).toBe(1);
    expect(after.get('stadtsensor_bridge_events_published_total')).toBe(4);
    expect(after.get('stadtsensor_bridge_outbox_pending')).toBe(2);
    expect(after.get('stadtsensor_bridge_outbox_dropped_total{reason="drop-oldest"}')).toBe(3);
    expect(after.get('stadtsensor_bridge_mqtt_connected')).toBe(1);
    expect(after.get('stadtsensor_bridge_mqtt_reconnects_total')).toBe(1);
    expect(after.get('stadtsensor_bridge_serial_reopens_total{input="gw-1"}')).toBe(1);
    expect(after.get('stadtsensor_bridge_publish_latency_seconds_count')).toBe(3);
    expect(after.get('stadtsensor_bridge_publish_latency_seconds_sum')).toBeCloseTo(2.034, 6);
    expect(after.get('stadtsensor_bridge_publish_latency_seconds_bucket{le="0.005"}')).toBe(1);
    expect(after.get('stadtsensor_bridge_publish_latency_seconds_bucket{le="0.05"}')).toBe(2);
    expect(after.get('stadtsensor_bridge_publish_latency_seconds_bucket{le="+Inf"}')).toBe(3);
    // Node's process metrics on the same registry
    expect(after.get('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  });

  it('builds the stats snapshot from the same counters', async () => {
    const metrics = new BridgeMetrics({ inputs: ['gw-1'], outboxPending: () => 12, processMetrics: false });
    metrics.frameReceived('gw-1');
    metrics.frameReceived('gw-1');
    metrics.frameReceived('gw-2');
    metrics.frameRejected('fcnt-replay');
    metrics.frameDuplicate();
    metrics.eventPublished(0.01);
    metrics.outboxRowsDropped('drop-oldest');
    metrics.mqttReconnected();
    metrics.mqttReconnected();
    expect(await metrics.snapshot()).toEqual({
      framesReceived: 3,
      receivedByInput: { 'gw-1': 2, 'gw-2': 1 },
      framesRejected: 1,
      rejectedByReason: { 'fcnt-replay': 1 },
      framesDuplicate: 1,
      eventsPublished: 1,
      outboxPending: 12,
      outboxDropped: 1,
      mqttReconnects: 2,
      serialReopens: 0,
    });
  });

  it('keeps two bridges in one process apart (own registries)', async () => {
    const a = new BridgeMetrics();
    const b = new BridgeMetrics();
    a.frameDuplicate();
    expect((await a.snapshot()).framesDuplicate).toBe(1);
    expect((await b.snapshot()).framesDuplicate).toBe(0);
    expect(await b.exposition()).toContain('stadtsensor_bridge_frames_duplicate_total 0');
  });

  it('keeps the last outbox count when the outbox cannot be read', async () => {
    let closed = false;
    const metrics = new BridgeMetrics({ processMetrics: false });
    metrics.setOutboxPendingSource(() => {
      if (closed) throw new Error('database closed');
      return 4;
    });
    expect((await metrics.snapshot()).outboxPending).toBe(4);
    closed = true;
    expect((await metrics.snapshot()).outboxPending).toBe(4);
  });
});

describe('health endpoint', () => {
  it('answers 200 while every check passes and 503 otherwise, with the checks', async () => {
    const state = { mqttConnected: true, outboxWritable: true };
    const server = await serve(new BridgeMetrics({ processMetrics: false }), () => ({ ...state }));
    let response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { mqttConnected: true, outboxWritable: true } });
    state.mqttConnected = false;
    response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unhealthy', checks: { mqttConnected: false, outboxWritable: true } });
    state.mqttConnected = true;
    state.outboxWritable = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  });

  it('answers 503 when the health function fails, and handles other paths and methods', async () => {
    const server = await serve(new BridgeMetrics({ processMetrics: false }), async () => {
      throw new Error('outbox gone');
    });
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unhealthy', checks: {}, error: 'outbox gone' });
    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('says when its port is taken, and stops listening on close', async () => {
    const metrics = new BridgeMetrics({ processMetrics: false });
    const first = await serve(metrics);
    await expect(startMetricsServer({ host: '127.0.0.1', port: first.port, registry: metrics.registry })).rejects.toThrow(
      `metrics: cannot listen on 127.0.0.1:${first.port}: the address is in use (choose another metrics.port)`,
    );
    await servers.pop()!.close();
    await expect(fetch(`${first.url}/metrics`)).rejects.toThrow();
  });
});
