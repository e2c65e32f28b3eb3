/**
 * Typed codec errors. The wording lives here once: the TypeScript codec formats it with `errorText`, and the
 * generated formatter and firmware module embed the same templates, so golden vectors can compare error strings.
 */

export const ERROR_TEMPLATES = {
  UNKNOWN_PORT: 'unknown FPort {port}',
  WRONG_DIRECTION: 'FPort {port} ({name}) is for {direction}s',
  WRONG_LENGTH: 'expected {atLeast}{expected} bytes, got {actual}',
  MISSING_FIELD: 'missing',
  UNKNOWN_FIELD: 'unknown field',
  WRONG_TYPE: 'expected {expected}, got {actual}',
  NOT_FINITE: '{value} is not a finite number',
  NOT_INTEGER: '{value} is not an integer',
  OUT_OF_RANGE: '{value} is out of range {min}..{max}',
  UNKNOWN_ENUM: 'unknown value {value} (expected one of: {labels})',
  UNKNOWN_FLAG: 'unknown flag {value}',
  UNKNOWN_MESSAGE: 'expected an object with exactly one key of: {names}',
} as const;

export type PayloadErrorCode = keyof typeof ERROR_TEMPLATES;
export type ErrorParams = Record<string, string | number>;

/** `field: text` with `{name}` placeholders filled in; the same function is emitted into generated code. */
export function errorText(code: PayloadErrorCode, field: string, params: ErrorParams): string {
  const text = ERROR_TEMPLATES[code].replace(/\{(\w+)\}/g, (_m, key: string) => String(params[key]));
  return field ? `${field}: ${text}` : text;
}

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  constructor(
    readonly code: PayloadErrorCode,
    /** Dotted path of the offending field (`bookings[2].kind`), empty for whole-message errors. */
    readonly field: string,
    params: ErrorParams = {},
  ) {
    super(errorText(code, field, params));
  }
}

/** How a value is shown inside an error message: strings quoted, everything else as String() does. */
export function describeValue(value: unknown): string {
  // Objects are named, not converted: String() calls their toString, which may be missing or throw.
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** The type name used in WRONG_TYPE messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
