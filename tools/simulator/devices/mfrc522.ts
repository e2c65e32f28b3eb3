/**
 * A simulated NXP MFRC522 behind SPI, at register level (MFRC522 datasheet rev. 3.9), with ISO/IEC 14443 A cards
 * that can enter and leave its field.
 *
 * SPI (8.1.2): each transfer is one NSS-low period. Byte 0 is an address byte (bit 7 = read, bits 6..1 = register,
 * bit 0 = 0); reading returns, for every address byte sent, the register's value in the following byte (the first
 * byte clocked in is undefined: 0x00 here); writing puts every byte after the address into that register (FIFO).
 *
 * Modelled: the 64-byte FIFO (FIFOLevelReg FlushBuffer, BufferOvfl), CommandReg (Idle, Mem, CalcCRC, Transmit,
 * Transceive with BitFramingReg.StartSend, SoftReset), ComIrqReg/DivIrqReg with their Set1/Set2 write semantics,
 * ErrorReg, ControlReg.RxLastBits, BitFramingReg TxLastBits/RxAlign (the 7-bit REQA), CollReg (first collision
 * position, ValuesAfterColl), the CRC coprocessor (CRC_A, ModeReg preset), TxControlReg (antenna: a card loses power
 * when the field goes), TModeReg.TAuto: with no answer the timer expires (TimerIRq). Cards follow ISO/IEC 14443-3
 * states (IDLE, READY, ACTIVE, HALT) with REQA/WUPA/ATQA, anticollision and SELECT per cascade level (4, 7, 10-byte
 * UIDs), SAK with CRC_A, HLTA; several cards in the field answer at once and collide bit by bit.
 *
 * Time: SPI transfers take no virtual time here (the runtime charges them); a started command's outcome (an answer,
 * or the 25 ms timer expiring) is visible at the next status read. CollPos counts the bits of the cascade level's
 * UID part from 1, as the common libraries (miguelbalboa/rfid) read it.
 */

export interface SpiDevice {
  /** One NSS-low period: the bytes on MOSI in, the bytes on MISO out (same length). */
  transfer(mosi: Uint8Array): Uint8Array;
}

export const MFRC522_VERSION = 0x92;

/** Faults a card can show (for tests of the reader's error paths). */
export type CardFault = 'none' | 'sakCrc' | 'bcc' | 'parity' | 'silent';

export interface SimulatedCardOptions {
  /** 4, 7 or 10 bytes. */
  uid: number[];
  /** Default: 0x08 (MIFARE Classic 1K) with a 4-byte UID, 0x00 (Ultralight) otherwise. */
  sak?: number;
  /** Default: 0x0004 for 4-byte UIDs, 0x0044 for 7-byte, 0x0084 for 10-byte. */
  atqa?: number;
}

type CardState = 'idle' | 'ready' | 'active' | 'halt';

/** CRC_A of ISO/IEC 14443-3 annex B: preset 0x6363, x^16 + x^12 + x^5 + 1, LSB first. Returns [low, high]. */
export function crcA(bytes: ArrayLike<number>, preset = 0x6363): [number, number] {
  let crc = preset;
  for (let i = 0; i < bytes.length; i++) {
    let b = (bytes[i]! ^ crc) & 0xff;
    b = (b ^ (b << 4)) & 0xff;
    crc = ((crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)) & 0xffff;
  }
  return [crc & 0xff, crc >> 8];
}

export class SimulatedCard {
  readonly uid: number[];
  readonly sak: number;
  readonly atqa: number;
  fault: CardFault = 'none';
  state: CardState = 'idle';
  /** The state a WUPA/REQA reached from HALT returns to on a bad command (READY* / ACTIVE*). */
  private fromHalt = false;
  /** Cascade level being selected (0-based). */
  level = 0;

  constructor(options: SimulatedCardOptions) {
    if (![4, 7, 10].includes(options.uid.length)) throw new Error(`a UID has 4, 7 or 10 bytes, not ${options.uid.length}`);
    this.uid = options.uid.map((b) => b & 0xff);
    const levels = this.levels();
    this.sak = options.sak ?? (levels === 1 ? 0x08 : 0x00);
    this.atqa = options.atqa ?? (levels === 1 ? 0x0004 : levels === 2 ? 0x0044 : 0x0084);
  }

  levels(): number {
    return this.uid.length === 4 ? 1 : this.uid.length === 7 ? 2 : 3;
  }

  /** The 5 bytes a level's anticollision answers: UID part (with cascade tag) and BCC. */
  levelFrame(level: number): number[] {
    const last = level === this.levels() - 1;
    const part = last ? this.uid.slice(level * 3, level * 3 + 4) : [0x88, ...this.uid.slice(level * 3, level * 3 + 3)];
    const bcc = part[0]! ^ part[1]! ^ part[2]! ^ part[3]!;
    return [...part, this.fault === 'bcc' ? bcc ^ 0x01 : bcc];
  }

  powerOff(): void {
    this.state = 'idle';
    this.level = 0;
    this.fromHalt = false;
  }

  /** Any command a card does not take in its state sends it back to IDLE (or HALT). */
  private reject(): void {
    this.state = this.fromHalt ? 'halt' : 'idle';
    this.level = 0;
  }

  /** A short frame (7 bits): REQA or WUPA. Returns the ATQA bits or null. */
  shortFrame(command: number): number[] | null {
    if (this.fault === 'silent') return null;
    const wakes = command === 0x52 ? this.state === 'idle' || this.state === 'halt' : command === 0x26 && this.state === 'idle';
    if (!wakes) {
      if (this.state !== 'halt') this.reject();
      return null;
    }
    this.fromHalt = this.state === 'halt';
    this.state = 'ready';
    this.level = 0;
    return bitsOf([this.atqa & 0xff, this.atqa >> 8], 16);
  }

  /**
   * A standard frame of `bitCount` bits. Returns the bits the card sends back (from the bit after the ones it was
   * sent, for an anticollision frame), or null for silence.
   */
  frame(bytes: number[], bitCount: number): number[] | null {
    if (this.fault === 'silent') return null;
    const sel = bytes[0];
    if (this.state === 'ready' && (sel === 0x93 || sel === 0x95 || sel === 0x97)) {
      if (sel !== [0x93, 0x95, 0x97][this.level]) {
        this.reject();
        return null;
      }
      const expected = this.levelFrame(this.level);
      const nvb = bytes[1] ?? 0;
      const sentBits = ((nvb >> 4) - 2) * 8 + (nvb & 0x0f);
      if (nvb === 0x70 && bitCount === 72) {
        // SELECT: all 40 bits and a CRC_A
        const crc = crcA(bytes.slice(0, 7));
        if (crc[0] !== bytes[7] || crc[1] !== bytes[8]) return null;
        for (let i = 0; i < 5; i++) if (bytes[2 + i] !== expected[i]) return null;
        const last = this.level === this.levels() - 1;
        const sak = last ? this.sak & ~0x04 : 0x04;
        if (last) this.state = 'active';
        else this.level++;
        const answer = [sak, ...crcA([sak])];
        if (this.fault === 'sakCrc') answer[2] = answer[2]! ^ 0xff;
        return bitsOf(answer, 24);
      }
      if (sentBits < 0 || sentBits > 39 || bitCount !== 16 + sentBits) {
        this.reject();
        return null;
      }
      // ANTICOLLISION: answer only when the known bits match, with the rest of UID part + BCC
      const uidBits = bitsOf(expected, 40);
      const sent = bitsOf(bytes.slice(2), sentBits);
      for (let i = 0; i < sentBits; i++) if (sent[i] !== uidBits[i]) return null;
      return uidBits.slice(sentBits);
    }
    if (this.state === 'active' && sel === 0x50 && bitCount === 32) {
      const crc = crcA([0x50, 0x00]);
      if (bytes[1] === 0 && bytes[2] === crc[0] && bytes[3] === crc[1]) {
        this.state = 'halt';
        this.level = 0;
        this.fromHalt = true;
      }
      return null;
    }
    if (this.state !== 'halt') this.reject();
    return null;
  }
}

/** The `count` bits of `bytes`, LSB of byte 0 first (the order on the air). */
function bitsOf(bytes: ArrayLike<number>, count: number): number[] {
  const bits: number[] = [];
  for (let i = 0; i < count; i++) bits.push(((bytes[i >> 3] ?? 0) >> (i & 7)) & 1);
  return bits;
}

const REG = {
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
  WaterLevel: 0x0b,
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

/** Reset values (datasheet 9.2, table 20 onwards); registers not listed reset to 0x00. */
const RESET_VALUES: Record<number, number> = {
  [REG.Command]: 0x20,
  [REG.ComIEn]: 0x80,
  [REG.ComIrq]: 0x14,
  [REG.Status1]: 0x21,
  [REG.WaterLevel]: 0x08,
  [REG.Control]: 0x10,
  [REG.Coll]: 0xa0,
  [REG.Mode]: 0x3f,
  [REG.TxControl]: 0x80,
  0x16: 0x10, // TxSelReg
  0x17: 0x84, // RxSelReg
  0x18: 0x84, // RxThresholdReg
  0x19: 0x4d, // DemodReg
  0x1c: 0x62, // MfTxReg
  [REG.CRCResultH]: 0xff,
  [REG.CRCResultL]: 0xff,
  [REG.ModWidth]: 0x26,
  0x26: 0x48, // RFCfgReg
  0x27: 0x88, // GsNReg
  0x28: 0x20, // CWGsPReg
  0x29: 0x20, // ModGsPReg
  [REG.Version]: MFRC522_VERSION,
};

const CMD = { Idle: 0x0, Mem: 0x1, RandomId: 0x2, CalcCRC: 0x3, Transmit: 0x4, NoCmdChange: 0x7, Receive: 0x8, Transceive: 0xc, MFAuthent: 0xe, SoftReset: 0xf };

export interface Mfrc522Stats {
  transfers: number;
  transceives: number;
  timeouts: number;
  collisions: number;
  softResets: number;
}

export class SimulatedMfrc522 implements SpiDevice {
  private readonly regs = new Uint8Array(64);
  private fifo: number[] = [];
  private readonly inField: SimulatedCard[] = [];
  /** NRSTPD low: the chip is in hard power-down and does not answer (MISO floats: reads 0x00 here). */
  private poweredDown = false;
  /** UID bits the last anticollision frame carried (from its NVB); 0 for other frames. */
  private lastNvbBits = 0;
  readonly stats: Mfrc522Stats = { transfers: 0, transceives: 0, timeouts: 0, collisions: 0, softResets: 0 };

  constructor() {
    this.resetRegisters();
  }

  // ---- the world side ----

  /** A card enters the field; it powers up in IDLE (if the antenna is on). */
  enter(card: SimulatedCard): void {
    if (!this.inField.includes(card)) {
      card.powerOff();
      this.inField.push(card);
    }
  }

  leave(card: SimulatedCard): void {
    const i = this.inField.indexOf(card);
    if (i >= 0) this.inField.splice(i, 1);
    card.powerOff();
  }

  get cards(): readonly SimulatedCard[] {
    return this.inField;
  }

  get antennaOn(): boolean {
    return (this.regs[REG.TxControl]! & 0x03) !== 0;
  }

  /** NRSTPD: low powers the chip down, the rising edge is a hard reset. */
  setResetPin(high: boolean): void {
    if (!high) this.poweredDown = true;
    else if (this.poweredDown) {
      this.poweredDown = false;
      this.resetRegisters();
    }
  }

  register(reg: number): number {
    return this.regs[reg & 0x3f]!;
  }

  // ---- SPI ----

  transfer(mosi: Uint8Array): Uint8Array {
    const miso = new Uint8Array(mosi.length);
    if (this.poweredDown || mosi.length === 0) return miso;
    this.stats.transfers++;
    const first = mosi[0]!;
    if (first & 0x80) {
      for (let i = 0; i < mosi.length - 1; i++) {
        const address = mosi[i]!;
        // a byte without the read bit ends the read (datasheet: "00h" closes it)
        if (!(address & 0x80)) break;
        miso[i + 1] = this.read((address >> 1) & 0x3f);
      }
    } else {
      const reg = (first >> 1) & 0x3f;
      for (let i = 1; i < mosi.length; i++) this.write(reg, mosi[i]!);
    }
    return miso;
  }

  private resetRegisters(): void {
    this.regs.fill(0);
    for (const [reg, value] of Object.entries(RESET_VALUES)) this.regs[Number(reg)] = value;
    this.fifo = [];
    // the antenna drivers are off after a reset: cards in the field lose power
    for (const card of this.inField) card.powerOff();
  }

  private read(reg: number): number {
    switch (reg) {
      case REG.FIFOData:
        return this.fifo.length > 0 ? this.fifo.shift()! : 0;
      case REG.FIFOLevel:
        return Math.min(this.fifo.length, 64);
      case REG.Status1: {
        const irq = (this.regs[REG.ComIrq]! & this.regs[REG.ComIEn]! & 0x7f) !== 0 || (this.regs[REG.DivIrq]! & this.regs[REG.DivIEn]! & 0x14) !== 0;
        return (this.regs[REG.Status1]! & 0x20) | (irq ? 0x10 : 0) | (this.fifo.length <= (this.regs[REG.WaterLevel]! & 0x3f) ? 0x01 : 0);
      }
      default:
        return this.regs[reg]!;
    }
  }

  private write(reg: number, value: number): void {
    switch (reg) {
      case REG.Command:
        this.command(value);
        return;
      case REG.ComIrq:
        this.regs[reg] = value & 0x80 ? this.regs[reg]! | (value & 0x7f) : this.regs[reg]! & ~(value & 0x7f);
        return;
      case REG.DivIrq:
        this.regs[reg] = value & 0x80 ? this.regs[reg]! | (value & 0x14) : this.regs[reg]! & ~(value & 0x14);
        return;
      case REG.FIFOData:
        if (this.fifo.length >= 64) this.regs[REG.Error] = this.regs[REG.Error]! | 0x10;
        else this.fifo.push(value & 0xff);
        return;
      case REG.FIFOLevel:
        if (value & 0x80) {
          this.fifo = [];
          this.regs[REG.Error] = this.regs[REG.Error]! & ~0x10;
        }
        return;
      case REG.BitFraming:
        this.regs[reg] = value & 0x77;
        if (value & 0x80 && (this.regs[REG.Command]! & 0x0f) === CMD.Transceive) this.transceive();
        return;
      case REG.Error:
      case REG.Status1:
      case REG.Status2:
      case REG.Version:
      case REG.CRCResultH:
      case REG.CRCResultL:
        return; // read-only
      case REG.TxControl: {
        const wasOn = this.antennaOn;
        this.regs[reg] = value;
        if (wasOn && !this.antennaOn) for (const card of this.inField) card.powerOff();
        return;
      }
      default:
        this.regs[reg] = value;
    }
  }

  private command(value: number): void {
    const command = value & 0x0f;
    const keep = this.regs[REG.Command]! & 0x0f;
    this.regs[REG.Command] = (value & 0x30) | (command === CMD.NoCmdChange ? keep : command);
    switch (command) {
      case CMD.SoftReset:
        this.stats.softResets++;
        this.resetRegisters();
        return;
      case CMD.CalcCRC: {
        const preset = [0x0000, 0x6363, 0xa671, 0xffff][this.regs[REG.Mode]! & 0x03]!;
        const [low, high] = crcA(this.fifo, preset);
        this.fifo = [];
        this.regs[REG.CRCResultL] = low;
        this.regs[REG.CRCResultH] = high;
        this.regs[REG.DivIrq] = this.regs[REG.DivIrq]! | 0x04;
        return; // CalcCRC runs on until Idle
      }
      case CMD.Mem:
        this.fifo = this.fifo.slice(25);
        this.finish();
        return;
      case CMD.Idle:
      case CMD.NoCmdChange:
      case CMD.Transceive:
        return; // Transceive waits for StartSend
      case CMD.Transmit:
        this.send();
        this.regs[REG.ComIrq] = this.regs[REG.ComIrq]! | 0x40;
        this.finish();
        return;
      default:
        // Receive, MFAuthent, GenerateRandomID: not modelled; they end at once
        this.finish();
    }
  }

  /** The command has ended: back to Idle, IdleIRq. */
  private finish(): void {
    this.regs[REG.Command] = this.regs[REG.Command]! & 0x30;
    this.regs[REG.ComIrq] = this.regs[REG.ComIrq]! | 0x10;
  }

  /** Sends the FIFO with BitFramingReg.TxLastBits; returns each card's answer bits. */
  private send(): { card: SimulatedCard; bits: number[] }[] {
    const txLastBits = this.regs[REG.BitFraming]! & 0x07;
    const bytes = this.fifo;
    this.fifo = [];
    const bitCount = bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (txLastBits === 0 ? 8 : txLastBits);
    const sel = bytes[0];
    const nvb = bytes[1] ?? 0x20;
    this.lastNvbBits = (sel === 0x93 || sel === 0x95 || sel === 0x97) && bytes.length >= 2 ? Math.max(0, ((nvb >> 4) - 2) * 8 + (nvb & 0x0f)) : 0;
    const answers: { card: SimulatedCard; bits: number[] }[] = [];
    if (!this.antennaOn) return answers;
    for (const card of this.inField) {
      const bits = bitCount === 7 && bytes.length === 1 ? card.shortFrame(bytes[0]! & 0x7f) : card.frame(bytes, bitCount);
      if (bits && bits.length > 0) answers.push({ card, bits });
    }
    return answers;
  }

  private transceive(): void {
    this.stats.transceives++;
    const receiverOff = (this.regs[REG.Command]! & 0x20) !== 0;
    const answers = this.send();
    this.regs[REG.ComIrq] = this.regs[REG.ComIrq]! | 0x40; // TxIRq
    this.regs[REG.Error] = this.regs[REG.Error]! & 0x10;
    if (answers.length === 0 || receiverOff) {
      this.stats.timeouts++;
      // TAuto: the timer starts at the end of the transmission and, with nobody answering, expires
      if (this.regs[REG.TMode]! & 0x80) this.regs[REG.ComIrq] = this.regs[REG.ComIrq]! | 0x01;
      return;
    }
    const length = Math.max(...answers.map((a) => a.bits.length));
    const bits: number[] = [];
    let collision = -1;
    for (let i = 0; i < length; i++) {
      const values = new Set(answers.filter((a) => i < a.bits.length).map((a) => a.bits[i]!));
      if (values.size > 1 && collision < 0) collision = i;
      // ValuesAfterColl = 0: the collided bit and the ones after it read 0
      const cleared = collision >= 0 && (this.regs[REG.Coll]! & 0x80) === 0;
      bits.push(cleared ? 0 : answers.find((a) => i < a.bits.length)!.bits[i]!);
    }
    const card = answers[0]!.card;
    if (answers.length === 1 && card.fault === 'parity') this.regs[REG.Error] = this.regs[REG.Error]! | 0x02;
    const rxAlign = (this.regs[REG.BitFraming]! >> 4) & 0x07;
    // the received bits go into the FIFO starting at bit rxAlign of the first byte
    const total = rxAlign + bits.length;
    const bytes = new Array<number>(Math.ceil(total / 8)).fill(0);
    for (let i = 0; i < bits.length; i++) {
      const at = rxAlign + i;
      bytes[at >> 3] = bytes[at >> 3]! | (bits[i]! << (at & 7));
    }
    this.fifo.push(...bytes.slice(0, 64 - this.fifo.length));
    this.regs[REG.Control] = (this.regs[REG.Control]! & ~0x07) | (total & 7);
    if (collision >= 0) {
      this.stats.collisions++;
      // position within the cascade level's UID part: the bits the PCD sent come first
      const sentBits = this.sentUidBits();
      const position = (sentBits + collision + 1) & 0x1f;
      this.regs[REG.Coll] = (this.regs[REG.Coll]! & 0x80) | position;
      this.regs[REG.Error] = this.regs[REG.Error]! | 0x08;
    }
    this.regs[REG.ComIrq] = this.regs[REG.ComIrq]! | 0x20 | (this.regs[REG.Error]! & 0x1b ? 0x02 : 0);
  }

  private sentUidBits(): number {
    return this.lastNvbBits;
  }
}
