/**
 * The embedded broker of the zero-setup default: aedes in-process, MQTT over TCP and MQTT over WebSocket (for
 * browser dashboards). It binds to loopback only. When the standard port is taken (a Mosquitto already runs, as
 * on many gateway Pis) it takes a free port and says so, rather than failing or silently talking to someone else.
 */
import { Aedes } from 'aedes';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** Preferred MQTT port; 0 = any free port. Default 1883. */
  port?: number;
  /** Preferred MQTT-over-WebSocket port; 0 = any free port, null = no WebSocket listener. Default 8080. */
  wsPort?: number | null;
}

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /** null when the WebSocket listener is off. */
  readonly wsPort: number | null;
  /** True when a preferred port was taken and another one was used. */
  readonly movedPorts: string[];
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: NetServer | HttpServer, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      server.off('listening', ok);
      reject(error);
    };
    const ok = (): void => {
      server.off('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', ok);
    server.listen(port, host);
  });
  return (server.address() as AddressInfo).port;
}

/** Listens on the preferred port, or on a free one when it is in use. */
async function listenPreferring(server: NetServer | HttpServer, host: string, port: number): Promise<{ port: number; moved: boolean }> {
  try {
    return { port: await listen(server, host, port), moved: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    return { port: await listen(server, host, 0), moved: true };
  }
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const tcp = createNetServer(broker.handle);
  const movedPorts: string[] = [];
  const mqtt = await listenPreferring(tcp, host, options.port ?? 1883);
  if (mqtt.moved) movedPorts.push(`MQTT port ${options.port ?? 1883} is in use: using ${mqtt.port}`);

  let http: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  let wsPort: number | null = null;
  const wantedWs = options.wsPort === undefined ? 8080 : options.wsPort;
  if (wantedWs !== null) {
    http = createHttpServer();
    wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, request) => {
      const stream = createWebSocketStream(socket);
      stream.on('error', () => socket.terminate());
      broker.handle(stream, request);
    });
    const ws = await listenPreferring(http, host, wantedWs);
    wsPort = ws.port;
    if (ws.moved) movedPorts.push(`WebSocket port ${wantedWs} is in use: using ${ws.port}`);
  }

  const sockets = new Set<import('node:net').Socket>();
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    host,
    port: mqtt.port,
    wsPort,
    movedPorts,
    url: `mqtt://${host}:${mqtt.port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      wss?.clients.forEach((client) => client.terminate());
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
