/**
 * The simulated MFRC522 against the datasheet's register behaviour, and the firmware driver against the simulated
 * chip: REQA/ATQA, anticollision and SELECT at one and two cascade levels, collisions of two cards, HLTA, faults.
 */
import { describe, expect, it } from 'vitest';
import { createMfrc522, type SpiTransfer } from '../../firmware/drivers/mfrc522.ts';
import { crcA, MFRC522_VERSION, SimulatedCard, SimulatedMfrc522 } from '../../tools/simulator/devices/mfrc522.ts';

function spiOf(chip: SimulatedMfrc522): SpiTransfer {
  return (bytes) => Array.from(chip.transfer(Uint8Array.from(bytes)));
}

const read = (reg: number): number[] => [0x80 | (reg << 1), 0];
const write = (reg: number, ...values: number[]): number[] => [reg << 1, ...values];

describe('CRC_A (ISO/IEC 14443-3 annex B)', () => {
  it('matches the published vectors', () => {
    // annex B: CRC_A of 00 00 is A0 1E; of 12 34 is 26 CF; a HLTA frame is 50 00 57 CD
    expect(crcA([0x00, 0x00])).toEqual([0xa0, 0x1e]);
    expect(crcA([0x12, 0x34])).toEqual([0x26, 0xcf]);
    expect(crcA([0x50, 0x00])).toEqual([0x57, 0xcd]);
  });
});

describe('simulated MFRC522 registers', () => {
  it('reads reset values, and a read sends the value after each address byte', () => {
    const chip = new SimulatedMfrc522();
    const back = chip.transfer(Uint8Array.from([0x80 | (0x37 << 1), 0x80 | (0x11 << 1), 0x80 | (0x01 << 1), 0x00]));
    expect(Array.from(back)).toEqual([0x00, MFRC522_VERSION, 0x3f, 0x20]);
  });

  it('fills and flushes the 64-byte FIFO and flags BufferOvfl', () => {
    const chip = new SimulatedMfrc522();
    chip.transfer(Uint8Array.from(write(0x09, ...new Array<number>(65).fill(0xaa))));
    expect(chip.transfer(Uint8Array.from(read(0x0a)))[1]).toBe(64);
    expect(chip.transfer(Uint8Array.from(read(0x06)))[1]! & 0x10).toBe(0x10);
    chip.transfer(Uint8Array.from(write(0x0a, 0x80)));
    expect(chip.transfer(Uint8Array.from(read(0x0a)))[1]).toBe(0);
    expect(chip.transfer(Uint8Array.from(read(0x06)))[1]! & 0x10).toBe(0);
  });

  it('sets and clears ComIrqReg bits with Set1', () => {
    const chip = new SimulatedMfrc522();
    chip.transfer(Uint8Array.from(write(0x04, 0x7f)));
    expect(chip.register(0x04)).toBe(0x00);
    chip.transfer(Uint8Array.from(write(0x04, 0x81)));
    expect(chip.register(0x04)).toBe(0x01);
  });

  it('computes CRC_A with the CalcCRC command and sets CRCIRq', () => {
    const chip = new SimulatedMfrc522();
    chip.transfer(Uint8Array.from(write(0x11, 0x3d)));
    chip.transfer(Uint8Array.from(write(0x09, 0x50, 0x00)));
    chip.transfer(Uint8Array.from(write(0x01, 0x03)));
    expect(chip.register(0x05) & 0x04).toBe(0x04);
    expect([chip.register(0x22), chip.register(0x21)]).toEqual([0x57, 0xcd]);
  });

  it('times out a transceive nobody answers (TimerIRq with TAuto, nothing without it)', () => {
    const chip = new SimulatedMfrc522();
    const driver = createMfrc522(spiOf(chip));
    expect(driver.init()).toEqual({ ok: true, version: MFRC522_VERSION });
    expect(driver.readCard()).toEqual({ ok: false, error: 'timeout' });
    expect(chip.register(0x04) & 0x01).toBe(0x01);
    driver.writeRegister(0x2a, 0x00); // TAuto off: the chip never ends the command, the driver gives up
    expect(driver.readCard()).toEqual({ ok: false, error: 'timeout' });
  });

  it('answers REQA only as a 7-bit short frame', () => {
    const chip = new SimulatedMfrc522();
    const driver = createMfrc522(spiOf(chip));
    driver.init();
    chip.enter(new SimulatedCard({ uid: [1, 2, 3, 4] }));
    const transceive = (bits: number): number => {
      driver.writeRegister(0x01, 0x00);
      driver.writeRegister(0x04, 0x7f);
      driver.writeRegister(0x0a, 0x80);
      driver.writeRegister(0x09, 0x26);
      driver.writeRegister(0x0d, bits);
      driver.writeRegister(0x01, 0x0c);
      driver.writeRegister(0x0d, 0x80 | bits);
      return driver.readRegister(0x04);
    };
    expect(transceive(0) & 0x01).toBe(0x01); // 8 bits: not a REQA, the card stays silent (and goes back to IDLE)
    expect(transceive(7) & 0x20).toBe(0x20);
    expect([driver.readRegister(0x0a), driver.readRegister(0x09), driver.readRegister(0x09)]).toEqual([2, 0x04, 0x00]);
  });
});

describe('MFRC522 driver on the simulated chip', () => {
  function reader(): { chip: SimulatedMfrc522; driver: ReturnType<typeof createMfrc522> } {
    const chip = new SimulatedMfrc522();
    const driver = createMfrc522(spiOf(chip));
    expect(driver.init().ok).toBe(true);
    return { chip, driver };
  }

  it('reports no chip when MISO stays low', () => {
    const driver = createMfrc522((bytes) => bytes.map(() => 0));
    expect(driver.init()).toEqual({ ok: false, error: 'noChip' });
    const chip = new SimulatedMfrc522();
    chip.setResetPin(false);
    expect(createMfrc522(spiOf(chip)).init()).toEqual({ ok: false, error: 'noChip' });
  });

  it('reads a 4-byte UID once, then the card is halted until it leaves and comes back', () => {
    const { chip, driver } = reader();
    const card = new SimulatedCard({ uid: [0xde, 0xad, 0xbe, 0xef] });
    chip.enter(card);
    expect(driver.readCard()).toEqual({ ok: true, uid: [0xde, 0xad, 0xbe, 0xef], sak: 0x08, atqa: 0x0004 });
    expect(card.state).toBe('halt');
    expect(driver.readCard()).toEqual({ ok: false, error: 'timeout' });
    chip.leave(card);
    chip.enter(card);
    expect(driver.readCard()).toMatchObject({ ok: true, uid: [0xde, 0xad, 0xbe, 0xef] });
  });

  it('reads a 7-byte UID through cascade level 2', () => {
    const { chip, driver } = reader();
    chip.enter(new SimulatedCard({ uid: [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66] }));
    expect(driver.readCard()).toEqual({ ok: true, uid: [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66], sak: 0x00, atqa: 0x0044 });
  });

  it('reads a 10-byte UID through cascade level 3', () => {
    const { chip, driver } = reader();
    const uid = [0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0a];
    chip.enter(new SimulatedCard({ uid, sak: 0x20 }));
    expect(driver.readCard()).toEqual({ ok: true, uid, sak: 0x20, atqa: 0x0084 });
  });

  it('resolves a collision of two cards: one per read, the other on the next', () => {
    const { chip, driver } = reader();
    // differ first in bit 2 of byte 1 (UID bit 11), and again later
    const a = new SimulatedCard({ uid: [0x12, 0x30, 0x56, 0x78] });
    const b = new SimulatedCard({ uid: [0x12, 0x34, 0x56, 0x79] });
    chip.enter(a);
    chip.enter(b);
    const first = driver.readCard();
    expect(first.ok).toBe(true);
    expect(chip.stats.collisions).toBeGreaterThanOrEqual(1);
    const second = driver.readCard();
    expect(second.ok).toBe(true);
    const uids = [first, second].map((r) => (r.ok ? r.uid : []));
    expect(uids).toContainEqual(a.uid);
    expect(uids).toContainEqual(b.uid);
    expect(driver.readCard()).toEqual({ ok: false, error: 'timeout' });
  });

  it('reports a wrong SAK CRC, a wrong BCC and a parity error, and reads the card once the fault is gone', () => {
    const { chip, driver } = reader();
    const card = new SimulatedCard({ uid: [9, 8, 7, 6] });
    chip.enter(card);
    card.fault = 'sakCrc';
    expect(driver.readCard()).toEqual({ ok: false, error: 'crc' });
    card.fault = 'bcc';
    expect(driver.readCard()).toMatchObject({ ok: false });
    expect(driver.readCard()).toEqual({ ok: false, error: 'bcc' });
    card.fault = 'parity';
    expect(driver.readCard()).toMatchObject({ ok: false });
    card.fault = 'none';
    let result = driver.readCard();
    if (!result.ok) result = driver.readCard();
    expect(result).toMatchObject({ ok: true, uid: [9, 8, 7, 6] });
  });

  it('loses the card when the antenna goes off, and sees it again when it comes back on', () => {
    const { chip, driver } = reader();
    const card = new SimulatedCard({ uid: [1, 1, 2, 3] });
    chip.enter(card);
    expect(driver.readCard().ok).toBe(true);
    driver.antenna(false);
    expect(chip.antennaOn).toBe(false);
    expect(driver.readCard()).toEqual({ ok: false, error: 'timeout' });
    driver.antenna(true);
    // the field came back: the card powered up in IDLE, not HALT
    expect(driver.readCard()).toMatchObject({ ok: true, uid: [1, 1, 2, 3] });
  });
});
