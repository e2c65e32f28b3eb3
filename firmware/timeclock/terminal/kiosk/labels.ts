/** The kiosk's German texts, in one place; the page receives them with its configuration. */
import type { BookingKind } from '../../core/contracts.ts';
import type { RefusalReason } from './kiosk-display.ts';

export const KIND_LABELS: Record<BookingKind, string> = {
  come: 'Kommen',
  go: 'Gehen',
  breakStart: 'Pause Anfang',
  breakEnd: 'Pause Ende',
  errand: 'Dienstgang',
};

export const REFUSAL_TITLES: Record<RefusalReason, string> = {
  unknown: 'Karte unbekannt',
  revoked: 'Karte gesperrt',
  error: 'Buchung nicht möglich',
};

export const REFUSAL_TEXTS: Record<RefusalReason, string> = {
  unknown: 'Diese Karte ist nicht freigeschaltet. Bitte wenden Sie sich an die Personalstelle.',
  revoked: 'Diese Karte ist gesperrt. Bitte wenden Sie sich an die Personalstelle.',
  error: 'Die Buchung wurde nicht gespeichert. Bitte versuchen Sie es noch einmal.',
};

export const PAGE_TEXTS = {
  title: 'Zeiterfassung',
  prompt: 'Buchungsart wählen und Karte auflegen',
  booked: 'Gebucht',
  timeSuffix: 'Uhr',
  sequence: 'Buchung Nr.',
  clockUnsynced: 'Uhrzeit des Terminals nicht synchronisiert: die Buchung ist markiert und wird geprüft.',
  offline: 'Keine Verbindung zum Server. Buchungen werden gespeichert und später übertragen.',
  waitingOne: '1 Buchung wartet auf Übertragung.',
  waitingMany: '{n} Buchungen warten auf Übertragung.',
  clockBanner: 'Uhrzeit nicht synchronisiert: Buchungen werden markiert und geprüft.',
  terminalDown: 'Das Terminal startet neu … bitte einen Moment warten.',
};

/** German texts for the core's refusal and failure reasons (the core's own messages are English defaults). */
export const OUTCOME_TEXTS = {
  noBadgeList: 'Das Terminal ist noch nicht bereit (keine Kartenliste). Nichts wurde gebucht. Bitte ein anderes Terminal benutzen.',
  storageFailed: 'Die Buchung konnte NICHT gespeichert werden. Bitte noch einmal versuchen oder ein anderes Terminal benutzen.',
  badUid: 'Die Karte konnte nicht gelesen werden. Bitte noch einmal auflegen.',
  internalError: 'Terminalfehler: nichts wurde gebucht. Bitte ein anderes Terminal benutzen und die IT verständigen.',
};
