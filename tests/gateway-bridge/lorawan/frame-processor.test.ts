import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryCounterStore, type CounterState, type CounterStore } from '../../../gateway-bridge/src/lorawan/counter-store.ts';
import { FrameProcessor, type FrameProcessorOptions, type ProcessResult } from '../../../gateway-bridge/src/lorawan/frame-processor.ts';
import { DeviceRegistry } from '../../../gateway-bridge/src/lorawan/registry.ts';
import type { AcceptedFrame, DeviceEntry, Rejection, RxInfo } from '../../../gateway-bridge/src/types.ts';
import {
  keysIn,
  loraPacket,
  OTHER,
  otherDevice,
  roadClimatePayload,
  rx,
  statusPayload,
  uplink,
  VECTOR,
  vectorDevice,
} from './support.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

interface Harness {
  processor: FrameProcessor;
  store: CounterStore;
  clock: { now: number };
  send(phyPayload: Uint8Array, heard?: RxInfo): ProcessResult;
}

function harness(options: Partial<FrameProcessorOptions> = {}, devices: DeviceEntry[] = [vectorDevice(), otherDevice()]): Harness {
  const clock = { now: Date.parse('2025-01-15T06:00:00Z') };
  const store = options.counters ?? new MemoryCounterStore();
  const processor = new FrameProcessor({
    registry: new DeviceRegistry(devices),
    counters: store,
    now: () => clock.now,
    ...options,
  });
  return { processor, store, clock, send: (phyPayload, heard = rx()) => processor.process({ phyPayload, rx: heard }) };
}

function accepted(result: ProcessResult): AcceptedFrame {
  if (result.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(result)}`);
  return result.frame;
}

function rejected(result: ProcessResult): Rejection {
  if (result.kind !== 'rejected') throw new Error(`expected rejected, got ${result.kind}`);
  return result.rejection;
}

const reading = (fCnt: number) => uplink({ fCnt, fPort: 20, payload: roadClimatePayload() });
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

describe('FrameProcessor: published vectors', () => {
  it('accepts 40F17DBE4900020001954378762B11FF0D as "test" on FPort 1 at FCnt 2', () => {
    const h = harness();
    const heard = rx({ gatewayId: 'rak-north' });
    const frame = accepted(h.send(hex('40F17DBE4900020001954378762B11FF0D'), heard));
    expect(text(frame.payload)).toBe('test');
    expect(frame).toMatchObject({ fCnt: 2, fPort: 1, confirmed: false, counterReset: false, input: 'serial' });
    expect(frame.device.id).toBe('road-3');
    expect(frame.rx).toEqual([heard]);
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(2);
  });

  it('accepts the 44-byte vector at FCnt 4 after it', () => {
    const h = harness();
    accepted(h.send(hex('40F17DBE4900020001954378762B11FF0D')));
    const frame = accepted(
      h.send(
        hex(
          '40f17dbe490004000155332de41a11adc072553544429ce7787707d1c316e027e7e5e334263376affb8aa17ad30075293f28dea8a20af3c5e7',
        ),
      ),
    );
    expect(text(frame.payload)).toBe('The quick brown fox jumps over the lazy dog.');
    expect(frame.fCnt).toBe(4);
  });

  it('accepts the FCnt 3 vector (FPort 1, empty payload)', () => {
    const frame = accepted(harness().send(hex('40F17DBE49000300012A3518AF')));
    expect(frame).toMatchObject({ fCnt: 3, fPort: 1 });
    expect(frame.payload.length).toBe(0);
  });

  it('rejects the downlink vector as not an uplink', () => {
    const r = rejected(harness().send(hex('60f17dbe4920020001f9d65d27')));
    expect(r.reason).toBe('not-an-uplink');
    expect(r.detail).toBe('MHDR 0x60 is a unconfirmed data downlink, not a data uplink');
    expect(r.raw).toBe('60f17dbe4920020001f9d65d27');
  });
});

describe('FrameProcessor: parsing', () => {
  it('rejects truncated frames', () => {
    const h = harness();
    expect(rejected(h.send(new Uint8Array(0)))).toMatchObject({ reason: 'frame-too-short', detail: 'empty frame' });
    const r = rejected(h.send(hex('40F17DBE4900020001')));
    expect(r).toMatchObject({ reason: 'frame-too-short', raw: '40f17dbe4900020001' });
    expect(r.detail).toBe('9 bytes: a data uplink has at least 12');
    // FCtrl announces 3 FOpts bytes the frame does not have room for
    const fOpts = rejected(h.send(hex('40F17DBE490300010203040506')));
    expect(fOpts.reason).toBe('frame-too-short');
    expect(fOpts.detail).toContain('FCtrl announces 3 FOpts bytes');
    expect(fOpts.devAddr).toBe('49be7df1');
  });

  it('rejects join requests, join accepts, downlinks, rejoins and proprietary frames', () => {
    const h = harness();
    const joinRequest = '00' + '0807060504030201' + '70b3d57ed0000003'.match(/../g)!.reverse().join('') + '3412' + 'a1b2c3d4';
    expect(joinRequest.length).toBe(46);
    const cases: [string, string][] = [
      [joinRequest, 'join request'],
      ['20' + '00'.repeat(16), 'join accept'],
      ['a0f17dbe4900020001aabbccdd', 'confirmed data downlink'],
      ['c0' + '00'.repeat(18), 'rejoin request'],
      ['e0f17dbe4900020001aabbccdd', 'proprietary frame'],
    ];
    for (const [frame, name] of cases) {
      const r = rejected(h.send(hex(frame)));
      expect(r.reason).toBe('not-an-uplink');
      expect(r.detail).toContain(name);
    }
  });

  it('rejects a non-zero LoRaWAN major version', () => {
    const r = rejected(harness().send(hex('41F17DBE4900020001954378762B11FF0D')));
    expect(r.reason).toBe('lorawan-version');
    expect(r.detail).toContain('major version 1');
  });

  it('rejects an unknown DevAddr with the on-air counter', () => {
    const frame = uplink({ fCnt: 9, fPort: 1, payload: 'x', keys: { ...OTHER, devAddr: '01020304' } });
    const r = rejected(harness().send(frame));
    expect(r).toMatchObject({ reason: 'unknown-devaddr', devAddr: '01020304', fCnt: 9, detail: 'DevAddr 01020304 is not in the device list' });
    expect(r.device).toBeUndefined();
  });

  it('rejects frames for a device that has no session keys', () => {
    const h = harness({}, [{ id: 'ttn-9', name: 'TTN', devEui: '0004a30b001c0539', devAddr: '260b1234', type: 'waterLevel' }]);
    const r = rejected(h.send(uplink({ fCnt: 1, fPort: 20, payload: 'x', keys: { ...OTHER, devAddr: '260b1234' } })));
    expect(r.reason).toBe('unknown-devaddr');
    expect(r.device).toBe('ttn-9');
    expect(r.detail).toContain('no session keys');
  });

  it('truncates raw to 512 hex characters', () => {
    const long = Buffer.concat([hex('40040302010000'), Buffer.alloc(300, 0xab)]);
    const r = rejected(harness().send(long));
    expect(r.reason).toBe('unknown-devaddr');
    expect(r.raw).toHaveLength(512);
    expect(r.raw).toBe(long.toString('hex').slice(0, 512));
  });

  it('never throws, whatever the bytes', () => {
    const h = harness();
    const known = hex('40f17dbe49');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 60 }).map((tail) => Buffer.concat([known, tail])),
    );
    fc.assert(
      fc.property(bytes, (frame) => {
        const result = h.send(frame);
        expect(['accepted', 'duplicate', 'rejected']).toContain(result.kind);
        if (result.kind === 'rejected') expect(result.rejection.raw!.length).toBeLessThanOrEqual(512);
      }),
      { numRuns: 500 },
    );
  });
});

describe('FrameProcessor: MIC', () => {
  it('rejects a wrong MIC and keeps the counter where it was', () => {
    const h = harness();
    accepted(h.send(uplink({ fCnt: 10, fPort: 20, payload: roadClimatePayload() })));
    const good = uplink({ fCnt: 11, fPort: 20, payload: roadClimatePayload() });
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x01;
    const r = rejected(h.send(bad));
    expect(r).toMatchObject({ reason: 'mic-mismatch', device: 'road-3', devEui: '70b3d57ed0000003', devAddr: '49be7df1', fCnt: 11, port: 20 });
    expect(r.detail).toBe('MIC does not match the NwkSKey of road-3 at FCnt 11');
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(10);
    expect(accepted(h.send(good)).fCnt).toBe(11);
  });

  it('rejects a frame signed with another key', () => {
    const h = harness();
    const forged = uplink({ fCnt: 1, fPort: 20, payload: 'x', keys: { ...OTHER, devAddr: '49be7df1' } });
    expect(rejected(h.send(forged)).reason).toBe('mic-mismatch');
  });

  it('rejects a corrupted payload byte', () => {
    const frame = uplink({ fCnt: 3, fPort: 20, payload: roadClimatePayload() });
    frame[10]! ^= 0x80;
    expect(rejected(harness().send(frame)).reason).toBe('mic-mismatch');
  });
});

describe('FrameProcessor: frame counter', () => {
  it('accepts a forward gap of 100 (a reboot with counters reserved in blocks of 100)', () => {
    const h = harness();
    accepted(h.send(uplink({ fCnt: 5, fPort: 20, payload: roadClimatePayload() })));
    expect(accepted(h.send(uplink({ fCnt: 105, fPort: 20, payload: roadClimatePayload() }))).fCnt).toBe(105);
  });

  it('accepts a gap of exactly maxFCntGap and rejects one more', () => {
    const h = harness();
    accepted(h.send(uplink({ fCnt: 5, fPort: 20, payload: roadClimatePayload() })));
    const r = rejected(h.send(uplink({ fCnt: 5 + 16385, fPort: 20, payload: roadClimatePayload() })));
    expect(r).toMatchObject({ reason: 'fcnt-gap', fCnt: 16390 });
    expect(r.detail).toBe('FCnt 16390 of road-3 is 16385 ahead of the last accepted 5 (at most 16384 accepted)');
    expect(accepted(h.send(uplink({ fCnt: 5 + 16384, fPort: 20, payload: roadClimatePayload() }))).fCnt).toBe(16389);
  });

  it('uses the configured maxFCntGap', () => {
    const h = harness({ maxFCntGap: 50 });
    accepted(h.send(uplink({ fCnt: 5, fPort: 20, payload: roadClimatePayload() })));
    expect(rejected(h.send(uplink({ fCnt: 105, fPort: 20, payload: roadClimatePayload() }))).reason).toBe('fcnt-gap');
    expect(accepted(h.send(uplink({ fCnt: 55, fPort: 20, payload: roadClimatePayload() }))).fCnt).toBe(55);
  });

  it('follows the 16-bit wrap 0xFFFF -> 0x10000 and decrypts with the new high bits', () => {
    const h = harness();
    accepted(h.send(uplink({ fCnt: 0xffff, fPort: 1, payload: 'before wrap' })));
    const frame = accepted(h.send(uplink({ fCnt: 0x10000, fPort: 1, payload: 'after wrap' })));
    expect(frame.fCnt).toBe(0x10000);
    expect(text(frame.payload)).toBe('after wrap');
    expect(accepted(h.send(uplink({ fCnt: 0x10063, fPort: 1, payload: 'later' }))).fCnt).toBe(0x10063);
  });

  it('rejects replays of older frames, also across the wrap', () => {
    const h = harness();
    const old = uplink({ fCnt: 100, fPort: 20, payload: roadClimatePayload(1) });
    accepted(h.send(old));
    accepted(h.send(uplink({ fCnt: 101, fPort: 20, payload: roadClimatePayload(2) })));
    const r = rejected(h.send(old));
    expect(r).toMatchObject({ reason: 'fcnt-replay', fCnt: 100, device: 'road-3', port: 20 });
    expect(r.detail).toBe('FCnt 100 of road-3 is behind the last accepted 101');

    const w = harness();
    const beforeWrap = uplink({ fCnt: 0xfff0, fPort: 20, payload: roadClimatePayload() });
    accepted(w.send(beforeWrap));
    accepted(w.send(uplink({ fCnt: 0x10005, fPort: 20, payload: roadClimatePayload() })));
    expect(rejected(w.send(beforeWrap))).toMatchObject({ reason: 'fcnt-replay', fCnt: 0xfff0 });
  });

  it('rejects a different frame with the last accepted counter', () => {
    const h = harness();
    accepted(h.send(uplink({ fCnt: 20, fPort: 20, payload: roadClimatePayload(1) })));
    const r = rejected(h.send(uplink({ fCnt: 20, fPort: 20, payload: roadClimatePayload(2) })));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toBe('FCnt 20 of road-3: a different frame with this counter was already accepted');
  });

  it('keeps counters per device', () => {
    const h = harness();
    accepted(h.send(uplink({ fCnt: 500, fPort: 20, payload: roadClimatePayload() })));
    const other = accepted(h.send(uplink({ fCnt: 3, fPort: 21, payload: 'x', keys: OTHER })));
    expect(other.device.id).toBe('bay-7');
    expect(h.store.get('70b3d57ed0000007')?.fCnt).toBe(3);
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(500);
  });

  it('marks confirmed uplinks and accepts frames with FOpts', () => {
    const frame = accepted(harness().send(uplink({ fCnt: 1, fPort: 20, payload: roadClimatePayload(), confirmed: true, fOpts: '02' })));
    expect(frame.confirmed).toBe(true);
    expect(frame.payload).toEqual(roadClimatePayload());
  });

  it('accepts a frame without FPort as FPort 0 with no payload', () => {
    // lora-packet signs no frame without FPort: sign it here
    const packet = loraPacket.fromWire(hex('40f17dbe49000100eeeeeeee'));
    loraPacket.recalculateMIC(packet, hex(VECTOR.nwkSKey));
    const frame = accepted(harness().send(Buffer.from(packet.getPHYPayload()!)));
    expect(frame.fPort).toBe(0);
    expect(frame.payload.length).toBe(0);
  });
});

describe('FrameProcessor: first frame', () => {
  it('accepts the first frame of a device at its counter', () => {
    expect(accepted(harness().send(uplink({ fCnt: 4711, fPort: 20, payload: roadClimatePayload() }))).fCnt).toBe(4711);
  });

  it('finds the high counter bits of a device already past 65,535 when no counter is stored', () => {
    const h = harness();
    const frame = accepted(h.send(uplink({ fCnt: 0x30010, fPort: 1, payload: 'epoch 3' })));
    expect(frame.fCnt).toBe(0x30010);
    expect(text(frame.payload)).toBe('epoch 3');
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(0x30010);
  });

  it('names what it tried when no epoch matches', () => {
    const r = rejected(harness().send(uplink({ fCnt: 0x100010, fPort: 1, payload: 'x' })));
    expect(r.detail).toBe(
      'MIC does not match the NwkSKey of road-3 at FCnt 16 or 15 higher epochs of 65,536 (no stored counter for it yet)',
    );
  });

  it('with firstFrameEpochs 1 only the 16-bit value itself is tried', () => {
    const r = rejected(harness({ firstFrameEpochs: 1 }).send(uplink({ fCnt: 0x30010, fPort: 1, payload: 'x' })));
    expect(r.reason).toBe('mic-mismatch');
    expect(r.detail).toBe('MIC does not match the NwkSKey of road-3 at FCnt 16 (no stored counter for it yet)');
  });
});

describe('FrameProcessor: duplicates', () => {
  it('reports the same frame from a second module within the window as a duplicate of the first', () => {
    const h = harness();
    const frame = uplink({ fCnt: 30, fPort: 20, payload: roadClimatePayload() });
    const first = accepted(h.send(frame, rx({ gatewayId: 'rak-1' })));
    h.clock.now += 59_000;
    const second = rx({ gatewayId: 'rak-2', snr: 9 });
    const dup = h.send(frame, second);
    expect(dup.kind).toBe('duplicate');
    if (dup.kind !== 'duplicate') return;
    expect(dup.frame).toBe(first);
    expect(dup.rx).toBe(second);
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(30);
  });

  it('treats the same frame after the window as a replay', () => {
    const h = harness({ dedupWindowMs: 10_000 });
    const frame = uplink({ fCnt: 30, fPort: 20, payload: roadClimatePayload() });
    accepted(h.send(frame));
    h.clock.now += 10_001;
    const r = rejected(h.send(frame));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toBe('FCnt 30 of road-3: the same frame was accepted 10 s ago (outside the 10 s duplicate window)');
  });

  it('only the last accepted frame can be duplicated', () => {
    const h = harness();
    const a = uplink({ fCnt: 30, fPort: 20, payload: roadClimatePayload(1) });
    accepted(h.send(a));
    accepted(h.send(uplink({ fCnt: 31, fPort: 20, payload: roadClimatePayload(2) })));
    expect(rejected(h.send(a)).reason).toBe('fcnt-replay');
  });

  it('after a restart (same store, new processor) the last frame again is a replay', () => {
    const store = new MemoryCounterStore();
    const frame = uplink({ fCnt: 30, fPort: 20, payload: roadClimatePayload() });
    accepted(harness({ counters: store }).send(frame));
    expect(rejected(harness({ counters: store }).send(frame)).reason).toBe('fcnt-replay');
  });
});

describe('FrameProcessor: counter restart policy', () => {
  const startup = (fCnt: number, fields?: Parameters<typeof statusPayload>[0]) =>
    uplink({ fCnt, fPort: 1, payload: statusPayload(fields) });

  function at5000(options: Partial<FrameProcessorOptions> = {}, devices?: DeviceEntry[]): Harness {
    const h = harness(options, devices);
    accepted(h.send(reading(5000)));
    return h;
  }

  it('accepts a real startup status at FCnt 0 after a counter of 5000 as a restart', () => {
    const h = at5000();
    const frame = accepted(h.send(startup(0)));
    expect(frame).toMatchObject({ fCnt: 0, fPort: 1, counterReset: true });
    expect(frame.payload).toEqual(statusPayload());
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(0);
    const next = accepted(h.send(reading(1)));
    expect(next).toMatchObject({ fCnt: 1, counterReset: false });
  });

  it('accepts a restart when the old counter was past 65,535 (MIC checked at the low counter)', () => {
    const h = harness();
    accepted(h.send(reading(70_000)));
    expect(accepted(h.send(startup(2))).counterReset).toBe(true);
  });

  it('accepts every real reset reason and refuses "unknown"', () => {
    for (const resetReason of ['powerOn', 'pinReset', 'watchdog', 'software', 'brownout', 'lockup', 'firmwareUpdate']) {
      expect(accepted(at5000().send(startup(0, { resetReason }))).counterReset).toBe(true);
    }
    const r = rejected(at5000().send(startup(0, { resetReason: 'unknown' })));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toBe('FCnt 0 of road-3 is behind the last accepted 5000; not a counter restart: the startup status gives no reset reason');
  });

  it('rejects a reading at a low counter', () => {
    const r = rejected(at5000().send(reading(0)));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toContain('not a counter restart: FPort 20 is not the device status (FPort 1)');
  });

  it('rejects a heartbeat and an undecodable status at a low counter', () => {
    expect(rejected(at5000().send(startup(0, { event: 'heartbeat' }))).detail).toContain('is a heartbeat, not a startup');
    const garbage = rejected(at5000().send(uplink({ fCnt: 0, fPort: 1, payload: 'xx' })));
    expect(garbage.reason).toBe('fcnt-replay');
    expect(garbage.detail).toContain('does not decode (expected 15 bytes, got 2)');
  });

  it('rejects a startup status at or above the reset window', () => {
    const r = rejected(at5000().send(startup(16)));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toBe('FCnt 16 of road-3 is behind the last accepted 5000');
    expect(accepted(at5000({ resetWindow: 17 }).send(startup(16))).counterReset).toBe(true);
  });

  it('rejects a replayed restart frame', () => {
    const h = at5000();
    const reset = startup(0);
    accepted(h.send(reset));
    accepted(h.send(reading(1)));
    accepted(h.send(reading(2)));
    const r = rejected(h.send(reset));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toContain('this startup frame was already accepted once (a replay)');
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(2);
  });

  it('rejects a replay of the startup frame from before the counter grew, and remembers it across restarts', () => {
    const store = new MemoryCounterStore();
    const h = harness({ counters: store });
    const provisioning = startup(0);
    accepted(h.send(provisioning));
    accepted(h.send(reading(500)));
    expect(rejected(h.send(provisioning)).detail).toContain('already accepted once');
    const restarted = harness({ counters: store });
    expect(rejected(restarted.send(provisioning)).reason).toBe('fcnt-replay');
    expect(store.get('70b3d57ed0000003')?.fCnt).toBe(500);
  });

  it("policy 'never' (per device, or as the default) rejects the restart", () => {
    const perDevice = at5000({}, [vectorDevice({ counterReset: 'never' })]);
    const r = rejected(perDevice.send(startup(0)));
    expect(r.reason).toBe('fcnt-replay');
    expect(r.detail).toContain("the counter-reset policy of road-3 is 'never'");
    expect(rejected(at5000({ counterReset: 'never' }).send(startup(0))).reason).toBe('fcnt-replay');
    const override = at5000({ counterReset: 'never' }, [vectorDevice({ counterReset: 'startup-status' })]);
    expect(accepted(override.send(startup(0))).counterReset).toBe(true);
  });

  it('a restart beyond the gap is also possible (counter far ahead in 16 bits)', () => {
    const h = harness();
    accepted(h.send(reading(40_000)));
    expect(accepted(h.send(startup(3))).counterReset).toBe(true);
  });

  it('stores the state through the CounterStore interface', () => {
    const writes: [string, CounterState][] = [];
    const inner = new MemoryCounterStore();
    const store: CounterStore = {
      get: (devEui) => inner.get(devEui),
      set: (devEui, state) => {
        writes.push([devEui, state]);
        inner.set(devEui, state);
      },
    };
    const h = harness({ counters: store });
    accepted(h.send(startup(0)));
    accepted(h.send(reading(1)));
    expect(writes.map(([eui, s]) => [eui, s.fCnt, s.startupMics.length])).toEqual([
      ['70b3d57ed0000003', 0, 1],
      ['70b3d57ed0000003', 1, 1],
    ]);
    expect(writes[0]![1].startupMics[0]).toBe(startup(0).subarray(-4).toString('hex'));
  });
});

describe('FrameProcessor: network uplinks', () => {
  const payload = roadClimatePayload();

  it('finds the device by DevEUI and keeps the network counter', () => {
    const h = harness();
    accepted(h.send(reading(9000)));
    const heard = rx({ input: 'ttn', gatewayId: 'eui-b827ebfffe000001', clock: 'network', clockSynced: null });
    const result = h.processor.processNetworkUplink({
      input: 'ttn',
      devEui: '70B3D57ED0000003',
      networkDeviceId: 'road-3-ttn',
      fCnt: 12,
      fPort: 20,
      payload,
      confirmed: false,
      rx: [heard],
    });
    const frame = accepted(result);
    expect(frame).toMatchObject({ fCnt: 12, fPort: 20, counterReset: false, input: 'ttn', confirmed: false });
    expect(frame.device.id).toBe('road-3');
    expect(frame.payload).toEqual(payload);
    expect(frame.rx).toEqual([heard]);
    expect(h.store.get('70b3d57ed0000003')?.fCnt).toBe(9000);
  });

  it('rejects an unknown DevEUI, naming the network device', () => {
    const h = harness();
    const r = rejected(
      h.processor.processNetworkUplink({
        input: 'chirpstack',
        devEui: '0004A30B001C0599',
        networkDeviceId: 'pegel-7',
        devAddr: '260B0001',
        fCnt: 3,
        fPort: 21,
        payload,
        confirmed: true,
        rx: [],
      }),
    );
    expect(r).toMatchObject({
      reason: 'unknown-deveui',
      input: 'chirpstack',
      gatewayId: 'unknown',
      devEui: '0004a30b001c0599',
      devAddr: '260b0001',
      fCnt: 3,
      port: 21,
      detail: 'DevEUI 0004a30b001c0599 (chirpstack device "pegel-7") is not in the device list',
    });
    expect(r.receivedAt).toBe('2025-01-15T06:00:00.000Z');
  });
});

describe('FrameProcessor: no key leaves it', () => {
  it('no rejection or accepted frame serialises a session key', () => {
    const h = harness();
    const frames = [
      uplink({ fCnt: 5000, fPort: 20, payload: roadClimatePayload() }),
      uplink({ fCnt: 0, fPort: 1, payload: statusPayload() }),
      uplink({ fCnt: 0, fPort: 20, payload: roadClimatePayload() }),
      uplink({ fCnt: 1, fPort: 20, payload: roadClimatePayload() }),
      uplink({ fCnt: 1, fPort: 20, payload: roadClimatePayload() }),
      uplink({ fCnt: 30_000, fPort: 20, payload: roadClimatePayload() }),
      uplink({ fCnt: 2, fPort: 20, payload: 'x', keys: { ...OTHER, devAddr: '49be7df1' } }),
      uplink({ fCnt: 2, fPort: 20, payload: 'x', keys: { ...OTHER, devAddr: '0badc0de' } }),
      uplink({ fCnt: 2, fPort: 20, payload: 'x', keys: OTHER }),
      hex('60f17dbe4920020001f9d65d27'),
      hex('40F17DBE4900'),
    ];
    const results = frames.map((f) => h.send(f));
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(['accepted', 'rejected', 'duplicate']));
    expect(new Set(results.flatMap((r) => (r.kind === 'rejected' ? [r.rejection.reason] : [])))).toEqual(
      new Set(['fcnt-replay', 'fcnt-gap', 'mic-mismatch', 'unknown-devaddr', 'not-an-uplink', 'frame-too-short']),
    );
    expect(keysIn(results)).toEqual([]);
  });
});
