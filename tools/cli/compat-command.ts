/** `stadtsensor check-espruino <file...>`: the Espruino compatibility check on any JavaScript file. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkEspruinoCompat, formatProblems } from '../espruino-compat/check.ts';
import { UsageError } from './input.ts';

export function registerCompatCommand(program: Command): void {
  program
    .command('check-espruino')
    .description('check JavaScript files for what the Espruino interpreter cannot run')
    .option('--script', 'parse as a classic script instead of an ES module')
    .argument('<files...>', 'JavaScript files (bundles or modules)')
    .action((files: string[], opts: { script?: boolean }) => {
      let problems = 0;
      for (const file of files) {
        let source: string;
        try {
          source = readFileSync(file, 'utf8');
        } catch (error) {
          throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
        }
        const found = checkEspruinoCompat(source, { sourceType: opts.script ? 'script' : 'module', fileName: file });
        if (found.length) console.log(formatProblems(found, file));
        console.error(`${file}: ${found.length ? `${found.length} problem(s)` : 'ok'}`);
        problems += found.length;
      }
      if (problems) throw new UsageError(`${problems} Espruino compatibility problem(s) in ${files.length} file(s)`, 3);
    });
}
