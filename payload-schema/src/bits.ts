/** MSB-first bit writer for fields of 1 to 32 bits (decoders are compiled: compile-decoder.ts). */

export class BitWriter {
  pos = 0;
  readonly bytes: Uint8Array;
  constructor(maxBytes: number) {
    this.bytes = new Uint8Array(maxBytes);
  }

  /** Writes the low n bits of a non-negative integer below 2^32. */
  write(value: number, n: number): void {
    let pos = this.pos;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const take = n < free ? n : free;
      const chunk = (value >>> (n - take)) & ((1 << take) - 1);
      this.bytes[pos >> 3]! |= chunk << (free - take);
      pos += take;
      n -= take;
    }
    this.pos = pos;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, (this.pos + 7) >> 3);
  }
}
