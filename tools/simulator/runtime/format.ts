/**
 * Text the way Espruino's console prints it: strings as they are, other values as Espruino's
 * JSON-ish dump (`{ "a": 1, "b": [ 1, 2 ] }`, `new Uint8Array([1, 2])`), errors as "Name: message".
 */

function errorText(value: { name?: unknown; message?: unknown }): string {
  const name = typeof value.name === 'string' && value.name ? value.name : 'Error';
  const message = value.message === undefined || value.message === '' ? '' : `: ${String(value.message)}`;
  return `${name}${message}`;
}

function isErrorLike(value: object): value is { name?: unknown; message?: unknown } {
  return Object.prototype.toString.call(value) === '[object Error]';
}

function dump(value: unknown, seen: Set<object>): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return value.name ? `function ${value.name}() { ... }` : 'function () { ... }';
  if (typeof value !== 'object') return String(value);
  if (isErrorLike(value)) return errorText(value);
  // Pins (and other objects with a name of their own) print as that name: D5, LED1's pin.
  if (Object.prototype.hasOwnProperty.call(value, 'toString') && !Object.prototype.propertyIsEnumerable.call(value, 'toString')) {
    return String(value);
  }
  if (seen.has(value)) return '...';
  seen.add(value);
  try {
    if (ArrayBuffer.isView(value)) {
      const items = Array.prototype.slice.call(value as unknown as ArrayLike<number>, 0, 64).join(', ');
      const more = (value as unknown as ArrayLike<number>).length > 64 ? ', ...' : '';
      return `new ${value.constructor?.name ?? 'Uint8Array'}([${items}${more}])`;
    }
    if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') {
      return `new ArrayBuffer(${(value as ArrayBuffer).byteLength})`;
    }
    if (Array.isArray(value)) {
      return value.length === 0 ? '[ ]' : `[ ${value.map((v) => dump(v, seen)).join(', ')} ]`;
    }
    const keys = Object.keys(value);
    if (keys.length === 0) return '{ }';
    const record = value as Record<string, unknown>;
    return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${dump(record[k], seen)}`).join(', ')} }`;
  } finally {
    seen.delete(value);
  }
}

/** One console.log/print argument. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : dump(value, new Set());
}

export function formatArgs(args: readonly unknown[]): string {
  return args.map(formatValue).join(' ');
}

/** What follows "Uncaught " when an exception reaches Espruino's idle loop (its %v of the value). */
export function uncaughtText(value: unknown): string {
  if (value !== null && typeof value === 'object' && isErrorLike(value)) return errorText(value);
  if (typeof value === 'string') return value;
  return formatValue(value);
}
