/** The LoRa booking link on a scripted modem: duty-cycle spacing, the repeat that fetches an ack, stale and forged downlinks. */
import loraPacketModule from 'lora-packet';
import { expect, it } from 'vitest';
import { buildAbpDownlink } from '../../../gateway-bridge/src/downlink/abp-downlink.ts';
import { encodeBookingAck } from '../../../payload-schema/generated/firmware/payload.js';
import type { Modem, ModemError, P2PPacket } from '../../../firmware/drivers/modem.ts';
import type { Booking, BookingAckMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { p2pAirtimeMs } from '../../../firmware/core/airtime.ts';
import { createLoraBookingLink, dutyCycleSpacingMs, type LoraStateStore } from '../../../firmware/timeclock/terminal/lora/booking-link.ts';
import { DEMO_P2P_KEYS } from '../../../tools/simulator/world/keys.ts';
import { ManualTimers } from '../core/fakes.ts';

const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;
const KEYS = { devAddr: DEMO_P2P_KEYS.devAddr, nwkSKey: DEMO_P2P_KEYS.nwkSKey, appSKey: DEMO_P2P_KEYS.appSKey };
const P2P = DEMO_P2P_KEYS.p2p;

function memoryState(): LoraStateStore & { values: Record<string, string> } {
  const values: Record<string, string> = {};
  return {
    values,
    read: (name) => values[name],
    write: (name, value) => {
      values[name] = value;
    },
    downlinkCounter: () => Number(values.down ?? 0),
    setDownlinkCounter: (n) => {
      values.down = String(n);
    },
  };
}

/** A modem that sends at once (recording the frame at its time) and hands each receive window the next scripted downlink. */
function scriptedModem(timers: ManualTimers) {
  const sent: { atMs: number; bytes: Uint8Array }[] = [];
  const downlinks: (Uint8Array | null)[] = [];
  const modem = {
    configureP2P: (_s: unknown, cb: (err: ModemError | null) => void) => timers.setTimeout(() => cb(null), 0),
    sendP2P: (bytes: Uint8Array, cb: (err: ModemError | null) => void) => {
      sent.push({ atMs: timers.nowMs, bytes: new Uint8Array(bytes) });
      timers.setTimeout(() => cb(null), Math.ceil(p2pAirtimeMs(P2P, bytes.length)));
    },
    receiveP2P: (ms: number, cb: (err: ModemError | null, packet?: P2PPacket) => void) => {
      const next = downlinks.shift() ?? null;
      timers.setTimeout(() => (next ? cb(null, { bytes: next, rssi: -80, snr: 7 }) : cb(null)), next ? 600 : ms);
    },
    reset: (cb: (err: ModemError | null) => void) => cb(null),
  } as unknown as Modem;
  return { modem, sent, downlinks };
}

const ack = (fCnt: number, ackedThrough: number, serverTime: number, nwkSKey = KEYS.nwkSKey): Uint8Array =>
  buildAbpDownlink({ devAddr: KEYS.devAddr, nwkSKey, appSKey: KEYS.appSKey, fCnt, port: 41, payload: encodeBookingAck({ ackedThrough, serverTime }), ack: false });

const bookings = (first: number, n: number): Booking[] =>
  Array.from({ length: n }, (_, i) => ({ sequence: first + i, badge: 'a1b2c3d4', kind: 'come', time: 1_800_000_000 + i, clockUnsynced: false }));

function started(settings = {}) {
  const timers = new ManualTimers();
  const radio = scriptedModem(timers);
  const state = memoryState();
  const link = createLoraBookingLink({ modem: radio.modem, p2p: P2P, keys: KEYS, state, timers, settings });
  const acks: BookingAckMessage[] = [];
  const invalid: string[] = [];
  let online = false;
  link.start({ online: (o) => (online = o), ack: (a) => acks.push(a), badgeList: () => undefined, invalid: (reason) => invalid.push(reason) });
  timers.advance(1);
  expect(online).toBe(true);
  return { timers, radio, state, link, acks, invalid };
}

it('sends a bookingBatch ABP uplink the bridge can verify, repeats it once to fetch the ack, and spaces uplinks by the 1 % duty cycle', () => {
  const { timers, radio, link, acks } = started();
  link.send(bookings(1, 6));
  timers.advance(5_000);
  expect(radio.sent).toHaveLength(1);
  const packet = loraPacket.fromWire(Buffer.from(radio.sent[0]!.bytes));
  expect(loraPacket.verifyMIC(packet, Buffer.from(KEYS.nwkSKey, 'hex'))).toBe(true);
  expect(packet.getFPort()).toBe(40);
  // no ack in the first window: the same batch goes again once the sub-band's off time is over
  const spacing = dutyCycleSpacingMs(P2P.freqHz, p2pAirtimeMs(P2P, radio.sent[0]!.bytes.length));
  expect(spacing).toBeGreaterThan(20_000);
  radio.downlinks.push(ack(0, 6, 1_800_000_001));
  timers.advance(spacing * 2);
  expect(radio.sent).toHaveLength(2);
  expect(radio.sent[1]!.atMs - radio.sent[0]!.atMs).toBeGreaterThanOrEqual(spacing);
  expect(Buffer.from(radio.sent[1]!.bytes.subarray(9, -4))).not.toEqual(Buffer.from(radio.sent[0]!.bytes.subarray(9, -4))); // new counter, new keystream
  expect(acks).toEqual([{ ackedThrough: 6, serverTime: 1_800_000_001 }]);
  // covered: nothing more goes out
  timers.advance(spacing * 3);
  expect(radio.sent).toHaveLength(2);
  expect(link.stats()).toMatchObject({ uplinks: 2, repeats: 1, acks: 1 });
});

it('withholds the serverTime of an ack that may be stale, and refuses forged and replayed downlinks', () => {
  const { timers, radio, link, acks, invalid, state } = started({ uplinkSpacingMs: 100, maxAckAgeMs: 60_000 });
  // an ack queued at the bridge before this run (covers nothing this run sent): its time may be hours old
  radio.downlinks.push(ack(5, 4, 1_700_000_000));
  link.send(bookings(5, 2));
  timers.advance(3_000);
  expect(acks).toEqual([{ ackedThrough: 4, serverTime: null }]);
  expect(state.downlinkCounter()).toBe(6);
  // forged (wrong key) and replayed (old counter) frames: counted, no ack, counter unchanged
  // (the link repeated the batch once and gave up: the core's resend sends it again)
  radio.downlinks.push(ack(6, 6, 1_800_000_000, '00'.repeat(16)), ack(5, 6, 1_800_000_000));
  link.send(bookings(5, 2));
  timers.advance(6_000);
  expect(invalid).toEqual(['loraDownlink-mic', 'loraDownlink-replay']);
  expect(acks).toHaveLength(1);
  expect(state.downlinkCounter()).toBe(6);
  expect(link.stats().downlinksRejected).toBe(2);
  expect(() => link.send(bookings(1, 7))).toThrow(/1\.\.6 bookings/);
});
