/**
 * payload-compact.js, the codec firmware bundles carry, against payload.js, the firmware codec the golden vectors
 * check: the same bytes and values, and the same error code and field for every bad input, with `field: CODE` as the
 * message instead of a sentence. (Decoder inputs that are not byte arrays are out of its scope: TypeScript types
 * them, and the firmware only decodes what its radio received.)
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { GENERATED_PATHS, type VectorFile } from '../../payload-schema/src/generate/index.ts';
import { messageSize } from '../../payload-schema/src/layout.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';
import { buildFirmware } from '../../tools/firmware-build/index.ts';
import { REPO_ROOT } from '../../tools/firmware-build/paths.ts';
import { messageArb } from '../payload-schema/arbitraries.ts';
import { runBundle, tempApps } from './support.ts';

interface Codec {
  encode(port: number, value: unknown): Uint8Array;
  decode(port: number, bytes: unknown): unknown;
  toHex(bytes: ArrayLike<number>): string;
  fromHex(hex: unknown): Uint8Array;
}

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const full = loadEspruinoModule(read(GENERATED_PATHS.firmwareModule)) as unknown as Codec;
const compactSource = read(GENERATED_PATHS.firmwareCompactModule);
const compact = loadEspruinoModule(compactSource) as unknown as Codec;

type Outcome = { value: unknown } | { code: string; field: string; message: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { value: JSON.parse(JSON.stringify(f(), (_k, v: unknown) => (v instanceof Object && 'BYTES_PER_ELEMENT' in v ? Array.from(v as Uint8Array) : v))) };
  } catch (error) {
    const e = error as Error & { code?: string; field?: string };
    if (!e.code) throw error;
    return { code: e.code, field: e.field ?? '', message: e.message };
  }
}

/** The compact outcome must equal the full one, with the short message. */
function expectSame(f: (codec: Codec) => unknown): void {
  const want = outcome(() => f(full));
  const got = outcome(() => f(compact));
  if ('value' in want) {
    expect(got).toEqual(want);
  } else {
    expect(got).toEqual({ code: want.code, field: want.field, message: want.field ? `${want.field}: ${want.code}` : want.code });
  }
}

const isByteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
const vectors = catalog.map((m) => JSON.parse(read(`${GENERATED_PATHS.vectorsDir}/${m.name}.json`)) as VectorFile);

describe('payload-compact.js', () => {
  it('passes the Espruino compatibility check and carries no error sentence', () => {
    expect(checkEspruinoCompat(compactSource, { sourceType: 'module', fileName: 'payload-compact.js' })).toEqual([]);
    expect(compactSource).not.toMatch(/is out of range|expected \{|unknown value/);
  });

  it('agrees with payload.js on every golden vector', () => {
    let compared = 0;
    for (const file of vectors) {
      for (const v of file.decoder) {
        if (!isByteArray(v.input.bytes)) continue;
        expectSame((codec) => codec.decode(file.fPort, v.input.bytes));
        compared++;
      }
      for (const v of file.encoder) {
        expectSame((codec) => codec.encode(file.fPort, v.input.data));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
    expectSame((codec) => codec.decode(99, [1]));
  });

  it.each(catalog.map((m) => [m.name, m] as const))('agrees with payload.js on random bytes and values: %s', (_name, message) => {
    const size = messageSize(message);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: size.maxBytes + 2 }), (bytes) => {
        expectSame((codec) => codec.decode(message.port, Array.from(bytes)));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(messageArb(message), ({ input }) => {
        expectSame((codec) => codec.encode(message.port, input));
      }),
      { numRuns: 300 },
    );
    // a valid object with one field replaced by anything
    const broken = fc.tuple(messageArb(message), fc.nat(), fc.anything()).map(([drawn, pick, value]) => {
      const keys = Object.keys(drawn.input);
      return keys.length ? { ...drawn.input, [keys[pick % keys.length]!]: value } : drawn.input;
    });
    fc.assert(
      fc.property(broken, (input) => {
        expectSame((codec) => codec.encode(message.port, input));
      }),
      { numRuns: 300 },
    );
  });

  it('converts hex the same way, and refuses what payload.js refuses', () => {
    for (const hex of ['', '00ff', 'ABcd', 'abc', 'zz', 12 as unknown as string]) expectSame((codec) => codec.fromHex(hex));
    expectSame((codec) => codec.toHex(new Uint8Array([0, 15, 16, 255])));
  });

  it('is what firmware bundles carry in place of payload.js', async () => {
    const dirs = tempApps({
      codec: `import { encodeRoadClimate } from '${join(REPO_ROOT, GENERATED_PATHS.firmwareModule)}';\ntry { encodeRoadClimate({} as never); } catch (e) { console.log((e as Error).message); }\n`,
    });
    const build = await buildFirmware({ app: 'codec', board: 'mdbt42q-rak3172', ...dirs });
    expect(build.problems).toEqual([]);
    expect(runBundle(build.code)).toEqual(['air.temperature: MISSING_FIELD']);
    expect(build.code).not.toContain('is out of range');
  });
});
