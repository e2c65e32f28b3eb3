/**
 * A real Debian Mosquitto for tests: its own config in a temp dir, a free port on loopback, optional password file,
 * optional TLS listener with a private CA (certificates made with openssl), optional persistence. It can be stopped,
 * killed and restarted on the same ports, for the broker-restart tests. Every broker still running when the test
 * process exits is killed.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MosquittoOptions {
  /** user -> password; when given, anonymous clients are refused on every listener. */
  users?: Record<string, string>;
  /** Adds a TLS listener whose server certificate is signed by a private test CA. */
  tls?: boolean | { requireClientCertificate?: boolean };
  /** Keeps sessions, queued QoS 1 messages and retained messages across a graceful stop and restart. */
  persistence?: boolean;
  /** Per-client queue of QoS 1 messages for an offline persistent session; Mosquitto's default is 1000. 0 = no limit. */
  maxQueuedMessages?: number;
  /** set_tcp_nodelay: Mosquitto answers without Nagle's delay (its default is false). */
  tcpNoDelay?: boolean;
}

/** PEM files of the private CA and the certificates it signed, plus an unrelated CA for "wrong CA" tests. */
export interface TestCertificates {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A second, unrelated CA: a client trusting only this one must refuse the broker. */
  otherCaFile: string;
}

export interface Mosquitto {
  readonly port: number;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly tlsPort?: number;
  /** mqtts://127.0.0.1:<tlsPort> */
  readonly tlsUrl?: string;
  readonly certs?: TestCertificates;
  readonly running: boolean;
  /** Mosquitto's own log (stderr), for failure messages. */
  log(): string;
  /** SIGTERM and wait: Mosquitto saves its persistence file and closes connections cleanly. */
  stop(): Promise<void>;
  /** SIGKILL and wait: nothing is saved, clients see their sockets die. */
  kill(): Promise<void>;
  /** Starts again on the same ports with the same config (stops it first if it runs). */
  restart(): Promise<void>;
  /** Stops it and removes its temp dir. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=stadtsensor ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function signedCertificate(dir: string, name: string, commonName: string, extensions: string): void {
  openssl(dir, [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${commonName}`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
  ]);
}

/** A private CA, a server certificate for localhost/127.0.0.1, a client certificate and an unrelated CA. */
export function makeTestCertificates(dir: string): TestCertificates {
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'other-ca');
  signedCertificate(
    dir,
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  signedCertificate(
    dir,
    'client',
    'stadtsensor-bridge',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
    otherCaFile: join(dir, 'other-ca.crt'),
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-mosquitto-'));
  tempDirs.add(dir);
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const certs = options.tls ? makeTestCertificates(dir) : undefined;

  const lines = ['per_listener_settings false', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice'];
  // as root Mosquitto would switch to the 'mosquitto' user, who cannot read our temp dir
  if (process.getuid?.() === 0) lines.push('user root');
  if (options.users) {
    const passwordFile = join(dir, 'passwords');
    writeFileSync(passwordFile, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(options.users)) {
      execFileSync('mosquitto_passwd', ['-b', passwordFile, user, password], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
  if (options.maxQueuedMessages !== undefined) lines.push(`max_queued_messages ${options.maxQueuedMessages}`);
  if (options.tcpNoDelay) lines.push('set_tcp_nodelay true');
  lines.push(`listener ${port} 127.0.0.1`);
  if (certs && tlsPort !== undefined) {
    const requireClient = typeof options.tls === 'object' && options.tls.requireClientCertificate === true;
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${certs.caFile}`,
      `certfile ${certs.serverCertFile}`,
      `keyfile ${certs.serverKeyFile}`,
      `require_certificate ${requireClient ? 'true' : 'false'}`,
    );
  }
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(confFile, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let logText = '';

  const start = async (): Promise<void> => {
    const proc = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    running.add(proc);
    let hasExited = false;
    exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        hasExited = true;
        running.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      });
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      logText = (logText + chunk.toString()).slice(-20_000);
    });
    const ports = tlsPort === undefined ? [port] : [port, tlsPort];
    const deadline = Date.now() + 10_000;
    for (const p of ports) {
      while (!(await canConnect(p))) {
        if (hasExited) throw new Error(`mosquitto exited at start:\n${logText}`);
        if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${p} within 10 s:\n${logText}`);
        await sleep(20);
      }
    }
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill(sig);
    const escalate = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(escalate);
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
    throw error;
  }

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    tlsPort,
    tlsUrl: tlsPort === undefined ? undefined : `mqtts://127.0.0.1:${tlsPort}`,
    certs,
    get running() {
      return child !== undefined;
    },
    log: () => logText,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      await start();
    },
    async close() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}
