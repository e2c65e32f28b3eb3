/** Espruino's byte conventions: strings are 8-bit, and data arguments are flattened the way E.toUint8Array does. */

const toStringTag = (v: unknown): string => Object.prototype.toString.call(v);

export const isArrayBuffer = (v: unknown): v is ArrayBuffer => toStringTag(v) === '[object ArrayBuffer]';

/**
 * Appends the bytes of one data argument (E.toUint8Array / Serial.write / I2C.writeTo semantics):
 * numbers keep their low 8 bits, strings give their char codes, arrays and typed arrays recurse,
 * `{data, count}` repeats and `{callback}` uses the callback's result.
 */
export function appendBytes(value: unknown, out: number[]): void {
  if (typeof value === 'number' || typeof value === 'boolean') {
    out.push(Number(value) & 0xff);
  } else if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) out.push(value.charCodeAt(i) & 0xff);
  } else if (Array.isArray(value)) {
    for (const item of value) appendBytes(item, out);
  } else if (ArrayBuffer.isView(value)) {
    const view = value as unknown as ArrayLike<number>;
    for (let i = 0; i < view.length; i++) out.push(Number(view[i]) & 0xff);
  } else if (isArrayBuffer(value)) {
    for (const b of new Uint8Array(value)) out.push(b);
  } else if (value !== null && typeof value === 'object') {
    const obj = value as { data?: unknown; count?: unknown; callback?: unknown };
    if (typeof obj.callback === 'function') {
      appendBytes((obj.callback as () => unknown)(), out);
    } else if ('data' in obj) {
      const count = Number(obj.count ?? 1);
      for (let i = 0; i < count; i++) appendBytes(obj.data, out);
    }
  }
}

export function bytesOf(...values: unknown[]): Uint8Array {
  const out: number[] = [];
  for (const v of values) appendBytes(v, out);
  return Uint8Array.from(out);
}

/** Bytes -> Espruino string (one char per byte). */
export function bytesToString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as E.CRC32 computes it. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
