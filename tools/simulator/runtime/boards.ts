/**
 * The Espruino boards the simulator can stand in for, as data taken from Espruino's boards/*.py
 * (pins, LEDs, button, UART count, variables, Storage pages) and shared/reference/espruino.md (AES).
 */

export type ChipFamily = 'nrf52' | 'stm32f4';

export interface BoardProfile {
  /** process.env.BOARD */
  readonly name: string;
  readonly family: ChipFamily;
  /** Pin names in pin-number order (D0..D31, or A0.., B0.., C0.. on the Pico). */
  readonly pins: readonly string[];
  /** Pins with an ADC input. */
  readonly analogPins: readonly string[];
  readonly led1?: string;
  readonly led2?: string;
  readonly btn?: string;
  readonly serialPorts: readonly string[];
  readonly i2cBuses: readonly string[];
  /** Default UART pins when setup() gives none. */
  readonly serialPins: Readonly<Record<string, { tx: string; rx: string }>>;
  /** Espruino variables (memory blocks) and bytes per block. */
  readonly vars: number;
  readonly blockSize: number;
  /** Bytes of flash for require('Storage'). */
  readonly storageBytes: number;
  readonly ramBytes: number;
  readonly flashBytes: number;
  /** ADC resolution: analogRead() returns raw / 2^bits. */
  readonly adcBits: number;
  /** Supply voltage: analogRead() is relative to it and E.getAnalogVRef() returns it. */
  readonly supplyVolts: number;
  /** What require('crypto') offers: AES (+SHA), only SHA, or no module at all. */
  readonly crypto: 'aes' | 'sha' | 'none';
  /** DEFAULT_CONSOLE_DEVICE: where the REPL is while no computer is connected (console-device.ts). */
  readonly defaultConsole: string;
  /** The link a computer connects over; it takes the REPL while connected unless the console was forced. */
  readonly hostConsole: 'Bluetooth' | 'USB';
}

const range = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

const NRF52_ANALOG = ['D2', 'D3', 'D4', 'D5', 'D28', 'D29', 'D30', 'D31'];

export const BOARDS = {
  MDBT42Q: {
    name: 'MDBT42Q',
    family: 'nrf52',
    pins: range('D', 0, 31),
    analogPins: NRF52_ANALOG,
    led1: 'D1',
    btn: 'D0',
    serialPorts: ['Serial1'],
    i2cBuses: ['I2C1'],
    serialPins: { Serial1: { tx: 'D6', rx: 'D8' } },
    vars: 2500,
    blockSize: 13,
    storageBytes: 10 * 4096,
    ramBytes: 64 * 1024,
    flashBytes: 512 * 1024,
    adcBits: 14,
    supplyVolts: 3.3,
    crypto: 'sha',
    defaultConsole: 'Serial1',
    hostConsole: 'Bluetooth',
  },
  PUCKJS: {
    name: 'PUCKJS',
    family: 'nrf52',
    pins: range('D', 0, 31),
    analogPins: NRF52_ANALOG,
    led1: 'D5',
    led2: 'D4',
    btn: 'D0',
    serialPorts: ['Serial1'],
    i2cBuses: ['I2C1'],
    serialPins: { Serial1: { tx: 'D28', rx: 'D29' } },
    vars: 2500,
    blockSize: 13,
    storageBytes: 10 * 4096,
    ramBytes: 64 * 1024,
    flashBytes: 512 * 1024,
    adcBits: 14,
    supplyVolts: 3.0,
    crypto: 'aes',
    defaultConsole: 'Serial1',
    hostConsole: 'Bluetooth',
  },
  RAK5010: {
    name: 'RAK5010',
    family: 'nrf52',
    pins: range('D', 0, 47),
    analogPins: NRF52_ANALOG,
    led1: 'D12',
    serialPorts: ['Serial1', 'Serial2'],
    i2cBuses: ['I2C1'],
    serialPins: { Serial1: { tx: 'D34', rx: 'D33' }, Serial2: { tx: 'D20', rx: 'D19' } },
    vars: 12500,
    blockSize: 16,
    storageBytes: 20 * 4096,
    ramBytes: 256 * 1024,
    flashBytes: 1024 * 1024,
    adcBits: 14,
    supplyVolts: 3.3,
    crypto: 'none',
    // not checked against Espruino's boards/RAK5010.py (no firmware here runs on it)
    defaultConsole: 'Serial1',
    hostConsole: 'Bluetooth',
  },
  PICO: {
    name: 'PICO',
    family: 'stm32f4',
    pins: [...range('A', 0, 15), ...range('B', 0, 15), ...range('C', 0, 15)],
    analogPins: ['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'B0', 'B1'],
    led1: 'B2',
    led2: 'B12',
    btn: 'C13',
    serialPorts: ['Serial1', 'Serial2'],
    i2cBuses: ['I2C1', 'I2C2'],
    serialPins: { Serial1: { tx: 'B6', rx: 'B7' }, Serial2: { tx: 'A2', rx: 'A3' } },
    vars: 5100,
    blockSize: 16,
    storageBytes: 3 * 16384,
    ramBytes: 96 * 1024,
    flashBytes: 384 * 1024,
    adcBits: 12,
    supplyVolts: 3.3,
    crypto: 'sha',
    defaultConsole: 'Serial1',
    hostConsole: 'USB',
  },
} as const satisfies Record<string, BoardProfile>;

export type BoardName = keyof typeof BOARDS;

export function boardProfile(board: BoardName | BoardProfile | undefined): BoardProfile {
  if (board === undefined) return BOARDS.MDBT42Q;
  if (typeof board !== 'string') return board;
  const profile: BoardProfile | undefined = BOARDS[board];
  if (!profile) throw new Error(`unknown board "${String(board)}" (known: ${Object.keys(BOARDS).join(', ')})`);
  return profile;
}
