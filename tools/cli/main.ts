/**
 * The `stadtsensor` command. Exit codes: 0 success, 1 internal failure, 2 bad input (usage, payload or JSON),
 * 3 check failed (e.g. Espruino compatibility problems found).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from './input.ts';

export const EXIT = { ok: 0, internal: 1, badInput: 2, checkFailed: 3 } as const;

type Register = (program: Command) => void;

/**
 * The command groups with the top-level commands each adds. A command line loads only the group of the command it
 * names: `stadtsensor bridge` on a Pi then loads neither the firmware builder, the simulator nor the ledger (half
 * the memory, a third of the start-up time). Help and unknown commands load every group.
 */
export const COMMAND_GROUPS: readonly { commands: readonly string[]; load: () => Promise<Register[]> }[] = [
  { commands: ['decode', 'encode', 'formatter', 'docs', 'ports'], load: async () => [(await import('./payload-commands.ts')).registerPayloadCommands] },
  { commands: ['check-espruino'], load: async () => [(await import('./compat-command.ts')).registerCompatCommand] },
  {
    commands: ['build', 'simulate'],
    load: async () => {
      const m = await import('./firmware-commands.ts');
      return [m.registerFirmwareCommands, m.registerSimulateCommand];
    },
  },
  { commands: ['flash', 'keys'], load: async () => [(await import('./flash-commands.ts')).registerFlashCommands] },
  { commands: ['tour'], load: async () => [(await import('./tour.ts')).registerTour] },
  { commands: ['bridge', 'demo'], load: async () => [(await import('./bridge-commands.ts')).registerBridgeCommands] },
  { commands: ['ledger'], load: async () => [(await import('../../ledger/src/cli.ts')).registerLedgerCommands] },
  { commands: ['terminal'], load: async () => [(await import('./timeclock-commands.ts')).registerTimeclockCommands] },
];

/** The registrations a command line needs: its command's group, or all of them. */
export async function registrationsFor(argv: readonly string[]): Promise<Register[]> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  const groups = COMMAND_GROUPS.filter((g) => name !== undefined && g.commands.includes(name));
  const wanted = groups.length > 0 ? groups : COMMAND_GROUPS;
  return (await Promise.all(wanted.map((g) => g.load()))).flat();
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(registrations: readonly Register[]): Command {
  const program = new Command('stadtsensor')
    .description('Toolkit for a town\'s LoRa sensor network: payload schema, firmware, gateway bridge, simulator.')
    .version(pkg.version)
    .exitOverride();
  for (const register of registrations) register(program);
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
    const program = buildProgram(await registrationsFor(argv));
    await program.parseAsync(argv, { from: 'user' });
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
