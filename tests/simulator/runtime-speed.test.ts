import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { I2CDevice, Scheduler, SerialDevice } from '../../tools/simulator/contracts.ts';
import { createEspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

/** Answers every line with the line itself and "OK", 20 ms later, like an AT modem with echo on. */
class AtEcho implements SerialDevice {
  lines = 0;
  private toBoard: ((bytes: Uint8Array) => void) | undefined;
  private scheduler: Scheduler | undefined;

  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.toBoard = toBoard;
    this.scheduler = scheduler;
  }

  receive(bytes: Uint8Array): void {
    this.lines++;
    this.scheduler!.after(20, () => this.toBoard!(Uint8Array.from([...bytes, ...Buffer.from('OK\r\n')])));
  }
}

const sensor: I2CDevice = { address: 0x44, write: () => true, read: (n) => new Uint8Array(n).fill(0x42) };

const NODE = `
var wakes = 0, replies = 0, buffer = '';
Bluetooth.setConsole(true);
Serial1.setup(9600);
I2C1.setup({ scl: D27, sda: D26 });
Serial1.on('data', function (d) {
  buffer += d;
  var end;
  while ((end = buffer.indexOf('\\n')) >= 0) {
    if (buffer.slice(0, end) === 'OK\\r') replies++;
    buffer = buffer.slice(end + 1);
  }
});
setInterval(function () {
  wakes++;
  digitalWrite(LED1, 1);
  I2C1.writeTo(0x44, [0x24, 0x00]);
  var d = I2C1.readFrom(0x44, 6);
  Serial1.print('AT+SEND=1:' + d[0] + ',' + d[1] + ',' + wakes + '\\r\\n');
  setTimeout(function () { digitalWrite(LED1, 0); }, 50);
}, 600000);
`;

describe('speed', () => {
  it('simulates a week of a node waking every 10 minutes in well under a second', () => {
    const scheduler = new VirtualScheduler({ seed: 1 });
    // One byte per delivery, so each wake is several dozen events: timers, wire transfers, device replies.
    const board = createEspruinoBoard({ scheduler, serialRxChunkBytes: 1 });
    const modem = new AtEcho();
    board.attachSerial('Serial1', modem);
    board.attachI2C('I2C1', sensor);
    board.load(NODE);

    const week = 7 * 24 * 3600 * 1000;
    const started = performance.now();
    const events = scheduler.runUntil(week + 1000); // the last wake is at the end of the week
    const elapsedMs = performance.now() - started;

    expect(board.evaluate('wakes')).toBe(1008);
    expect(board.evaluate('replies')).toBe(1008);
    expect(modem.lines).toBe(1008);
    expect(board.uncaughtErrors).toBe(0);
    expect(events / 1008).toBeGreaterThan(24);
    console.log(
      `a simulated week: ${events} events (${(events / 1008).toFixed(1)} per wake) in ${elapsedMs.toFixed(0)} ms; ` +
        `awake ${(board.awakeMs / 1000).toFixed(1)} s of ${week / 1000} s`,
    );
    expect(elapsedMs).toBeLessThan(1000);
  });
});
