import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bookingBatch, deviceStatus, roadClimate } from '../../../payload-schema/src/catalog/index.ts';
import { decode, encode } from '../../../payload-schema/src/codec.ts';
import { EventBuilder, eventId, eventIdOf, unitsOf, type BuildResult } from '../../../gateway-bridge/src/events/event-builder.ts';
import { FrameProcessor } from '../../../gateway-bridge/src/lorawan/frame-processor.ts';
import { DeviceRegistry } from '../../../gateway-bridge/src/lorawan/registry.ts';
import type { AcceptedFrame, BridgeEvent, Rejection } from '../../../gateway-bridge/src/types.ts';
import { keysIn, roadClimatePayload, rx, statusPayload, uplink, vectorDevice } from '../lorawan/support.ts';

const registry = new DeviceRegistry([vectorDevice()]);
const device = registry.byId('road-3')!;

function frame(overrides: Partial<AcceptedFrame> = {}): AcceptedFrame {
  return {
    device,
    fCnt: 812,
    fPort: 20,
    payload: roadClimatePayload(),
    confirmed: false,
    counterReset: false,
    rx: [rx()],
    input: 'serial',
    ...overrides,
  };
}

function ok(result: BuildResult): BridgeEvent {
  if (!result.ok) throw new Error(`expected an event, got ${JSON.stringify(result.rejection)}`);
  return result.event;
}

function refused(result: BuildResult): Rejection {
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
}

describe('EventBuilder', () => {
  it('decodes an accepted frame into an event, derived values included', () => {
    const f = frame({ fCnt: 70_001, confirmed: true, counterReset: true });
    const event = ok(new EventBuilder().build(f));
    const expected = decode(20, f.payload);
    if (!expected.ok) throw expected.error;
    expect(event.data).toEqual(expected.data);
    expect(event.data).toMatchObject({ air: { temperature: -1.5, relativeHumidity: 93.5 }, iceRisk: 'risk' });
    expect(typeof (event.data.air as { dewPoint: unknown }).dewPoint).toBe('number');
    expect(event).toMatchObject({
      port: 20,
      message: 'roadClimate',
      fCnt: 70_001,
      confirmed: true,
      counterReset: true,
      payloadHex: Buffer.from(f.payload).toString('hex'),
      input: 'serial',
      device: {
        id: 'road-3',
        name: 'Road climate B 27',
        devEui: '70b3d57ed0000003',
        devAddr: '49be7df1',
        type: 'roadClimate',
        location: { latitude: 48.52, longitude: 9.05, description: 'B 27 bridge' },
      },
    });
    expect(event.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives units by dotted path, derived values included', () => {
    const event = ok(new EventBuilder().build(frame()));
    expect(event.units).toEqual({
      'air.temperature': 'Cel',
      'air.relativeHumidity': '%RH',
      'surface.temperature': 'Cel',
      battery: 'V',
      'air.dewPoint': 'Cel',
      'air.frostPoint': 'Cel',
    });
  });

  it('names list item units with [] and leaves out fields without a unit', () => {
    expect(unitsOf(bookingBatch)).toEqual({ baseTime: 's', 'bookings[].offset': 's' });
    expect(unitsOf(deviceStatus)).toEqual({ battery: 'V', uptime: 's' });
    expect(unitsOf(roadClimate)['iceRisk']).toBeUndefined();
  });

  it('decodes a list message and maps its units', () => {
    const bytes = encode(40, {
      sequence: 41,
      baseTime: 1_736_920_800,
      bookings: [
        { badge: '0a1b2c3d', kind: 'come', offset: 0, clockUnsynced: false },
        { badge: '0a1b2c3e', kind: 'go', offset: 3600, clockUnsynced: false },
      ],
    });
    if (!bytes.ok) throw bytes.error;
    const event = ok(new EventBuilder().build(frame({ fPort: 40, payload: bytes.bytes })));
    expect(event.message).toBe('bookingBatch');
    expect((event.data.bookings as { offset: number }[])[1]!.offset).toBe(3600);
    expect(event.units['bookings[].offset']).toBe('s');
  });

  it('each event gets its own units object (the per-port cache is not shared out)', () => {
    const builder = new EventBuilder();
    const a = ok(builder.build(frame()));
    a.units['air.temperature'] = 'K';
    const b = ok(builder.build(frame({ fCnt: 813 })));
    expect(b.units['air.temperature']).toBe('Cel');
  });

  it('orders receivers best first and takes the receive time of the best', () => {
    const weak = rx({ gatewayId: 'rak-1', snr: -3, rssi: -118 });
    const strong = rx({ gatewayId: 'rak-2', snr: 8.5, rssi: -90 });
    const event = ok(new EventBuilder().build(frame({ rx: [weak, strong] })));
    expect(event.rx.map((r) => r.gatewayId)).toEqual(['rak-2', 'rak-1']);
    expect(event.receivedAt).toBe(strong.receivedAt);
  });

  it('without any rx, takes the receive time from its clock', () => {
    const builder = new EventBuilder({ now: () => Date.parse('2025-02-01T12:00:00.250Z') });
    const event = ok(builder.build(frame({ rx: [], input: 'ttn' })));
    expect(event.receivedAt).toBe('2025-02-01T12:00:00.250Z');
    expect(event.rx).toEqual([]);
  });

  it('rejects an unknown port and a downlink port as unknown-port', () => {
    const builder = new EventBuilder();
    const unknown = refused(builder.build(frame({ fPort: 99, payload: new Uint8Array([1, 2]) })));
    expect(unknown).toMatchObject({ reason: 'unknown-port', port: 99, device: 'road-3', devEui: '70b3d57ed0000003', fCnt: 812, raw: '0102' });
    expect(unknown.detail).toBe('FPort 99 of road-3: unknown FPort 99');
    const downlink = refused(builder.build(frame({ fPort: 3, payload: new Uint8Array([1, 2]) })));
    expect(downlink.reason).toBe('unknown-port');
    expect(downlink.detail).toContain('is for downlinks');
  });

  it('rejects a payload the schema refuses as payload-invalid, with the PayloadError text', () => {
    const heard = rx({ gatewayId: 'rak-9' });
    const r = refused(new EventBuilder().build(frame({ payload: new Uint8Array([0xff, 0xff]), rx: [heard] })));
    expect(r).toMatchObject({ reason: 'payload-invalid', port: 20, gatewayId: 'rak-9', receivedAt: heard.receivedAt, input: 'serial' });
    const error = decode(20, new Uint8Array([0xff, 0xff]));
    expect(error.ok).toBe(false);
    if (!error.ok) expect(r.detail).toBe(`payload of road-3 on FPort 20 (roadClimate): ${error.error.message}`);
  });

  it('takes frames from the frame processor end to end (published vector and a catalog frame)', () => {
    const processor = new FrameProcessor({ registry });
    const builder = new EventBuilder();
    const vector = processor.process({ phyPayload: Buffer.from('40F17DBE4900020001954378762B11FF0D', 'hex'), rx: rx() });
    if (vector.kind !== 'accepted') throw new Error(vector.kind);
    // "test" on FPort 1 is not a 15-byte device status
    expect(refused(builder.build(vector.frame))).toMatchObject({ reason: 'payload-invalid', port: 1, fCnt: 2, raw: '74657374' });

    const status = processor.process({ phyPayload: uplink({ fCnt: 3, fPort: 1, payload: statusPayload() }), rx: rx() });
    if (status.kind !== 'accepted') throw new Error(status.kind);
    const event = ok(builder.build(status.frame));
    expect(event.message).toBe('deviceStatus');
    expect(event.data).toMatchObject({ event: 'startup', resetReason: 'powerOn', firmware: { major: 1, minor: 4, patch: 2 } });
    expect(keysIn(event)).toEqual([]);
    expect(keysIn(refused(builder.build(vector.frame)))).toEqual([]);
  });
});

describe('event ids', () => {
  it('are the first 16 bytes of SHA-256 over devEui|fCnt|port|payloadHex', () => {
    const payload = new Uint8Array([0xde, 0xad, 0x01]);
    const expected = createHash('sha256').update('70b3d57ed0000003|70001|20|dead01').digest('hex').slice(0, 32);
    expect(eventId('70B3D57ED0000003', 70_001, 20, payload)).toBe(expected);
  });

  it('are the same for the same frame heard by two modules, two bridges or after a restart', () => {
    const bytes = uplink({ fCnt: 4242, fPort: 20, payload: roadClimatePayload() });
    const ids = ['rak-1', 'rak-2'].map((gatewayId) => {
      const processor = new FrameProcessor({ registry: new DeviceRegistry([vectorDevice()]) });
      const result = processor.process({ phyPayload: bytes, rx: rx({ gatewayId, snr: gatewayId === 'rak-1' ? 1 : 9 }) });
      if (result.kind !== 'accepted') throw new Error(result.kind);
      return ok(new EventBuilder().build(result.frame)).id;
    });
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toBe(eventIdOf(frame({ fCnt: 4242 })));
  });

  it('a duplicate names the event of the frame it repeats', () => {
    const processor = new FrameProcessor({ registry });
    const bytes = uplink({ fCnt: 7000, fPort: 20, payload: roadClimatePayload() });
    const first = processor.process({ phyPayload: bytes, rx: rx() });
    const dup = processor.process({ phyPayload: bytes, rx: rx({ gatewayId: 'rak-2' }) });
    if (first.kind !== 'accepted' || dup.kind !== 'duplicate') throw new Error(`${first.kind} ${dup.kind}`);
    expect(eventIdOf(dup.frame)).toBe(ok(new EventBuilder().build(first.frame)).id);
  });

  it('differ when the device, counter, port or payload differ', () => {
    const base = frame();
    const other = new DeviceRegistry([vectorDevice({ devEui: '70b3d57ed0000004' })]).byId('road-3')!;
    const variants = [
      base,
      { ...base, device: other },
      { ...base, fCnt: base.fCnt + 1 },
      { ...base, fCnt: base.fCnt + 0x10000 },
      { ...base, fPort: 21 },
      { ...base, payload: roadClimatePayload(-1.4) },
    ];
    const ids = variants.map((v) => eventIdOf(v));
    expect(new Set(ids).size).toBe(variants.length);
  });

  it('do not depend on the receivers', () => {
    const builder = new EventBuilder();
    const a = ok(builder.build(frame({ rx: [rx({ gatewayId: 'a', rssi: -120 })] })));
    const b = ok(builder.build(frame({ rx: [rx({ gatewayId: 'b', rssi: -60 }), rx({ gatewayId: 'c' })] })));
    expect(a.id).toBe(b.id);
  });
});
