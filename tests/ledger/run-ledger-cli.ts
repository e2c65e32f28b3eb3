/** Runs `stadtsensor ledger ...` in-process with a configuration and the hr-admin actor; returns what it printed. */
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerLedgerCommands } from '../../ledger/src/cli.ts';

export async function runLedgerCli(configFile: string, args: string[]): Promise<string> {
  const program = new Command('stadtsensor').exitOverride();
  registerLedgerCommands(program);
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await program.parseAsync(['ledger', ...args, '--config', configFile, '--actor', 'hr-admin'], { from: 'user' });
  } finally {
    log.mockRestore();
    write.mockRestore();
    error.mockRestore();
  }
  return out.join('\n');
}
