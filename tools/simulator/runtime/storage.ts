/**
 * The board's Storage flash: files that survive resets and power cycles, and require('Storage').
 * write() follows Espruino's jsfWriteFile: a write at offset 0 replaces the file (unless identical),
 * writes at other offsets fill a file created with a size, may only go to still-erased (0xFF) bytes and
 * must fit the file. Each file costs a 32-byte header and is padded to 4 bytes; getFree() is what is left
 * (the simulator compacts at once, so replaced files leave no trash).
 */
import { bytesOf, bytesToString } from './bytes.ts';
import { guestArray, guestArrayBuffer, guestObject, type RuntimeHost } from './host.ts';

const HEADER_BYTES = 32;
const MAX_NAME_LENGTH = 28;

export class FlashImage {
  private readonly files = new Map<string, Uint8Array>();

  constructor(readonly capacityBytes: number) {}

  static footprint(size: number): number {
    return HEADER_BYTES + Math.ceil(size / 4) * 4;
  }

  get usedBytes(): number {
    let used = 0;
    for (const data of this.files.values()) used += FlashImage.footprint(data.length);
    return used;
  }

  get freeBytes(): number {
    return this.capacityBytes - this.usedBytes;
  }

  list(): string[] {
    return [...this.files.keys()];
  }

  read(name: string): Uint8Array | undefined {
    const data = this.files.get(name);
    return data && Uint8Array.from(data);
  }

  /** Replaces or creates a whole file; false when it does not fit. */
  write(name: string, data: Uint8Array | string): boolean {
    const bytes = typeof data === 'string' ? bytesOf(data) : data;
    if (!this.create(name, bytes.length)) return false;
    this.files.get(name)!.set(bytes);
    return true;
  }

  erase(name: string): void {
    this.files.delete(name);
  }

  eraseAll(): void {
    this.files.clear();
  }

  /** An independent copy (for starting another board from the same flash). */
  clone(): FlashImage {
    const copy = new FlashImage(this.capacityBytes);
    for (const [name, data] of this.files) copy.files.set(name, Uint8Array.from(data));
    return copy;
  }

  /** Creates an erased (0xFF) file, moving it to the end like a rewrite in flash does; false if full. */
  create(name: string, size: number): boolean {
    const old = this.files.get(name);
    const freeAfter = this.freeBytes + (old ? FlashImage.footprint(old.length) : 0) - FlashImage.footprint(size);
    if (freeAfter < 0) return false;
    this.files.delete(name);
    this.files.set(name, new Uint8Array(size).fill(0xff));
    return true;
  }

  /** The stored bytes themselves (no copy), for in-place writes by the Storage module. */
  raw(name: string): Uint8Array | undefined {
    return this.files.get(name);
  }
}

/** Bytes of what Storage.write is given: objects as JSON, everything else as Espruino data. */
function dataBytes(data: unknown, realm: RuntimeHost['realm']): Uint8Array {
  if (typeof data === 'string') return bytesOf(data);
  if (Array.isArray(data) || ArrayBuffer.isView(data) || Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return bytesOf(data);
  }
  if (data !== null && typeof data === 'object') return bytesOf(realm.JSON.stringify(data));
  return bytesOf(String(data));
}

export function storageModule(flash: FlashImage, host: () => RuntimeHost): Record<string, unknown> {
  const realm = (): RuntimeHost['realm'] => host().realm;
  const fail = (message: string): never => {
    throw new (realm().Error)(message);
  };
  const fileName = (name: unknown): string => {
    const n = String(name);
    if (n.length > MAX_NAME_LENGTH) fail('File name too long');
    return n;
  };
  const readString = (name: unknown, offset?: unknown, length?: unknown): string | undefined => {
    const data = flash.raw(fileName(name));
    if (!data) return undefined;
    let start = Math.max(0, Math.floor(Number(offset)) || 0);
    if (start > data.length) start = data.length;
    let len = Math.floor(Number(length)) || 0;
    if (len <= 0 || start + len > data.length) len = data.length - start;
    return bytesToString(data.subarray(start, start + len));
  };

  const write = (name: unknown, data: unknown, offset?: unknown, size?: unknown): boolean => {
    const file = fileName(name);
    const isObject = data !== null && typeof data === 'object' && !Array.isArray(data) && !ArrayBuffer.isView(data) &&
      Object.prototype.toString.call(data) !== '[object ArrayBuffer]';
    const at = isObject ? 0 : Math.floor(Number(offset)) || 0;
    const wanted = isObject ? 0 : Math.floor(Number(size)) || 0;
    if (at < 0 || wanted < 0) return false;
    const bytes = dataBytes(data, realm());
    const fileSize = wanted || bytes.length;
    if (!fileSize) fail("Can't create zero length file");
    let stored = flash.raw(file);
    if (at === 0 && (!stored || stored.length !== fileSize || !stored.every((b) => b === 0xff))) {
      if (stored && stored.length === fileSize && bytes.length === fileSize && stored.every((b, i) => b === bytes[i])) return true;
      if (!flash.create(file, fileSize)) fail('Unable to find or create file');
      stored = flash.raw(file);
    }
    if (!stored) return fail('Unable to find or create file');
    if (at + bytes.length > stored.length) fail('Too much data for file size');
    for (let i = 0; i < bytes.length; i++) if (stored[at + i] !== 0xff) fail('File already written with different data');
    stored.set(bytes, at);
    return true;
  };

  return {
    read: readString,
    readJSON: (name: unknown, noExceptions?: unknown) => {
      const text = readString(name);
      if (text === undefined) return undefined;
      try {
        return realm().JSON.parse(text);
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    readArrayBuffer: (name: unknown) => {
      const data = flash.raw(fileName(name));
      return data ? guestArrayBuffer(realm(), data) : undefined;
    },
    write,
    writeJSON: (name: unknown, data: unknown) => write(name, realm().JSON.stringify(data)),
    erase: (name: unknown) => flash.erase(fileName(name)),
    eraseAll: () => flash.eraseAll(),
    list: (regex?: unknown) => {
      const names = flash.list().filter((n) => (regex === undefined ? true : n.match(regex as RegExp) !== null));
      return guestArray(realm(), names);
    },
    getFree: () => flash.freeBytes,
    getStats: () =>
      guestObject(realm(), {
        totalBytes: flash.capacityBytes,
        freeBytes: flash.freeBytes,
        fileBytes: flash.usedBytes,
        fileCount: flash.list().length,
        trashBytes: 0,
        trashCount: 0,
      }),
    compact: () => undefined,
  };
}
