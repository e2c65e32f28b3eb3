/** `stadtsensor tour` (what `npm start` runs): every message of the catalog encoded and decoded once, with sizes. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import { vectorPath, type VectorFile } from '../../payload-schema/src/generate/index.ts';
import { toHex } from './input.ts';

const root = new URL('../../', import.meta.url);

export function registerTour(program: Command): void {
  program
    .command('tour')
    .description('encode and decode one example of every message, with its size on the air')
    .action(() => {
      console.log('stadtsensor payload catalog v1: one example per FPort, encoded and decoded by the TypeScript codec\n');
      let total = 0;
      for (const message of catalog) {
        const vectors = JSON.parse(readFileSync(new URL(vectorPath(message), root), 'utf8')) as VectorFile;
        const example = vectors.encoder.find((v) => v.output.bytes)!;
        const encoded = codec.encode(message.port, example.input.data);
        if (!encoded.ok) throw encoded.error;
        const decoded = codec.decode(message.port, encoded.bytes);
        if (!decoded.ok) throw decoded.error;
        total += encoded.bytes.length;
        console.log(`FPort ${message.port} ${message.name} (${message.direction}), ${encoded.bytes.length} bytes: ${toHex(encoded.bytes)}`);
        console.log(`  ${example.description}`);
        console.log(`  ${JSON.stringify(decoded.data)}\n`);
      }
      console.log(`${catalog.length} messages, ${total} bytes in all. Next:`);
      console.log('  npx stadtsensor decode --port 20 6A2D0C5A5CC0     decode a payload');
      console.log('  npx stadtsensor formatter > formatter.js           the TTN / ChirpStack formatter');
      console.log('  npx stadtsensor docs                               byte layouts of every message');
      console.log('  npm run bench                                      sizes and speed against Cayenne LPP and CBOR');
    });
}
