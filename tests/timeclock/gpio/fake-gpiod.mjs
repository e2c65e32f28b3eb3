/**
 * SIMULATED libgpiod 1.6 tools for the tests (this machine has no GPIO chip and no gpio-sim): `gpioset` and
 * `gpiomon` as libgpiod v1.6's tools/gpioset.c and tools/gpiomon.c behave, for the options the terminal uses.
 * The test writes wrapper scripts named gpioset and gpiomon that run `node fake-gpiod.mjs <tool> <args>` into a
 * directory it puts first on PATH.
 *
 * Simulated chip: FAKE_GPIO_DIR holds `chips` (the chip names that exist, one a line), `edges` (the test appends
 * physical pin edges, "<offset> <0|1> <sec> <nsec>" a line: 1 = the pin went high) and `log` (one JSON line per
 * tool start and stop, with its arguments, written here).
 * - gpioset: options before the chip, then <offset>=<value> pairs; --mode=signal holds the values until SIGTERM or
 *   SIGINT and exits 0; a missing chip: "gpioset: error setting the GPIO line values: No such file or directory"
 *   on stderr, exit 1 (as die_perror does); an unknown option: exit 1.
 * - gpiomon: prints each edge of its lines from `edges` (appended after it started), with -F's %o %e %s %n or the
 *   default "event: %s offset: %u timestamp: [%8ld.%09ld]" line; --active-low inverts the edge (the kernel reports
 *   logical edges then); -r/-f filter; exits 0 on SIGTERM or SIGINT.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [tool, ...args] = process.argv.slice(2);
const dir = process.env.FAKE_GPIO_DIR;
if (!dir) {
  process.stderr.write(`${tool}: FAKE_GPIO_DIR not set\n`);
  process.exit(1);
}
const log = (event) => appendFileSync(join(dir, 'log'), JSON.stringify({ tool, pid: process.pid, event, args }) + '\n');
const die = (message) => {
  process.stderr.write(`${tool}: ${message}\n`);
  process.exit(1);
};
const chipExists = (chip) => {
  const chips = existsSync(join(dir, 'chips')) ? readFileSync(join(dir, 'chips'), 'utf8').split('\n').filter(Boolean) : [];
  return chips.includes(chip.replace(/^\/dev\//, ''));
};

/** getopt_long for the given option names (name: takes an argument); "+" semantics: options stop at the first operand. */
function parse(known) {
  const options = {};
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-')) break;
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s) : [arg.slice(1, 2), arg.length > 2 ? arg.slice(2) : undefined];
    const spec = Object.entries(known).find(([long, [short]]) => long === name || short === name);
    if (!spec) die(`unrecognized option '${arg}'\n${tool}: try ${tool} --help`);
    const [long, [, takesArgument]] = spec;
    options[long] = takesArgument ? (inline ?? args[++i]) : true;
  }
  return { options, operands: args.slice(i) };
}

function onStopSignal(stop) {
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, stop);
}

if (tool === 'gpioset') {
  const { options, operands } = parse({ 'active-low': ['l', false], bias: ['B', true], drive: ['D', true], mode: ['m', true], sec: ['s', true], usec: ['u', true], background: ['b', false] });
  if (operands.length < 1) die('gpiochip must be specified');
  if (operands.length < 2) die('at least one GPIO line offset to value mapping must be specified');
  for (const pair of operands.slice(1)) if (!/^\d+=[01]$/.test(pair)) die(`invalid offset<->value mapping: ${pair}`);
  if (!chipExists(operands[0])) die('error setting the GPIO line values: No such file or directory');
  log('start');
  const mode = options.mode ?? 'exit';
  if (mode === 'signal') {
    onStopSignal(() => {
      log('stop');
      process.exit(0);
    });
    setInterval(() => {}, 1000);
  } else if (mode === 'time') {
    setTimeout(() => process.exit(0), Number(options.sec ?? 0) * 1000 + Number(options.usec ?? 0) / 1000);
  } else if (mode !== 'exit') die(`invalid mode: ${mode}`);
} else if (tool === 'gpiomon') {
  const { options, operands } = parse({ 'active-low': ['l', false], bias: ['B', true], 'num-events': ['n', true], silent: ['s', false], 'rising-edge': ['r', false], 'falling-edge': ['f', false], 'line-buffered': ['b', false], format: ['F', true] });
  if (operands.length < 1) die('gpiochip must be specified');
  if (operands.length < 2) die('GPIO line offset must be specified');
  const offsets = operands.slice(1).map((text) => (/^\d+$/.test(text) ? Number(text) : die(`invalid GPIO offset: ${text}`)));
  if (!chipExists(operands[0])) die(`error waiting for events: No such file or directory`);
  log('start');
  const edgesFile = join(dir, 'edges');
  let consumed = existsSync(edgesFile) ? statSync(edgesFile).size : 0;
  const print = (offset, rising, sec, nsec) => {
    if ((options['rising-edge'] && !options['falling-edge'] && !rising) || (options['falling-edge'] && !options['rising-edge'] && rising)) return;
    if (options.silent) return;
    if (options.format !== undefined) {
      const text = options.format.replace(/%(.?)/g, (all, spec) => ({ o: String(offset), e: rising ? '1' : '0', s: String(sec), n: String(nsec), '%': '%', '': '%' })[spec] ?? all);
      process.stdout.write(text + '\n');
    } else {
      process.stdout.write(`event: ${rising ? ' RISING EDGE' : 'FALLING EDGE'} offset: ${offset} timestamp: [${String(sec).padStart(8)}.${String(nsec).padStart(9, '0')}]\n`);
    }
  };
  setInterval(() => {
    if (!existsSync(edgesFile)) return;
    const text = readFileSync(edgesFile, 'utf8');
    const fresh = text.slice(consumed);
    const end = fresh.lastIndexOf('\n');
    if (end < 0) return;
    consumed += Buffer.byteLength(fresh.slice(0, end + 1));
    for (const line of fresh.slice(0, end).split('\n')) {
      const [offset, high, sec, nsec] = line.trim().split(/\s+/).map(Number);
      if (!offsets.includes(offset)) continue;
      print(offset, options['active-low'] ? high === 0 : high === 1, sec, nsec);
    }
  }, 10);
  onStopSignal(() => {
    log('stop');
    process.exit(0);
  });
} else {
  die('unknown tool');
}
