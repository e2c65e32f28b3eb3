/**
 * The bridge's small HTTP server: GET /metrics (Prometheus text) and GET /healthz (200 when every health check
 * passes, 503 otherwise, with the checks as JSON). Listens on metrics.host and metrics.port; port 0 picks a free one.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Named checks, e.g. { mqttConnected: true, outboxWritable: true }. */
export type HealthChecks = Record<string, boolean>;

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Default: always healthy. */
  health?: () => HealthChecks | Promise<HealthChecks>;
}

export interface MetricsServer {
  /** The port actually listened on. */
  port: number;
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`internal error: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? 'the address is in use (choose another metrics.port)' : error.message;
      reject(new Error(`metrics: cannot listen on ${options.host}:${options.port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    const body = await options.registry.metrics();
    response.writeHead(200, { 'content-type': options.registry.contentType });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  if (path === '/healthz') {
    let checks: HealthChecks;
    let failure: string | undefined;
    try {
      checks = (await options.health?.()) ?? {};
    } catch (error) {
      checks = {};
      failure = (error as Error).message;
    }
    const healthy = failure === undefined && Object.values(checks).every(Boolean);
    const body = JSON.stringify({ status: healthy ? 'ok' : 'unhealthy', checks, ...(failure === undefined ? {} : { error: failure }) });
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : `${body}\n`);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found: try /metrics or /healthz\n');
}
