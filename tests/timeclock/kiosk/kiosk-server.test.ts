import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import { startKioskServer, type KioskServer } from '../../../firmware/timeclock/terminal/kiosk/kiosk-server.ts';
import { KIND_LABELS } from '../../../firmware/timeclock/terminal/kiosk/labels.ts';
import { openViewStream, type ViewStream } from './sse-client.ts';

let kiosk: KioskServer | null = null;
let streams: ViewStream[] = [];

afterEach(async () => {
  for (const s of streams) s.close();
  streams = [];
  await kiosk?.close();
  kiosk = null;
});

async function start(options = {}): Promise<KioskServer> {
  kiosk = await startKioskServer({ port: 0, ...options });
  return kiosk;
}

async function stream(url: string): Promise<ViewStream> {
  const s = await openViewStream(url);
  streams.push(s);
  return s;
}

function post(url: string, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  return fetch(new URL('/kind', url), { method: 'POST', headers, body });
}

/** node:http lets a test send any Host header (fetch does not). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/healthz', url), { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('kiosk server', () => {
  it('listens on loopback and serves one self-contained German page', async () => {
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(server.url);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    for (const label of Object.values(KIND_LABELS)) expect(html).toContain(JSON.stringify(label));
    // nothing loaded from elsewhere: no external scripts, styles, fonts or images
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toContain('__KIOSK_CONFIG__');
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    expect((await fetch(new URL('/nothing', server.url))).status).toBe(404);
  });

  it('pushes the view on connect and on every change', async () => {
    const server = await start({ initialKind: 'go', confirmationMs: 150 });
    const events = await stream(server.url);
    const first = await events.next(() => true);
    expect(first).toEqual({ online: false, waiting: 0, selectedKind: 'go', clockSynced: true, overlay: null });

    server.setOnline(true, 0);
    await events.next((v) => v.online);
    server.setOnline(false, 3);
    await events.next((v) => !v.online && v.waiting === 3);
    server.setClockSynced(false);
    await events.next((v) => !v.clockSynced);

    server.showConfirmation({ greeting: 'Guten Morgen, Frau Schmidt', kind: 'come', time: 1795842000, sequence: 41 });
    const shown = await events.next((v) => v.overlay?.type === 'confirmation');
    expect(shown.overlay).toEqual({
      id: 1,
      type: 'confirmation',
      greeting: 'Guten Morgen, Frau Schmidt',
      kind: 'come',
      time: 1795842000,
      sequence: 41,
      clockUnsynced: false,
    });
    // gone after its display time, back to the buttons
    const cleared = await events.next((v) => v.overlay === null && events.views.indexOf(v) > events.views.indexOf(shown));
    expect(cleared.waiting).toBe(3);
  });

  it('shows refusals with the German title and a default or given text', async () => {
    const server = await start();
    const events = await stream(server.url);
    server.showRefusal({ reason: 'unknown' });
    const unknown = await events.next((v) => v.overlay?.type === 'refusal');
    expect(unknown.overlay).toMatchObject({ reason: 'unknown', title: 'Karte unbekannt' });
    server.showRefusal({ reason: 'revoked', text: 'Bitte melden Sie sich bei Frau Weber.' });
    const revoked = await events.next((v) => v.overlay?.type === 'refusal' && v.overlay.reason === 'revoked');
    expect(revoked.overlay).toMatchObject({ title: 'Karte gesperrt', text: 'Bitte melden Sie sich bei Frau Weber.' });
    expect(server.view().overlay).toMatchObject({ reason: 'revoked' });
  });

  it('takes button presses as POST /kind and tells the listener', async () => {
    const server = await start();
    const chosen: BookingKind[] = [];
    server.onKindSelected((kind) => chosen.push(kind));
    const events = await stream(server.url);
    const response = await post(server.url, JSON.stringify({ kind: 'breakStart' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ selectedKind: 'breakStart' });
    expect(chosen).toEqual(['breakStart']);
    await events.next((v) => v.selectedKind === 'breakStart');
  });

  it('refuses bad requests with a counted reason and changes nothing', async () => {
    const server = await start();
    const chosen: BookingKind[] = [];
    server.onKindSelected((kind) => chosen.push(kind));
    expect((await post(server.url, '{"kind":')).status).toBe(400);
    expect((await post(server.url, JSON.stringify({ kind: 'lunch' }))).status).toBe(400);
    expect((await post(server.url, 'null')).status).toBe(400);
    expect((await post(server.url, 'kind=go', { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post(server.url, JSON.stringify({ kind: 'go', pad: 'x'.repeat(2000) }))).status).toBe(413);
    expect(await getWithHost(server.url, 'evil.example:80')).toBe(403);
    expect(await getWithHost(server.url, 'localhost:8470')).toBe(200);
    expect(chosen).toEqual([]);
    expect(server.view().selectedKind).toBe('come');
    expect(server.rejections()).toEqual({ 'bad-json': 1, 'unknown-kind': 2, 'not-json': 1, 'too-large': 1, 'foreign-host': 1 });
  });

  it('ends open event streams on close', async () => {
    const server = await start();
    const controller = new AbortController();
    const response = await fetch(new URL('/events', server.url), { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    await server.close();
    kiosk = null;
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});
