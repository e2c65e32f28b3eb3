/** `stadtsensor build <app> --board <board>`: one Espruino bundle per app and board under dist/firmware/. */
import type { Command } from 'commander';
import { buildFirmware, formatBuildProblems, listApps, listBoards, sizeTable } from '../firmware-build/index.ts';
import { listWeatherScenarios } from '../simulator/weather.ts';
import { formatReport, simulateScenario } from '../simulator/world/index.ts';
import { UsageError } from './input.ts';

export function registerFirmwareCommands(program: Command): void {
  program
    .command('build')
    .description('build the Espruino bundle of a firmware app for a board (type-stripped, lowered, checked)')
    .argument('<app>', `firmware app (${listApps().join(', ')})`)
    .requiredOption('-b, --board <board>', `board profile (${listBoards().join(', ')})`)
    .option('--no-minify', 'skip the minified bundle')
    .action(async (app: string, opts: { board: string; minify: boolean }) => {
      if (!listApps().includes(app)) throw new UsageError(`unknown app "${app}" (available: ${listApps().join(', ')})`);
      if (!listBoards().includes(opts.board)) {
        throw new UsageError(`unknown board "${opts.board}" (available: ${listBoards().join(', ')})`);
      }
      console.error(`building ${app} for ${opts.board} ...`);
      const build = await buildFirmware({ app, board: opts.board, minify: opts.minify });
      if (build.problems.length) {
        console.log(formatBuildProblems(build.problems));
        const compatibility = build.problems.filter((p) => p.rule !== 'size-budget').length;
        if (compatibility > 0) throw new UsageError(`${compatibility} Espruino compatibility problem(s): nothing written`, 3);
        console.log(sizeTable([build]));
        throw new UsageError(`over the app's size budget; written anyway: ${build.file}`, 3);
      }
      console.log(sizeTable([build]));
      console.log(`wrote ${build.file}${build.minifiedFile ? ` and ${build.minifiedFile}` : ''}`);
    });
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a firmware app in the simulated world (sensors, modem, air, gateway) and print what it sent, decoded')
    .argument('<scenario>', `weather scenario (${listWeatherScenarios().join(', ')})`)
    .option('-a, --app <app>', 'firmware app', 'road-climate')
    .option('-b, --board <board>', 'board profile', 'mdbt42q-rak3172')
    .option('--hours <n>', 'simulated hours (default: the scenario length)')
    .option('--seed <n>', 'random seed', '1')
    .option('--lorawan', 'join a simulated LoRaWAN network instead of LoRa P2P')
    .action(async (scenario: string, opts: { app: string; board: string; hours?: string; seed: string; lorawan?: boolean }) => {
      if (!listWeatherScenarios().includes(scenario)) {
        throw new UsageError(`unknown scenario "${scenario}" (available: ${listWeatherScenarios().join(', ')})`);
      }
      if (!listBoards().includes(opts.board)) throw new UsageError(`unknown board "${opts.board}"`);
      const hours = opts.hours === undefined ? undefined : Number(opts.hours);
      if (hours !== undefined && !(hours > 0)) throw new UsageError(`--hours must be a positive number, not ${opts.hours}`);
      console.error(`building ${opts.app} for ${opts.board} and simulating ${scenario} ...`);
      const report = await simulateScenario({
        scenario,
        app: opts.app,
        board: opts.board,
        hours,
        seed: Number(opts.seed),
        network: opts.lorawan ? 'lorawan' : 'p2p',
      });
      console.log(formatReport(report));
    });
}
