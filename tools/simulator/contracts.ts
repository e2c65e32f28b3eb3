/**
 * The seams of the simulator. The Espruino runtime, the simulated peripherals, the modems and the radio medium
 * meet only through these interfaces, so each part is built and tested on its own.
 */

/** Virtual time: everything schedules through this, so a simulated week runs in seconds and repeats from a seed. */
export interface Scheduler {
  /** Virtual milliseconds since the simulation started. */
  now(): number;
  /** Runs fn at virtual time `timeMs` (not before now()); equal times run in scheduling order. */
  at(timeMs: number, fn: () => void): number;
  after(delayMs: number, fn: () => void): number;
  cancel(handle: number): void;
  /** Seeded pseudo-random number in [0, 1): the only source of randomness in a simulation. */
  random(): number;
}

/** A device on a UART of the simulated board (a RAK modem, an ultrasonic ranger). */
export interface SerialDevice {
  /** The runtime hands over the function that delivers bytes to the board's RX pin, and the clock. */
  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void;
  /** Bytes the board wrote to the device (the board's TX pin), already delayed by their transmission time. */
  receive(bytes: Uint8Array): void;
}

/** A device on an I2C bus of the simulated board. */
export interface I2CDevice {
  readonly address: number;
  /** A write transaction (the bytes after the address byte). Return false to NACK. */
  write(bytes: Uint8Array): boolean;
  /** A read transaction of n bytes. Return undefined to NACK. */
  read(n: number): Uint8Array | undefined;
}

/** A LoRa frame on the air. */
export interface RadioFrame {
  /** Id of the transmitting radio. */
  readonly from: string;
  readonly freqHz: number;
  readonly sf: number;
  readonly bwHz: number;
  /** Coding rate denominator offset: 1 = 4/5 ... 4 = 4/8. */
  readonly cr: number;
  readonly preamble: number;
  readonly txPowerDbm: number;
  /** The PHY payload. */
  readonly payload: Uint8Array;
  readonly startMs: number;
  readonly airtimeMs: number;
}

export interface RadioReceiver {
  readonly id: string;
  /** Metres, on a flat plane. */
  readonly position: { x: number; y: number };
  /** Whether the receiver listens on the frame's channel and data rate right now. */
  hears(frame: RadioFrame): boolean;
  /** Called at the end of a frame that arrived intact (no collision, above sensitivity). */
  deliver(frame: RadioFrame, rssi: number, snr: number): void;
}

export interface RadioMedium {
  /** Puts a frame on the air from the given position; receivers get it when it ends. */
  transmit(frame: RadioFrame, position: { x: number; y: number }): void;
  /** Registers a receiver; returns a function that removes it. */
  listen(receiver: RadioReceiver): () => void;
}
