/** Shared test support: the golden vectors and the generated JavaScript loaded the way their users run it. */
import { readFileSync, readdirSync } from 'node:fs';
import vm from 'node:vm';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';
import type { VectorFile } from '../../payload-schema/src/generate/index.ts';
import { GENERATED_PATHS } from '../../payload-schema/src/generate/index.ts';

export const root = new URL('../../', import.meta.url);

export function readRepoFile(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** JSON has no NaN or Infinity: vectors write them as { "$nonFinite": "NaN" }. */
function reviveNonFinite(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$nonFinite' in value) return Number((value as { $nonFinite: string }).$nonFinite);
  return value;
}

export function loadVectors(): VectorFile[] {
  const dir = new URL(`${GENERATED_PATHS.vectorsDir}/`, root);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8'), reviveNonFinite) as VectorFile);
}

export interface Formatter {
  decodeUplink(input: unknown): { data?: unknown; errors?: string[]; warnings?: string[] };
  decodeDownlink(input: unknown): { data?: unknown; errors?: string[]; warnings?: string[] };
  encodeDownlink(input: unknown): { bytes?: number[]; fPort?: number; errors?: string[]; warnings?: string[] };
}

/** The formatter as The Things Stack runs it: a plain script in a context without any Node global. */
export function loadFormatter(): { formatter: Formatter; context: vm.Context; source: string } {
  const source = readRepoFile(GENERATED_PATHS.formatter);
  const context = vm.createContext({});
  vm.runInContext(source, context, { filename: 'ttn-formatter.js' });
  const formatter = {
    decodeUplink: context.decodeUplink,
    decodeDownlink: context.decodeDownlink,
    encodeDownlink: context.encodeDownlink,
  } as Formatter;
  return { formatter, context, source };
}

export interface FirmwareModule {
  encode(port: number, value: unknown): Uint8Array;
  decode(port: number, bytes: unknown): unknown;
  toHex(bytes: ArrayLike<number>): string;
  fromHex(hex: string): Uint8Array;
  [name: string]: unknown;
}

/** The firmware-side module in a context that has only what the Espruino interpreter has. */
export function loadFirmwareModule(): { module: FirmwareModule; source: string } {
  const source = readRepoFile(GENERATED_PATHS.firmwareModule);
  return { module: loadEspruinoModule(source) as FirmwareModule, source };
}

/** Copies data created in another vm context into this realm, so deep equality compares values only. */
export function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
