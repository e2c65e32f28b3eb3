/**
 * `stadtsensor keys new`: a device identity (keys file for the node, registry entry for the bridge), and
 * `stadtsensor flash <app>`: build, write bundle and keys to the node's Storage, verify, start (hardware/flashing.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { codec } from '../../payload-schema/src/codec.ts';
import { buildFirmware, formatBuildProblems, listApps, listBoards, loadBoard } from '../firmware-build/index.ts';
import { checkPort, FLASH_EXIT, FlashError, flashNode } from '../flash/flash-node.ts';
import { createIdentity, IdentityError, type KeyMode } from '../keys/identity.ts';
import { KeysFileError, readKeysFile, writeKeysFile } from '../keys/keys-file.ts';
import { registryEntryYaml } from '../keys/registry-entry.ts';
import { UsageError } from './input.ts';

const DEVICE_CONFIG_PORT = 3;

function checkApp(app: string): void {
  if (!listApps().includes(app)) throw new UsageError(`unknown app "${app}" (available: ${listApps().join(', ')})`);
}

/**
 * --config: a deviceConfig object (the FPort 3 message, e.g. {"sendInterval":900}), as JSON text or a file; it
 * becomes the node's ss.settings, the overrides firmware/core/settings.ts reads at start.
 */
function settingsText(config: string): string {
  const text = config.trim().startsWith('{') ? config : existsSync(config) ? readFileSync(config, 'utf8') : undefined;
  if (text === undefined) throw new UsageError(`--config: neither a JSON object nor a file: ${config}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--config: expected a JSON object');
  if ('commands' in value) throw new UsageError('--config: "commands" are for downlinks, not for stored settings');
  const encoded = codec.encode(DEVICE_CONFIG_PORT, value);
  if (!encoded.ok) throw new UsageError(`--config: not a deviceConfig: ${encoded.error.message}`);
  return JSON.stringify(value);
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0) throw new UsageError(`${what} must be a positive whole number, not ${text}`);
  return n;
}

export function registerFlashCommands(program: Command): void {
  const keys = program.command('keys').description('device identities: keys for a node and its bridge registry entry');
  keys
    .command('new')
    .description('create a device identity: a keys file for `stadtsensor flash` (mode 600) and the bridge registry entry on stdout')
    .requiredOption('-a, --app <app>', `firmware app the node runs (${listApps().join(', ')})`)
    .option('-n, --name <name>', 'device name (the registry id is made from it)')
    .option('-m, --mode <mode>', 'p2p (ABP frames to our gateway bridge) or otaa (join TTN or ChirpStack)', 'p2p')
    .option('--devaddr <hex>', 'DevAddr, 8 hex digits (p2p; default: random from the private NetID 0x000000 block)')
    .option('--dev-eui <hex>', 'DevEUI, 16 hex digits (default: random, locally administered)')
    .option('--oui <hex>', "your organisation's IEEE OUI (6 hex digits) to build the random DevEUI from")
    .option('--join-eui <hex>', 'JoinEUI/AppEUI for otaa (default 0000000000000000)')
    .option('-o, --out <file>', 'keys file to create (default: <id>.keys.json)')
    .action((opts: { app: string; name?: string; mode: string; devaddr?: string; devEui?: string; oui?: string; joinEui?: string; out?: string }) => {
      checkApp(opts.app);
      if (opts.mode !== 'p2p' && opts.mode !== 'otaa') throw new UsageError(`--mode must be p2p or otaa, not ${opts.mode}`);
      let identity;
      try {
        identity = createIdentity({
          app: opts.app,
          mode: opts.mode as KeyMode,
          name: opts.name,
          devAddr: opts.devaddr,
          devEui: opts.devEui,
          oui: opts.oui,
          joinEui: opts.joinEui,
        });
      } catch (error) {
        if (error instanceof IdentityError) throw new UsageError(error.message);
        throw error;
      }
      const file = resolve(opts.out ?? `${identity.id}.keys.json`);
      try {
        writeKeysFile(file, identity.keys);
      } catch (error) {
        if (error instanceof KeysFileError) throw new UsageError(error.message);
        throw error;
      }
      console.error(`wrote ${file} (mode 600): the node's keys, for stadtsensor flash --keys; keep it private`);
      process.stdout.write(registryEntryYaml(identity));
    });

  program
    .command('flash')
    .description(
      'build an app and write it with the node\'s keys to an Espruino board over its serial console (hardware/flashing.md). ' +
        `Exit codes: ${FLASH_EXIT.buildFailed} build failed, ${FLASH_EXIT.portMissing} port missing or unusable, ${FLASH_EXIT.noAnswer} board not answering, ` +
        `${FLASH_EXIT.verifyFailed} verification failed, ${FLASH_EXIT.wrongBoard} another board (or firmware) than the profile's`,
    )
    .argument('<app>', `firmware app (${listApps().join(', ')})`)
    .requiredOption('-b, --board <board>', `board profile (${listBoards().join(', ')})`)
    .requiredOption('-p, --port <tty>', 'serial port of the board\'s console, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...')
    .requiredOption('-k, --keys <file>', 'keys file from stadtsensor keys new (must be chmod 600)')
    .option('-c, --config <json>', 'settings to store as ss.settings: a deviceConfig object as JSON or a file, e.g. \'{"sendInterval":900}\'')
    .option('--baud <rate>', 'baud rate of the console (MDBT42Q on D6/D8: 9600; USB: any)', '9600')
    .option('--watch <seconds>', 'how long to listen to the node after starting it', '3')
    .action(async (app: string, opts: { board: string; port: string; keys: string; config?: string; baud: string; watch: string }) => {
      checkApp(app);
      if (!listBoards().includes(opts.board)) throw new UsageError(`unknown board "${opts.board}" (available: ${listBoards().join(', ')})`);
      const baud = positiveInt(opts.baud, '--baud');
      const watchMs = Number(opts.watch) * 1000;
      if (!(watchMs >= 0)) throw new UsageError(`--watch must be a number of seconds, not ${opts.watch}`);
      let keysText: string;
      try {
        keysText = readKeysFile(opts.keys).text;
      } catch (error) {
        if (error instanceof KeysFileError) throw new UsageError(error.message);
        throw error;
      }
      const settings = opts.config === undefined ? undefined : settingsText(opts.config);
      const profile = loadBoard(opts.board);
      try {
        checkPort(opts.port); // before a build that takes seconds
      } catch (error) {
        if (error instanceof FlashError) throw new UsageError(error.message, error.exitCode);
        throw error;
      }

      console.error(`building ${app} for ${opts.board} ...`);
      const build = await buildFirmware({ app, board: opts.board, minify: true });
      const blocking = build.problems.filter((p) => p.rule !== 'size-budget');
      if (blocking.length > 0) {
        console.error(formatBuildProblems(blocking));
        throw new UsageError(`${blocking.length} Espruino compatibility problem(s): nothing flashed`, FLASH_EXIT.buildFailed);
      }
      for (const p of build.problems) console.error(`warning: ${p.message}`);
      console.error(`built ${build.minifiedFile} (${build.minifiedBytes} bytes)`);

      try {
        const result = await flashNode({
          bundle: build.minifiedCode!,
          keysText,
          settingsText: settings,
          port: opts.port,
          baud,
          espruinoBoard: profile.espruinoBoard,
          watchMs,
          // not console.error: the Espruino tools silence console.* while the port is open
          progress: (line) => process.stderr.write(`${line}\n`),
        });
        for (const line of result.nodeOutput.slice(0, 20)) console.log(`node: ${line}`);
        console.log(
          `flashed ${app} to the ${result.board} on ${opts.port} (Espruino ${result.version}): ` +
            result.files.map((f) => `${f.name} ${f.bytes} B`).join(', ') +
            `; ${result.nodeOutput.length} line(s) from the node since load()`,
        );
      } catch (error) {
        if (error instanceof FlashError) throw new UsageError(error.message, error.exitCode);
        throw error;
      }
    });
}
