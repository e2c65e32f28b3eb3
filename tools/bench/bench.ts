/**
 * `npm run bench`: bytes on the air and codec speed (payload-bench.ts, which runs on import), the firmware
 * bundles and a simulated day of each sensor node (firmware-bench.ts), and the gateway bridge from the
 * pseudo-terminal to an MQTT subscriber (bridge-bench.ts; needs mosquitto and socat).
 *   --only <sections>        some of payload, firmware, bridge (comma-separated); default all
 *   --json <file>            the payload figures as JSON
 *   --firmware-json <file>   the firmware figures as JSON
 *   --bridge-json <file>     the bridge figures as JSON
 */
const SECTIONS = ['payload', 'firmware', 'bridge'] as const;
type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter((s) => s !== '') : [...SECTIONS];
const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length > 0 || only.length === 0) {
  console.error(`--only takes some of ${SECTIONS.join(', ')} (comma-separated), got ${JSON.stringify(argv[onlyAt + 1] ?? '')}`);
  process.exit(2);
}
const runs = (section: Section): boolean => only.includes(section);

let first = true;
const separate = (): void => {
  if (!first) console.log('');
  first = false;
};

if (runs('payload')) {
  separate();
  await import('./payload-bench.ts');
}
if (runs('firmware')) {
  separate();
  const { main } = await import('./firmware-bench.ts');
  await main(argv);
}
if (runs('bridge')) {
  separate();
  const { main } = await import('./bridge-bench.ts');
  await main(argv);
}
