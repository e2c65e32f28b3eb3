import { describe, expect, it } from 'vitest';
import type { I2CDevice, Scheduler, SerialDevice } from '../../tools/simulator/contracts.ts';
import { createEspruinoBoard, type BoardName, type EspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

/** Sends back whatever it receives, and remembers what arrived when. */
class EchoDevice implements SerialDevice {
  received: { timeMs: number; text: string }[] = [];
  private toBoard: ((bytes: Uint8Array) => void) | undefined;
  private scheduler: Scheduler | undefined;

  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.toBoard = toBoard;
    this.scheduler = scheduler;
  }

  receive(bytes: Uint8Array): void {
    this.received.push({ timeMs: this.scheduler!.now(), text: Buffer.from(bytes).toString('latin1') });
    this.toBoard!(bytes);
  }
}

/** An I2C sensor that answers reads from a script and records writes. */
class ScriptedSensor implements I2CDevice {
  writes: number[][] = [];
  constructor(
    readonly address: number,
    private readonly replies: number[][],
  ) {}

  write(bytes: Uint8Array): boolean {
    this.writes.push([...bytes]);
    return true;
  }

  read(n: number): Uint8Array | undefined {
    const reply = this.replies.shift();
    return reply && Uint8Array.from(reply.slice(0, n));
  }
}

function setup(board: BoardName = 'MDBT42Q'): { board: EspruinoBoard; scheduler: VirtualScheduler } {
  const scheduler = new VirtualScheduler({ seed: 3 });
  const b = createEspruinoBoard({ scheduler, board });
  return { board: b, scheduler };
}

const lines = (board: EspruinoBoard): string[] => board.console.map((l) => l.text);

describe('Serial1 and a serial device', () => {
  // as every program with a device on Serial1 must: the REPL would take the device's bytes (console-device.test.ts)
  const firmware = `
    Bluetooth.setConsole(true);
    Serial1.setup(9600, { tx: D6, rx: D8 });
    var line = '';
    Serial1.on('data', function (data) {
      line += data;
      var end = line.indexOf('\\n');
      if (end >= 0) { console.log('echo ' + line.slice(0, end)); line = line.slice(end + 1); }
    });
    setTimeout(function () { Serial1.write('ping\\n'); }, 100);
  `;

  it('delivers bytes after their transmission time at the set baud rate, in both directions', () => {
    const { board, scheduler } = setup();
    const echo = new EchoDevice();
    board.attachSerial('Serial1', echo);
    board.load(firmware);
    scheduler.runFor(1000);
    const byteMs = (10 / 9600) * 1000; // start + 8 data + stop bits
    expect(echo.received).toHaveLength(1);
    expect(echo.received[0]!.text).toBe('ping\n');
    expect(echo.received[0]!.timeMs).toBeCloseTo(100 + 5 * byteMs, 6);
    const reply = board.console.find((l) => l.text === 'echo ping');
    expect(reply?.timeMs).toBeCloseTo(100 + 10 * byteMs, 6);
    expect(board.serial('Serial1').config?.baud).toBe(9600);
  });

  it('sends nothing and receives nothing on a port that was not set up', () => {
    const { board, scheduler } = setup();
    const echo = new EchoDevice();
    board.attachSerial('Serial1', echo);
    board.load(`setTimeout(function () { Serial1.write('hello'); }, 10); Serial1.on('data', function () { console.log('got data'); });`);
    scheduler.runFor(1000);
    expect(echo.received).toEqual([]);
    expect(lines(board)).not.toContain('got data');
  });

  it('keeps data for read() while nobody listens, and print/println send text', () => {
    const { board, scheduler } = setup();
    const echo = new EchoDevice();
    board.attachSerial('Serial1', echo);
    board.load(`Bluetooth.setConsole(true); Serial1.setup(115200); Serial1.print(12); Serial1.println('AT');`);
    scheduler.runFor(100);
    expect(echo.received.map((r) => r.text).join('')).toBe('12AT\r\n');
    expect(board.evaluate('Serial1.available()')).toBe(6);
    expect(board.evaluate('Serial1.read(2)')).toBe('12');
    expect(() => board.evaluate('Serial1.setup(50)')).toThrow('Invalid baud rate specified');
  });
});

describe('I2C1 and I2C devices', () => {
  const firmware = `
    I2C1.setup({ scl: D27, sda: D26, bitrate: 400000 });
    function readSensor() {
      try {
        I2C1.writeTo(0x44, [0x24, 0x00]);
        var d = I2C1.readFrom(0x44, 2);
        console.log('sensor ' + ((d[0] << 8) | d[1]) + ' ' + (d instanceof Uint8Array));
      } catch (e) {
        console.log('sensor failed: ' + e.message + ' ' + (e instanceof Error) + ' ' + e.name);
      }
    }
    function probe(addr) {
      try { I2C1.writeTo(addr, 0); console.log('ack'); } catch (e) { console.log(String(e)); }
    }
  `;

  it('writes to and reads from the device at the address; a NACK throws the InternalError of the nRF52 build', () => {
    const { board } = setup();
    const sensor = new ScriptedSensor(0x44, [[0x12, 0x34]]);
    board.attachI2C('I2C1', sensor);
    board.load(firmware);
    board.evaluate('readSensor(); readSensor(); probe(0x45)');
    expect(sensor.writes).toEqual([
      [0x24, 0x00],
      [0x24, 0x00],
    ]);
    expect(lines(board)).toEqual([
      'sensor 4660 true',
      'sensor failed: I2C Read Error 33281 true InternalError',
      'InternalError: I2C Write Error 33281',
    ]);
    expect(board.i2c('I2C1').transfers).toBe(5);
  });

  it('counts the time the bus blocks the CPU as awake time', () => {
    const { board } = setup();
    board.attachI2C('I2C1', new ScriptedSensor(0x44, [[1, 2]]));
    board.load(firmware);
    const before = board.awakeMs;
    board.evaluate('readSensor()');
    // write: 3 bytes x 9 clocks + 2, read: 3 x 9 + 2, at 400 kHz
    expect(board.awakeMs - before).toBeCloseTo((2 * 29) / 400, 6);
  });

  it('throws the STM32 timeout message on an Espruino Pico', () => {
    const { board } = setup('PICO');
    board.load(firmware.replace('scl: D27, sda: D26', 'scl: B8, sda: B9'));
    board.evaluate('probe(0x10)');
    expect(lines(board)).toEqual(['InternalError: Timeout on I2C Write Transmit Mode 2']);
  });
});

describe('pins', () => {
  it('runs setWatch once the input has settled for the debounce time, with the time of the last edge', () => {
    const { board, scheduler } = setup();
    board.load(`
      setWatch(function (e) {
        console.log('pressed ' + e.state + ' at ' + e.time.toFixed(3) + ' last ' + e.lastTime.toFixed(3));
      }, D15, { edge: 'falling', debounce: 50, repeat: true });
    `);
    board.setInput('D15', 1);
    scheduler.runUntil(1000);
    // a bouncing press: 1 -> 0 -> 1 -> 0 within 20 ms, then stable low
    board.setInput('D15', 0);
    scheduler.runUntil(1005);
    board.setInput('D15', 1);
    scheduler.runUntil(1012);
    board.setInput('D15', 0);
    scheduler.runUntil(2000);
    expect(lines(board)).toEqual(['pressed false at 1.012 last 0.000']);
    // a glitch that comes back before the debounce time is over reports nothing
    board.setInput('D15', 1);
    scheduler.runUntil(3000);
    board.setInput('D15', 0);
    scheduler.runUntil(3010);
    board.setInput('D15', 1);
    scheduler.runUntil(4000);
    expect(lines(board)).toHaveLength(1);
    // The release at 2.000 was a rising edge: not reported, but it is the next press's lastTime;
    // the glitch at 3.000 settled back to high and left no trace.
    board.setInput('D15', 0);
    scheduler.runUntil(5000);
    expect(lines(board).at(-1)).toBe('pressed false at 4.000 last 2.000');
  });

  it('reports every edge at once without debounce, and only once without repeat', () => {
    const { board, scheduler } = setup();
    board.load(`setWatch(function (e) { console.log('edge ' + e.state); }, D3);`);
    board.setInput('D3', 1);
    scheduler.runFor(1);
    board.setInput('D3', 0);
    scheduler.runFor(1);
    expect(lines(board)).toEqual(['edge true']);
  });

  it('watches the button like Espruino: rising edge and 25 ms debounce by default', () => {
    const { board, scheduler } = setup();
    board.load(`setWatch(function (e) { console.log('button ' + e.state + ' at ' + e.time); }, BTN, { repeat: true });`);
    board.setInput('D0', 1);
    scheduler.runFor(10);
    board.setInput('D0', 0);
    scheduler.runFor(10);
    board.setInput('D0', 1);
    scheduler.runFor(100);
    board.setInput('D0', 0);
    scheduler.runFor(100);
    expect(lines(board)).toEqual(['button true at 0.02']);
  });

  it('reads analog inputs relative to the supply, with the ADC resolution', () => {
    const { board } = setup();
    board.load('');
    board.setAnalog('D5', 1.65);
    expect(board.evaluate('analogRead(D5)')).toBeCloseTo(0.5, 4);
    board.setSupply(3.0);
    expect(board.evaluate('analogRead(D5)')).toBeCloseTo(0.55, 4);
    expect(board.evaluate('E.getAnalogVRef()')).toBe(3.0);
    board.setAnalog('D5', 0.001);
    expect((board.evaluate('analogRead(D5)') as number) * 2 ** 14).toBe(Math.round((0.001 / 3) * 2 ** 14));
    expect(board.evaluate('analogRead(D6)')).toBeNaN(); // no ADC on D6
  });

  it('tells listeners about outputs the firmware writes', () => {
    const { board, scheduler } = setup();
    const seen: string[] = [];
    board.onPin('D1', (level, timeMs) => seen.push(`${level}@${timeMs}`));
    board.load(`
      setTimeout(function () { digitalWrite(LED1, 1); }, 10);
      setTimeout(function () { LED1.reset(); }, 30);
      setTimeout(function () { digitalPulse(LED1, 1, 5); }, 50);
    `);
    scheduler.runFor(100);
    expect(seen).toEqual(['1@10', '0@30', '1@50', '0@55']);
    expect(board.pins.output('D1')).toBe(0);
    expect(board.pins.mode('D1')).toBe('output');
    board.setInput('D7', 1);
    expect(board.evaluate('digitalRead(D7)')).toBe(1);
    expect(board.evaluate('pinMode(D8, "input_pullup"); digitalRead(D8)')).toBe(1);
  });
});
