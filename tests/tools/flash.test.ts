/**
 * `stadtsensor flash` against a simulated Espruino console on a socat pty pair (tools/simulator/pty/
 * espruino-console.ts): the real `espruino` tools speak the REPL protocol, the console runs what arrives in the
 * simulated runtime with a FlashImage as Storage. Checked byte for byte against the bundle the command built, then the
 * flash image boots on a simulated node whose first uplinks a gateway opens with the keys of the bridge entry
 * `keys new` printed. Failures: missing port, silent console, wrong board, readable keys file, full Storage.
 */
import http from 'node:http';
import https from 'node:https';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { P2P_DEFAULTS } from '../../gateway-bridge/src/config/defaults.ts';
import { main } from '../../tools/cli/main.ts';
import { loadBoard, OUT_DIR } from '../../tools/firmware-build/index.ts';
import { FLASH_EXIT, flashNode } from '../../tools/flash/flash-node.ts';
import { createIdentity, type DeviceIdentity } from '../../tools/keys/identity.ts';
import { writeKeysFile } from '../../tools/keys/keys-file.ts';
import { registryEntryYaml, type RegistryEntry } from '../../tools/keys/registry-entry.ts';
import { SimulatedRak3172 } from '../../tools/simulator/devices/rak3172.ts';
import { SimulatedSht3x } from '../../tools/simulator/devices/sht3x.ts';
import { EspruinoConsole, PICO_R1_3 } from '../../tools/simulator/pty/espruino-console.ts';
import { PtyPair } from '../../tools/simulator/pty/pty-pair.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { BOARDS, createEspruinoBoard, FlashImage } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';
import { P2pGateway, type P2pKeys, type WorldUplink } from '../../tools/simulator/world/index.ts';
import { uplinkFromGateway } from '../../tools/simulator/world/uplinks.ts';

const temp = mkdtempSync(join(tmpdir(), 'stadtsensor-flash-'));
let identity: DeviceIdentity;
let keysFile: string;
let registryYaml: string;
let pair: PtyPair | undefined;
let board: EspruinoConsole | undefined;

beforeAll(() => {
  identity = createIdentity({ app: 'road-climate', mode: 'p2p', name: 'Testknoten' });
  keysFile = join(temp, 'node.keys.json');
  writeKeysFile(keysFile, identity.keys);
  registryYaml = registryEntryYaml(identity);
});
afterEach(async () => {
  await board?.close();
  await pair?.close();
  board = undefined;
  pair = undefined;
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function boardOnPty(options: { board?: typeof PICO_R1_3; flash?: FlashImage } = {}): Promise<string> {
  pair = await PtyPair.create();
  board = await EspruinoConsole.open({ path: pair.pathB, ...options });
  return pair.pathA;
}

/** The command in this process: exit code and everything it printed. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true)),
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`)),
  ];
  const started = performance.now();
  try {
    const code = await main(args);
    return { code, stdout, stderr, ms: performance.now() - started };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('latin1') : undefined);

/** Boots a copy of the flash image on a simulated MDBT42Q node with a RAK3172, two SHT3x and a P2P gateway. */
function bootNode(image: FlashImage, gatewayKeys: P2pKeys): WorldUplink[] {
  const profile = loadBoard('mdbt42q-rak3172');
  const scheduler = new VirtualScheduler({ seed: 3 });
  const medium = new RadioMediumSim(scheduler);
  const gateway = new P2pGateway({ scheduler, medium, keys: gatewayKeys, id: 'gateway' });
  const uplinks: WorldUplink[] = [];
  gateway.onFrame((frame) => uplinks.push(uplinkFromGateway(frame)));
  gateway.start();
  const node = createEspruinoBoard({ scheduler, board: { ...BOARDS.MDBT42Q, vars: profile.variables }, hasAES: profile.builtinAes, flash: image.clone(), id: 'node' });
  const modem = new SimulatedRak3172({ id: 'node', position: { x: 500, y: 0 }, medium, batteryVolts: 3 });
  node.attachSerial(profile.modem.serial, modem);
  for (const address of [0x44, 0x45] as const) node.attachI2C(profile.i2c.bus, new SimulatedSht3x(scheduler, () => ({ temperature: 4, humidity: 85 }), { address }));
  node.setSupply(profile.battery.vrefVolts);
  node.setAnalog(profile.battery.pin, (3 * profile.battery.r2Ohms) / (profile.battery.r1Ohms + profile.battery.r2Ohms));
  let level = 1;
  node.onPin(profile.modem.reset, () => {
    const now = node.pins.mode(profile.modem.reset) === 'output' ? node.pins.output(profile.modem.reset) : 1;
    if (now !== level) modem.hardReset();
    level = now;
  });
  node.powerCycle(); // boots from Storage: .bootcde, which reads ss.keys and ss.settings
  scheduler.runFor(5 * 60_000);
  return uplinks;
}

describe('stadtsensor flash', () => {
  it('writes the built bundle to .bootcde and the keys to ss.keys byte for byte, and the node boots from that flash', async () => {
    const port = await boardOnPty();
    const result = await run([
      'flash', 'road-climate', '--board', 'mdbt42q-rak3172', '--port', port, '--keys', keysFile,
      '--config', '{"sendInterval":600}', '--watch', '0.5',
    ]);
    expect(result.stderr).toContain('verified ss.keys');
    expect(result.code).toBe(0);
    // the firmware took the console off Serial1 (the modem's UART, and the adapter's) as it started
    expect(result.stderr).toContain('the firmware moves the console to Bluetooth as it starts');
    expect(board!.board.consoleDevice).toMatchObject({ device: 'Bluetooth', isForced: true });
    expect(result.stdout).toMatch(/^flashed road-climate to the MDBT42Q on .* \(Espruino 2v29\): ss.keys \d+ B, ss.settings 20 B, .bootcde \d+ B/m);

    // what the command built (and wrote next to the plain bundle), against what the board's Storage holds
    const built = readFileSync(join(OUT_DIR, 'road-climate-mdbt42q-rak3172.min.js'), 'latin1');
    const flash = board!.flash;
    expect(text(flash.read('.bootcde'))).toBe(built);
    expect(JSON.parse(text(flash.read('ss.keys'))!)).toEqual(identity.keys);
    expect(text(flash.read('ss.settings'))).toBe('{"sendInterval":600}');
    expect(board!.resets).toBe(1);
    expect(board!.loads).toBe(1);
    // the wire protocol of the espruino tools: SAVE_ON_SEND=1 chunks of 1 KB, the first one creating the file
    const writes = board!.executed.filter((line) => line.startsWith('require("Storage").write(".bootcde",'));
    expect(writes).toHaveLength(Math.ceil(built.length / 1024));
    expect(writes[0]).toMatch(new RegExp(`,0,${built.length}\\);$`));
    expect(writes.at(-1)).toMatch(new RegExp(`,${(writes.length - 1) * 1024}\\);$`));

    // keys go to the board only
    const keys = identity.keys;
    if (keys.network !== 'p2p') throw new Error('P2P identity expected');
    for (const secret of [keys.nwkSKey, keys.appSKey, Buffer.from(JSON.stringify(identity.keys)).toString('base64').slice(0, 40)]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }

    // the bridge's side of the registry entry opens the frames of the node booted from this flash image
    const [entry] = parse(registryYaml) as RegistryEntry[];
    const gatewayKeys: P2pKeys = {
      network: 'p2p',
      devAddr: entry!.devAddr!,
      nwkSKey: entry!.nwkSKey!,
      appSKey: entry!.appSKey!,
      p2p: { freqHz: P2P_DEFAULTS.frequencyHz, sf: P2P_DEFAULTS.spreadingFactor, bwKhz: P2P_DEFAULTS.bandwidthKhz, cr: P2P_DEFAULTS.codingRate, preamble: P2P_DEFAULTS.preamble, txPowerDbm: P2P_DEFAULTS.txPowerDbm },
    };
    const uplinks = bootNode(flash, gatewayKeys);
    expect(uplinks.length).toBeGreaterThanOrEqual(2);
    expect(uplinks.every((u) => u.micOk && u.devAddr === keys.devAddr.toUpperCase())).toBe(true);
    expect(uplinks[0]).toMatchObject({ fPort: 1, data: { event: 'startup', deviceType: 'roadClimate' } });
    expect(uplinks[1]).toMatchObject({ fPort: 2, data: { sendInterval: 600 } });
  }, 120_000);

  it('refuses a keys file that group or others can read, before anything else', async () => {
    const readable = join(temp, 'readable.keys.json');
    writeKeysFile(readable, identity.keys);
    chmodSync(readable, 0o644);
    const result = await run(['flash', 'road-climate', '--board', 'mdbt42q-rak3172', '--port', '/dev/null', '--keys', readable]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`mode 644): run chmod 600 ${readable}`);
    expect(result.stderr).not.toContain('building');
  });

  it.each([
    [['flash', 'no-such-app', '--board', 'mdbt42q-rak3172'], 2, 'unknown app "no-such-app"'],
    [['flash', 'road-climate', '--board', 'esp32'], 2, 'unknown board "esp32"'],
    [['flash', 'road-climate', '--board', 'mdbt42q-rak3172', '--baud', 'fast'], 2, '--baud must be a positive whole number'],
  ])('refuses %j with exit code %i', async (args, code, message) => {
    const result = await run([...args, '--port', '/dev/null', '--keys', keysFile]);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });

  it('says when the port is missing or is not a serial port (exit 4), without building', async () => {
    const missing = await run(['flash', 'road-climate', '--board', 'mdbt42q-rak3172', '--port', join(temp, 'ttyUSB7'), '--keys', keysFile]);
    expect(missing.code).toBe(FLASH_EXIT.portMissing);
    expect(missing.stderr).toContain(`no such port: ${join(temp, 'ttyUSB7')}`);
    const file = join(temp, 'not-a-tty');
    writeFileSync(file, '');
    const notTty = await flashNode({ bundle: 'x', keysText: '{}', port: file, baud: 9600, espruinoBoard: 'MDBT42Q' }).catch((e: unknown) => e);
    expect(notTty).toMatchObject({ exitCode: FLASH_EXIT.portMissing, message: expect.stringContaining('not a serial port') });
  });

  it('gives up on a board that never answers with exit 5 and a hint', async () => {
    pair = await PtyPair.create(); // nothing on the other end
    const started = performance.now();
    const error = await flashNode({ bundle: 'x', keysText: '{}', port: pair.pathA, baud: 9600, espruinoBoard: 'MDBT42Q' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: FLASH_EXIT.noAnswer, message: expect.stringContaining(`no answer from a board on ${pair.pathA}`) });
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('writes nothing to another board than the profile names (exit 7)', async () => {
    const port = await boardOnPty({ board: PICO_R1_3 });
    const error = await flashNode({ bundle: 'x', keysText: '{}', port, baud: 9600, espruinoBoard: 'MDBT42Q' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: FLASH_EXIT.wrongBoard, message: expect.stringContaining('is a PICO_R1_3, not the MDBT42Q') });
    expect(board!.flash.list()).toEqual([]);
    expect(board!.executed.some((line) => line.includes('Storage'))).toBe(false);
  });

  it('writes nothing when the bundle needs a module the board\'s firmware lacks (exit 7), and downloads nothing', async () => {
    const port = await boardOnPty();
    const bundle = 'var tf = require("tensorflow");\n';
    const requests = [vi.spyOn(http, 'request'), vi.spyOn(https, 'request'), vi.spyOn(http, 'get'), vi.spyOn(https, 'get')];
    const error = await flashNode({ bundle, keysText: '{}', port, baud: 9600, espruinoBoard: 'MDBT42Q' }).catch((e: unknown) => e);
    for (const spy of requests) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
    expect(error).toMatchObject({ exitCode: FLASH_EXIT.wrongBoard, message: expect.stringContaining('Module tensorflow not found') });
    expect(board!.flash.list()).toEqual([]);
  });

  it('flashes a Pico and reports what the node prints after load()', async () => {
    const port = await boardOnPty({ board: PICO_R1_3 });
    const bundle = '(function(){console.log("hello from " + process.env.BOARD + ", keys " + (require("Storage").readJSON("ss.keys",1).network));})();\n';
    const result = await flashNode({ bundle, keysText: JSON.stringify(identity.keys), port, baud: 115200, espruinoBoard: 'PICO_R1_3', watchMs: 300 });
    expect(result).toMatchObject({ board: 'PICO_R1_3', version: '2v29', console: 'USB', nodeOutput: ['hello from PICO_R1_3, keys p2p'] });
    expect(text(board!.flash.read('.bootcde'))).toBe(bundle);
  });

  it('fails verification (exit 6) with the board\'s own error when Storage cannot hold the bundle', async () => {
    const port = await boardOnPty({ flash: new FlashImage(4096) });
    const bundle = `var big = ${JSON.stringify('z'.repeat(5000))};\n`;
    const error = await flashNode({ bundle, keysText: JSON.stringify(identity.keys), port, baud: 9600, espruinoBoard: 'MDBT42Q' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: FLASH_EXIT.verifyFailed });
    expect((error as Error).message).toMatch(/\.bootcde: missing; the board said: Uncaught Error: Unable to find or create file/);
    expect(board!.loads).toBe(0);
  });
});
