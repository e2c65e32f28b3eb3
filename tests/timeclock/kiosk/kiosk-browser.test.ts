/**
 * The kiosk page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), wired to the real
 * booking core: a card number written to the stdin-style reader → core (pseudonym, badge list, outbox) → kiosk
 * display adapter → Server-Sent Events → the page's DOM. Measures tap-to-confirmation latency and saves screenshots.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTerminal, type TimeClockTerminal } from '../../../firmware/timeclock/core/index.ts';
import type { BookingKind } from '../../../firmware/timeclock/core/contracts.ts';
import type { CoreTimers } from '../../../firmware/timeclock/core/ports.ts';
import { startKioskServer, type KioskServer } from '../../../firmware/timeclock/terminal/kiosk/kiosk-server.ts';
import { KIND_LABELS } from '../../../firmware/timeclock/terminal/kiosk/labels.ts';
import { forwardKindSelection, kioskTerminalDisplay } from '../../../firmware/timeclock/terminal/kiosk/terminal-display.ts';
import { createLineBadgeReader } from '../../../firmware/timeclock/terminal/readers/line-reader.ts';
import type { BadgeReader } from '../../../firmware/timeclock/terminal/readers/badge-reader.ts';
import { FakeClock, FakeTransport, MemoryOutbox, pseudonymOf, testHmac, type Journal } from '../core/fakes.ts';

// Browser globals used inside page.evaluate callbacks (they run in Chromium; the root project has no DOM types).
interface PageElement {
  classList: { contains(name: string): boolean };
  dataset: Record<string, string | undefined>;
  textContent: string | null;
}
declare const document: { getElementById(id: string): PageElement | null; body: unknown };
declare const window: unknown;
declare function requestAnimationFrame(callback: () => void): number;
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: Record<string, boolean>): void;
  disconnect(): void;
}

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`kiosk browser test skipped: ${CHROMIUM} is missing (Debian package: chromium)`);

/** 2027-01-15 07:58:00 in Berlin (CET). */
const BOOKING_TIME = Date.UTC(2027, 0, 15, 6, 58, 0) / 1000;
const SCHMIDT = '0077740828'; // UID 04 A2 3B 1C
const WEBER = '04A23B1D';
const REVOKED = '0411223344556A';
const UNKNOWN = '1234567890';
const uidOf = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

const realTimers: CoreTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  monotonicMs: () => performance.now(),
};

describe.skipIf(!HAVE_CHROMIUM)('kiosk page in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let kiosk: KioskServer;
  let terminal: TimeClockTerminal;
  let reader: BadgeReader;
  const input = new PassThrough();
  const journal: Journal = [];
  const outbox = new MemoryOutbox(journal);
  const transport = new FakeTransport(50);
  /** Tap to the confirmation painted (two animation frames after the DOM change), and tap to the DOM change. */
  const latencies: number[] = [];
  const domLatencies: number[] = [];
  const shots = mkdtempSync(join(tmpdir(), 'stadtsensor-kiosk-'));

  beforeAll(async () => {
    kiosk = await startKioskServer({ port: 0, timeZone: 'Europe/Berlin', confirmationMs: 4000, refusalMs: 4000 });
    reader = createLineBadgeReader(input);
    terminal = createTerminal({
      outbox,
      clock: new FakeClock(BOOKING_TIME, true),
      hmac: testHmac(),
      transport,
      display: kioskTerminalDisplay(kiosk),
      timers: realTimers,
      reader,
      localHour: (t) => Number(new Intl.DateTimeFormat('en-GB', { hour: 'numeric', timeZone: 'Europe/Berlin' }).format(t * 1000)),
    });
    forwardKindSelection(kiosk, terminal);
    transport.badgeList({
      version: 1,
      badges: [
        { badge: pseudonymOf(uidOf('04a23b1c')), greeting: 'Guten Morgen, Frau Schmidt' },
        { badge: pseudonymOf(uidOf('04a23b1d')), greeting: 'Guten Morgen, Herr Weber' },
      ],
      revoked: [pseudonymOf(uidOf('0411223344556a'))],
    });
    transport.online(true);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    // the Raspberry Pi Touch Display's 800 × 480
    page = await browser.newPage({ viewport: { width: 800, height: 480 }, timezoneId: 'Europe/Berlin', locale: 'de-DE' });
    await page.goto(kiosk.url);
  });

  afterAll(async () => {
    const summary = (values: number[]): string => {
      const sorted = [...values].sort((a, b) => a - b);
      return `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`;
    };
    if (latencies.length > 0) {
      console.log(`kiosk confirmation latency over ${latencies.length} taps, reader input to DOM: ${summary(domLatencies)}; to painted frame: ${summary(latencies)}`);
    }
    console.log('kiosk screenshots: ' + shots);
    await browser?.close();
    terminal?.stop();
    await reader?.close();
    await kiosk?.close();
  });

  /** Taps a card and resolves with the ms from the reader's input to the page showing the expected confirmation. */
  async function tapAndMeasure(cardNumber: string, kind: BookingKind, greeting: string): Promise<number> {
    const previousId = await page.evaluate(() => document.getElementById('confirmation')!.dataset.id ?? '');
    await page.evaluate(
      ([label, name, previous]) => {
        const w = window as unknown as { seen: Promise<{ dom: number; frame: number }> };
        w.seen = new Promise((resolve, reject) => {
          setTimeout(() => reject(new Error(`no confirmation "${label}" for ${name} within 3 s`)), 3000);
          const section = document.getElementById('confirmation')!;
          const check = (): boolean => {
            const ok =
              section.classList.contains('visible') &&
              section.dataset.id !== previous &&
              document.getElementById('confirmation-kind')!.textContent === label &&
              document.getElementById('confirmation-greeting')!.textContent === name;
            if (ok) {
              const dom = Date.now();
              // two animation frames later the changed DOM has been painted
              requestAnimationFrame(() => requestAnimationFrame(() => resolve({ dom, frame: Date.now() })));
            }
            return ok;
          };
          if (!check()) {
            const observer = new MutationObserver(() => check() && observer.disconnect());
            observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
          }
        });
      },
      [KIND_LABELS[kind], greeting, previousId] as const,
    );
    const tappedAt = Date.now();
    input.write(cardNumber + '\n');
    const shown = await page.evaluate(() => (window as unknown as { seen: Promise<{ dom: number; frame: number }> }).seen);
    domLatencies.push(shown.dom - tappedAt);
    return shown.frame - tappedAt;
  }

  it('loads the page with the clock and five large kind buttons', async () => {
    expect(await page.title()).toBe('Zeiterfassung');
    const labels = await page.locator('#buttons button').allTextContents();
    expect(labels).toEqual(['Kommen', 'Gehen', 'Pause Anfang', 'Pause Ende', 'Dienstgang']);
    for (const button of await page.locator('#buttons button').all()) {
      const box = (await button.boundingBox())!;
      expect(box.height).toBeGreaterThanOrEqual(60); // large touch targets even on 800 × 480
      expect(box.width).toBeGreaterThanOrEqual(200);
    }
    await expect.poll(() => page.locator('#clock').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    // the core's default before noon (07:58): Kommen
    await expect.poll(() => page.locator('button[aria-pressed="true"]').textContent()).toBe('Kommen');
    await expect.poll(() => page.locator('#offline-banner').isVisible()).toBe(false);
    await page.screenshot({ path: join(shots, 'kiosk-idle.png') });
  });

  it('sends a button press to the core, which books that kind on the next tap', async () => {
    await page.getByRole('button', { name: 'Pause Anfang' }).click();
    await expect.poll(() => terminal.status()).toMatchObject({ kind: 'breakStart', kindChosen: true });
    await expect.poll(() => page.locator('button[aria-pressed="true"]').textContent()).toBe('Pause Anfang');

    const latency = await tapAndMeasure(SCHMIDT, 'breakStart', 'Guten Morgen, Frau Schmidt');
    latencies.push(latency);
    expect(latency).toBeLessThan(1000);
    expect(await page.locator('#confirmation-time').textContent()).toBe('07:58 Uhr');
    expect(await page.locator('#confirmation-sequence').textContent()).toBe('Buchung Nr. 1');
    // stored before it was shown, and stored with the chosen kind
    expect(outbox.rows.map((b) => [b.sequence, b.kind])).toEqual([[1, 'breakStart']]);
    await page.screenshot({ path: join(shots, 'kiosk-confirmation.png') });
  });

  it('shows every confirmation within 1 s of the tap', async () => {
    const kinds: BookingKind[] = ['breakEnd', 'go', 'errand', 'come', 'breakStart', 'breakEnd', 'go', 'errand'];
    for (const [i, kind] of kinds.entries()) {
      // a button press between taps of the same card makes each a new booking (no debounce)
      const response = await page.evaluate((k) => fetch('/kind', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: k }) }).then((r) => r.status), kind);
      expect(response).toBe(200);
      const [card, greeting] = i % 2 === 0 ? [WEBER, 'Guten Morgen, Herr Weber'] : [SCHMIDT, 'Guten Morgen, Frau Schmidt'];
      latencies.push(await tapAndMeasure(card, kind, greeting));
    }
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(outbox.rows.map((b) => b.kind)).toEqual(['breakStart', ...kinds]);
  });

  it('refuses an unknown and a revoked badge clearly, booking nothing', async () => {
    const before = outbox.rows.length;
    input.write(UNKNOWN + '\n');
    await expect.poll(() => page.locator('#refusal[data-reason="unknown"]').isVisible()).toBe(true);
    expect(await page.locator('#refusal-title').textContent()).toBe('Karte unbekannt');
    expect(await page.locator('#confirmation').isVisible()).toBe(false);
    await page.screenshot({ path: join(shots, 'kiosk-refusal.png') });

    input.write(REVOKED + '\n');
    await expect.poll(() => page.locator('#refusal[data-reason="revoked"]').isVisible()).toBe(true);
    expect(await page.locator('#refusal-title').textContent()).toBe('Karte gesperrt');
    expect(outbox.rows.length).toBe(before);
    expect(terminal.counters()).toMatchObject({ unknownBadge: 1, revokedBadge: 1 });
  });

  it('shows the offline banner with the bookings waiting, and hides it when the ledger has them', async () => {
    transport.online(false);
    const waiting = outbox.rows.length;
    await expect.poll(() => page.locator('#offline-banner').isVisible()).toBe(true);
    expect(await page.locator('#offline-waiting').textContent()).toBe(`${waiting} Buchungen warten auf Übertragung.`);
    // let the refusal go, so the screenshot shows the buttons under the banner
    await expect.poll(() => page.locator('#refusal').isVisible(), { timeout: 6000 }).toBe(false);
    await page.screenshot({ path: join(shots, 'kiosk-offline.png') });

    transport.online(true);
    transport.ack(waiting);
    await expect.poll(() => page.locator('#offline-banner').isVisible()).toBe(false);
    expect(outbox.pendingCount()).toBe(0);
  });

  it('shows that the terminal process is away when the event stream breaks', async () => {
    await kiosk.close();
    await expect.poll(() => page.locator('#terminal-down').isVisible()).toBe(true);
    expect(await page.locator('#terminal-down').textContent()).toContain('Das Terminal startet neu');
  });
});
