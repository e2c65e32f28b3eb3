/**
 * The booking core: badge -> booking -> outbox -> delivery -> acknowledgement, behind the interfaces of ports.ts.
 *
 * A tap: the UID becomes a pseudonym (pseudonym.ts); the badge must be on the last badge list and not revoked, else
 * it is refused with a reason and nothing is booked; a repeated tap within the debounce shows the earlier
 * confirmation again; the kind is the chosen button or the default by time of day (kinds.ts); the booking is
 * appended to the outbox, and only when that returned is the confirmation shown. A failing outbox shows an error.
 *
 * Delivery: while online, one batch at a time (the oldest unacknowledged bookings, consecutive sequences, up to the
 * transport's limit); sent again after ackTimeoutMs without an acknowledgement, and from the start after every
 * reconnect. Acknowledgements are cumulative; bookings leave the outbox only through them.
 *
 * Plain closures and callbacks: this module runs on Espruino as well as in Node.
 */
import { cancelTimer } from '../../drivers/at-line.ts';
import { badgeListProblem, createBadgeDirectory } from './badge-directory.ts';
import { takeBatch } from './batch.ts';
import { createClockCheck } from './clock-check.ts';
import type { BadgeListMessage, Booking, BookingAckMessage, BookingKind } from './contracts.ts';
import { coreSettings, type CoreSettings } from './defaults.ts';
import { defaultKind, isBookingKind, localHourOf } from './kinds.ts';
import type {
  BadgeListStore,
  BadgeReader,
  BookingOutbox,
  BookingTransport,
  ClockSource,
  CoreTimers,
  Logger,
  FailureReason,
  PseudonymHmac,
  TapOutcome,
  TerminalDisplay,
  TerminalStatus,
} from './ports.ts';
import { badgePseudonym, MAX_UID_BYTES } from './pseudonym.ts';

export interface TerminalCoreOptions {
  outbox: BookingOutbox;
  /** Optional: keeps the badge list across restarts. */
  badgeStore?: BadgeListStore;
  clock: ClockSource;
  hmac: PseudonymHmac;
  transport: BookingTransport;
  display: TerminalDisplay;
  timers: CoreTimers;
  /** Optional: taps may also come through TimeClockTerminal.tap. */
  reader?: BadgeReader;
  log?: Logger;
  settings?: Partial<CoreSettings>;
  /** Local hour of a Unix time; default: Date's getHours (the host's time zone). */
  localHour?: (unixS: number) => number;
}

export interface TimeClockTerminal {
  tap(uid: Uint8Array): TapOutcome;
  /** A button: the next tap within kindSelectionMs books this kind. */
  selectKind(kind: BookingKind): void;
  status(): TerminalStatus;
  /** Rejections and other events by reason, e.g. { unknownBadge: 2, resend: 1 }. */
  counters(): Record<string, number>;
  /** Stops timers; later taps fail and transport events are ignored. Reader and transport are their owner's to close. */
  stop(): void;
}

interface RecentTap {
  atMs: number;
  /** Button presses seen when it was booked: a press since then makes the next tap a new booking. */
  selections: number;
  outcome: TapOutcome;
}

const MESSAGES = {
  unknownBadge: 'Badge not known: please ask the personnel office to register it. Nothing was booked.',
  revokedBadge: 'Badge blocked: please ask the personnel office. Nothing was booked.',
  noBadgeList: 'Terminal not ready (no badge list yet): nothing was booked. Please use another terminal or tell the administrator.',
  storageFailed: 'Booking could NOT be saved: please try again or use another terminal, and tell the administrator.',
  badUid: 'Badge could not be read: please tap again.',
  internalError: 'Booking could NOT be made (terminal error): please use another terminal and tell the administrator.',
};

export function createTerminal(options: TerminalCoreOptions): TimeClockTerminal {
  const settings = coreSettings(options.settings);
  const outbox = options.outbox;
  const transport = options.transport;
  const display = options.display;
  const timers = options.timers;
  const log: Logger = options.log || function () {};
  const localHour = options.localHour || localHourOf;
  const clock = createClockCheck(options.clock, settings);
  const badges = createBadgeDirectory();
  const counts: Record<string, number> = {};
  let recent: Record<string, RecentTap> = {};

  let stopped = false;
  let online = false;
  /** Highest sequence of the batch in flight, 0 when none. */
  let inFlightThrough = 0;
  let ackTimer: unknown;
  let chosenKind: BookingKind | null = null;
  let chosenAtMs = 0;
  let selections = 0;
  let selectionTimer: unknown;
  let lastClockSynced = true;

  function count(reason: string): void {
    counts[reason] = (counts[reason] || 0) + 1;
  }

  function safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      count('displayError');
      log('error', what + ' failed: ' + String((error as Error).message || error));
    }
  }

  function currentKind(nowMs: number): { kind: BookingKind; chosen: boolean } {
    if (chosenKind !== null && nowMs - chosenAtMs < settings.kindSelectionMs) return { kind: chosenKind, chosen: true };
    return { kind: defaultKind(localHour(options.clock.now()), settings.goFromHour), chosen: false };
  }

  function pendingCount(): number {
    try {
      return outbox.pendingCount();
    } catch (error) {
      log('error', 'outbox: cannot count pending bookings: ' + String((error as Error).message));
      return -1;
    }
  }

  function status(): TerminalStatus {
    const reading = clock.read();
    lastClockSynced = reading.synced;
    const kind = currentKind(timers.monotonicMs());
    return {
      online: online,
      pending: pendingCount(),
      clockSynced: reading.synced,
      clockProblem: reading.problem,
      kind: kind.kind,
      kindChosen: kind.chosen,
      badgeListVersion: badges.version(),
    };
  }

  function showStatus(): void {
    if (stopped) return;
    const current = status();
    safely('display.showStatus', function () {
      display.showStatus(current);
    });
  }

  function showOutcome(outcome: TapOutcome): TapOutcome {
    safely('display.showOutcome', function () {
      display.showOutcome(outcome);
    });
    return outcome;
  }

  // ---- delivery ----

  function clearAckTimer(): void {
    cancelTimer(timers, ackTimer);
    ackTimer = undefined;
  }

  function sendNext(): void {
    if (stopped || !online || inFlightThrough !== 0) return;
    let batch: Booking[];
    try {
      batch = takeBatch(outbox.unacknowledged(transport.maxBatch), transport.maxBatch, transport.maxSpanS);
    } catch (error) {
      count('outboxReadFailed');
      log('error', 'outbox: cannot read pending bookings: ' + String((error as Error).message));
      // try again later: the medium may come back
      clearAckTimer();
      ackTimer = timers.setTimeout(sendNext, settings.ackTimeoutMs);
      return;
    }
    if (batch.length === 0) return;
    inFlightThrough = batch[batch.length - 1]!.sequence;
    ackTimer = timers.setTimeout(function () {
      ackTimer = undefined;
      inFlightThrough = 0;
      count('resend');
      log('warn', 'no acknowledgement for bookings ' + batch[0]!.sequence + '..' + batch[batch.length - 1]!.sequence + ' within ' + settings.ackTimeoutMs + ' ms: sending again');
      sendNext();
    }, settings.ackTimeoutMs);
    try {
      transport.send(batch);
    } catch (error) {
      // the timer above sends it again
      count('sendFailed');
      log('warn', 'transport: send failed: ' + String((error as Error).message));
    }
  }

  function onOnline(isOnline: boolean): void {
    if (stopped) return;
    online = isOnline;
    clearAckTimer();
    // after a reconnect the batch in flight may be lost: send from the oldest again (the ledger is idempotent)
    inFlightThrough = 0;
    log('info', isOnline ? 'online' : 'offline');
    showStatus();
    sendNext();
  }

  function ackProblem(ack: BookingAckMessage): string | null {
    if (!ack || typeof ack !== 'object') return 'not an object';
    const through = ack.ackedThrough;
    if (typeof through !== 'number' || !(through >= 0) || Math.floor(through) !== through) return 'ackedThrough is not a whole number >= 0';
    if (ack.serverTime !== null && ack.serverTime !== undefined && (typeof ack.serverTime !== 'number' || !(ack.serverTime >= 0))) return 'serverTime is not a number >= 0 or null';
    return null;
  }

  function onAck(ack: BookingAckMessage): void {
    if (stopped) return;
    const problem = ackProblem(ack);
    if (problem !== null) {
      count('invalidAck');
      log('warn', 'acknowledgement ignored: ' + problem);
      return;
    }
    if (typeof ack.serverTime === 'number') clock.serverTime(ack.serverTime);
    const through = ack.ackedThrough;
    try {
      const next = outbox.nextSequence();
      if (through >= next) {
        // the ledger knows sequences this outbox never gave out (a replaced or wiped terminal): move past them so
        // that no new booking reuses a sequence the ledger would take for a duplicate
        count('ackBeyondSequence');
        log('error', 'ledger acknowledged through ' + through + ' but the next sequence here is ' + next + ': continuing at ' + (through + 1));
        outbox.setNextSequence(through + 1);
      }
      outbox.acknowledge(through);
    } catch (error) {
      count('outboxAckFailed');
      log('error', 'outbox: cannot remove acknowledged bookings: ' + String((error as Error).message));
      return;
    }
    if (inFlightThrough !== 0 && through >= inFlightThrough) {
      clearAckTimer();
      inFlightThrough = 0;
    }
    showStatus();
    sendNext();
  }

  function onBadgeList(list: BadgeListMessage): void {
    if (stopped) return;
    const problem = badgeListProblem(list);
    if (problem !== null) {
      count('invalidBadgeList');
      log('warn', 'badge list ignored: ' + problem);
      return;
    }
    if (!badges.update(list)) return;
    log('info', 'badge list version ' + list.version + ': ' + list.badges.length + ' badges, ' + list.revoked.length + ' revoked');
    if (options.badgeStore) {
      try {
        options.badgeStore.save(list);
      } catch (error) {
        count('badgeStoreFailed');
        log('error', 'cannot keep the badge list: ' + String((error as Error).message));
      }
    }
    showStatus();
  }

  // ---- taps ----

  function refuse(reason: 'unknownBadge' | 'revokedBadge' | 'noBadgeList', badge: string): TapOutcome {
    count(reason);
    log('info', 'tap refused: ' + reason + ' (' + badge + ')');
    return showOutcome({ result: 'refused', reason: reason, badge: badge, message: MESSAGES[reason] });
  }

  function fail(reason: FailureReason, detail: string): TapOutcome {
    count(reason);
    log('error', 'tap failed: ' + reason + ': ' + detail);
    return showOutcome({ result: 'failed', reason: reason, message: MESSAGES[reason] });
  }

  function pruneRecent(nowMs: number): void {
    const kept: Record<string, RecentTap> = {};
    const keys = Object.keys(recent);
    for (let i = 0; i < keys.length; i++) {
      const entry = recent[keys[i]!]!;
      if (nowMs - entry.atMs < settings.debounceMs) kept[keys[i]!] = entry;
    }
    recent = kept;
  }

  function tap(uid: Uint8Array): TapOutcome {
    try {
      return tapUnguarded(uid);
    } catch (error) {
      return fail('internalError', String((error as Error).message || error));
    }
  }

  function tapUnguarded(uid: Uint8Array): TapOutcome {
    if (stopped) return fail('internalError', 'the terminal is stopped');
    if (!uid || uid.length === 0 || uid.length > MAX_UID_BYTES) return fail('badUid', 'UID of ' + (uid ? uid.length : 0) + ' bytes');
    const nowMs = timers.monotonicMs();
    const badge = badgePseudonym(options.hmac, uid);
    const found = badges.lookup(badge);
    if (found.status === 'noList') return refuse('noBadgeList', badge);
    if (found.status === 'revoked') return refuse('revokedBadge', badge);
    if (found.status === 'unknown') return refuse('unknownBadge', badge);

    pruneRecent(nowMs);
    const previous = recent['b' + badge];
    if (previous && previous.selections === selections) {
      count('debounced');
      const again = previous.outcome as { result: 'booked'; booking: Booking; greeting: string; repeated: boolean };
      return showOutcome({ result: 'booked', booking: again.booking, greeting: again.greeting, repeated: true });
    }

    const kind = currentKind(nowMs).kind;
    const reading = clock.read();
    let booking: Booking;
    try {
      booking = outbox.append({ badge: badge, kind: kind, time: reading.time, clockUnsynced: !reading.synced });
    } catch (error) {
      return fail('storageFailed', String((error as Error).message || error));
    }
    // stored: from here on the booking exists, whatever the display does
    chosenKind = null;
    cancelTimer(timers, selectionTimer);
    selectionTimer = undefined;
    const outcome: TapOutcome = { result: 'booked', booking: booking, greeting: found.greeting, repeated: false };
    recent['b' + badge] = { atMs: nowMs, selections: selections, outcome: outcome };
    if (!reading.synced) count('clockUnsynced');
    showOutcome(outcome);
    showStatus();
    sendNext();
    return outcome;
  }

  function selectKind(kind: BookingKind): void {
    if (stopped) return;
    if (!isBookingKind(kind)) {
      count('invalidKind');
      log('warn', 'unknown booking kind ignored: ' + String(kind));
      return;
    }
    chosenKind = kind;
    chosenAtMs = timers.monotonicMs();
    selections++;
    cancelTimer(timers, selectionTimer);
    selectionTimer = timers.setTimeout(function () {
      selectionTimer = undefined;
      chosenKind = null;
      showStatus();
    }, settings.kindSelectionMs);
    showStatus();
  }

  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearAckTimer();
    cancelTimer(timers, selectionTimer);
  }

  // ---- start ----

  if (options.badgeStore) {
    try {
      const saved = options.badgeStore.load();
      if (saved !== null) {
        if (badgeListProblem(saved) === null) badges.update(saved);
        else log('warn', 'the kept badge list is not valid: waiting for the ledger');
      }
    } catch (error) {
      log('error', 'cannot read the kept badge list: ' + String((error as Error).message));
    }
  }
  transport.start({
    online: onOnline,
    ack: onAck,
    badgeList: onBadgeList,
    invalid: function (reason: string, detail: string) {
      count(reason);
      log('warn', 'transport: ' + reason + ': ' + detail);
    },
  });
  if (options.reader) {
    options.reader.onBadge(function (uid: Uint8Array) {
      tap(uid);
    });
  }
  showStatus();
  if (!lastClockSynced) log('warn', 'clock not trusted: bookings are flagged clockUnsynced');

  return {
    tap: tap,
    selectKind: selectKind,
    status: status,
    counters: function () {
      return Object.assign({}, counts);
    },
    stop: stop,
  };
}
