/** Every file generated from the catalog, keyed by its path in the repository. `npm run build` writes them. */
import { readFileSync } from 'node:fs';
import { catalog } from '../catalog/index.ts';
import type { MessageDef } from '../dsl.ts';
import { catalogIndexDoc, messageDoc, type DocExample } from './docs.ts';
import { jsonSchema } from './json-schema.ts';
import { emitFirmwareDeclarations, emitFirmwareModule, emitFormatter } from './targets.ts';

export const CATALOG_VERSION = 'v1';

export const GENERATED_PATHS = {
  formatter: 'payload-schema/generated/ttn-formatter.js',
  firmwareModule: 'payload-schema/generated/firmware/payload.js',
  /** payload.js with error codes instead of texts: what firmware bundles carry (tools/firmware-build). */
  firmwareCompactModule: 'payload-schema/generated/firmware/payload-compact.js',
  firmwareTypes: 'payload-schema/generated/firmware/payload.d.ts',
  jsonSchemaDir: 'payload-schema/generated/json-schema',
  docsDir: 'payload-schema/docs',
  vectorsDir: 'payload-schema/vectors',
} as const;

export interface VectorFile {
  fPort: number;
  message: string;
  direction: 'uplink' | 'downlink';
  decoder: { description: string; input: { fPort: number; bytes: unknown }; output: { data?: unknown; errors?: string[] } }[];
  encoder: { description: string; input: { data: unknown }; output: { bytes?: number[]; fPort?: number; errors?: string[] } }[];
}

export function vectorPath(message: MessageDef): string {
  return `${GENERATED_PATHS.vectorsDir}/${message.name}.json`;
}

function readVectors(root: URL, message: MessageDef): VectorFile | undefined {
  try {
    return JSON.parse(readFileSync(new URL(vectorPath(message), root), 'utf8')) as VectorFile;
  } catch {
    return undefined;
  }
}

const toHex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();

/** Docs show the golden vectors' valid decodings as examples (at most three per message). */
function examples(root: URL, message: MessageDef): DocExample[] {
  const vectors = readVectors(root, message);
  if (!vectors) return [];
  return vectors.decoder
    .filter((v) => v.output.data !== undefined && Array.isArray(v.input.bytes))
    .slice(0, 3)
    .map((v) => ({ description: v.description, hex: toHex(v.input.bytes as number[]), data: v.output.data }));
}

/** @param root the repository root, as a directory URL */
export function generatedFiles(root: URL, messages: readonly MessageDef[] = catalog): Map<string, string> {
  const files = new Map<string, string>();
  files.set(GENERATED_PATHS.formatter, emitFormatter(messages, CATALOG_VERSION));
  files.set(GENERATED_PATHS.firmwareModule, emitFirmwareModule(messages, CATALOG_VERSION));
  files.set(GENERATED_PATHS.firmwareCompactModule, emitFirmwareModule(messages, CATALOG_VERSION, 'codes'));
  files.set(GENERATED_PATHS.firmwareTypes, emitFirmwareDeclarations(messages, CATALOG_VERSION));
  for (const m of messages) {
    files.set(`${GENERATED_PATHS.jsonSchemaDir}/${m.name}.schema.json`, `${JSON.stringify(jsonSchema(m, CATALOG_VERSION), null, 2)}\n`);
    files.set(`${GENERATED_PATHS.docsDir}/${m.name}.md`, messageDoc(m, examples(root, m)));
  }
  files.set(`${GENERATED_PATHS.docsDir}/README.md`, catalogIndexDoc(messages));
  return files;
}
