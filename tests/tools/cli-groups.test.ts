/** The CLI loads only the command group a command line names; every command must be findable that way. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS, registrationsFor } from '../../tools/cli/main.ts';

const names = (program: Command): string[] => program.commands.map((c) => c.name()).sort();

describe('command groups', () => {
  it('name every top-level command exactly once', async () => {
    const all = names(buildProgram(await registrationsFor(['--help'])));
    const listed = COMMAND_GROUPS.flatMap((g) => g.commands).sort();
    expect(listed).toEqual(all);
  });

  it('load for a command line only the group of its command', async () => {
    for (const group of COMMAND_GROUPS) {
      for (const command of group.commands) {
        const program = buildProgram(await registrationsFor([command, '--some-option', 'value']));
        expect(names(program), command).toEqual([...group.commands].sort());
      }
    }
  });

  it('load every group for help, the version and an unknown command', async () => {
    const all = COMMAND_GROUPS.flatMap((g) => g.commands).length;
    for (const argv of [[], ['--help'], ['--version'], ['no-such-command']]) {
      expect(names(buildProgram(await registrationsFor(argv))), argv.join(' ')).toHaveLength(all);
    }
  });
});
