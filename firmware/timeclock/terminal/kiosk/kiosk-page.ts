/** The kiosk page: kiosk-page.html with its configuration (kinds, German texts, time zone) filled in. */
import { readFileSync } from 'node:fs';
import { BOOKING_KINDS } from '../../core/contracts.ts';
import { KIND_LABELS, PAGE_TEXTS } from './labels.ts';

export interface KioskPageConfig {
  timeZone: string | null;
}

const TEMPLATE_URL = new URL('./kiosk-page.html', import.meta.url);
const PLACEHOLDER = '"__KIOSK_CONFIG__"';

export function renderKioskPage(config: KioskPageConfig): string {
  const template = readFileSync(TEMPLATE_URL, 'utf8');
  const json = JSON.stringify({ kinds: BOOKING_KINDS, labels: KIND_LABELS, texts: PAGE_TEXTS, timeZone: config.timeZone });
  // Inside <script>, "<" must not open a tag: JSON allows the escape.
  return template.replace(PLACEHOLDER, () => json.replace(/</g, '\\u003c'));
}
