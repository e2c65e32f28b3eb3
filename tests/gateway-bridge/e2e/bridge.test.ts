/**
 * The bridge end to end: a simulated RAK3172 on a real pseudo-terminal, the bridge configuring and reading it, a
 * real broker (Mosquitto started here, and the embedded aedes), and a subscriber checking what comes out.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import loraPacketModule from 'lora-packet';
import { parseDownlink } from '../../../firmware/core/lorawan-abp.ts';
import { P2P_RX_OPEN_MS, P2P_RX_WINDOW_MS } from '../../../firmware/core/p2p-window.ts';
import type { Bridge } from '../../../gateway-bridge/src/bridge.ts';
import type { StateJson } from '../../../gateway-bridge/src/output/formats.ts';
import type { BridgeEvent, Rejection } from '../../../gateway-bridge/src/types.ts';
import { catalog } from '../../../payload-schema/src/catalog/index.ts';
import { codec } from '../../../payload-schema/src/codec.ts';
import type { VectorFile } from '../../../payload-schema/src/generate/index.ts';
import { vectorPath } from '../../../payload-schema/src/generate/index.ts';
import {
  record,
  startBridge,
  startBroker,
  startRadio,
  tempDir,
  testDevices,
  uplink,
  VECTOR_DEVICE,
  waitConfigured,
  waitFor,
  type BrokerUnderTest,
  type Radio,
  type Recorder,
  type TestDevice,
} from './stack.ts';

const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;
const root = new URL('../../../', import.meta.url);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

const ROAD = { air: { temperature: 1.5, relativeHumidity: 93 }, surface: { temperature: -0.4 }, iceRisk: 'risk', status: { heaterOn: false }, battery: 3.02 };

describe.each(['mosquitto', 'aedes'] as const)('the bridge with %s', (brokerKind) => {
  const devices = testDevices(3);
  const [road, other, third] = devices as [TestDevice, TestDevice, TestDevice];
  const all = [...devices, VECTOR_DEVICE];
  let broker: BrokerUnderTest;
  let radio: Radio;
  let bridge: Bridge;
  let sub: Recorder;
  let temp: ReturnType<typeof tempDir>;
  const events: BridgeEvent[] = [];
  const rejections: Rejection[] = [];

  const ups = (): BridgeEvent[] => sub.json<BridgeEvent>((t) => t.endsWith('/up'));
  const rejected = (): Rejection[] => sub.json<Rejection>((t) => t.endsWith('/rejected'));
  const hear = (frame: Uint8Array, rssi = -80, snr = 7): void => {
    expect(radio.module.receive(frame, { rssi, snr })).toBe(true);
  };

  beforeAll(async () => {
    temp = tempDir();
    broker = await startBroker(brokerKind);
    sub = await record(broker.url, ['stadtsensor/#', 'homeassistant/#']);
    radio = await startRadio();
    bridge = await startBridge(
      { brokerUrl: broker.url, serialPath: radio.path, outbox: `${temp.dir}/bridge.sqlite`, devices: all, extra: { statsIntervalS: 1 } },
      { onEvent: (e) => events.push(e), onRejection: (r) => rejections.push(r) },
    );
    await waitConfigured(bridge);
  });

  afterAll(async () => {
    await bridge?.stop(2_000);
    await radio?.close();
    await sub?.close();
    await broker?.close();
    temp?.cleanup();
  });

  it('configures the module for P2P reception and announces itself online with Home Assistant discovery', async () => {
    expect(radio.module.commands).toEqual(expect.arrayContaining(['AT+NWM=0', 'AT+P2P=868100000:9:125:0:8:14', 'AT+PRECV=65533']));
    expect(radio.module.listening).toBe(true);
    await waitFor('the retained online status', () =>
      sub.messages.some((m) => m.topic === 'stadtsensor/gateway/test-gw/status' && m.retain !== undefined && JSON.parse(m.payload.toString()).state === 'online'),
    );
    await waitFor('discovery for the road node', () =>
      sub.messages.some((m) => m.topic.startsWith('homeassistant/') && m.payload.toString().includes(`stadtsensor_${road.devEui}`)),
    );
  });

  it('decodes the published lora-packet vectors at the LoRaWAN layer and refuses their payload by schema', async () => {
    // 'test' on FPort 1 (FCnt 2): MIC and decryption succeed; 4 bytes are not a 15-byte device status
    hear(bytesOf('40F17DBE4900020001954378762B11FF0D'));
    await waitFor('the vector rejection', () => rejected().some((r) => r.device === VECTOR_DEVICE.id));
    const rejection = rejected().find((r) => r.device === VECTOR_DEVICE.id)!;
    expect(rejection.reason).toBe('payload-invalid');
    expect(rejection.fCnt).toBe(2);
    expect(rejection.detail).toMatch(/deviceStatus|bytes|length/i);
    // the next published vector (FCnt 4) passes the counter check: it is refused by the schema, not as a replay
    hear(
      bytesOf(
        '40f17dbe490004000155332de41a11adc072553544429ce7787707d1c316e027e7e5e334263376affb8aa17ad30075293f28dea8a20af3c5e7',
      ),
    );
    await waitFor('the second vector', () => rejected().filter((r) => r.device === VECTOR_DEVICE.id).length === 2);
    expect(rejected().filter((r) => r.device === VECTOR_DEVICE.id).map((r) => r.reason)).toEqual(['payload-invalid', 'payload-invalid']);
  });

  it('publishes every uplink vector of the catalog decoded exactly as the codec decodes it', async () => {
    let fCnt = 100;
    const expected: { fCnt: number; port: number; data: unknown }[] = [];
    for (const message of catalog.filter((m) => m.direction === 'uplink')) {
      const vectors = JSON.parse(readFileSync(new URL(vectorPath(message), root), 'utf8')) as VectorFile;
      for (const vector of vectors.decoder.filter((v) => v.output.data !== undefined)) {
        const payload = Uint8Array.from(vector.input.bytes as number[]);
        const frame = loraPacket.fromFields(
          {
            MType: 'Unconfirmed Data Up',
            DevAddr: Buffer.from(other.devAddr, 'hex'),
            FCtrl: { ADR: false, ACK: false, ADRACKReq: false, FPending: false },
            FCnt: fCnt,
            FPort: message.port,
            payload: Buffer.from(payload),
          },
          Buffer.from(other.appSKey, 'hex'),
          Buffer.from(other.nwkSKey, 'hex'),
        );
        expected.push({ fCnt, port: message.port, data: vector.output.data });
        hear(new Uint8Array(frame.getPHYPayload()!));
        fCnt++;
      }
    }
    expect(expected.length).toBeGreaterThan(20);
    await waitFor(`${expected.length} catalog frames`, () => ups().filter((e) => e.device.id === other.id).length === expected.length);
    const got = ups().filter((e) => e.device.id === other.id);
    for (const want of expected) {
      const event = got.find((e) => e.fCnt === want.fCnt)!;
      expect(event, `FCnt ${want.fCnt}`).toBeDefined();
      expect(event.port).toBe(want.port);
      expect(event.data).toEqual(want.data);
    }
  });

  it('publishes a reading with units, receiver metadata, a stable id and the retained state', async () => {
    hear(uplink(road, 1, 20, ROAD), -97, 4);
    await waitFor('the road reading', () => ups().some((e) => e.device.id === road.id && e.fCnt === 1));
    const event = ups().find((e) => e.device.id === road.id && e.fCnt === 1)!;
    expect(event.message).toBe('roadClimate');
    expect(event.data).toMatchObject({ air: { temperature: 1.5, relativeHumidity: 93 }, surface: { temperature: -0.4 }, iceRisk: 'risk' });
    expect((event.data['air'] as Record<string, unknown>)['dewPoint']).toBeCloseTo(0.49, 1);
    expect(event.units).toMatchObject({ 'air.temperature': 'Cel', 'air.relativeHumidity': '%RH', battery: 'V' });
    expect(event.rx[0]).toMatchObject({ gatewayId: 'test-rak', input: 'serial', rssi: -97, snr: 4, clock: 'bridge', frequencyHz: 868100000, spreadingFactor: 9 });
    expect(Math.abs(Date.parse(event.receivedAt) - Date.now())).toBeLessThan(10_000);
    expect(event.id).toMatch(/^[0-9a-f]{32}$/);
    expect(events.find((e) => e.device.id === road.id && e.fCnt === 1)?.id).toBe(event.id);
    await waitFor('the retained state', () => sub.messages.some((m) => m.topic === `stadtsensor/${road.id}/state`));
    const state = JSON.parse(sub.messages.filter((m) => m.topic === `stadtsensor/${road.id}/state`).at(-1)!.payload.toString()) as StateJson;
    expect(Object.keys(state.messages)).toEqual(['roadClimate']);
    expect(state.messages.roadClimate).toEqual(event);
    expect(state).toMatchObject({ device: { id: road.id, devEui: road.devEui }, updatedAt: event.receivedAt });
  });

  it('rejects bad frames and lines with counted reasons, and keeps running', async () => {
    const before = { ...bridge.counts.rejected };
    const good = uplink(road, 2, 20, ROAD);
    const badMic = good.slice();
    badMic[badMic.length - 1]! ^= 0xff;
    hear(badMic);
    hear(uplink({ ...road, devAddr: '26ffffff' }, 1, 20, ROAD));
    hear(good);
    hear(good.slice(0, 7));
    radio.module.writeRaw('+EVT:RXP2P:-80:7:40F17DBE4\r\n');
    radio.module.writeRaw('\x01\x02\xfe\xff noise from a loose wire\r\n');
    radio.module.writeRaw('+EVT:RXP2P:-80:7:' + 'AB'.repeat(400) + '\r\n');
    // a replay: the same counter, later and with a different payload than the accepted frame
    hear(uplink(road, 2, 20, { ...ROAD, battery: 2.9 }));
    hear(uplink(road, 3, 20, ROAD));

    const wanted = ['mic-mismatch', 'unknown-devaddr', 'frame-too-short', 'hex-invalid', 'line-garbage', 'line-too-long', 'fcnt-replay'];
    await waitFor('every rejection', () => wanted.every((reason) => (bridge.counts.rejected[reason] ?? 0) > (before[reason] ?? 0)));
    await waitFor('the frame after the bad ones', () => ups().some((e) => e.device.id === road.id && e.fCnt === 3));
    for (const reason of wanted) {
      const published = rejected().filter((r) => r.reason === reason);
      expect(published.length, reason).toBeGreaterThan(0);
      expect(published.at(-1)!.detail.length, reason).toBeGreaterThan(10);
    }
    // nothing about the rejections carries a key
    const everything = sub.messages.map((m) => m.payload.toString('latin1')).join('\n');
    for (const device of all) {
      expect(everything).not.toContain(device.nwkSKey);
      expect(everything).not.toContain(device.appSKey);
    }
    type Status = { state: string; stats?: { framesReceived: number; rejectedByReason: Record<string, number>; queued: number } };
    const statusWith = (): Status | undefined =>
      sub
        .json<Status>((t) => t === 'stadtsensor/gateway/test-gw/status')
        .reverse()
        .find((m) => (m.stats?.rejectedByReason['mic-mismatch'] ?? 0) > 0);
    await waitFor('stats with the rejections on the status topic', () => statusWith() !== undefined, 5_000);
    expect(statusWith()!.stats!.framesReceived).toBeGreaterThan(5);
    const metrics = await (await fetch(`${bridge.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/stadtsensor_bridge_frames_rejected_total\{reason="mic-mismatch"\} [1-9]/);
  });

  it('sends a downlink asked for over MQTT in the node\'s receive window, and the node accepts it', async () => {
    await sub.client.publishAsync(`stadtsensor/${third.id}/down`, JSON.stringify({ deviceConfig: { sendInterval: 600 } }), { qos: 1 });
    await waitFor('the downlink queued', () => bridge.counts.downlinksQueued > 0);
    const transmitted = radio.module.transmitted.length;
    let transmittedAt = 0;
    radio.module.once('transmit', () => (transmittedAt = performance.now()));
    const sentAt = performance.now();
    hear(uplink(third, 1, 20, ROAD));
    await waitFor('the module to transmit the downlink', () => radio.module.transmitted.length > transmitted, 5_000);
    // the node listens from P2P_RX_OPEN_MS to P2P_RX_WINDOW_MS after its uplink; the bridge answers in the middle
    const delay = transmittedAt - sentAt;
    expect(delay).toBeGreaterThanOrEqual(P2P_RX_OPEN_MS);
    expect(delay).toBeLessThan(P2P_RX_WINDOW_MS);
    const frame = radio.module.transmitted.at(-1)!.payload;
    const opened = parseDownlink(frame, {
      devAddr: bytesOf(third.devAddr),
      nwkSKey: bytesOf(third.nwkSKey),
      appSKey: bytesOf(third.appSKey),
      fCntDownExpected: 0,
    });
    if (typeof opened === 'string') throw new Error(`the node refused the downlink: ${opened}`);
    expect(codec.decodeDownlink(opened.fPort!, opened.payload)).toMatchObject({ ok: true, data: { deviceConfig: { sendInterval: 600 } } });
  });

  it('acknowledges a confirmed uplink with a bare ACK, and counts downlinks on', async () => {
    // the module hears nothing while it still transmits the previous downlink
    await waitFor('the module back in reception', () => radio.module.listening, 3_000);
    const transmitted = radio.module.transmitted.length;
    hear(uplink(third, 2, 20, ROAD, true));
    await waitFor('the ACK', () => radio.module.transmitted.length > transmitted, 5_000);
    const opened = parseDownlink(radio.module.transmitted.at(-1)!.payload, {
      devAddr: bytesOf(third.devAddr),
      nwkSKey: bytesOf(third.nwkSKey),
      appSKey: bytesOf(third.appSKey),
      fCntDownExpected: 1,
    });
    expect(opened).toMatchObject({ ack: true, fPort: null, fCnt: 1 });
  });

  it('sends a downlink asked for just after an uplink in that uplink\'s window, not after the next one', async () => {
    await waitFor('the module back in reception', () => radio.module.listening, 3_000);
    const transmitted = radio.module.transmitted.length;
    const accepted = bridge.counts.accepted;
    const sentAt = Date.now();
    hear(uplink(third, 3, 20, ROAD));
    // what a ledger does: it answers once the uplink is in (here: as soon as the bridge has accepted it)
    await waitFor('the uplink accepted', () => bridge.counts.accepted > accepted);
    await sub.client.publishAsync(`stadtsensor/${third.id}/down`, JSON.stringify({ deviceConfig: { sendInterval: 900 } }), { qos: 1 });
    await waitFor('the module to transmit the downlink', () => radio.module.transmitted.length > transmitted, 5_000);
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    const opened = parseDownlink(radio.module.transmitted.at(-1)!.payload, {
      devAddr: bytesOf(third.devAddr),
      nwkSKey: bytesOf(third.nwkSKey),
      appSKey: bytesOf(third.appSKey),
      fCntDownExpected: 2,
    });
    if (typeof opened === 'string') throw new Error(`the node refused the downlink: ${opened}`);
    expect(codec.decodeDownlink(opened.fPort!, opened.payload)).toMatchObject({ ok: true, data: { deviceConfig: { sendInterval: 900 } } });
  });

  it('refuses a downlink the schema cannot encode, and one for an unknown device', async () => {
    await sub.client.publishAsync(`stadtsensor/${third.id}/down`, '{"deviceConfig":{"sendInterval":-1}}', { qos: 1 });
    await sub.client.publishAsync('stadtsensor/no-such-node/down', '{"deviceConfig":{"sendInterval":600}}', { qos: 1 });
    await waitFor('two refused downlinks', () => rejected().filter((r) => r.detail.startsWith('downlink for')).length === 2);
    const details = rejected().filter((r) => r.detail.startsWith('downlink for')).map((r) => r.detail);
    expect(details.join('\n')).toMatch(/sendInterval/);
    expect(details.join('\n')).toMatch(/no-such-node: no such device/);
    expect(rejected().filter((r) => r.detail.startsWith('downlink for')).map((r) => r.input)).toEqual(['downlink', 'downlink']);
  });

  it('takes uplinks from The Things Stack through the same decoding', async () => {
    const payload = codec.encode(20, ROAD);
    if (!payload.ok) throw payload.error;
    const message = {
      end_device_ids: { device_id: 'road-on-ttn', application_ids: { application_id: 'town' }, dev_eui: road.devEui.toUpperCase(), dev_addr: '260B1234' },
      received_at: '2026-11-27T05:00:00.123Z',
      uplink_message: {
        f_port: 20,
        f_cnt: 4711,
        frm_payload: Buffer.from(payload.bytes).toString('base64'),
        rx_metadata: [{ gateway_ids: { gateway_id: 'town-hall-roof' }, rssi: -101, channel_rssi: -101, snr: 5.5, received_at: '2026-11-27T05:00:00.100Z' }],
        settings: { data_rate: { lora: { bandwidth: 125000, spreading_factor: 9 } }, frequency: '868100000' },
        received_at: '2026-11-27T05:00:00.110Z',
      },
    };
    expect(hex(payload.bytes).length).toBe(12);
    expect(bridge.config.network).toEqual([]);
    // a second bridge listens to the network server topic on the same broker
    const t = tempDir();
    const networked = await startBridge(
      { brokerUrl: broker.url, serialPath: radio.path, outbox: `${t.dir}/b.sqlite`, devices: [road], extra: { serial: [], network: [{ kind: 'ttn', url: broker.url }], gateway: { id: 'ttn-gw' } } },
    );
    try {
      await waitFor('the network input subscribed', () => networked.mqttConnected, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sub.client.publishAsync('v3/town@ttn/devices/road-on-ttn/up', JSON.stringify(message), { qos: 1 });
      await waitFor('the TTN uplink', () => ups().some((e) => e.input === 'ttn' && e.fCnt === 4711)).catch((error: Error) => {
        throw new Error(`${error.message}; rejected: ${JSON.stringify(rejected().slice(-3))}`);
      });
      const event = ups().find((e) => e.input === 'ttn' && e.fCnt === 4711)!;
      expect(event.device.id).toBe(road.id);
      expect(event.data).toMatchObject({ air: { temperature: 1.5 }, iceRisk: 'risk' });
      expect(event.rx[0]).toMatchObject({ gatewayId: 'town-hall-roof', rssi: -101, snr: 5.5, input: 'ttn' });
    } finally {
      await networked.stop(2_000);
      t.cleanup();
    }
  });
});
