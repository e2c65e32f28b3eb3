/**
 * The `stadtsensor` command. Exit codes: 0 success, 1 internal failure, 2 bad input (usage, payload or JSON),
 * 3 check failed (e.g. Espruino compatibility problems found).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerLedgerCommands } from '../../ledger/src/cli.ts';
import { registerBridgeCommands } from './bridge-commands.ts';
import { registerCompatCommand } from './compat-command.ts';
import { registerFirmwareCommands, registerSimulateCommand } from './firmware-commands.ts';
import { registerFlashCommands } from './flash-commands.ts';
import { UsageError } from './input.ts';
import { registerPayloadCommands } from './payload-commands.ts';
import { registerTimeclockCommands } from './timeclock-commands.ts';
import { registerTour } from './tour.ts';

export const EXIT = { ok: 0, internal: 1, badInput: 2, checkFailed: 3 } as const;

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('stadtsensor')
    .description('Toolkit for a town\'s LoRa sensor network: payload schema, firmware, gateway bridge, simulator.')
    .version(pkg.version)
    .exitOverride();
  registerPayloadCommands(program);
  registerCompatCommand(program);
  registerFirmwareCommands(program);
  registerSimulateCommand(program);
  registerFlashCommands(program);
  registerTour(program);
  registerBridgeCommands(program);
  registerLedgerCommands(program);
  registerTimeclockCommands(program);
  // every level, also nested commands such as `ledger badge add`
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) {
    command.exitOverride();
    // usage errors as one line, like every other error of the command
    command.configureOutput({
      outputError: (text, write) => write(`stadtsensor: ${text.trim().replace(/^error: /, '')} (see --help)\n`),
    });
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit through here with code 0
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (error instanceof UsageError) {
      console.error(`stadtsensor: ${error.message}`);
      return error.exitCode ?? EXIT.badInput;
    }
    console.error(`stadtsensor: internal error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.internal;
  }
}
