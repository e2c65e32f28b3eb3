/**
 * `npm run bench`: bytes on the air and codec speed (payload-bench.ts, which runs on import), then the firmware
 * bundles and a simulated day of each sensor node (firmware-bench.ts).
 *   --json <file>            the payload figures as JSON
 *   --firmware-json <file>   the firmware figures as JSON
 */
import './payload-bench.ts';
import { main } from './firmware-bench.ts';

console.log('');
await main(process.argv.slice(2));
