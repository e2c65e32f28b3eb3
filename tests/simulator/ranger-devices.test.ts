/**
 * The simulated rangers against their datasheets: silent until powered, the power-up delay, one frame per range
 * cycle (MaxBotix MB7389 ~148 ms = 6.67 Hz, A01NYUB ~100 ms), the frame formats and codes, what each part does about
 * the speed of sound, and the seeded faults. Then a UART shared by pin in the simulated runtime, as the MDBT42Q's
 * one UART serves the modem and the ranger.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedA01nyub } from '../../tools/simulator/devices/ranger/a01nyub.ts';
import { SimulatedMaxbotix } from '../../tools/simulator/devices/ranger/maxbotix.ts';
import type { SimulatedRanger } from '../../tools/simulator/devices/ranger/simulated-ranger.ts';
import { speedOfSound } from '../../tools/simulator/devices/ranger/sound.ts';
import type { Scheduler, SerialDevice } from '../../tools/simulator/contracts.ts';
import { createEspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

interface Frame {
  timeMs: number;
  bytes: number[];
}

function listen(ranger: SimulatedRanger, seed = 1): { scheduler: VirtualScheduler; frames: Frame[] } {
  const scheduler = new VirtualScheduler({ seed });
  const frames: Frame[] = [];
  ranger.connect((bytes) => frames.push({ timeMs: scheduler.now(), bytes: [...bytes] }), scheduler);
  return { scheduler, frames };
}

const ascii = (f: Frame): string => String.fromCharCode(...f.bytes);
const a01Value = (f: Frame): number => f.bytes[1]! * 256 + f.bytes[2]!;

describe('simulated MaxBotix MB7389', () => {
  it('is silent unpowered, then sends R####<CR> after ~50 ms + one range cycle, at 6.67 Hz, until switched off', () => {
    const ranger = new SimulatedMaxbotix({ distanceM: () => 1.953, airTemperatureC: () => 15, noiseMm: 0 });
    const { scheduler, frames } = listen(ranger);
    scheduler.runFor(1000);
    expect(frames).toEqual([]);
    ranger.setPowered(true);
    scheduler.runFor(1500);
    ranger.setPowered(false);
    scheduler.runFor(1000);
    expect(frames[0]!.timeMs).toBeCloseTo(1000 + 50 + 148, 6);
    const gaps = frames.slice(1).map((f, i) => f.timeMs - frames[i]!.timeMs);
    for (const gap of gaps) expect(1000 / gap).toBeCloseTo(6.76, 1);
    expect(frames.length).toBe(Math.floor((1500 - 198) / 148) + 1);
    expect(frames.every((f) => ascii(f) === 'R1953\r')).toBe(true);
  });

  it('compensates with its own temperature: the true distance at any air temperature, off by c(T_sensor)/c(T_air) when sunlit', () => {
    for (const air of [-15, 0, 30]) {
      const cold = new SimulatedMaxbotix({ distanceM: () => 3, airTemperatureC: () => air, noiseMm: 0 });
      const { scheduler, frames } = listen(cold);
      cold.setPowered(true);
      scheduler.runFor(300);
      expect(ascii(frames[0]!)).toBe('R3000\r');
    }
    const sunlit = new SimulatedMaxbotix({ distanceM: () => 3, airTemperatureC: () => 10, noiseMm: 0, housingOffsetK: 15 });
    const { scheduler, frames } = listen(sunlit);
    sunlit.setPowered(true);
    scheduler.runFor(300);
    expect(ascii(frames[0]!)).toBe(`R${Math.round((3000 * speedOfSound(25)) / speedOfSound(10))}\r`);
  });

  it('reads 300 closer than 300 mm and 9999 (5000 for the 5 m MB7380) with no target', () => {
    for (const [model, distanceM, text] of [
      ['MB7389', 0.2, 'R0300\r'],
      ['MB7389', 11, 'R9999\r'],
      ['MB7380', 6, 'R5000\r'],
    ] as const) {
      const r = new SimulatedMaxbotix({ model, distanceM: () => distanceM, airTemperatureC: () => 10, noiseMm: 0 });
      const { scheduler, frames } = listen(r);
      r.setPowered(true);
      scheduler.runFor(400);
      expect(ascii(frames[0]!), model).toBe(text);
    }
  });
});

describe('simulated A01NYUB', () => {
  it('sends FF H L SUM every 100 ms after its power-up time, with a valid checksum', () => {
    const ranger = new SimulatedA01nyub({ distanceM: () => 1.9, airTemperatureC: () => 20, noiseMm: 0, powerUpMs: 400 });
    const { scheduler, frames } = listen(ranger);
    ranger.setPowered(true);
    scheduler.runFor(1000);
    expect(frames[0]!.timeMs).toBe(400);
    expect(frames.map((f) => f.timeMs)).toEqual([400, 500, 600, 700, 800, 900, 1000]);
    for (const f of frames) {
      expect(f.bytes[0]).toBe(0xff);
      expect((0xff + f.bytes[1]! + f.bytes[2]!) & 0xff).toBe(f.bytes[3]);
    }
  });

  it('converts time of flight at 343 m/s: reads long in the cold and short in the heat', () => {
    for (const air of [-10, 20, 35]) {
      const ranger = new SimulatedA01nyub({ distanceM: () => 2, airTemperatureC: () => air, noiseMm: 0 });
      const { scheduler, frames } = listen(ranger);
      ranger.setPowered(true);
      scheduler.runFor(600);
      // echo time 2 * 2 m / c(T); the part halves it and multiplies by 343 m/s
      expect(a01Value(frames[0]!), `${air} degC`).toBe(Math.round(((2 * 2) / speedOfSound(air) / 2) * 343 * 1000));
    }
  });

  it('sends 0 inside the 28 cm blind zone and 0xFFFD beyond 7.5 m', () => {
    for (const [distanceM, value] of [
      [0.2, 0],
      [8, 0xfffd],
    ] as const) {
      const r = new SimulatedA01nyub({ distanceM: () => distanceM, airTemperatureC: () => 10, noiseMm: 0 });
      const { scheduler, frames } = listen(r);
      r.setPowered(true);
      scheduler.runFor(600);
      expect(a01Value(frames[0]!)).toBe(value);
    }
  });

  it('damages, fakes and loses readings at the configured rates, from the seed', () => {
    const ranger = new SimulatedA01nyub({ distanceM: () => 2, airTemperatureC: () => 10, noiseMm: 2, outlierRate: 0.05, noTargetRate: 0.05, corruptRate: 0.05 });
    const { scheduler, frames } = listen(ranger, 42);
    ranger.setPowered(true);
    scheduler.runFor(2000 * 100 + 500);
    const n = ranger.stats.frames;
    expect(n).toBe(2001);
    for (const key of ['outliers', 'noTargets', 'corrupted'] as const) {
      expect(ranger.stats[key] / n, key).toBeGreaterThan(0.035);
      expect(ranger.stats[key] / n, key).toBeLessThan(0.065);
    }
    const broken = frames.filter((f) => f.bytes.length !== 4 || f.bytes[0] !== 0xff || ((0xff + f.bytes[1]! + f.bytes[2]!) & 0xff) !== f.bytes[3]);
    // a flipped bit in the header or data, or a lost byte, always shows; a flipped SUM bit too
    expect(broken.length).toBe(ranger.stats.corrupted);
  });

  it('a dead part sends nothing', () => {
    const ranger = new SimulatedA01nyub({ distanceM: () => 2, airTemperatureC: () => 10 });
    const { scheduler, frames } = listen(ranger);
    ranger.alive = false;
    ranger.setPowered(true);
    scheduler.runFor(2000);
    expect(frames).toEqual([]);
  });
});

class Recorder implements SerialDevice {
  received = '';
  send: (text: string) => void = () => undefined;
  connect(toBoard: (bytes: Uint8Array) => void, _scheduler: Scheduler): void {
    this.send = (text) => toBoard(Uint8Array.from(Buffer.from(text, 'latin1')));
  }
  receive(bytes: Uint8Array): void {
    this.received += Buffer.from(bytes).toString('latin1');
  }
}

describe('a UART shared by pin (the MDBT42Q: modem and ranger on Serial1)', () => {
  it('connects each device only while the UART is set up on its pins', () => {
    const scheduler = new VirtualScheduler({ seed: 1 });
    const board = createEspruinoBoard({ scheduler, board: 'MDBT42Q' });
    const modem = new Recorder();
    const ranger = new Recorder();
    board.attachSerial('Serial1', modem);
    expect(() => board.attachSerial('Serial1', ranger, { rx: 'D22' })).toThrow('already has a device attached');
    board.attachSerial('Serial1', modem, { rx: 'D14', tx: 'D15' });
    board.attachSerial('Serial1', ranger, { rx: 'D22' });
    board.load(`Bluetooth.setConsole(true); var got = ''; Serial1.on('data', function (d) { got += d; });`);
    board.evaluate(`Serial1.setup(115200, { rx: D14, tx: D15 }); Serial1.write('AT\\r\\n');`);
    modem.send('OK\r\n');
    ranger.send('R1234\r');
    scheduler.runFor(100);
    expect(modem.received).toBe('AT\r\n');
    expect(board.evaluate('got')).toBe('OK\r\n');
    board.evaluate(`got = ''; Serial1.setup(9600, { rx: D22, tx: D15 });`);
    modem.send('+EVT:lost\r\n');
    ranger.send('R1235\r');
    scheduler.runFor(100);
    expect(board.evaluate('got')).toBe('R1235\r');
    board.evaluate(`got = ''; Serial1.unsetup();`);
    ranger.send('R1236\r');
    scheduler.runFor(100);
    expect(board.evaluate('got')).toBe('');
  });
});
