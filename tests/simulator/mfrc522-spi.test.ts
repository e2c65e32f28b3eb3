/**
 * SPI in the simulated Espruino runtime, with the simulated MFRC522 on it: SPI1.setup/send/write as Espruino has
 * them (the bytes clocked in, typed as the data sent), NSS driven around a transfer, devices selected by NSS, a port
 * that was not set up, awake time on the wire.
 */
import { describe, expect, it } from 'vitest';
import { createEspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { MFRC522_VERSION, SimulatedMfrc522 } from '../../tools/simulator/devices/mfrc522.ts';

const VERSION_READ = 0x80 | (0x37 << 1);

function boardWithReader(): { board: ReturnType<typeof createEspruinoBoard>; chip: SimulatedMfrc522 } {
  const board = createEspruinoBoard({ board: 'MDBT42Q' });
  const chip = new SimulatedMfrc522();
  board.attachSPI('SPI1', chip, 'D19');
  return { board, chip };
}

describe('simulated SPI', () => {
  it('returns the bytes clocked in: a Uint8Array for arrays, a string for strings, a number for a number', () => {
    const { board } = boardWithReader();
    board.evaluate('SPI1.setup({sck: D11, miso: D12, mosi: D13, baud: 1000000, mode: 0})');
    expect(board.evaluate(`var r = SPI1.send([${VERSION_READ}, 0], D19); [r instanceof Uint8Array, r[0], r[1]]`)).toEqual([true, 0, MFRC522_VERSION]);
    expect(board.evaluate(`SPI1.send(String.fromCharCode(${VERSION_READ}, 0), D19).charCodeAt(1)`)).toBe(MFRC522_VERSION);
    expect(board.evaluate(`SPI1.send(${VERSION_READ}, D19)`)).toBe(0);
    expect(board.spi('SPI1').config).toMatchObject({ baud: 1000000, mode: 0, sck: 'D11', miso: 'D12', mosi: 'D13' });
  });

  it('drives NSS low only during the transfer and reaches only the selected device', () => {
    const board = createEspruinoBoard({ board: 'MDBT42Q' });
    const chip = new SimulatedMfrc522();
    const nssDuring: number[] = [];
    board.attachSPI('SPI1', { transfer: (bytes) => (nssDuring.push(board.pins.level('D19')), chip.transfer(bytes)) }, 'D19');
    board.evaluate('SPI1.setup({baud: 1000000}); digitalWrite(D19, 1)');
    board.evaluate(`SPI1.send([${VERSION_READ}, 0], D19)`);
    expect(nssDuring).toEqual([0]);
    expect(board.pins.level('D19')).toBe(1);
    // another NSS pin: nobody answers, MISO idles high
    expect(board.evaluate(`Array.prototype.slice.call(SPI1.send([${VERSION_READ}, 0], D20))`)).toEqual([0xff, 0xff]);
    // NSS held low by the firmware itself
    expect(board.evaluate(`digitalWrite(D19, 0); var v = SPI1.send([${VERSION_READ}, 0])[1]; digitalWrite(D19, 1); v`)).toBe(MFRC522_VERSION);
    // write(): the last Pin argument is NSS, the rest is data (ModWidthReg 0x24 <- 0x13)
    board.evaluate(`SPI1.write([${0x24 << 1}], 0x13, D19)`);
    expect(chip.register(0x24)).toBe(0x13);
    // the device saw NSS low every time, and never the transfer that selected D20
    expect(nssDuring).toEqual([0, 0, 0]);
  });

  it('clocks nothing on a port that was not set up, and counts the wire time as awake time', () => {
    const { board, chip } = boardWithReader();
    expect(board.evaluate(`Array.prototype.slice.call(SPI1.send([${VERSION_READ}, 0], D19))`)).toEqual([0, 0]);
    expect(chip.stats.transfers).toBe(0);
    board.evaluate('SPI1.setup({baud: 100000})');
    const before = board.awakeMs;
    board.evaluate(`SPI1.send(new Uint8Array(125), D19)`); // 1000 bits at 100 kHz: 10 ms
    expect(board.awakeMs - before).toBeCloseTo(10, 5);
  });

  it('has SPI1-SPI3 on the Pico and SPI1 on the MDBT42Q', () => {
    expect(() => createEspruinoBoard({ board: 'MDBT42Q' }).spi('SPI2')).toThrow(/has no SPI2/);
    const pico = createEspruinoBoard({ board: 'PICO' });
    expect(pico.evaluate('[typeof SPI1.send, typeof SPI2.send, typeof SPI3.send]')).toEqual(['function', 'function', 'function']);
  });
});
