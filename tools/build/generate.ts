/** `npm run build`: writes every file generated from the payload catalog. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../../payload-schema/src/generate/index.ts';

const root = new URL('../../', import.meta.url);
let changed = 0;
const files = generatedFiles(root);
for (const [path, content] of files) {
  const file = fileURLToPath(new URL(path, root));
  let old: string | undefined;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === content) continue;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  changed++;
  console.log(`wrote ${path} (${Buffer.byteLength(content)} bytes)`);
}
console.log(`${files.size} generated files, ${changed} changed`);
