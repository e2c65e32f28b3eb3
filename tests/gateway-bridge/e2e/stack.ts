/**
 * The bridge's end-to-end rig: a real pseudo-terminal pair (socat), a simulated RAK3172 on one end, the bridge on
 * the other, a real broker (Mosquitto started here, or the embedded aedes), and a recording subscriber. Frames
 * are real LoRaWAN ABP uplinks built with lora-packet.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Bridge, type BridgeOptions } from '../../../gateway-bridge/src/bridge.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../gateway-bridge/src/broker/embedded-broker.ts';
import { configFromObject } from '../../../gateway-bridge/src/config/load.ts';
import { createLogger } from '../../../gateway-bridge/src/ops/logger.ts';
import type { DeviceEntry } from '../../../gateway-bridge/src/types.ts';
import { encode } from '../../../payload-schema/src/codec.ts';
import { buildAbpUplink } from '../../../tools/demo/demo-nodes.ts';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';
import { PtyRakModule } from '../../../tools/simulator/pty/pty-module.ts';
import { PtyRak811 } from '../../../tools/simulator/pty/pty-rak811.ts';
import { DEMO_P2P_KEYS } from '../../../tools/simulator/world/keys.ts';
import { startMosquitto, type Mosquitto } from '../../support/mosquitto.ts';

export type TestDevice = DeviceEntry & { devAddr: string; nwkSKey: string; appSKey: string };

/** n test devices with distinct keys (session keys derived from the index; test use only). */
export function testDevices(n: number, type: DeviceEntry['type'] = 'roadClimate'): TestDevice[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `node-${i}`,
    name: `Test node ${i}`,
    devEui: (0x70b3d57ed0050000n + BigInt(i)).toString(16).padStart(16, '0'),
    devAddr: (0x26010000 + i).toString(16).padStart(8, '0'),
    nwkSKey: (i + 1).toString(16).padStart(4, '0').repeat(8),
    appSKey: (i + 0x8001).toString(16).padStart(4, '0').repeat(8),
    type,
    sendIntervalS: 900,
  }));
}

/** The lora-packet published test vectors' device (shared/reference/lorawan.md). */
export const VECTOR_DEVICE: TestDevice = {
  id: 'lora-packet-vectors',
  name: 'lora-packet test vectors',
  devEui: '0011223344556677',
  devAddr: '49be7df1',
  nwkSKey: '44024241ed4ce9a68c6a8bc055233fd3',
  appSKey: 'ec925802ae430ca77fd3dd73cb2cc588',
  type: 'unknown',
};

export function uplink(device: TestDevice, fCnt: number, port: number, data: unknown, confirmed = false): Uint8Array {
  const encoded = encode(port, data);
  if (!encoded.ok) throw new Error(`test data for port ${port} does not encode: ${encoded.error.message}`);
  return buildAbpUplink({ ...device, fCnt, port, payload: encoded.bytes, confirmed });
}

export const P2P_CONFIG = {
  frequencyHz: DEMO_P2P_KEYS.p2p.freqHz,
  spreadingFactor: DEMO_P2P_KEYS.p2p.sf,
  bandwidthKhz: DEMO_P2P_KEYS.p2p.bwKhz,
  codingRate: DEMO_P2P_KEYS.p2p.cr,
  preamble: DEMO_P2P_KEYS.p2p.preamble,
  txPowerDbm: DEMO_P2P_KEYS.p2p.txPowerDbm,
};

export interface BrokerUnderTest {
  url: string;
  mosquitto?: Mosquitto;
  close(): Promise<void>;
}

export async function startBroker(kind: 'mosquitto' | 'aedes', options: Parameters<typeof startMosquitto>[0] = {}): Promise<BrokerUnderTest> {
  if (kind === 'mosquitto') {
    const mosquitto = await startMosquitto({ tcpNoDelay: true, ...options });
    return { url: mosquitto.url, mosquitto, close: () => mosquitto.close() };
  }
  const aedes: EmbeddedBroker = await startEmbeddedBroker({ port: 0, wsPort: null });
  return { url: aedes.url, close: () => aedes.close() };
}

/** The radio side: a pty pair with the simulated module on end A; the bridge opens end B. */
export interface Radio<M extends PtyRakModule | PtyRak811 = PtyRakModule> {
  pair: PtyPair;
  module: M;
  /** The bridge's end. */
  path: string;
  close(): Promise<void>;
}

export async function startRadio(): Promise<Radio> {
  return startModuleRadio((path) => new PtyRakModule({ path, bootMs: 100 }));
}

/** As startRadio, with the simulator's RAK811 (AT firmware V3) instead of the RAK3172; the bridge needs `module: 'rak811'`. */
export async function startRak811Radio(): Promise<Radio<PtyRak811>> {
  return startModuleRadio((path) => new PtyRak811({ path, bootMs: 100 }));
}

async function startModuleRadio<M extends PtyRakModule | PtyRak811>(make: (path: string) => M): Promise<Radio<M>> {
  const pair = await PtyPair.create({ names: ['module', 'bridge'] });
  const module = make(pair.pathA);
  await module.start();
  return {
    pair,
    module,
    path: pair.pathB,
    async close() {
      await module.close();
      await pair.close();
    },
  };
}

/** The configuration object the tests give the bridge (configFromObject), or write as a file for a child process. */
export function bridgeConfigObject(options: {
  brokerUrl: string;
  serialPath: string;
  outbox: string;
  devices: DeviceEntry[];
  /** The serial input's module; default: the bridge's default (rui3). */
  module?: 'rui3' | 'rak811';
  extra?: Record<string, unknown>;
}) {
  const module = options.module === undefined ? {} : { module: options.module };
  return {
    gateway: { id: 'test-gw' },
    serial: [{ id: 'test-rak', path: options.serialPath, p2p: P2P_CONFIG, ...module }],
    mqtt: { url: options.brokerUrl },
    outbox: { path: options.outbox },
    metrics: { enabled: true, port: 0 },
    log: { level: 'silent' },
    statsIntervalS: 0,
    devices: options.devices,
    ...options.extra,
  };
}

export async function startBridge(
  options: Parameters<typeof bridgeConfigObject>[0],
  bridgeOptions: BridgeOptions = {},
): Promise<Bridge> {
  const config = configFromObject(bridgeConfigObject(options), { checkPermissions: false });
  return Bridge.start(config, { logger: createLogger({ level: 'silent' }), ...bridgeOptions });
}

/** Writes the configuration as a private YAML file (keys inside: mode 600, as the bridge demands). */
export function writeConfigFile(dir: string, object: Record<string, unknown>): string {
  const file = join(dir, 'bridge.yaml');
  writeFileSync(file, stringify(object));
  chmodSync(file, 0o600);
  return file;
}

export function tempDir(prefix = 'stadtsensor-e2e-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Recorded {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export interface Recorder {
  client: MqttClient;
  messages: Recorded[];
  /** JSON payloads of messages on topics matching the predicate. */
  json<T>(match: (topic: string) => boolean): T[];
  close(): Promise<void>;
}

export async function record(url: string, topics: string[], options: mqtt.IClientOptions = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 100, ...options });
  const messages: Recorded[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(topics, { qos: 1 });
  return {
    client,
    messages,
    json: <T>(match: (topic: string) => boolean) =>
      messages.filter((m) => match(m.topic)).map((m) => JSON.parse(m.payload.toString()) as T),
    close: () => client.endAsync(true),
  };
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function waitConfigured(bridge: Bridge, timeoutMs = 10_000): Promise<void> {
  await waitFor('the bridge to configure the module', () => bridge.serialInputs.every((input) => input.configuredNow), timeoutMs);
}

// --- steady streams of frames (the outage and serial-loss tests, and the bridge benchmark) ----------------------

/** One uplink of a stream: who sent it, its frame counter, the bytes the module hears. */
export interface StreamFrame {
  device: TestDevice;
  fCnt: number;
  phyPayload: Uint8Array;
}

/**
 * `perDevice` road-climate uplinks of every device, interleaved (each device's fCnt f, then f + 1, ...), frame
 * counters from `firstFCnt`, readings that change from frame to frame (so no two frames are alike).
 */
export function roadClimateStream(devices: readonly TestDevice[], perDevice: number, firstFCnt = 1): StreamFrame[] {
  const frames: StreamFrame[] = [];
  for (let k = 0; k < perDevice; k++) {
    for (const [d, device] of devices.entries()) {
      const n = k * devices.length + d;
      const fCnt = firstFCnt + k;
      const data = {
        air: { temperature: -5 + (n % 300) / 10, relativeHumidity: 40 + (n % 120) / 2 },
        surface: { temperature: -8 + (n % 250) / 10 },
        iceRisk: (['clear', 'watch', 'risk'] as const)[n % 3],
        status: { airSensorFailed: false, surfaceSensorFailed: false, heaterOn: n % 7 === 0 },
        battery: 3.0 + (n % 60) / 100,
      };
      frames.push({ device, fCnt, phyPayload: uplink(device, fCnt, 20, data) });
    }
  }
  return frames;
}

export interface Feeder {
  /** Frames handed to module.receive() so far. */
  readonly sent: number;
  /** Of those, the frames the module heard and printed (none while it is detached, booting or not receiving). */
  readonly heard: number;
  /** Resolves when every frame was handed over or stop() was called. */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Hands the frames to the simulated module at a steady rate: on every timer tick (about every `tickMs`) as many as
 * are due since the start, so a late timer is caught up and the average rate holds. `onFrame` is called right
 * after each receive() (the benchmark takes its send time there).
 */
export function feedSteadily(
  module: PtyRakModule,
  frames: readonly StreamFrame[],
  ratePerS: number,
  options: { tickMs?: number; onFrame?: (frame: StreamFrame, index: number, heard: boolean) => void } = {},
): Feeder {
  const tickMs = options.tickMs ?? 2;
  let sent = 0;
  let heard = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const tick = (): void => {
    if (stopped) return;
    const due = Math.min(frames.length, Math.floor(((performance.now() - started) * ratePerS) / 1000) + 1);
    while (sent < due) {
      const frame = frames[sent]!;
      const ok = module.receive(frame.phyPayload, { rssi: -70 - (sent % 40), snr: 9 - (sent % 15) });
      if (ok) heard++;
      options.onFrame?.(frame, sent, ok);
      sent++;
    }
    if (sent >= frames.length) {
      stopped = true;
      finish();
      return;
    }
    timer = setTimeout(tick, tickMs);
  };
  tick();
  return {
    get sent() {
      return sent;
    },
    get heard() {
      return heard;
    },
    done,
    stop() {
      stopped = true;
      clearTimeout(timer);
      finish();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The event ids of the `<prefix>/<device>/up` JSON messages a recorder got, with how often each came. */
export function upEventIds(recorder: Recorder): Map<string, number> {
  const ids = new Map<string, number>();
  for (const m of recorder.messages) {
    if (!m.topic.endsWith('/up')) continue;
    const id = (JSON.parse(m.payload.toString()) as { id: string }).id;
    ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  return ids;
}
