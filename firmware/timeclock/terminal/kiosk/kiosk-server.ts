/**
 * The kiosk's local HTTP server (node:http, loopback by default):
 *   GET  /        the page (self-contained: no CDN, the Pi may be offline)
 *   GET  /events  Server-Sent Events: `event: view` with the KioskView JSON on connect and on every change
 *   POST /kind    {"kind":"go"} from a button: selects the kind and tells the KindSelectionSource listeners
 *   GET  /healthz 200 "ok" (the autostart script waits for it before starting Chromium)
 * A confirmation or refusal stays in the view for its display time, then the view returns to the buttons.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BOOKING_KINDS, type BookingKind } from '../../core/contracts.ts';
import type {
  BookingConfirmation,
  BookingRefusal,
  KindSelectionSource,
  KioskDisplay,
  KioskView,
} from './kiosk-display.ts';
import { REFUSAL_TEXTS, REFUSAL_TITLES } from './labels.ts';
import { renderKioskPage } from './kiosk-page.ts';

export const DEFAULT_KIOSK_HOST = '127.0.0.1';
export const DEFAULT_KIOSK_PORT = 8470;
export const DEFAULT_CONFIRMATION_MS = 4000;
export const DEFAULT_REFUSAL_MS = 6000;

export interface KioskServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  initialKind?: BookingKind;
  confirmationMs?: number;
  refusalMs?: number;
  /** IANA time zone for the clock and booking times on the page; the Pi's own zone when left out. */
  timeZone?: string;
  /** SSE comment line that keeps the stream alive. */
  heartbeatMs?: number;
}

export interface KioskServer extends KioskDisplay, KindSelectionSource {
  readonly url: string;
  view(): KioskView;
  /** Refused requests so far, per reason (bad JSON, unknown kind, foreign Host header, ...). */
  rejections(): Record<string, number>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024;

export async function startKioskServer(options: KioskServerOptions = {}): Promise<KioskServer> {
  const host = options.host ?? DEFAULT_KIOSK_HOST;
  const confirmationMs = options.confirmationMs ?? DEFAULT_CONFIRMATION_MS;
  const refusalMs = options.refusalMs ?? DEFAULT_REFUSAL_MS;
  const page = renderKioskPage({ timeZone: options.timeZone ?? null });
  const view: KioskView = {
    online: false,
    waiting: 0,
    selectedKind: options.initialKind ?? 'come',
    clockSynced: true,
    overlay: null,
  };
  const streams = new Set<ServerResponse>();
  const kindListeners: ((kind: BookingKind) => void)[] = [];
  const rejected: Record<string, number> = {};
  let overlayId = 0;
  let overlayTimer: NodeJS.Timeout | null = null;

  const broadcast = (): void => {
    const frame = 'event: view\ndata: ' + JSON.stringify(view) + '\n\n';
    for (const stream of streams) stream.write(frame);
  };
  const reject = (res: ServerResponse, status: number, reason: string): void => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: reason }));
  };
  const showOverlay = (overlay: KioskView['overlay'], ms: number): void => {
    if (overlayTimer) clearTimeout(overlayTimer);
    view.overlay = overlay;
    broadcast();
    overlayTimer = setTimeout(() => {
      overlayTimer = null;
      view.overlay = null;
      broadcast();
    }, ms);
    overlayTimer.unref();
  };
  const selectKind = (kind: BookingKind): void => {
    if (view.selectedKind === kind) return;
    view.selectedKind = kind;
    broadcast();
  };

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write('retry: 1000\n\nevent: view\ndata: ' + JSON.stringify(view) + '\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  };

  const receiveKind = (req: IncomingMessage, res: ServerResponse): void => {
    // A JSON content type cannot be sent cross-origin without a preflight, which this server never answers.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return reject(res, 415, 'not-json');
    let body = '';
    let tooLarge = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) tooLarge = true;
    });
    req.on('end', () => {
      if (tooLarge) return reject(res, 413, 'too-large');
      let kind: unknown;
      try {
        kind = (JSON.parse(body) as { kind?: unknown } | null)?.kind;
      } catch {
        return reject(res, 400, 'bad-json');
      }
      if (typeof kind !== 'string' || !(BOOKING_KINDS as string[]).includes(kind)) {
        return reject(res, 400, 'unknown-kind');
      }
      selectKind(kind as BookingKind);
      for (const listener of kindListeners) listener(kind as BookingKind);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ selectedKind: view.selectedKind }));
    });
  };

  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, host)) return reject(res, 403, 'foreign-host');
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      res.end(page);
    } else if (req.method === 'GET' && path === '/events') {
      openStream(req, res);
    } else if (req.method === 'POST' && path === '/kind') {
      receiveKind(req, res);
    } else if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    } else {
      reject(res, 404, 'not-found');
    }
  });

  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? DEFAULT_KIOSK_PORT, host, () => {
      server.off('error', rejectListen);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? '[' + address.address + ']' : address.address;

  return {
    url: 'http://' + urlHost + ':' + address.port + '/',
    view: () => structuredClone(view),
    rejections: () => ({ ...rejected }),
    onKindSelected: (listener) => {
      kindListeners.push(listener);
    },
    showConfirmation: (confirmation: BookingConfirmation) => {
      showOverlay(
        {
          id: ++overlayId,
          type: 'confirmation',
          greeting: confirmation.greeting,
          kind: confirmation.kind,
          time: confirmation.time,
          sequence: confirmation.sequence,
          clockUnsynced: confirmation.clockUnsynced === true,
        },
        confirmationMs,
      );
    },
    showRefusal: (refusal: BookingRefusal) => {
      showOverlay(
        {
          id: ++overlayId,
          type: 'refusal',
          reason: refusal.reason,
          title: REFUSAL_TITLES[refusal.reason],
          text: refusal.text ?? REFUSAL_TEXTS[refusal.reason],
        },
        refusalMs,
      );
    },
    setOnline: (online: boolean, waiting: number) => {
      if (view.online === online && view.waiting === waiting) return;
      view.online = online;
      view.waiting = waiting;
      broadcast();
    },
    setSelectedKind: selectKind,
    setClockSynced: (synced: boolean) => {
      if (view.clockSynced === synced) return;
      view.clockSynced = synced;
      broadcast();
    },
    close: async () => {
      clearInterval(heartbeat);
      if (overlayTimer) clearTimeout(overlayTimer);
      for (const stream of streams) stream.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Only requests addressed to this server by a loopback name (DNS rebinding: a web page elsewhere must not reach the
 * kiosk under its own host name). A server listening on all interfaces (host 0.0.0.0 or ::) accepts any Host.
 */
function hostAllowed(header: string | undefined, listenHost: string): boolean {
  if (listenHost === '0.0.0.0' || listenHost === '::') return true;
  if (header === undefined) return false;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0];
  return name === listenHost || name === 'localhost' || name === '127.0.0.1' || name === '[::1]';
}
