/**
 * LoRa-only time clock: an Espruino board with an MFRC522 badge reader (SPI), five booking buttons, a buzzer and
 * LEDs (no screen), and a RAK3172 in LoRa P2P, for sites without a network cable. The booking core
 * (firmware/timeclock/core) makes the bookings; they wait in Storage (storage-outbox.ts) until the ledger's
 * bookingAck, which comes back as an ABP downlink, removes them; the LoRa link is the Pi terminal's
 * (timeclock/terminal/lora/booking-link.ts: bookingBatch uplinks, a receive window after each).
 *
 * Provisioning (Storage, written by `stadtsensor flash` or over the REPL before the bundle):
 * - `ss.keys`: the P2P keys of a node ({network: 'p2p', devAddr, nwkSKey, appSKey, p2p}) plus `pseudonymKey`
 *   (32 to 128 hex digits: the badge pseudonyms' HMAC key, the same as the ledger's terminals use) and optionally
 *   `timeZoneHours` (the local time for the default come/go kind).
 * - `tc.badges`: the BadgeListMessage JSON the ledger exports (pseudonyms and greetings only). The list does not
 *   travel over LoRa: without it every tap is refused (noBadgeList).
 * The clock comes from the acks (clock.ts); bookings made before the first one are flagged clockUnsynced.
 */
import { fromHex } from '../../../payload-schema/generated/firmware/payload.js';
import { buttons as buttonPins, buzzer as buzzerPin, leds, modem as modemPins, nrf52, rfid } from 'stadtsensor:board';
import { connect } from 'stadtsensor:modem';
import { RADIO_P2P } from '../../core/radio.ts';
import type { P2PSettings } from '../../drivers/modem.ts';
import { createConsoleLogger } from '../../platform/log.ts';
import { modemSerial, resetModem, storage, timers } from '../../platform/espruino.ts';
import { badgeListProblem } from '../../timeclock/core/badge-directory.ts';
import type { BadgeListMessage } from '../../timeclock/core/contracts.ts';
import type { BookingTransport, TransportEvents } from '../../timeclock/core/ports.ts';
import { createTerminal } from '../../timeclock/core/terminal-core.ts';
import { createLoraBookingLink, LORA_LINK_DEFAULTS } from '../../timeclock/terminal/lora/booking-link.ts';
import { watchButtons } from './buttons.ts';
import { coreTimers, createTerminalClock } from './clock.ts';
import { createFeedback } from './feedback.ts';
import { createHmacSha256 } from './hmac-sha256.ts';
import { createLoraState } from './lora-state.ts';
import { startRfidReader } from './rfid-reader.ts';
import { createStorageOutbox, type BookingStorage } from './storage-outbox.ts';

/** The STM32 watchdog (Pico) allows at most 26 s. */
const WATCHDOG_S = 20;
const BADGES_FILE = 'tc.badges';
/** The modem boots with the board: its banner comes about a second after power-on (as the node core waits). */
const MODEM_BOOT_MS = 1500;

interface TerminalKeys {
  network: string;
  devAddr: string;
  nwkSKey: string;
  appSKey: string;
  p2p: P2PSettings;
  pseudonymKey: string;
  timeZoneHours?: number;
}

const logger = createConsoleLogger('info');
const log = logger.log;
const pins = global as unknown as Record<string, Pin>;

function readJson(name: string): unknown {
  try {
    const text = storage.read(name);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function start(keys: TerminalKeys): void {
  if (typeof keys.timeZoneHours === 'number') E.setTimeZone(keys.timeZoneHours);
  const flash = require('Storage') as unknown as BookingStorage;
  const crypto = (require as unknown as (name: string) => { SHA256(data: Uint8Array): ArrayBuffer })('crypto');
  const clock = createTerminalClock(LORA_LINK_DEFAULTS.maxAckAgeMs / 1000);
  const coreTimer = coreTimers(clock);
  const feedback = createFeedback(pins[buzzerPin!.pin]!, pins[leds[leds.length - 1]!]!, pins[leds[0]!]!);

  const serial = modemSerial();
  const modem = connect(serial, timers, { log: log, hardReset: resetModem });
  const link = createLoraBookingLink({
    modem: modem,
    p2p: keys.p2p,
    keys: { devAddr: keys.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey },
    state: createLoraState(storage),
    timers: coreTimer,
    log: log,
  });
  // the ledger's time rides on the acks: set the clock before the core checks it against serverTime
  const transport: BookingTransport = {
    maxBatch: link.maxBatch,
    maxSpanS: link.maxSpanS,
    start: function (events: TransportEvents): void {
      link.start({
        online: events.online,
        ack: function (ack) {
          if (ack.serverTime !== null && clock.ledgerTime(ack.serverTime)) log('info', 'clock set from the ledger: ' + ack.serverTime);
          events.ack(ack);
        },
        badgeList: events.badgeList,
        invalid: events.invalid,
      });
    },
    send: link.send,
  };

  const saved = readJson(BADGES_FILE);
  const badgeList = saved !== null && badgeListProblem(saved) === null ? (saved as BadgeListMessage) : null;
  if (badgeList === null) log('error', 'no valid badge list in Storage (' + BADGES_FILE + '): every tap is refused');

  const terminal = createTerminal({
    outbox: createStorageOutbox(flash),
    badgeStore: {
      load: function () {
        return badgeList;
      },
      save: function () {
        // lists come only with provisioning
      },
    },
    clock: clock,
    hmac: createHmacSha256(fromHex(keys.pseudonymKey), crypto.SHA256),
    transport: transport,
    display: feedback,
    timers: coreTimer,
    reader: startRfidReader(rfid!, pins, log),
    log: log,
  });
  watchButtons(buttonPins!, pins, function (kind) {
    feedback.click();
    terminal.selectKind(kind);
  });
}

E.enableWatchdog(WATCHDOG_S, false);
setInterval(function () {
  E.kickWatchdog();
}, (WATCHDOG_S * 1000) / 2);
// Bluetooth offers the REPL, which reads the keys: off (power up with the button held to reach it again)
if (nrf52) NRF.sleep();
// the modem's reset line high (released) from the start
digitalWrite(pins[modemPins.reset]!, 1);

const keys = readJson('ss.keys') as TerminalKeys | null;
if (!RADIO_P2P) {
  // the terminal builds its own ABP frames for a P2P gateway: a LoRaWAN build has nothing to send them with
  log('error', 'timeclock-lora runs on LoRa P2P only: build it with --radio p2p');
} else if (!keys || keys.network !== 'p2p' || typeof keys.pseudonymKey !== 'string' || !/^[0-9a-fA-F]+$/.test(keys.pseudonymKey) || keys.pseudonymKey.length % 2 !== 0) {
  log('error', 'no P2P keys with a pseudonymKey: provision the terminal (Storage file ss.keys)');
} else {
  setTimeout(function () {
    start(keys);
  }, MODEM_BOOT_MS);
}
