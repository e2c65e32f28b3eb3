/**
 * The zero-setup default (`npm start`): the whole path of a town's sensor network on one machine, with real parts
 * wherever a user has them. An embedded aedes broker (MQTT and MQTT over WebSocket; another port when 1883 is
 * taken, or a broker you name), a simulated RAK3172 on a real pseudo-terminal, the gateway bridge configuring that
 * module and reading it exactly as it reads a module on a Pi's USB adapter, and simulated nodes sending real
 * LoRaWAN frames. What the bridge publishes is read back from the broker and printed as it flows.
 *
 * Now and then a node's old frame is played again and a line of noise reaches the serial port: the bridge rejects
 * both with a reason, and the demo prints that too.
 */
import mqtt from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bridge } from '../../gateway-bridge/src/bridge.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../gateway-bridge/src/broker/embedded-broker.ts';
import { configFromObject } from '../../gateway-bridge/src/config/load.ts';
import { createLogger } from '../../gateway-bridge/src/ops/logger.ts';
import type { BridgeEvent, Rejection } from '../../gateway-bridge/src/types.ts';
import { mulberry32 } from '../simulator/scheduler.ts';
import { PtyPair } from '../simulator/pty/pty-pair.ts';
import { PtyRakModule } from '../simulator/pty/pty-module.ts';
import { firstStopSignal } from '../cli/signals.ts';
import { DEMO_P2P_KEYS } from '../simulator/world/keys.ts';
import { demoDevices } from './demo-devices.ts';
import { DemoNode, type DemoUplink } from './demo-nodes.ts';
import { formatEvent, formatRejection } from './format-reading.ts';

export interface DemoOptions {
  /** Seconds between two uplinks (of any node). Default 1.5. */
  intervalS?: number;
  /** Stop after this many seconds; default: run until interrupted. */
  durationS?: number;
  /** Use this broker instead of starting the embedded one (e.g. mqtt://127.0.0.1:1883). */
  brokerUrl?: string;
  /** Preferred port of the embedded broker. Default 1883. */
  port?: number;
  /** Where the outbox lives; default a temporary directory removed at the end. */
  dataDir?: string;
  /** Bridge log level. Default 'warn' (the demo prints what matters itself). */
  logLevel?: 'info' | 'warn' | 'error' | 'debug' | 'silent';
  /** Where the demo's lines go. Default stdout. */
  print?: (line: string) => void;
  /** Resolves to stop the demo (default: SIGINT/SIGTERM). */
  stopSignal?: Promise<void>;
}

export interface DemoSummary {
  sent: number;
  heard: number;
  published: number;
  rejected: Record<string, number>;
  accepted: number;
  brokerUrl: string;
}

const REPLAY_EVERY = 9;
const NOISE_EVERY = 13;

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const intervalMs = Math.max(50, (options.intervalS ?? 1.5) * 1000);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'stadtsensor-demo-'));
  const cleanups: (() => Promise<void> | void)[] = [];
  if (!options.dataDir) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

  const summary: DemoSummary = { sent: 0, heard: 0, published: 0, rejected: {}, accepted: 0, brokerUrl: '' };
  try {
    let broker: EmbeddedBroker | undefined;
    if (options.brokerUrl) {
      summary.brokerUrl = options.brokerUrl;
      print(`broker       ${options.brokerUrl} (yours)`);
    } else {
      broker = await startEmbeddedBroker({ port: options.port ?? 1883 });
      cleanups.unshift(() => broker!.close());
      summary.brokerUrl = broker.url;
      for (const moved of broker.movedPorts) print(`note         ${moved}`);
      print(`broker       embedded aedes on ${broker.url}` + (broker.wsPort ? `, WebSocket ws://${broker.host}:${broker.wsPort}` : ''));
    }

    const pty = await PtyPair.create({ names: ['rak3172', 'ttyBridge'] });
    cleanups.unshift(() => pty.close());
    const module = new PtyRakModule({ path: pty.pathA, bootMs: 300 });
    cleanups.unshift(() => module.close());
    await module.start();
    print(`serial       simulated RAK3172 (RUI3) on the pseudo-terminal ${pty.pathB}`);

    const devices = demoDevices();
    const p2p = DEMO_P2P_KEYS.p2p;
    const config = configFromObject(
      {
        gateway: { id: 'demo-gateway' },
        serial: [
          {
            id: 'demo-rak3172',
            path: pty.pathB,
            p2p: {
              frequencyHz: p2p.freqHz,
              spreadingFactor: p2p.sf,
              bandwidthKhz: p2p.bwKhz,
              codingRate: p2p.cr,
              preamble: p2p.preamble,
              txPowerDbm: p2p.txPowerDbm,
            },
          },
        ],
        mqtt: { url: summary.brokerUrl },
        outbox: { path: join(dataDir, 'bridge.sqlite') },
        metrics: { enabled: true, port: 0 },
        log: { level: options.logLevel ?? 'warn', pretty: true },
        statsIntervalS: 30,
        devices: devices.map((d) => d.entry),
      },
      { checkPermissions: false },
    );
    const bridge = await Bridge.start(config, { logger: createLogger({ level: options.logLevel ?? 'warn', pretty: true }) });
    cleanups.unshift(() => bridge.stop(3_000));
    print(`bridge       gateway ${config.gateway.id}, ${devices.length} devices, outbox ${config.outbox.path}`);
    if (bridge.metricsUrl) print(`metrics      ${bridge.metricsUrl}/metrics`);

    const watcher = await mqtt.connectAsync(summary.brokerUrl, { clientId: `stadtsensor-demo-${process.pid}` });
    cleanups.unshift(() => watcher.endAsync());
    const prefix = config.mqtt.topicPrefix;
    watcher.on('message', (topic, payload) => {
      if (topic.endsWith('/up')) {
        summary.published++;
        print(formatEvent(JSON.parse(payload.toString()) as BridgeEvent));
      } else if (topic.endsWith('/rejected')) {
        const rejection = JSON.parse(payload.toString()) as Rejection;
        summary.rejected[rejection.reason] = (summary.rejected[rejection.reason] ?? 0) + 1;
        print(formatRejection(rejection));
      }
    });
    await watcher.subscribeAsync([`${prefix}/+/up`, `${prefix}/gateway/+/rejected`], { qos: 1 });
    print(`watching     ${prefix}/+/up and ${prefix}/gateway/+/rejected (mosquitto_sub -h ${new URL(summary.brokerUrl).hostname} -p ${new URL(summary.brokerUrl).port} -t '${prefix}/#' -v)`);

    await waitFor(() => bridge.serialInputs.every((input) => input.configuredNow), 15_000, 'the bridge did not configure the module');
    print(`ready        the module listens in P2P mode (${p2p.freqHz / 1e6} MHz, SF${p2p.sf}); nodes start sending. Ctrl-C stops.\n`);

    const random = mulberry32(7);
    const nodes = devices.map((d) => new DemoNode(d, random));
    const history: DemoUplink[] = [];
    let tick = 0;
    const timer = setInterval(() => {
      tick++;
      if (tick % NOISE_EVERY === 0) {
        module.writeRaw('+EVT:RXP2P:-97:4:40DA1B01\x7f\x00garbled\r\n');
        return;
      }
      if (tick % REPLAY_EVERY === 0 && history.length > 0) {
        // an older frame, not a node's latest: the bridge must see a replay, not a second reception
        const old = history[Math.floor(random() * Math.max(1, history.length - nodes.length))]!;
        if (module.receive(old.phyPayload, { rssi: old.rssi, snr: old.snr })) summary.heard++;
        return;
      }
      const node = nodes[tick % nodes.length]!;
      const uplink = node.nextUplink();
      summary.sent++;
      history.push(uplink);
      if (history.length > 20) history.shift();
      if (module.receive(uplink.phyPayload, { rssi: uplink.rssi, snr: uplink.snr })) summary.heard++;
    }, intervalMs);
    cleanups.unshift(() => clearInterval(timer));

    const stops: Promise<unknown>[] = [options.stopSignal ?? firstStopSignal()];
    if (options.durationS !== undefined) stops.push(new Promise((resolve) => setTimeout(resolve, options.durationS! * 1000)));
    await Promise.race(stops);
    clearInterval(timer);
    // let the last frames reach the broker and the watcher
    await waitFor(() => bridge.pending === 0, 3_000, '').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    summary.accepted = bridge.counts.accepted;
    print(
      `\nsummary      ${summary.sent} uplinks sent, ${summary.heard} frames heard by the module, ${summary.accepted} accepted, ` +
        `${summary.published} published, rejected: ${describeCounts(summary.rejected)}`,
    );
    return summary;
  } finally {
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch {
        // best effort: the rest must still be cleaned up
      }
    }
  }
}

function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([reason, n]) => `${n} ${reason}`).join(', ');
}

async function waitFor(condition: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
