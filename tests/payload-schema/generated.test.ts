/** The generated files: committed and current, and each valid for the runtime that loads it. */
import { parse } from 'acorn';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { GENERATED_PATHS, generatedFiles } from '../../payload-schema/src/generate/index.ts';
import { checkEspruinoCompat, formatProblems } from '../../tools/espruino-compat/check.ts';
import { loadFormatter, loadVectors, readRepoFile, root } from './support.ts';

const files = generatedFiles(root);

describe('generated files', () => {
  it.each([...files.keys()])('%s is committed and current (run `npm run build` if not)', (path) => {
    let committed: string | undefined;
    try {
      committed = readRepoFile(path);
    } catch {
      committed = undefined;
    }
    expect(committed, `${path} is stale: run npm run build`).toBe(files.get(path));
  });
});

describe('TTN / ChirpStack formatter', () => {
  const { source, context } = loadFormatter();

  it('is ECMAScript 5.1 (parsed by acorn with ecmaVersion 5)', () => {
    expect(() => parse(source, { ecmaVersion: 5, sourceType: 'script' })).not.toThrow();
  });

  it('stays under The Things Stack limit of 40 KB', () => {
    expect(Buffer.byteLength(source)).toBeLessThan(40 * 1024);
  });

  it('defines the three entry points and needs no Node global', () => {
    for (const fn of ['decodeUplink', 'encodeDownlink', 'decodeDownlink']) expect(typeof context[fn]).toBe('function');
    expect(source).not.toMatch(/\b(require|process|Buffer|module\.exports|globalThis)\b/);
  });
});

describe('firmware-side module', () => {
  const source = readRepoFile(GENERATED_PATHS.firmwareModule);

  it('passes the Espruino compatibility check', () => {
    const problems = checkEspruinoCompat(source, { sourceType: 'module', fileName: 'payload.js' });
    expect(formatProblems(problems, 'payload.js')).toBe('');
  });

  it('exports an encoder and a decoder per message', () => {
    for (const m of catalog) {
      const name = m.name[0]!.toUpperCase() + m.name.slice(1);
      expect(source).toContain(`function encode${name}(o)`);
      expect(source).toContain(`function decode${name}(bytes)`);
    }
  });
});

describe('JSON Schema', () => {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });

  it.each(loadVectors().map((v) => [v.message, v] as const))('%s: every decoded vector validates', (name, vectors) => {
    const schema = JSON.parse(readRepoFile(`${GENERATED_PATHS.jsonSchemaDir}/${name}.schema.json`)) as object;
    const validate = ajv.compile(schema);
    let checked = 0;
    for (const v of vectors.decoder) {
      if (v.output.data === undefined) continue;
      expect(validate(v.output.data), JSON.stringify(validate.errors)).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    // and it is strict: a misspelt key fails
    const first = vectors.decoder.find((v) => v.output.data !== undefined)!.output.data as Record<string, unknown>;
    expect(validate({ ...first, unexpected: 1 })).toBe(false);
  });
});
