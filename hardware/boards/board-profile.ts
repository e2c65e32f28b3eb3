/**
 * Board profiles: which Espruino board drives which modem on which pins. The JSON files beside this module are the
 * only place pins live; the firmware build injects the chosen profile as the module `stadtsensor:board`.
 * Pin names are Espruino's (`D14`, `B8`): Espruino accepts a pin name wherever it expects a Pin.
 */

/** An Espruino pin name such as `D14` (nRF52) or `B8` (STM32). */
export type PinName = string;

export interface ModemWiring {
  /** The modem module; RAK3172 speaks RUI3 AT commands, RAK811 its V3 AT command set. */
  chip: 'RAK3172' | 'RAK811';
  /** Espruino's UART object that talks to the modem's AT port. */
  serial: 'Serial1' | 'Serial2' | 'Serial3' | 'Serial4' | 'Serial5' | 'Serial6';
  baud: number;
  /** The board's receive pin, wired to the modem's TX. */
  rx: PinName;
  /** The board's transmit pin, wired to the modem's RX. */
  tx: PinName;
  /** Wired to the modem's active-low reset (NRST). */
  reset: PinName;
  /** The modem's own UART pins on that port (documentation for the wiring table). */
  modemTx: string;
  modemRx: string;
}

export interface I2cWiring {
  bus: 'I2C1' | 'I2C2' | 'I2C3';
  scl: PinName;
  sda: PinName;
  /** Bus clock in Hz. */
  bitrate: number;
}

/** Battery -> r1 -> pin -> r2 -> GND; battery volts = analogRead(pin) * vref * (r1 + r2) / r2. */
export interface BatteryDivider {
  pin: PinName;
  r1Ohms: number;
  r2Ohms: number;
  /** Nominal ADC full scale (the simulator uses it). */
  vrefVolts: number;
  /** true: the ADC full scale follows the supply, so the firmware multiplies by E.getAnalogVRef() at run time. */
  vrefMeasured: boolean;
}

/**
 * An ultrasonic ranger's UART (water-level node): the ranger only sends, so the board needs its RX pin, and a pin
 * that switches the ranger's supply (through a load switch) so that it draws nothing between readings. `serial`
 * may be the modem's UART: the app then borrows it while the modem is idle (hardware/water-level-node.md).
 */
export interface RangerWiring {
  serial: ModemWiring['serial'];
  baud: number;
  /** The board's receive pin, wired to the ranger's TX (MaxBotix pin 5, A01NYUB TX). */
  rx: PinName;
  /** High: the ranger is powered. */
  power: PinName;
}

/** An MFRC522 RFID reader on SPI (LoRa-only time clock). SPI mode 0, MSB first (MFRC522 datasheet 8.1.2). */
export interface RfidWiring {
  chip: 'MFRC522';
  /** Espruino's hardware SPI port. */
  spi: 'SPI1' | 'SPI2' | 'SPI3';
  sck: PinName;
  miso: PinName;
  mosi: PinName;
  /** The reader's NSS (SDA on the common modules), active low. */
  nss: PinName;
  /** The reader's NRSTPD: low powers it down, the rising edge resets it. */
  reset: PinName;
  /** SPI clock in Hz (the MFRC522 takes up to 10 MHz). */
  baud: number;
}

/** Booking buttons, each from its pin to GND (the firmware turns on the pin's pull-up). */
export interface ButtonWiring {
  come: PinName;
  go: PinName;
  breakStart: PinName;
  breakEnd: PinName;
  errand: PinName;
}

/** An active buzzer (sounds while its pin is high, through a transistor). */
export interface BuzzerWiring {
  pin: PinName;
}

/**
 * Light-barrier inputs of a garage counter (hardware/garage-node.md): one pair per lane, `a` on the outside (a car
 * entering passes `a` first), `b` on the inside. The inputs get pull-ups; `blockedLevel` is what a pin reads while
 * its beam is interrupted (1 with light-on open-collector outputs: a dead sensor or a cut cable reads as blocked).
 * STM32 boards cannot watch two pins with the same number (A0 and B0).
 */
export interface BarrierWiring {
  lanes: { a: PinName; b: PinName }[];
  blockedLevel: 0 | 1;
}

export interface BoardProfile {
  /** Same as the file name without `.json`. */
  id: string;
  name: string;
  mcu: string;
  /** The board name the Espruino tools know (`espruino --board`), from Espruino's boards/*.py. */
  espruinoBoard: 'MDBT42Q' | 'PICO_R1_3';
  /** JavaScript variables (memory blocks) the Espruino build for this board has. */
  variables: number;
  /** `require("crypto").AES` is compiled into the board's Espruino build. */
  builtinAes: boolean;
  modem: ModemWiring;
  i2c: I2cWiring;
  battery: BatteryDivider;
  /** On-board LEDs, LED1 first. */
  leds: PinName[];
  /** Optional: an ultrasonic ranger (water-level node). */
  ranger?: RangerWiring;
  /** Optional: an MFRC522 reader, booking buttons and a buzzer (LoRa-only time clock). */
  rfid?: RfidWiring;
  buttons?: ButtonWiring;
  buzzer?: BuzzerWiring;
  /** Optional: light-barrier inputs (garage counter node). */
  barriers?: BarrierWiring;
}

function range(prefix: string, from: number, to: number): string[] {
  const names: string[] = [];
  for (let i = from; i <= to; i++) names.push(prefix + i);
  return names;
}

/** Usable GPIO names per Espruino board (boards/MDBT42Q.py: D0-D31; boards/PICO_R1_3.py: pins on the headers and on-board parts). */
export const BOARD_PINS: Readonly<Record<BoardProfile['espruinoBoard'], readonly PinName[]>> = {
  MDBT42Q: range('D', 0, 31),
  PICO_R1_3: [...range('A', 0, 10), ...range('B', 0, 10), 'B12', 'B13', 'B14', 'B15', 'C13'],
};

/**
 * The link a computer reaches each board's REPL over. Without that link Espruino puts the REPL on Serial1
 * (DEFAULT_CONSOLE_DEVICE), and on a UART that is the console, received bytes go to the REPL, not to the program: the
 * MDBT42Q's modem and the Pico's ranger are on Serial1. The firmware therefore forces the console onto this link
 * when it starts (`Bluetooth.setConsole(true)` is Espruino's own advice for the MDBT42Q, `USB.setConsole(true)` for
 * the Pico); output there reaches nobody unless a computer is connected.
 */
export const HOST_CONSOLE: Readonly<Record<BoardProfile['espruinoBoard'], 'Bluetooth' | 'USB'>> = {
  MDBT42Q: 'Bluetooth',
  PICO_R1_3: 'USB',
};

/** ADC-capable pins per board (nRF52832 AIN0-7; STM32F401 ADC1_IN0-7 and IN8/9). */
export const ANALOG_PINS: Readonly<Record<BoardProfile['espruinoBoard'], readonly PinName[]>> = {
  MDBT42Q: ['D2', 'D3', 'D4', 'D5', 'D28', 'D29', 'D30', 'D31'],
  PICO_R1_3: [...range('A', 0, 7), 'B0', 'B1'],
};

/** Every pin a profile uses, with the role it plays (e.g. `modem.rx`). */
export function boardPins(profile: BoardProfile): { role: string; pin: PinName }[] {
  return [
    { role: 'modem.rx', pin: profile.modem.rx },
    { role: 'modem.tx', pin: profile.modem.tx },
    { role: 'modem.reset', pin: profile.modem.reset },
    { role: 'i2c.scl', pin: profile.i2c.scl },
    { role: 'i2c.sda', pin: profile.i2c.sda },
    { role: 'battery.pin', pin: profile.battery.pin },
    ...profile.leds.map((pin, i) => ({ role: `leds[${i}]`, pin })),
    ...(profile.ranger ? [{ role: 'ranger.rx', pin: profile.ranger.rx }, { role: 'ranger.power', pin: profile.ranger.power }] : []),
    ...(profile.rfid ? (['sck', 'miso', 'mosi', 'nss', 'reset'] as const).map((key) => ({ role: `rfid.${key}`, pin: profile.rfid![key] })) : []),
    ...(profile.buttons ? (['come', 'go', 'breakStart', 'breakEnd', 'errand'] as const).map((key) => ({ role: `buttons.${key}`, pin: profile.buttons![key] })) : []),
    ...(profile.buzzer ? [{ role: 'buzzer.pin', pin: profile.buzzer.pin }] : []),
    ...(profile.barriers ? profile.barriers.lanes.flatMap((lane, i) => [{ role: `barriers.lanes[${i}].a`, pin: lane.a }, { role: `barriers.lanes[${i}].b`, pin: lane.b }]) : []),
  ];
}

type Check = (value: unknown) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'expected a non-empty string');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'expected true or false');
const positiveInt: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? null : 'expected a positive integer');
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'expected a positive number');
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : `expected one of ${values.join(', ')}`;
const laneList: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((l) => isObject(l) && Object.keys(l).sort().join() === 'a,b' && str(l.a) === null && str(l.b) === null)
    ? null
    : 'expected a non-empty list of { a, b } pin names';
const pinList: Check = (v) => (Array.isArray(v) && v.length > 0 && v.every((p) => str(p) === null) ? null : 'expected a non-empty list of pin names');

const SHAPE: Record<string, Check | Record<string, Check>> = {
  id: str,
  name: str,
  mcu: str,
  espruinoBoard: oneOf(...Object.keys(BOARD_PINS)),
  variables: positiveInt,
  builtinAes: bool,
  modem: {
    chip: oneOf('RAK3172', 'RAK811'),
    serial: oneOf('Serial1', 'Serial2', 'Serial3', 'Serial4', 'Serial5', 'Serial6'),
    baud: positiveInt,
    rx: str,
    tx: str,
    reset: str,
    modemTx: str,
    modemRx: str,
  },
  i2c: { bus: oneOf('I2C1', 'I2C2', 'I2C3'), scl: str, sda: str, bitrate: positiveInt },
  battery: { pin: str, r1Ohms: positive, r2Ohms: positive, vrefVolts: positive, vrefMeasured: bool },
  leds: pinList,
  ranger: { serial: oneOf('Serial1', 'Serial2', 'Serial3', 'Serial4', 'Serial5', 'Serial6'), baud: positiveInt, rx: str, power: str },
  rfid: { chip: oneOf('MFRC522'), spi: oneOf('SPI1', 'SPI2', 'SPI3'), sck: str, miso: str, mosi: str, nss: str, reset: str, baud: positiveInt },
  buttons: { come: str, go: str, breakStart: str, breakEnd: str, errand: str },
  buzzer: { pin: str },
  barriers: { lanes: (v) => laneList(v), blockedLevel: (v) => (v === 0 || v === 1 ? null : 'expected 0 or 1') },
};

/** Top-level fields a profile may leave out (hardware not every node has). */
export const OPTIONAL_FIELDS: string[] = ['rfid', 'buttons', 'buzzer', 'ranger', 'barriers'];

function checkShape(value: unknown, shape: Record<string, Check | Record<string, Check>>, path: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`${path || 'profile'}: expected an object`);
    return;
  }
  for (const key of Object.keys(value)) if (!(key in shape)) problems.push(`${path}${key}: unknown field`);
  for (const [key, check] of Object.entries(shape)) {
    if (!(key in value)) {
      if (!OPTIONAL_FIELDS.includes(path + key)) problems.push(`${path}${key}: missing`);
    }
    else if (typeof check === 'function') {
      const problem = check(value[key]);
      if (problem) problems.push(`${path}${key}: ${problem}`);
    } else checkShape(value[key], check, `${path}${key}.`, problems);
  }
}

/** Problems with a parsed profile file, as `field: what is wrong`; empty when the profile is valid. */
export function validateBoardProfile(value: unknown, expectedId?: string): string[] {
  const problems: string[] = [];
  checkShape(value, SHAPE, '', problems);
  if (problems.length > 0) return problems;
  const profile = value as BoardProfile;
  if (expectedId !== undefined && profile.id !== expectedId) problems.push(`id: "${profile.id}" differs from the file name "${expectedId}"`);
  const known = BOARD_PINS[profile.espruinoBoard];
  const usedBy = new Map<PinName, string>();
  for (const { role, pin } of boardPins(profile)) {
    if (!known.includes(pin)) problems.push(`${role}: ${pin} is not a pin of ${profile.espruinoBoard}`);
    const other = usedBy.get(pin);
    if (other) problems.push(`${role}: ${pin} is already used by ${other}`);
    else usedBy.set(pin, role);
  }
  if (!ANALOG_PINS[profile.espruinoBoard].includes(profile.battery.pin)) {
    problems.push(`battery.pin: ${profile.battery.pin} has no ADC input on ${profile.espruinoBoard}`);
  }
  return problems;
}
