/** `stadtsensor build <app> --board <board>`: one Espruino bundle per app and board under dist/firmware/. */
import type { Command } from 'commander';
import { buildFirmware, formatBuildProblems, listApps, listBoards, RADIO_MODES, sizeTable } from '../firmware-build/index.ts';
import { listWeatherScenarios } from '../simulator/weather.ts';
import { APP_SCENARIOS, appScenario } from '../simulator/world/app-scenarios.ts';
import { formatReport, simulateScenario } from '../simulator/world/index.ts';
import { UsageError } from './input.ts';

export function registerFirmwareCommands(program: Command): void {
  program
    .command('build')
    .description('build the Espruino bundle of a firmware app for a board (type-stripped, lowered, checked)')
    .argument('<app>', `firmware app (${listApps().join(', ')})`)
    .requiredOption('-b, --board <board>', `board profile (${listBoards().join(', ')})`)
    .option('--no-minify', 'skip the minified bundle')
    .option('--radio <mode>', 'radio mode the bundle carries: p2p (single-channel gateway) or lorawan', 'p2p')
    .action(async (app: string, opts: { board: string; minify: boolean; radio: string }) => {
      if (!listApps().includes(app)) throw new UsageError(`unknown app "${app}" (available: ${listApps().join(', ')})`);
      if (!listBoards().includes(opts.board)) {
        throw new UsageError(`unknown board "${opts.board}" (available: ${listBoards().join(', ')})`);
      }
      const radio = RADIO_MODES.find((m) => m === opts.radio);
      if (!radio) throw new UsageError(`unknown radio mode "${opts.radio}" (available: ${RADIO_MODES.join(', ')})`);
      console.error(`building ${app} for ${opts.board} (${radio}) ...`);
      const build = await buildFirmware({ app, board: opts.board, radio, minify: opts.minify });
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
  const scenarios = (): string[] => [...listWeatherScenarios(), ...APP_SCENARIOS.map((s) => s.name)];
  const described = [
    `weather for road-climate: ${listWeatherScenarios().join(', ')}`,
    ...APP_SCENARIOS.map((s) => `${s.name} (${s.app}): ${s.description}`),
  ];
  program
    .command('simulate')
    .description('run a firmware app in the simulated world (sensors, modem, air, gateway) and print what it sent, decoded')
    .argument('<scenario>', `scenario; ${described.join('; ')}`)
    .option('-a, --app <app>', 'firmware app for a weather scenario (default road-climate)')
    .option('-b, --board <board>', 'board profile', 'mdbt42q-rak3172')
    .option('--hours <n>', 'simulated hours (default: the scenario length)')
    .option('--seed <n>', 'random seed', '1')
    .option('--lorawan', 'join a simulated LoRaWAN network instead of LoRa P2P (builds the --radio lorawan bundle)')
    .action(async (scenario: string, opts: { app?: string; board: string; hours?: string; seed: string; lorawan?: boolean }) => {
      if (!scenarios().includes(scenario)) throw new UsageError(`unknown scenario "${scenario}" (available: ${scenarios().join(', ')})`);
      if (!listBoards().includes(opts.board)) throw new UsageError(`unknown board "${opts.board}" (available: ${listBoards().join(', ')})`);
      const hours = opts.hours === undefined ? undefined : Number(opts.hours);
      if (hours !== undefined && !(hours > 0)) throw new UsageError(`--hours must be a positive number, not ${opts.hours}`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, not ${opts.seed}`);
      const forApp = appScenario(scenario);
      if (forApp) {
        if (opts.app !== undefined && opts.app !== forApp.app) throw new UsageError(`${scenario} runs the ${forApp.app} app, not ${opts.app}`);
        if (opts.lorawan) throw new UsageError(`${scenario} runs in LoRa P2P only`);
        console.error(`building ${forApp.app} for ${opts.board} and simulating ${scenario} ...`);
        console.log(await forApp.run({ board: opts.board, seed, ...(hours === undefined ? {} : { hours }), progress: (line) => console.error(line) }));
        return;
      }
      const app = opts.app ?? 'road-climate';
      console.error(`building ${app} for ${opts.board} and simulating ${scenario} ...`);
      const report = await simulateScenario({
        scenario,
        app,
        board: opts.board,
        hours,
        seed,
        network: opts.lorawan ? 'lorawan' : 'p2p',
      });
      console.log(formatReport(report));
    });
}
