/** One frame heard by two RAK modules on two serial ports: published once, with both receivers, the best first. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Bridge } from '../../../gateway-bridge/src/bridge.ts';
import type { BridgeEvent } from '../../../gateway-bridge/src/types.ts';
import { P2P_CONFIG, record, startBridge, startBroker, startRadio, tempDir, testDevices, uplink, waitConfigured, waitFor, type BrokerUnderTest, type Radio, type Recorder } from './stack.ts';

const [node] = testDevices(1);
let broker: BrokerUnderTest;
let radios: Radio[] = [];
let bridge: Bridge;
let sub: Recorder;
let temp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  temp = tempDir();
  broker = await startBroker('aedes');
  sub = await record(broker.url, ['stadtsensor/+/up']);
  radios = [await startRadio(), await startRadio()];
  bridge = await startBridge({
    brokerUrl: broker.url,
    serialPath: radios[0]!.path,
    outbox: `${temp.dir}/bridge.sqlite`,
    devices: [node!],
    extra: {
      serial: [
        { id: 'roof-north', path: radios[0]!.path, p2p: P2P_CONFIG },
        { id: 'roof-south', path: radios[1]!.path, p2p: P2P_CONFIG },
      ],
    },
  });
  await waitConfigured(bridge);
});

afterAll(async () => {
  await bridge?.stop(2_000);
  for (const radio of radios) await radio.close();
  await sub?.close();
  await broker?.close();
  temp?.cleanup();
});

it('publishes a frame heard twice once, with both receivers and the better one first', async () => {
  const frame = uplink(node!, 1, 20, { air: { temperature: 3, relativeHumidity: 80 }, surface: { temperature: 2 }, iceRisk: 'clear', status: { heaterOn: false }, battery: 3 });
  expect(radios[0]!.module.receive(frame, { rssi: -110, snr: -3 })).toBe(true);
  expect(radios[1]!.module.receive(frame, { rssi: -95, snr: 6 })).toBe(true);
  await waitFor('the event', () => sub.messages.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const events = sub.json<BridgeEvent>(() => true);
  expect(events).toHaveLength(1);
  expect(events[0]!.rx.map((rx) => [rx.gatewayId, rx.rssi])).toEqual([
    ['roof-south', -95],
    ['roof-north', -110],
  ]);
  expect(bridge.counts).toMatchObject({ accepted: 1, duplicates: 1 });
});
