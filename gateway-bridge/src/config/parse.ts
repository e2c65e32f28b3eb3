/**
 * Turns a configuration file's text into a value and a way back from a path in that value to a line and column:
 * YAML (JSON content included), or strict JSON for a .json file. Also validation against a zod schema with
 * located issues, shared by the configuration file and a devices file.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, issuesFromZod, pathToString, zodMessage, type ConfigIssue } from './errors.ts';
import { TEXT_KEYS } from './schema.ts';

export type Locate = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

/** Where a value came from: its file (absent for an object given in code) and the directory paths resolve against. */
export interface Source {
  file?: string;
  baseDir: string;
  locate: Locate;
}

export function located(source: Source, path: readonly PropertyKey[], message: string): ConfigIssue {
  const issue: ConfigIssue = { path: pathToString(path), message };
  if (source.file !== undefined) issue.file = source.file;
  const at = source.locate(path);
  if (at) {
    issue.line = at.line;
    issue.column = at.column;
  }
  return issue;
}

/** Parses with the schema; zod's issues become ConfigIssues located in the source. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: Source, prefix: PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(value, { error: zodMessage });
  if (result.success) return result.data;
  throw new ConfigError(issuesFromZod(result.error, schema).map((i) => located(source, [...prefix, ...i.path], i.message)));
}

export function readStructuredFile(file: string): { value: unknown; locate: Locate } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ file, path: '', message: `cannot read the file: ${describeFsError(error)}` }]);
  }
  return parseStructured(text, file);
}

/** Syntax errors carry line and column. */
export function parseStructured(text: string, file?: string): { value: unknown; locate: Locate } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const locate: Locate = (path) => (doc.errors.length > 0 ? undefined : locateIn(doc, path, lineCounter));
  const where = file === undefined ? {} : { file };
  if (file !== undefined && extname(file).toLowerCase() === '.json') {
    try {
      return { value: JSON.parse(text) as unknown, locate };
    } catch (error) {
      const message = (error as Error).message;
      const position = /at position (\d+)/.exec(message);
      const at = position ? lineCounter.linePos(Number(position[1])) : undefined;
      throw new ConfigError([
        { ...where, ...(at ? { line: at.line, column: at.col } : {}), path: '', message: `JSON syntax: ${message.replace(/ in JSON at position \d+.*$/, '')}` },
      ]);
    }
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return { ...where, ...(at ? { line: at.line, column: at.col } : {}), path: '', message: `YAML syntax: ${message}` };
      }),
    );
  }
  keepTextOfTextKeys(doc);
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, locate };
}

/**
 * YAML reads `devAddr: 26011234` as a number and `26E11234` as 2.6e12; for keys that hold text (hex, ids, names,
 * passwords) the value is what was written.
 */
function keepTextOfTextKeys(doc: Document): void {
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && TEXT_KEYS.includes(String(pair.key.value)) && isScalar(pair.value)) {
        const scalar = pair.value;
        if (scalar.type === 'PLAIN' && typeof scalar.value !== 'string' && scalar.value !== null && scalar.source !== undefined) {
          scalar.value = scalar.source;
        }
      }
    },
  });
}

/** The line and column of the deepest node on `path` (the key itself for a map entry). */
function locateIn(doc: Document, path: readonly PropertyKey[], lineCounter: LineCounter): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  if (offset === undefined) return undefined;
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return `permission denied for user ${userName()}`;
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error).message;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
