import { describe, expect, it } from 'vitest';
import { parseDownlink } from '../../../firmware/core/lorawan-abp.ts';
import { buildAbpDownlink } from '../../../gateway-bridge/src/downlink/abp-downlink.ts';
import { DownlinkQueue } from '../../../gateway-bridge/src/downlink/downlink-queue.ts';
import { parseDownlinkRequest } from '../../../gateway-bridge/src/downlink/downlink-request.ts';
import { codec } from '../../../payload-schema/src/codec.ts';

const keys = { devAddr: '26011bda', nwkSKey: '3b7e151628aed2a6abf7158809cf4f3c', appSKey: '4b7e151628aed2a6abf7158809cf4f3c' };
const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const session = (expected: number) => ({
  devAddr: hexBytes(keys.devAddr),
  nwkSKey: hexBytes(keys.nwkSKey),
  appSKey: hexBytes(keys.appSKey),
  fCntDownExpected: expected,
});
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('downlink requests from MQTT', () => {
  it('encodes a config downlink with the schema, as the formatter does', () => {
    const parsed = parseDownlinkRequest('road-3', utf8('{"deviceConfig":{"sendInterval":600}}'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const expected = codec.encodeDownlink({ deviceConfig: { sendInterval: 600 } });
    if (!expected.ok) throw new Error('codec refused the example');
    expect(parsed.request.port).toBe(expected.port);
    expect(Array.from(parsed.request.payload)).toEqual(Array.from(expected.bytes));
    expect(codec.decodeDownlink(parsed.request.port, parsed.request.payload)).toMatchObject({ ok: true, data: { deviceConfig: { sendInterval: 600 } } });
  });

  it.each([
    ['not JSON', '{deviceConfig', /not JSON/],
    ['an uplink message', '{"roadClimate":{}}', /downlink refused/],
    ['an out-of-range value', '{"deviceConfig":{"sendInterval":-5}}', /downlink refused: .*sendInterval/],
    ['two messages at once', '{"deviceConfig":{},"bookingAck":{}}', /downlink refused/],
  ])('refuses %s with a reason', (_what, body, message) => {
    const parsed = parseDownlinkRequest('road-3', utf8(body));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('refuses an oversized body before parsing it', () => {
    const parsed = parseDownlinkRequest('road-3', new Uint8Array(5000).fill(0x20));
    expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/at most 4096/) });
  });
});

describe('ABP downlink frames', () => {
  it('are accepted by the firmware: payload decrypted, counter, ACK bit', () => {
    const payload = Uint8Array.from([1, 2, 3, 250]);
    const frame = buildAbpDownlink({ ...keys, fCnt: 7, port: 3, payload, ack: true });
    const opened = parseDownlink(frame, session(7));
    expect(opened).toMatchObject({ fPort: 3, fCnt: 7, ack: true, confirmed: false });
    if (typeof opened === 'string') return;
    expect(Array.from(opened.payload)).toEqual(Array.from(payload));
  });

  it('carries the upper counter bits in the MIC only', () => {
    const frame = buildAbpDownlink({ ...keys, fCnt: 0x10002, port: 3, payload: Uint8Array.from([9]), ack: false });
    expect(frame[6]).toBe(2);
    expect(frame[7]).toBe(0);
    expect(parseDownlink(frame, session(0x10000))).toMatchObject({ fCnt: 0x10002 });
    expect(parseDownlink(frame, session(0x20000))).toBe('replay');
  });

  it('builds an empty ACK without FPort', () => {
    const frame = buildAbpDownlink({ ...keys, fCnt: 1, ack: true });
    expect(frame.length).toBe(12);
    expect(parseDownlink(frame, session(0))).toMatchObject({ fPort: null, ack: true });
  });

  it('is refused by a node with other keys', () => {
    const frame = buildAbpDownlink({ ...keys, fCnt: 1, port: 3, payload: Uint8Array.from([1]), ack: false });
    const other = { ...session(0), nwkSKey: hexBytes('00'.repeat(16)) };
    expect(parseDownlink(frame, other)).toBe('mic');
  });
});

describe('the downlink queue', () => {
  const request = (deviceId: string, n: number) => ({ deviceId, port: 3, payload: Uint8Array.from([n]), confirmed: false });

  it('hands out downlinks per device in order', () => {
    const queue = new DownlinkQueue();
    queue.push(request('a', 1));
    queue.push(request('b', 2));
    queue.push(request('a', 3));
    expect(queue.pending()).toBe(3);
    expect(queue.take('a')?.payload[0]).toBe(1);
    expect(queue.take('a')?.payload[0]).toBe(3);
    expect(queue.take('a')).toBeUndefined();
    expect(queue.pending('b')).toBe(1);
  });

  it('is bounded per device', () => {
    const queue = new DownlinkQueue(2);
    expect(queue.push(request('a', 1))).toBe(true);
    expect(queue.push(request('a', 2))).toBe(true);
    expect(queue.push(request('a', 3))).toBe(false);
    expect(queue.push(request('b', 4))).toBe(true);
    expect(queue.pending('a')).toBe(2);
  });
});
