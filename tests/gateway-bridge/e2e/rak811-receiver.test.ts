/**
 * The bridge end to end with a RAK811 (AT firmware V3) as its receiver: the simulator's RAK811 on a real
 * pseudo-terminal (PtyRak811), the bridge with `module: rak811` configuring and reading it, a real Mosquitto, and a
 * subscriber checking what comes out. The RAK3172 counterpart is bridge.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P2P_RX_OPEN_MS, P2P_RX_WINDOW_MS } from '../../../firmware/core/p2p-window.ts';
import { parseDownlink } from '../../../firmware/core/lorawan-abp.ts';
import type { Bridge } from '../../../gateway-bridge/src/bridge.ts';
import type { BridgeEvent, Rejection } from '../../../gateway-bridge/src/types.ts';
import { codec } from '../../../payload-schema/src/codec.ts';
import type { PtyRak811 } from '../../../tools/simulator/pty/pty-rak811.ts';
import {
  P2P_CONFIG,
  record,
  startBridge,
  startBroker,
  startRak811Radio,
  tempDir,
  testDevices,
  uplink,
  waitConfigured,
  waitFor,
  type BrokerUnderTest,
  type Radio,
  type Recorder,
  type TestDevice,
} from './stack.ts';

const bytesOf = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const ROAD = { air: { temperature: 1.5, relativeHumidity: 93 }, surface: { temperature: -0.4 }, iceRisk: 'risk', status: { heaterOn: false }, battery: 3.02 };

const { frequencyHz, spreadingFactor, codingRate, preamble, txPowerDbm } = P2P_CONFIG;
/** What the bridge sends a RAK811 to set it up (gateway-bridge/src/inputs/serial/module-setup.ts). */
const SETUP_COMMANDS = [
  'at+version',
  // the module restarts in P2P mode and answers with its banner and `Initialization OK`
  'at+set_config=lora:work_mode:1',
  'at+version',
  // bandwidth code 0 = 125 kHz; the RAK811 counts the coding rate as the config does (1 = 4/5)
  `at+set_config=lorap2p:${frequencyHz}:${spreadingFactor}:0:${codingRate}:${preamble}:${txPowerDbm}`,
  'at+set_config=lorap2p:transfer_mode:1',
];

describe('the bridge with a RAK811 receiver and Mosquitto', () => {
  const devices = testDevices(2);
  const [road, other] = devices as [TestDevice, TestDevice];
  let broker: BrokerUnderTest;
  let radio: Radio<PtyRak811>;
  let bridge: Bridge;
  let sub: Recorder;
  let temp: ReturnType<typeof tempDir>;

  const ups = (): BridgeEvent[] => sub.json<BridgeEvent>((t) => t.endsWith('/up'));
  const rejected = (): Rejection[] => sub.json<Rejection>((t) => t.endsWith('/rejected'));
  const hear = (frame: Uint8Array, rssi = -80, snr = 7): void => {
    expect(radio.module.receive(frame, { rssi, snr })).toBe(true);
  };
  const upOf = (device: TestDevice, fCnt: number): BridgeEvent | undefined => ups().find((e) => e.device.id === device.id && e.fCnt === fCnt);

  beforeAll(async () => {
    temp = tempDir();
    broker = await startBroker('mosquitto');
    sub = await record(broker.url, ['stadtsensor/#']);
    radio = await startRak811Radio();
    // a module that has booted: its command list is then exactly the bridge's setup, without probes lost to the boot
    await waitFor('the RAK811 to boot', () => radio.module.module.ready, 3_000);
    bridge = await startBridge({ brokerUrl: broker.url, serialPath: radio.path, outbox: `${temp.dir}/bridge.sqlite`, devices, module: 'rak811' });
    await waitConfigured(bridge);
  });

  afterAll(async () => {
    await bridge?.stop(2_000);
    await radio?.close();
    await sub?.close();
    await broker?.close();
    temp?.cleanup();
  });

  it('configures the RAK811 for P2P reception with its own commands', () => {
    expect(radio.module.commands).toEqual(SETUP_COMMANDS);
    expect(radio.module.module.workMode).toBe('p2p');
    expect(radio.module.module.transferMode).toBe('receiver');
    expect(radio.module.listening).toBe(true);
    // the module hears only its channel
    expect(radio.module.receive(uplink(road, 1, 20, ROAD), { rssi: -80, snr: 7, sf: 7 })).toBe(false);
    expect(radio.module.receive(uplink(road, 1, 20, ROAD), { rssi: -80, snr: 7, freqHz: 868_300_000 })).toBe(false);
  });

  it('publishes a frame the module heard, decoded, with the RSSI and SNR of its at+recv line', async () => {
    // the RAK811 prints RSSI as an integer (floored) and caps the SNR at 13: the published values are the line's
    hear(uplink(road, 1, 20, ROAD), -97.4, 15.2);
    await waitFor('the road reading', () => upOf(road, 1) !== undefined);
    const event = upOf(road, 1)!;
    expect(event.message).toBe('roadClimate');
    expect(event.data).toMatchObject({ air: { temperature: 1.5, relativeHumidity: 93 }, surface: { temperature: -0.4 }, iceRisk: 'risk' });
    expect(event.rx[0]).toMatchObject({
      gatewayId: 'test-rak',
      input: 'serial',
      rssi: -98,
      snr: 13,
      frequencyHz: P2P_CONFIG.frequencyHz,
      spreadingFactor: P2P_CONFIG.spreadingFactor,
    });
    expect(radio.module.module.stats.p2pReceived).toBe(1);
  });

  it('rejects bad frames and lines with counted reasons, and keeps going', async () => {
    const before = { ...bridge.counts.rejected };
    const good = uplink(road, 2, 20, ROAD);
    const badMic = good.slice();
    badMic[badMic.length - 1]! ^= 0xff;
    hear(badMic);
    // lines the module did not print as it should: a length that does not match the hex, noise, a receive line
    // cut at its start, a LoRaWAN-mode line (the module left P2P), and a line far past any RAK811 line
    radio.module.writeRaw('at+recv=-80,7,9:40F17DBE49\r\n');
    radio.module.writeRaw('\x01\x02\xfe\xff noise from a loose wire\r\n');
    radio.module.writeRaw('-80,7,17:40F17DBE4900020001954378762B11FF0D\r\n');
    radio.module.writeRaw('at+recv=1,-80,7,4:40F17DBE\r\n');
    radio.module.writeRaw('at+recv=-80,7,400:' + 'AB'.repeat(400) + '\r\n');
    hear(good);

    const wanted = { 'mic-mismatch': 1, 'hex-invalid': 1, 'line-garbage': 3, 'line-too-long': 1 };
    const grew = (reason: string): number => (bridge.counts.rejected[reason] ?? 0) - (before[reason] ?? 0);
    await waitFor('every rejection', () => Object.entries(wanted).every(([reason, n]) => grew(reason) >= n));
    await waitFor('the good frame after the bad ones', () => upOf(road, 2) !== undefined);
    expect(Object.fromEntries(Object.keys(wanted).map((reason) => [reason, grew(reason)]))).toEqual(wanted);
    await waitFor('the rejections on MQTT', () => Object.keys(wanted).every((reason) => rejected().some((r) => r.reason === reason)));
    const mic = rejected().find((r) => r.reason === 'mic-mismatch')!;
    expect(mic).toMatchObject({ input: 'serial', gatewayId: 'test-rak' });
    expect(rejected().find((r) => r.reason === 'hex-invalid')!.detail).toMatch(/length field says 9 bytes, the hex holds 5/);
    expect(rejected().some((r) => r.reason === 'line-garbage' && /not in P2P mode/.test(r.detail))).toBe(true);
    expect(rejected().find((r) => r.reason === 'line-too-long')!.detail).toMatch(/line of 8\d\d characters/);
    expect(upOf(road, 2)!.rx[0]).toMatchObject({ rssi: -80, snr: 7 });
    // nothing published carries a key
    const everything = sub.messages.map((m) => m.payload.toString('latin1')).join('\n');
    for (const device of devices) {
      expect(everything).not.toContain(device.nwkSKey);
      expect(everything).not.toContain(device.appSKey);
    }
  });

  it("sends a downlink through the RAK811 in the node's window after its next uplink, deaf while sending, then receives again", async () => {
    await sub.client.publishAsync(`stadtsensor/${other.id}/down`, JSON.stringify({ deviceConfig: { sendInterval: 600 } }), { qos: 1 });
    await waitFor('the downlink queued', () => bridge.counts.downlinksQueued > 0);
    const commandsBefore = radio.module.commands.length;
    const transmittedBefore = radio.module.transmitted.length;
    // the moment the module puts the frame on the air, another node's uplink arrives: a sender does not hear it
    const whileSending = uplink(road, 3, 20, ROAD);
    let heardWhileSending: boolean | undefined;
    let modeWhileSending: string | undefined;
    let sentAt = 0;
    radio.module.once('transmit', () => {
      sentAt = performance.now();
      modeWhileSending = radio.module.module.transferMode;
      heardWhileSending = radio.module.receive(whileSending, { rssi: -70, snr: 8 });
    });
    const uplinkAt = performance.now();
    hear(uplink(other, 1, 20, ROAD));
    await waitFor('the module to transmit the downlink', () => radio.module.transmitted.length > transmittedBefore, 5_000);
    const delay = sentAt - uplinkAt;
    // the node listens from P2P_RX_OPEN_MS to P2P_RX_WINDOW_MS after its uplink; the bridge answers in the middle
    expect(delay).toBeGreaterThanOrEqual(P2P_RX_OPEN_MS);
    expect(delay).toBeLessThan(P2P_RX_WINDOW_MS);
    expect(modeWhileSending).toBe('sender');
    expect(heardWhileSending).toBe(false);

    const frame = radio.module.transmitted.at(-1)!;
    expect(frame).toMatchObject({ freqHz: P2P_CONFIG.frequencyHz, sf: P2P_CONFIG.spreadingFactor, bwHz: P2P_CONFIG.bandwidthKhz * 1000 });
    const opened = parseDownlink(frame.payload, {
      devAddr: bytesOf(other.devAddr),
      nwkSKey: bytesOf(other.nwkSKey),
      appSKey: bytesOf(other.appSKey),
      fCntDownExpected: 0,
    });
    if (typeof opened === 'string') throw new Error(`the node refused the downlink: ${opened}`);
    expect(codec.decodeDownlink(opened.fPort!, opened.payload)).toMatchObject({ ok: true, data: { deviceConfig: { sendInterval: 600 } } });

    // the bridge puts the module back into receive mode once the frame is out
    await waitFor('the downlink reported sent', () => bridge.counts.downlinksSent === 1, 5_000);
    await waitFor('the module receiving again', () => radio.module.listening, 3_000);
    expect(radio.module.commands.slice(commandsBefore)).toEqual([
      'at+set_config=lorap2p:transfer_mode:2',
      `at+send=lorap2p:${hexOf(frame.payload)}`,
      'at+set_config=lorap2p:transfer_mode:1',
    ]);
    hear(uplink(road, 4, 20, ROAD), -75, 9);
    await waitFor('the frame heard after the downlink', () => upOf(road, 4) !== undefined);
    expect(upOf(road, 4)!.rx[0]).toMatchObject({ rssi: -75, snr: 9 });
    // the frame that arrived while the module was sending was never printed, so never published
    expect(upOf(road, 3)).toBeUndefined();
    expect(upOf(other, 1)).toBeDefined();
    expect(bridge.counts.downlinksFailed).toBe(0);
  });

  it('sets the module up again when it restarted on its own (a RAK811 starts as a sender, deaf)', async () => {
    const reboots = radio.module.module.stats.reboots;
    const commandsBefore = radio.module.commands.length;
    radio.module.module.hardReset();
    expect(radio.module.listening).toBe(false);
    await waitFor('the module to boot', () => radio.module.module.ready, 3_000);
    await waitFor('the module receiving again', () => radio.module.listening, 5_000);
    expect(radio.module.module.stats.reboots).toBe(reboots + 2); // its own restart, and work_mode:1's
    expect(radio.module.commands.slice(commandsBefore)).toEqual(SETUP_COMMANDS);
    expect(bridge.serialInputs[0]!.counters.reconfigures).toBe(1);
    hear(uplink(road, 5, 20, ROAD));
    await waitFor('a frame heard after the restart', () => upOf(road, 5) !== undefined);
  });
});
