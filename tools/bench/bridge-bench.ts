/**
 * `npm run bench`, the gateway bridge: frames per second from the pseudo-terminal to an MQTT subscriber with QoS 1,
 * latency at a gateway's real rate, and the bridge's resident memory. A benchmark, not a test: it prints figures
 * and ratios against the baseline of an 8-channel gateway (it hears at most ~200 frames/s) and asserts nothing.
 *
 * The path is the real one: a simulated RAK3172 on one end of a socat pseudo-terminal pair prints `+EVT:RXP2P`
 * lines of real LoRaWAN frames (lora-packet); `stadtsensor bridge --config <file>` runs as a child process (so its
 * memory, read from /proc/<pid>/status, is its own) and does MIC, frame counter, decryption, decoding, the SQLite
 * outbox (synchronous=FULL) and QoS 1 publishing to a Mosquitto started here; a QoS 1 subscriber in this process
 * takes the time each event arrives.
 * - Sustained: frames pushed as fast as the bridge takes them (at most WINDOW not yet at the subscriber), frames/s
 *   from the first push to the last arrival. The injector's own capacity (frames per second of its busy time) is
 *   printed too, to show the bridge is what is measured.
 * - Latency: 200 frames/s for 10 s, from module.receive() to the subscriber's receipt.
 * Both against Mosquitto with set_tcp_nodelay true (as recommended for the gateway), and once with Debian's default
 * (Nagle's algorithm on: a small write waits for the ACK of the one before, up to the peer's ~40 ms delayed ACK
 * when no other data carries it). The machine's load is printed with the figures: on a shared machine it moves them.
 *   --bridge-json <file>   also write the figures as JSON
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import {
  bridgeConfigObject,
  feedSteadily,
  roadClimateStream,
  startRadio,
  tempDir,
  testDevices,
  waitFor,
  writeConfigFile,
  type Radio,
  type StreamFrame,
  type TestDevice,
} from '../../tests/gateway-bridge/e2e/stack.ts';
import { freePort, startMosquitto, type Mosquitto } from '../../tests/support/mosquitto.ts';

/** What an 8-channel LoRa gateway hears at most: the baseline of the ratios. */
export const GATEWAY_FRAMES_PER_S = 200;
export const TARGET_FRAMES_PER_S = 2_000;
export const TARGET_P99_MS = 20;
/** Frames pushed but not yet at the subscriber, at most, in the sustained run. */
const WINDOW = 2_000;
const DEVICES = 20;
const CLI = fileURLToPath(new URL('../../bin/stadtsensor.js', import.meta.url));

export interface BridgeBenchOptions {
  sustainedFrames: number;
  latencyRatePerS: number;
  latencySeconds: number;
  /** Also measure against Mosquitto with Debian's default (Nagle on). */
  compareNagle: boolean;
}

export const BRIDGE_BENCH_DEFAULTS: BridgeBenchOptions = { sustainedFrames: 20_000, latencyRatePerS: 200, latencySeconds: 10, compareNagle: true };

export interface LatencyFigures {
  frames: number;
  ratePerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The bridge's event-loop delay meanwhile (its /metrics): what it waited for the CPU or blocked itself. */
  bridgeLoopLagP99Ms: number;
  bridgeLoopLagMaxMs: number;
  /** All processes of the machine, in cores: other work on it shows here. */
  machineCores: number;
}

export interface SustainedFigures {
  frames: number;
  seconds: number;
  framesPerS: number;
  /** Frames per second of the injector's busy time: what it could hand over. */
  injectorCapacityPerS: number;
  /** The bridge process's CPU time over the run's wall time (1 = one core busy). */
  bridgeCores: number;
  /** This process's (injector, simulated module, subscriber). */
  benchCores: number;
  /** All processes of the machine. */
  machineCores: number;
  rejected: number;
}

export interface MemoryFigures {
  /** After start-up and the warm-up, before the runs. */
  idleRssMb: number;
  rssMb: number;
  /** VmHWM: the peak. */
  peakRssMb: number;
}

export interface BrokerRun {
  broker: string;
  tcpNoDelay: boolean;
  latency: LatencyFigures;
  sustained: SustainedFigures;
  memory: MemoryFigures;
  startupMs: number;
}

export interface BridgeBenchResult {
  mosquittoVersion: string;
  runs: BrokerRun[];
  /** The machine's 1-minute load average before and after: other work on it shows in the figures. */
  loadAverage: { before: number; after: number };
}

const key = (device: string, fCnt: number): string => `${device}/${fCnt}`;
const frameKey = (frame: StreamFrame): string => key(frame.device.id, frame.fCnt);
/** One progress line on stderr, overwritten by the next. */
const progress = (text: string): void => void process.stderr.write(`\r${text.padEnd(100)}\r`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** VmRSS and VmHWM of a process in MB. */
function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds of a process (/proc/<pid>/stat, fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * prom-client samples the event loop with a 10 ms timer (eventLoopMonitoringPrecision) and reports the whole
 * interval: an idle loop shows 10 ms. The delay is what exceeds it.
 */
function loopDelayMs(seconds: number | undefined): number {
  return seconds === undefined ? NaN : Math.max(0, seconds * 1000 - 10);
}

/** Busy and total CPU time of the whole machine so far (/proc/stat), in clock ticks. */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** Cores busy since `since` (from machineCpu()). */
function machineCoresSince(since: { busy: number; total: number }): number {
  const now = machineCpu();
  return ((now.busy - since.busy) / Math.max(1, now.total - since.total)) * os.cpus().length;
}

/** One Mosquitto, one radio, one bridge process and one subscriber. */
class Rig {
  /** Arrival time of each event at the subscriber, by device/fCnt. */
  readonly arrived = new Map<string, number>();
  private constructor(
    readonly mosquitto: Mosquitto,
    readonly radio: Radio,
    readonly bridge: ChildProcess,
    readonly subscriber: MqttClient,
    readonly devices: TestDevice[],
    readonly metricsUrl: string,
    readonly logFile: string,
    private readonly temp: { dir: string; cleanup(): void },
  ) {
    subscriber.on('message', (topic, payload) => {
      const device = topic.split('/')[1] ?? '';
      const fCnt = /"fCnt":(\d+)/.exec(payload.toString('latin1'))?.[1];
      const k = key(device, Number(fCnt));
      if (!this.arrived.has(k)) this.arrived.set(k, performance.now());
    });
  }

  static async start(tcpNoDelay: boolean): Promise<{ rig: Rig; startupMs: number }> {
    const mosquitto = await startMosquitto({ tcpNoDelay, maxQueuedMessages: 0 });
    const radio = await startRadio();
    const temp = tempDir('stadtsensor-bridge-bench-');
    const devices = testDevices(DEVICES);
    const metricsPort = await freePort();
    const configFile = writeConfigFile(
      temp.dir,
      bridgeConfigObject({
        brokerUrl: mosquitto.url,
        serialPath: radio.path,
        outbox: join(temp.dir, 'bridge.sqlite'),
        devices,
        extra: { log: { level: 'warn' }, metrics: { enabled: true, host: '127.0.0.1', port: metricsPort } },
      }),
    );
    const subscriber = await mqtt.connectAsync(mosquitto.url, { clientId: `bridge-bench-${process.pid}`, clean: true });
    await subscriber.subscribeAsync('stadtsensor/+/up', { qos: 1 });
    const logFile = join(temp.dir, 'bridge.log');
    const out = openSync(logFile, 'w');
    const started = performance.now();
    const bridge = spawn(process.execPath, [CLI, 'bridge', '--config', configFile], { stdio: ['ignore', out, out] });
    closeSync(out);
    const rig = new Rig(mosquitto, radio, bridge, subscriber, devices, `http://127.0.0.1:${metricsPort}/metrics`, logFile, temp);
    try {
      await waitFor('the bridge to configure the module', () => {
        if (bridge.exitCode !== null) throw new Error(`the bridge exited at start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
        return radio.module.listening;
      }, 30_000);
    } catch (error) {
      await rig.close();
      throw error;
    }
    return { rig, startupMs: performance.now() - started };
  }

  get pid(): number {
    return this.bridge.pid!;
  }

  async waitArrived(frames: readonly StreamFrame[], timeoutMs: number): Promise<void> {
    await waitFor(`${frames.length} events at the subscriber`, () => frames.every((f) => this.arrived.has(frameKey(f))), timeoutMs).catch((error: Error) => {
      const missing = frames.filter((f) => !this.arrived.has(frameKey(f))).length;
      throw new Error(`${error.message}: ${missing} missing; bridge log:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`);
    });
  }

  /** The bridge's /metrics, each metric summed over its labels. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(this.metricsUrl)).text();
    const sums = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (match) sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + Number(match[3]));
    }
    return sums;
  }

  async metric(name: string): Promise<number> {
    return (await this.metrics()).get(name) ?? 0;
  }

  async close(): Promise<void> {
    if (this.bridge.exitCode === null && this.bridge.signalCode === null) {
      const exited = new Promise((resolve) => this.bridge.once('exit', resolve));
      this.bridge.kill('SIGTERM');
      const force = setTimeout(() => this.bridge.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(force);
    }
    await this.subscriber.endAsync(true);
    await this.radio.close();
    await this.mosquitto.close();
    this.temp.cleanup();
  }
}

async function measureLatency(rig: Rig, frames: readonly StreamFrame[], ratePerS: number): Promise<LatencyFigures> {
  // a scrape resets the bridge's event-loop delay histogram
  await rig.metric('nodejs_eventloop_lag_p99_seconds');
  const machineBefore = machineCpu();
  const sentAt = new Map<string, number>();
  const feeder = feedSteadily(rig.radio.module, frames, ratePerS, { tickMs: 1, onFrame: (frame) => sentAt.set(frameKey(frame), performance.now()) });
  await feeder.done;
  if (feeder.heard !== frames.length) throw new Error(`the module heard ${feeder.heard} of ${frames.length} frames`);
  await rig.waitArrived(frames, 15_000);
  const machineCores = machineCoresSince(machineBefore);
  const metrics = await rig.metrics();
  const latencies = frames.map((f) => rig.arrived.get(frameKey(f))! - sentAt.get(frameKey(f))!).sort((a, b) => a - b);
  return {
    frames: frames.length,
    ratePerS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1)!,
    bridgeLoopLagP99Ms: loopDelayMs(metrics.get('nodejs_eventloop_lag_p99_seconds')),
    bridgeLoopLagMaxMs: loopDelayMs(metrics.get('nodejs_eventloop_lag_max_seconds')),
    machineCores,
  };
}

async function measureSustained(rig: Rig, frames: readonly StreamFrame[]): Promise<SustainedFigures> {
  const rejectedBefore = await rig.metric('stadtsensor_bridge_frames_rejected_total');
  const arrivedBefore = rig.arrived.size;
  const bridgeCpuBefore = cpuSecondsOf(rig.pid);
  const machineBefore = machineCpu();
  const benchCpuBefore = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  let busyMs = 0;
  while (sent < frames.length) {
    if (sent - (rig.arrived.size - arrivedBefore) >= WINDOW) {
      await sleep(1);
      continue;
    }
    const from = performance.now();
    for (const end = Math.min(sent + 100, frames.length); sent < end; sent++) {
      const frame = frames[sent]!;
      if (!rig.radio.module.receive(frame.phyPayload, { rssi: -70 - (sent % 40), snr: 9 - (sent % 15) })) {
        throw new Error(`the module did not hear frame ${sent} (not receiving?)`);
      }
    }
    busyMs += performance.now() - from;
    // one batch per event-loop turn: the module prints it, the subscriber's arrivals are counted
    await new Promise((resolve) => setImmediate(resolve));
  }
  await rig.waitArrived(frames, 60_000);
  const last = Math.max(...frames.map((f) => rig.arrived.get(frameKey(f))!));
  const seconds = (last - started) / 1000;
  const bench = process.cpuUsage(benchCpuBefore);
  return {
    frames: frames.length,
    seconds,
    framesPerS: frames.length / seconds,
    injectorCapacityPerS: frames.length / (busyMs / 1000),
    bridgeCores: (cpuSecondsOf(rig.pid) - bridgeCpuBefore) / seconds,
    benchCores: (bench.user + bench.system) / 1e6 / seconds,
    machineCores: machineCoresSince(machineBefore),
    rejected: (await rig.metric('stadtsensor_bridge_frames_rejected_total')) - rejectedBefore,
  };
}

async function runAgainst(tcpNoDelay: boolean, options: BridgeBenchOptions): Promise<BrokerRun> {
  const { rig, startupMs } = await Rig.start(tcpNoDelay);
  try {
    const perDevice = (n: number): number => Math.ceil(n / DEVICES);
    // frame counters run on across the phases: warm-up, latency, sustained
    const warmUp = roadClimateStream(rig.devices, perDevice(400), 1);
    const latencyFrames = roadClimateStream(rig.devices, perDevice(options.latencyRatePerS * options.latencySeconds), 1 + perDevice(400));
    const sustainedFrames = roadClimateStream(rig.devices, perDevice(options.sustainedFrames), 1 + perDevice(400) + perDevice(latencyFrames.length));
    const label = tcpNoDelay ? 'set_tcp_nodelay true' : "Debian's default";
    progress(`bridge bench (${label}): warming up ...`);
    await measureLatency(rig, warmUp, 1_000);
    const idle = memoryOf(rig.pid);
    progress(`bridge bench (${label}): latency at ${options.latencyRatePerS} frames/s for ${options.latencySeconds} s ...`);
    const latency = await measureLatency(rig, latencyFrames, options.latencyRatePerS);
    progress(`bridge bench (${label}): ${sustainedFrames.length} frames as fast as the bridge takes them ...`);
    const sustained = await measureSustained(rig, sustainedFrames);
    const memory = { idleRssMb: idle.rssMb, ...memoryOf(rig.pid) };
    progress('');
    return { broker: label, tcpNoDelay, latency, sustained, memory, startupMs };
  } finally {
    await rig.close();
  }
}

export async function runBridgeBench(options: BridgeBenchOptions = BRIDGE_BENCH_DEFAULTS): Promise<BridgeBenchResult> {
  const before = os.loadavg()[0]!;
  const mosquittoVersion = /mosquitto version (\S+)/.exec(await mosquittoHelp())?.[1] ?? 'unknown';
  const runs = [await runAgainst(true, options)];
  if (options.compareNagle) runs.push(await runAgainst(false, { ...options, sustainedFrames: Math.min(options.sustainedFrames, 10_000) }));
  return { mosquittoVersion, runs, loadAverage: { before, after: os.loadavg()[0]! } };
}

function mosquittoHelp(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto', ['-h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('close', () => resolve(text));
    child.once('error', () => resolve(''));
  });
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
const ratio = (n: number): string => `${(n / GATEWAY_FRAMES_PER_S).toFixed(1)}x`;

export function formatBridgeBench(result: BridgeBenchResult): string {
  const [main, nagle] = result.runs;
  if (!main) return 'no bridge runs';
  const columns = result.runs.map((r) => r.broker);
  const row = (label: string, values: string[], target = ''): string =>
    `${label.padEnd(46)}${values.map((v) => v.padStart(24)).join('')}${target.padStart(12)}`;
  const lines = [
    `Gateway bridge: simulated RAK3172 on a socat pseudo-terminal -> \`stadtsensor bridge\` (child process, SQLite outbox with`,
    `synchronous=FULL, QoS 1) -> Mosquitto ${result.mosquittoVersion} on loopback -> QoS 1 subscriber; ${DEVICES} devices, road-climate ABP frames`,
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, load average ${result.loadAverage.before.toFixed(1)} before and ` +
      `${result.loadAverage.after.toFixed(1)} after; ratios against the ${GATEWAY_FRAMES_PER_S} frames/s an 8-channel gateway hears at most`,
    '',
    row('Mosquitto', columns, 'target'),
    row(
      'sustained frames/s (pty -> subscriber)',
      result.runs.map((r) => `${int(r.sustained.framesPerS)}/s ${ratio(r.sustained.framesPerS).padStart(6)}`),
      `>= ${int(TARGET_FRAMES_PER_S)}/s`,
    ),
    row('  frames, seconds', result.runs.map((r) => `${int(r.sustained.frames)} in ${r.sustained.seconds.toFixed(2)} s`)),
    row('  injector capacity (frames/s of busy time)', result.runs.map((r) => `${int(r.sustained.injectorCapacityPerS)}/s`)),
    row(
      '  CPU cores: bridge / bench process / machine',
      result.runs.map((r) => `${r.sustained.bridgeCores.toFixed(2)} / ${r.sustained.benchCores.toFixed(2)} / ${r.sustained.machineCores.toFixed(2)}`),
    ),
    row('  frames rejected', result.runs.map((r) => int(r.sustained.rejected))),
    row(
      `latency at ${main.latency.ratePerS} frames/s (${int(main.latency.frames)} frames): p50`,
      result.runs.map((r) => ms(r.latency.p50Ms)),
    ),
    row('  p99', result.runs.map((r) => ms(r.latency.p99Ms)), `< ${TARGET_P99_MS} ms`),
    row('  max', result.runs.map((r) => ms(r.latency.maxMs))),
    row('  bridge event-loop delay p99 / max', result.runs.map((r) => `${r.latency.bridgeLoopLagP99Ms.toFixed(0)} / ${r.latency.bridgeLoopLagMaxMs.toFixed(0)} ms`)),
    row('  machine CPU busy (cores, all processes)', result.runs.map((r) => r.latency.machineCores.toFixed(2))),
    row('bridge RSS: idle / after the runs (MB)', result.runs.map((r) => `${r.memory.idleRssMb.toFixed(0)} / ${r.memory.rssMb.toFixed(0)}`)),
    row('  peak (VmHWM)', result.runs.map((r) => `${r.memory.peakRssMb.toFixed(0)} MB`)),
    row('bridge start-up to a configured module', result.runs.map((r) => `${(r.startupMs / 1000).toFixed(1)} s`)),
    '',
    `Sustained: the bridge takes ${ratio(main.sustained.framesPerS)} the frames an 8-channel gateway hears (target ${ratio(TARGET_FRAMES_PER_S)}); ` +
      `the injector could hand over ${(main.sustained.injectorCapacityPerS / main.sustained.framesPerS).toFixed(0)}x as many, so the bridge is what is measured.`,
    `Latency: p99 ${ms(main.latency.p99Ms)} at ${main.latency.ratePerS} frames/s (target < ${TARGET_P99_MS} ms), from module.receive() to the subscriber.`,
  ];
  if (nagle) {
    lines.push(
      `Mosquitto with Debian's default (no set_tcp_nodelay): p99 ${ms(nagle.latency.p99Ms)} (${(nagle.latency.p99Ms / main.latency.p99Ms).toFixed(1)}x), ` +
        `sustained ${int(nagle.sustained.framesPerS)}/s (${(nagle.sustained.framesPerS / main.sustained.framesPerS).toFixed(2)}x); ` +
        `compare the machine's load in both columns before reading much into it.`,
    );
  }
  return lines.join('\n');
}

function jsonFigures(result: BridgeBenchResult): unknown {
  return { ...result, baselineFramesPerS: GATEWAY_FRAMES_PER_S, targets: { framesPerS: TARGET_FRAMES_PER_S, p99Ms: TARGET_P99_MS } };
}

export async function main(argv: readonly string[]): Promise<void> {
  const i = argv.indexOf('--bridge-json');
  const jsonOut = i >= 0 ? argv[i + 1] : undefined;
  let result: BridgeBenchResult;
  try {
    result = await runBridgeBench();
  } catch (error) {
    progress('');
    console.log(`Gateway bridge benchmark failed: ${(error as Error).message}\n(it needs mosquitto and socat: apt-get install mosquitto socat)`);
    process.exitCode = 1;
    return;
  }
  console.log(formatBridgeBench(result));
  if (jsonOut) {
    writeFileSync(jsonOut, `${JSON.stringify(jsonFigures(result), null, 2)}\n`);
    console.log(`bridge figures written to ${jsonOut}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
