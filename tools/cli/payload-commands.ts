/** `stadtsensor decode | encode | formatter | docs | ports`: the payload schema from the command line. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import { GENERATED_PATHS, generatedFiles } from '../../payload-schema/src/generate/index.ts';
import { messageSize } from '../../payload-schema/src/layout.ts';
import { parseBase64, parseHex, parseJson, parsePort, readStdin, toHex, UsageError } from './input.ts';

const root = new URL('../../', import.meta.url);

export function registerPayloadCommands(program: Command): void {
  program
    .command('decode')
    .description('decode a payload received on an FPort and print it as JSON')
    .requiredOption('-p, --port <fport>', 'FPort the payload arrived on')
    .option('--base64', 'the payload is base64 (as frm_payload in The Things Stack), not hex')
    .option('--compact', 'print JSON on one line')
    .argument('<payload>', 'the payload bytes as hex (6A2D0C5A5CC0) or, with --base64, base64')
    .action((payload: string, opts: { port: string; base64?: boolean; compact?: boolean }) => {
      const bytes = opts.base64 ? parseBase64(payload) : parseHex(payload);
      const result = codec.decode(parsePort(opts.port), bytes);
      if (!result.ok) throw new UsageError(`cannot decode FPort ${result.port}: ${result.error.message}`);
      console.log(JSON.stringify(result.data, null, opts.compact ? undefined : 2));
    });

  program
    .command('encode')
    .description('encode a JSON object for an FPort and print the payload as hex')
    .requiredOption('-p, --port <fport>', 'FPort of the message')
    .option('--base64', 'print base64 instead of hex')
    .argument('<json>', "the message as JSON, or '-' to read it from standard input")
    .action(async (json: string, opts: { port: string; base64?: boolean }) => {
      const value = parseJson(json === '-' ? await readStdin() : json);
      const result = codec.encode(parsePort(opts.port), value);
      if (!result.ok) throw new UsageError(`cannot encode FPort ${result.port}: ${result.error.message}`);
      console.log(opts.base64 ? Buffer.from(result.bytes).toString('base64') : toHex(result.bytes));
    });

  program
    .command('formatter')
    .description('write the TTN / ChirpStack payload formatter (JavaScript) to standard output')
    .action(() => {
      process.stdout.write(generatedFiles(root).get(GENERATED_PATHS.formatter)!);
    });

  program
    .command('docs')
    .description('print the byte-layout documentation of every message (Markdown), or write it to a folder')
    .option('-o, --out <dir>', 'write one Markdown file per message into this folder')
    .action((opts: { out?: string }) => {
      const docs = [...generatedFiles(root)].filter(([path]) => path.startsWith(`${GENERATED_PATHS.docsDir}/`));
      if (!opts.out) {
        process.stdout.write(docs.map(([, text]) => text).join('\n'));
        return;
      }
      mkdirSync(opts.out, { recursive: true });
      for (const [path, text] of docs) writeFileSync(join(opts.out, path.split('/').pop()!), text);
      console.error(`wrote ${docs.length} files to ${opts.out}`);
    });

  program
    .command('ports')
    .description('list the messages of the catalog with their FPort and size')
    .action(() => {
      console.log('FPort  Direction  Bytes   Message');
      for (const m of catalog) {
        const s = messageSize(m);
        const size = s.fixedBytes !== undefined ? String(s.fixedBytes) : `${s.minBytes}-${s.maxBytes}`;
        console.log(`${String(m.port).padStart(5)}  ${m.direction.padEnd(9)}  ${size.padEnd(6)}  ${m.name}: ${m.title}`);
      }
    });
}
