/**
 * CRC-8 as Sensirion's sensors compute it (SHT3x, SHT4x, SHTC3, SCD4x): polynomial 0x31 (x^8 + x^5 + x^4 + 1),
 * init 0xFF, no reflection, no final XOR. Datasheet check value: 0xBE 0xEF -> 0x92.
 */

/** CRC of `length` bytes of `bytes` starting at `start`. */
export function sensirionCrc8(bytes: ArrayLike<number>, start: number, length: number): number {
  let crc = 0xff;
  for (let i = start; i < start + length; i++) {
    crc ^= bytes[i]! & 0xff;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc;
}
