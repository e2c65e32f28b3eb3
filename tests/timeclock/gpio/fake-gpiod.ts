/**
 * Puts the SIMULATED libgpiod 1.6 tools (gpioset: fake-gpioset.sh, gpiomon: fake-gpiod.mjs) on a PATH for a test: wrapper scripts named gpioset and
 * gpiomon in a temp directory, a simulated chip list, the edge file a test writes pin edges to, the tools' log.
 */
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FAKE_GPIOMON = fileURLToPath(new URL('./fake-gpiod.mjs', import.meta.url));
const FAKE_GPIOSET = fileURLToPath(new URL('./fake-gpioset.sh', import.meta.url));

export interface ToolRun {
  tool: 'gpioset' | 'gpiomon';
  pid: number;
  event: 'start' | 'stop';
  args: string[];
}

export interface FakeGpiod {
  dir: string;
  /** The environment to start the terminal's tools with: the wrappers first on PATH. */
  env: NodeJS.ProcessEnv;
  runs(): ToolRun[];
  /** A physical edge on a pin: high = the pin went high. */
  edge(offset: number, high: boolean, timeNs: bigint): void;
  remove(): void;
}

export function installFakeGpiod(chips: string[] = ['gpiochip0']): FakeGpiod {
  const dir = mkdtempSync(join(tmpdir(), 'stadtsensor-fake-gpiod-'));
  const wrappers = { gpioset: `exec /bin/sh "${FAKE_GPIOSET}" "$@"`, gpiomon: `exec "${process.execPath}" "${FAKE_GPIOMON}" gpiomon "$@"` };
  for (const [tool, line] of Object.entries(wrappers)) {
    const wrapper = join(dir, tool);
    writeFileSync(wrapper, `#!/bin/sh\n${line}\n`);
    chmodSync(wrapper, 0o755);
  }
  writeFileSync(join(dir, 'chips'), chips.map((c) => c + '\n').join(''));
  return {
    dir,
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_GPIO_DIR: dir },
    runs() {
      const file = join(dir, 'log');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ToolRun);
    },
    edge(offset, high, timeNs) {
      appendFileSync(join(dir, 'edges'), `${offset} ${high ? 1 : 0} ${timeNs / 1_000_000_000n} ${timeNs % 1_000_000_000n}\n`);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The line values a gpioset command line sets: { offset: value }. */
export function valuesOf(args: string[]): Record<number, number> {
  const values: Record<number, number> = {};
  for (const arg of args) {
    const pair = /^(\d+)=([01])$/.exec(arg);
    if (pair) values[Number(pair[1])] = Number(pair[2]);
  }
  return values;
}
