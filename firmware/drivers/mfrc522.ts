/**
 * NXP MFRC522 (13.56 MHz ISO/IEC 14443 A reader IC) over SPI: reads the UID of one card in the field.
 *
 * The bus is a transfer function (`bytes out -> bytes clocked in`, NSS held low for the whole call), so the same
 * code runs on Espruino (`spi.send(bytes, nss)`) and on a Raspberry Pi (spi-device `transferSync`).
 * SPI framing (MFRC522 datasheet 8.1.2): address byte = (register << 1), bit 7 set to read; reading n bytes sends
 * n address bytes and a closing 0x00, the bytes clocked in are "X, data0 .. data n-1".
 *
 * One read: REQA (7-bit short frame) -> ATQA; anticollision and SELECT per cascade level (4-byte UIDs at level 1,
 * 7-byte UIDs through the cascade tag 0x88 and level 2, 10-byte at level 3), with the BCC checked and the SELECT's
 * CRC_A computed by the chip's CRC coprocessor (CalcCRC), the SAK's CRC_A checked the same way; then HLTA, so a card
 * left on the reader is not read again until it leaves the field. Bit collisions (two cards) are resolved bit by
 * bit as ISO/IEC 14443-3 6.5.3 describes. Every failure is a returned error, never an exception.
 *
 * Synchronous on purpose: a command's outcome is polled in ComIrqReg, whose TimerIRq (TAuto, 25 ms) ends a
 * transceive nobody answers. Plain functions only: this file is bundled for Espruino.
 */

/** Clocks `bytes` out with NSS low and returns the bytes clocked in (same length). */
export type SpiTransfer = (bytes: number[]) => number[];

export const MFRC522_REG = {
  Command: 0x01,
  ComIEn: 0x02,
  DivIEn: 0x03,
  ComIrq: 0x04,
  DivIrq: 0x05,
  Error: 0x06,
  Status1: 0x07,
  Status2: 0x08,
  FIFOData: 0x09,
  FIFOLevel: 0x0a,
  Control: 0x0c,
  BitFraming: 0x0d,
  Coll: 0x0e,
  Mode: 0x11,
  TxMode: 0x12,
  RxMode: 0x13,
  TxControl: 0x14,
  TxASK: 0x15,
  CRCResultH: 0x21,
  CRCResultL: 0x22,
  ModWidth: 0x24,
  TMode: 0x2a,
  TPrescaler: 0x2b,
  TReloadH: 0x2c,
  TReloadL: 0x2d,
  Version: 0x37,
};

export const MFRC522_CMD = { Idle: 0x0, Mem: 0x1, CalcCRC: 0x3, Transmit: 0x4, Receive: 0x8, Transceive: 0xc, SoftReset: 0xf };

/** ISO/IEC 14443-3 type A commands. */
export const PICC = { REQA: 0x26, WUPA: 0x52, SEL_CL1: 0x93, SEL_CL2: 0x95, SEL_CL3: 0x97, HLTA: 0x50, CT: 0x88 };

/** ComIrqReg bits. */
const IRQ_TX = 0x40;
const IRQ_RX = 0x20;
const IRQ_IDLE = 0x10;
const IRQ_TIMER = 0x01;
/** ErrorReg bits. */
const ERR_BUFFER_OVFL = 0x10;
const ERR_COLL = 0x08;
const ERR_PARITY = 0x02;
const ERR_PROTOCOL = 0x01;
/** DivIrqReg CRCIRq. */
const DIV_CRC = 0x04;

export type Mfrc522Error =
  /** No card answered within the chip's timer (no card, or the card did not take the command). */
  | 'timeout'
  /** The chip did not finish a command within the polling budget: no chip, or it hangs. */
  | 'noChip'
  /** A bit collision the anticollision could not resolve. */
  | 'collision'
  | 'crc'
  | 'bcc'
  /** Parity, protocol or FIFO overflow error, or an answer of the wrong length. */
  | 'protocol';

export type Mfrc522Read = { ok: true; uid: number[]; sak: number; atqa: number } | { ok: false; error: Mfrc522Error };

export interface Mfrc522 {
  /** Soft reset, timer/ASK/mode setup, antenna on. Returns the VersionReg value, or an error when no chip answers. */
  init(): { ok: true; version: number } | { ok: false; error: 'noChip' };
  /** REQA, anticollision/select, HLTA. `timeout` means no (new) card: cards that were read are halted. */
  readCard(): Mfrc522Read;
  /** CRC_A of `data` by the chip's coprocessor, [low, high]; null when the chip did not finish. */
  crcA(data: number[]): number[] | null;
  /** A 16-bit SAK/ATQA etc. as read; for tests and diagnostics. */
  readRegister(reg: number): number;
  writeRegister(reg: number, value: number): void;
  antenna(on: boolean): void;
}

export interface Mfrc522Options {
  /** Status polls before a command counts as hung. Default 40. */
  maxPolls?: number;
}

interface Exchange {
  error: Mfrc522Error | null;
  data: number[];
  /** Valid bits in the last byte (RxLastBits), 0 = all 8. */
  lastBits: number;
  /** ErrorReg as read after the command. */
  errorReg: number;
  /** CollReg as read after a collision. */
  coll: number;
}

export function createMfrc522(transfer: SpiTransfer, options?: Mfrc522Options): Mfrc522 {
  const maxPolls = (options && options.maxPolls) || 40;

  function write(reg: number, values: number[]): void {
    const out = [(reg << 1) & 0x7e];
    for (let i = 0; i < values.length; i++) out.push(values[i]! & 0xff);
    transfer(out);
  }

  function writeRegister(reg: number, value: number): void {
    write(reg, [value]);
  }

  function readMany(reg: number, count: number): number[] {
    const address = 0x80 | ((reg << 1) & 0x7e);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(address);
    out.push(0);
    const back = transfer(out);
    const values: number[] = [];
    for (let i = 1; i <= count; i++) values.push(back[i]! & 0xff);
    return values;
  }

  function readRegister(reg: number): number {
    return readMany(reg, 1)[0]!;
  }

  function crcA(data: number[]): number[] | null {
    writeRegister(MFRC522_REG.Command, MFRC522_CMD.Idle);
    writeRegister(MFRC522_REG.DivIrq, DIV_CRC);
    writeRegister(MFRC522_REG.FIFOLevel, 0x80);
    write(MFRC522_REG.FIFOData, data);
    writeRegister(MFRC522_REG.Command, MFRC522_CMD.CalcCRC);
    for (let i = 0; i < maxPolls; i++) {
      if (readRegister(MFRC522_REG.DivIrq) & DIV_CRC) {
        writeRegister(MFRC522_REG.Command, MFRC522_CMD.Idle);
        return [readRegister(MFRC522_REG.CRCResultL), readRegister(MFRC522_REG.CRCResultH)];
      }
    }
    return null;
  }

  /**
   * Transceive: `data` out (the last byte with `txLastBits` bits, 0 = 8), the answer read back with its first bit at
   * `rxAlign`. Collisions are returned with the data and CollReg, not as a failure, so the caller can resolve them.
   */
  function transceive(data: number[], txLastBits: number, rxAlign: number): Exchange {
    const result: Exchange = { error: null, data: [], lastBits: 0, errorReg: 0, coll: 0 };
    writeRegister(MFRC522_REG.Command, MFRC522_CMD.Idle);
    writeRegister(MFRC522_REG.ComIrq, 0x7f);
    writeRegister(MFRC522_REG.FIFOLevel, 0x80);
    write(MFRC522_REG.FIFOData, data);
    writeRegister(MFRC522_REG.BitFraming, ((rxAlign & 7) << 4) | (txLastBits & 7));
    writeRegister(MFRC522_REG.Command, MFRC522_CMD.Transceive);
    writeRegister(MFRC522_REG.BitFraming, 0x80 | ((rxAlign & 7) << 4) | (txLastBits & 7));
    let irq = 0;
    let polls = 0;
    for (; polls < maxPolls; polls++) {
      irq = readRegister(MFRC522_REG.ComIrq);
      if (irq & (IRQ_RX | IRQ_IDLE)) break;
      if (irq & IRQ_TIMER) {
        result.error = 'timeout';
        break;
      }
    }
    writeRegister(MFRC522_REG.BitFraming, 0);
    if (polls === maxPolls) result.error = irq & IRQ_TX ? 'timeout' : 'noChip';
    if (result.error) return result;
    const errorReg = readRegister(MFRC522_REG.Error);
    result.errorReg = errorReg;
    if (errorReg & (ERR_BUFFER_OVFL | ERR_PARITY | ERR_PROTOCOL)) {
      result.error = 'protocol';
      return result;
    }
    const level = readRegister(MFRC522_REG.FIFOLevel) & 0x7f;
    result.data = level > 0 ? readMany(MFRC522_REG.FIFOData, level) : [];
    result.lastBits = readRegister(MFRC522_REG.Control) & 7;
    if (errorReg & ERR_COLL) {
      result.coll = readRegister(MFRC522_REG.Coll);
      result.error = 'collision';
    }
    return result;
  }

  /** `frame` plus its CRC_A from the coprocessor; null when the chip did not compute it. */
  function withCrc(frame: number[]): number[] | null {
    const crc = crcA(frame);
    return crc === null ? null : frame.concat(crc);
  }

  /** The last two bytes of `answer` are the CRC_A of the rest. */
  function crcOk(answer: number[]): boolean | null {
    const crc = crcA(answer.slice(0, answer.length - 2));
    if (crc === null) return null;
    return crc[0] === answer[answer.length - 2] && crc[1] === answer[answer.length - 1];
  }

  function request(): { ok: true; atqa: number } | { ok: false; error: Mfrc522Error } {
    // ValuesAfterColl = 0: bits received after a collision read as 0
    writeRegister(MFRC522_REG.Coll, readRegister(MFRC522_REG.Coll) & 0x7f);
    const answer = transceive([PICC.REQA], 7, 0);
    // ATQAs of different cards collide in their proprietary bits: a card answered, anticollision sorts it out
    if (answer.error && answer.error !== 'collision') return { ok: false, error: answer.error };
    if (answer.data.length !== 2 || answer.lastBits !== 0) return { ok: false, error: 'protocol' };
    return { ok: true, atqa: answer.data[0]! | (answer.data[1]! << 8) };
  }

  /**
   * One cascade level: the 4 UID-part bytes (byte 0 may be the cascade tag) and the SAK. ISO/IEC 14443-3 6.5.3:
   * anticollision with the known bits, on a collision take bit value 1 at the collision and ask again.
   */
  function selectLevel(sel: number): { ok: true; part: number[]; sak: number } | { ok: false; error: Mfrc522Error } {
    // frame: SEL, NVB, 4 UID-part bytes, BCC
    const frame = [sel, 0x20, 0, 0, 0, 0, 0];
    let known = 0;
    for (let round = 0; round < 33 && known < 32; round++) {
      const whole = known >> 3;
      const bits = known & 7;
      frame[1] = ((2 + whole) << 4) | bits;
      const out = frame.slice(0, 2 + whole + (bits ? 1 : 0));
      const answer = transceive(out, bits, bits);
      if (answer.error && answer.error !== 'collision') return { ok: false, error: answer.error };
      // the answer carries the frame from the byte the known bits end in up to the BCC
      if (answer.data.length !== 5 - whole) return { ok: false, error: 'protocol' };
      const keepMask = (1 << bits) - 1;
      for (let i = 0; i < answer.data.length; i++) {
        const value = answer.data[i]!;
        frame[2 + whole + i] = i === 0 && bits ? (frame[2 + whole]! & keepMask) | (value & ~keepMask & 0xff) : value;
      }
      if (answer.error !== 'collision') {
        known = 32;
        break;
      }
      if (answer.coll & 0x20) return { ok: false, error: 'collision' }; // CollPosNotValid
      let position = answer.coll & 0x1f;
      if (position === 0) position = 32;
      if (position <= known) return { ok: false, error: 'collision' };
      known = position;
      // bit `position` (1-based) of the UID part is the collided one: choose 1
      const index = 2 + ((position - 1) >> 3);
      frame[index] = frame[index]! | (1 << ((position - 1) & 7));
      // the bits after it are unknown again
      frame[index] = frame[index]! & ((1 << (((position - 1) & 7) + 1)) - 1);
      for (let i = index + 1; i < 7; i++) frame[i] = 0;
    }
    if (known < 32) return { ok: false, error: 'collision' };
    if ((frame[2]! ^ frame[3]! ^ frame[4]! ^ frame[5]!) !== frame[6]) return { ok: false, error: 'bcc' };
    frame[1] = 0x70;
    const select = withCrc(frame);
    if (select === null) return { ok: false, error: 'noChip' };
    const sak = transceive(select, 0, 0);
    if (sak.error) return { ok: false, error: sak.error };
    if (sak.data.length !== 3 || sak.lastBits !== 0) return { ok: false, error: 'protocol' };
    const check = crcOk(sak.data);
    if (check === null) return { ok: false, error: 'noChip' };
    if (!check) return { ok: false, error: 'crc' };
    return { ok: true, part: frame.slice(2, 6), sak: sak.data[0]! };
  }

  function halt(): void {
    const hlta = withCrc([PICC.HLTA, 0]);
    // a halted card stays silent: the timeout is the expected outcome
    if (hlta !== null) transceive(hlta, 0, 0);
  }

  function readCard(): Mfrc522Read {
    const req = request();
    if (!req.ok) return req;
    const levels = [PICC.SEL_CL1, PICC.SEL_CL2, PICC.SEL_CL3];
    const uid: number[] = [];
    for (let level = 0; level < levels.length; level++) {
      const selected = selectLevel(levels[level]!);
      if (!selected.ok) return selected;
      const cascade = (selected.sak & 0x04) !== 0;
      if (cascade && selected.part[0] !== PICC.CT) return { ok: false, error: 'protocol' };
      for (let i = cascade ? 1 : 0; i < 4; i++) uid.push(selected.part[i]!);
      if (!cascade) {
        halt();
        return { ok: true, uid: uid, sak: selected.sak, atqa: req.atqa };
      }
    }
    return { ok: false, error: 'protocol' };
  }

  function antenna(on: boolean): void {
    const value = readRegister(MFRC522_REG.TxControl);
    writeRegister(MFRC522_REG.TxControl, on ? value | 0x03 : value & ~0x03);
  }

  function init(): { ok: true; version: number } | { ok: false; error: 'noChip' } {
    writeRegister(MFRC522_REG.Command, MFRC522_CMD.SoftReset);
    // the soft reset ends with the command register back at Idle (PowerDown clear); a missing chip reads 0x00/0xFF
    let ready = false;
    for (let i = 0; i < maxPolls && !ready; i++) ready = (readRegister(MFRC522_REG.Command) & 0x1f) === MFRC522_CMD.Idle;
    const version = readRegister(MFRC522_REG.Version);
    if (!ready || version === 0x00 || version === 0xff) return { ok: false, error: 'noChip' };
    writeRegister(MFRC522_REG.TxMode, 0x00);
    writeRegister(MFRC522_REG.RxMode, 0x00);
    writeRegister(MFRC522_REG.ModWidth, 0x26);
    // TAuto; prescaler 0x0A9 -> 13.56 MHz / (2 * 169 + 1) = 40 kHz; reload 1000 -> 25 ms
    writeRegister(MFRC522_REG.TMode, 0x80);
    writeRegister(MFRC522_REG.TPrescaler, 0xa9);
    writeRegister(MFRC522_REG.TReloadH, 0x03);
    writeRegister(MFRC522_REG.TReloadL, 0xe8);
    // 100 % ASK; CRC preset 0x6363 (ISO/IEC 14443-3 6.2.4)
    writeRegister(MFRC522_REG.TxASK, 0x40);
    writeRegister(MFRC522_REG.Mode, 0x3d);
    antenna(true);
    return { ok: true, version: version };
  }

  return { init: init, readCard: readCard, crcA: crcA, readRegister: readRegister, writeRegister: writeRegister, antenna: antenna };
}
