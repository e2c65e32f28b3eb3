/** A minimal Server-Sent Events reader over fetch, for the kiosk server tests: collects `view` events. */
import type { KioskView } from '../../../firmware/timeclock/terminal/kiosk/kiosk-display.ts';

export interface ViewStream {
  views: KioskView[];
  /** Resolves with the first view (already received or coming) that satisfies `check`. */
  next(check: (view: KioskView) => boolean, ms?: number): Promise<KioskView>;
  close(): void;
}

export async function openViewStream(url: string): Promise<ViewStream> {
  const controller = new AbortController();
  const response = await fetch(new URL('/events', url), { signal: controller.signal });
  if (!response.ok || !response.body) throw new Error('GET /events: ' + response.status);
  const views: KioskView[] = [];
  const waiters: { check: (v: KioskView) => boolean; resolve: (v: KioskView) => void }[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!frame.startsWith('event: view\n')) continue;
          const view = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as KioskView;
          views.push(view);
          for (const waiter of waiters.splice(0)) {
            if (waiter.check(view)) waiter.resolve(view);
            else waiters.push(waiter);
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    views,
    next: (check, ms = 3000) => {
      const seen = views.find(check);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no matching view within ' + ms + ' ms')), ms);
        waiters.push({ check, resolve: (v) => (clearTimeout(timer), resolve(v)) });
      });
    },
    close: () => controller.abort(),
  };
}
