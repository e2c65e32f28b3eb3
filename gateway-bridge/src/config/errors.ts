/**
 * Configuration errors for people: each issue names the file, line and column where known, the path in the file
 * (`devices[2].nwkSKey`) and the expected value. Zod's issues are rewritten here; no message repeats a secret.
 */
import type { z } from 'zod';
import { describeValue } from './schema.ts';

export interface ConfigIssue {
  /** Path in the file, e.g. `devices[2].nwkSKey`; '' for the file as a whole. */
  path: string;
  message: string;
  file?: string;
  /** 1-based. */
  line?: number;
  column?: number;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(
      issues.length === 1
        ? formatIssue(issues[0]!)
        : `${issues.length} problems in the configuration:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((part) => part !== undefined).join(':');
  return [where, issue.path, issue.message].filter((part) => part !== undefined && part !== '').join(': ');
}

export function pathToString(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

/** Messages for zod's own issues (schema-level messages in schema.ts take precedence). */
export function zodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${issue.expected === 'int' ? 'a whole number' : article(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than';
      if (issue.origin === 'array') return `expected ${word} ${String(bound)} entries`;
      if (issue.origin === 'string') return `expected ${word} ${String(bound)} characters`;
      return `expected ${word} ${String(bound)}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'invalid_format':
      return `expected ${issue.format}`;
    default:
      return undefined;
  }
}

function article(expected: string): string {
  if (expected === 'object') return 'a map';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The keys a strict object at `path` accepts, found by walking the schema through wrappers, lists and pipes. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = schema;
  let remaining = [...path];
  for (let guard = 0; node !== undefined && guard < 100; guard++) {
    const def = node._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object') {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      if (remaining.length === 0) return Object.keys(shape);
      node = shape[String(remaining.shift())];
    } else if (def.type === 'array') {
      remaining.shift();
      node = def.element as z.core.$ZodType;
    } else if (def.type === 'pipe') {
      node = def.in as z.core.$ZodType;
    } else if ('innerType' in def) {
      node = def.innerType as z.core.$ZodType;
    } else {
      remaining = [];
      node = undefined;
    }
  }
  return [];
}

/** The known key a misspelt one was most likely meant to be, if any is close. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = keyDistance(unknown.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(unknown.length / 3)) ? best : undefined;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `unknown key "${key}"; did you mean "${suggestion}"?`;
  return known.length > 0 ? `unknown key "${key}" (known here: ${known.join(', ')})` : `unknown key "${key}"`;
}

/** Edit distance, also to the candidate's start: "frequency" is meant to be "frequencyHz", "bandwith" "bandwidthKhz". */
function keyDistance(unknown: string, candidate: string): number {
  let distance = editDistance(unknown, candidate);
  if (unknown.length >= 4) {
    for (const length of [unknown.length, unknown.length + 1]) distance = Math.min(distance, editDistance(unknown, candidate.slice(0, length)));
  }
  return distance;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Rewrites zod's issues as ConfigIssues: unknown keys one by one, with a suggestion. */
export function issuesFromZod(error: z.ZodError, schema: z.ZodType): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) issues.push({ path: [...issue.path, key], message: unknownKeyMessage(key, known) });
    } else {
      issues.push({ path: [...issue.path], message: issue.message });
    }
  }
  return issues;
}
