/**
 * A rough count of Espruino variable blocks for E.getSizeOf and process.memory(). Espruino stores every
 * value, property name and ~12 characters of string data in a block; functions loaded from Storage keep
 * their code in flash. The figures are estimates, good for "does this fit in 2,500 blocks", not exact.
 */

const CHARS_PER_BLOCK = 12;

const stringBlocks = (length: number): number => 1 + Math.ceil(Math.max(0, length - 4) / CHARS_PER_BLOCK);

export function estimateBlocks(value: unknown, seen: Set<object> = new Set(), codeInFlash = true): number {
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'number') return 1;
  if (typeof value === 'string') return stringBlocks(value.length);
  if (typeof value !== 'object' && typeof value !== 'function') return 1;
  if (seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return 2 + Math.ceil(value.byteLength / CHARS_PER_BLOCK);
  if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') {
    return 1 + Math.ceil((value as ArrayBuffer).byteLength / CHARS_PER_BLOCK);
  }
  let blocks = 1;
  if (typeof value === 'function') {
    blocks += codeInFlash ? 2 : stringBlocks(Function.prototype.toString.call(value).length);
  }
  for (const key of Object.keys(value)) {
    let child: unknown;
    try {
      child = (value as Record<string, unknown>)[key];
    } catch {
      child = undefined;
    }
    // A property is a name block; small values live in it, others add their own blocks.
    const small = child === null || child === undefined || typeof child === 'boolean' || typeof child === 'number';
    blocks += stringBlocks(key.length) + (small ? 0 : estimateBlocks(child, seen, codeInFlash));
  }
  return blocks;
}
