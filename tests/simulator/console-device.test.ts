/**
 * Where Espruino's REPL is (tools/simulator/runtime/console-device.ts), and what it does to a UART it sits on: a node
 * in the field has no computer on Bluetooth or USB, so its console is Serial1, where the MDBT42Q's modem and the
 * Pico's ranger are. Sources: Espruino src/jsinteractive.c, targets/nrf5x/bluetooth.c, targets/stm32/jshardware.c.
 */
import { describe, expect, it } from 'vitest';
import type { Scheduler, SerialDevice } from '../../tools/simulator/contracts.ts';
import { createEspruinoBoard, type BoardName } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

/** A device on the UART that records what the board sends and sends what the test tells it to. */
class Wire implements SerialDevice {
  received = '';
  private toBoard: ((bytes: Uint8Array) => void) | undefined;

  connect(toBoard: (bytes: Uint8Array) => void, _scheduler: Scheduler): void {
    this.toBoard = toBoard;
  }

  receive(bytes: Uint8Array): void {
    this.received += Buffer.from(bytes).toString('latin1');
  }

  send(text: string): void {
    this.toBoard!(Buffer.from(text, 'latin1'));
  }
}

/** A program that talks to a device on Serial1 (the MDBT42Q's modem pins), after `before`. */
const program = (before: string): string => `
  ${before}
  var got = '';
  Serial1.setup(115200, { rx: D14, tx: D15 });
  Serial1.on('data', function (d) { got += d; });
  setTimeout(function () { console.log('booted'); Serial1.write('AT\\r\\n'); }, 10);
`;

function boardWithWire(name: BoardName = 'MDBT42Q') {
  const scheduler = new VirtualScheduler({ seed: 5 });
  const board = createEspruinoBoard({ scheduler, board: name });
  const wire = new Wire();
  board.attachSerial('Serial1', wire);
  return { scheduler, board, wire };
}

describe('the console of a board in the field', () => {
  it('is on Serial1: the device\'s bytes go to the REPL, which echoes them, and console.log goes out to the device', () => {
    const { scheduler, board, wire } = boardWithWire();
    board.load(program(''));
    scheduler.runFor(50);
    expect(board.evaluate('E.getConsole()')).toBe('Serial1');
    expect(board.evaluate('process.env.CONSOLE')).toBe('Serial1');
    expect(wire.received).toBe('booted\r\nAT\r\n');

    wire.send('OK\r\n');
    scheduler.runFor(50);
    expect(board.evaluate('got')).toBe('');
    expect(board.serial('Serial1').bytesToConsole).toBe(4);
    expect(wire.received).toBe('booted\r\nAT\r\nOK\r\n');
    // the test's probe on the interpreter still records the line, with where it went
    expect(board.console.find((l) => l.text === 'booted')).toMatchObject({ device: 'Serial1' });
  });

  it('stays on Bluetooth once forced there: the program hears its device and the wire carries no log', () => {
    const { scheduler, board, wire } = boardWithWire();
    board.load(program('Bluetooth.setConsole(true);'));
    scheduler.runFor(50);
    wire.send('OK\r\n');
    scheduler.runFor(50);
    expect(board.evaluate('got')).toBe('OK\r\n');
    expect(wire.received).toBe('AT\r\n');
    expect(board.serial('Serial1').bytesToConsole).toBe(0);
    expect(board.consoleDevice).toMatchObject({ device: 'Bluetooth', isForced: true });
    expect(board.console.find((l) => l.text === 'booted')).toMatchObject({ device: 'Bluetooth' });

    // a maintainer connecting and leaving does not move a forced console
    board.setHostConnected(true);
    board.setHostConnected(false);
    expect(board.consoleDevice.device).toBe('Bluetooth');
  });

  it('follows a Bluetooth connection when not forced, and goes back to Serial1 when NRF.sleep() ends it', () => {
    const { scheduler, board, wire } = boardWithWire();
    board.setHostConnected(true);
    board.load(program(''));
    scheduler.runFor(50);
    // load() is a soft reset: the connection stays, and so does the console
    expect(board.consoleDevice).toMatchObject({ device: 'Bluetooth', isForced: false, isHostConnected: true });
    wire.send('OK\r\n');
    scheduler.runFor(50);
    expect(board.evaluate('got')).toBe('OK\r\n');

    board.evaluate('NRF.sleep()');
    expect(board.consoleDevice).toMatchObject({ device: 'Serial1', isHostConnected: false });
    wire.send('+EVT:RX_1\r\n');
    scheduler.runFor(50);
    expect(board.evaluate('got')).toBe('OK\r\n');
    expect(wire.received.endsWith('+EVT:RX_1\r\n')).toBe(true);
  });

  it('starts over on Serial1 after a hardware reset; reset() clears only the forced flag', () => {
    const { scheduler, board } = boardWithWire();
    board.load(program(''));
    scheduler.runFor(50);
    board.evaluate('E.setConsole("Bluetooth", { force: true })');
    expect(board.consoleDevice).toMatchObject({ device: 'Bluetooth', isForced: true });
    board.evaluate('reset()');
    scheduler.runFor(50);
    expect(board.consoleDevice).toMatchObject({ device: 'Bluetooth', isForced: false });
    board.evaluate('Bluetooth.setConsole(true)');
    board.reset('pin');
    scheduler.runFor(200);
    expect(board.consoleDevice).toMatchObject({ device: 'Serial1', isForced: false });
  });

  it('on a Pico follows the USB cable: unplugged it is Serial1 (the ranger\'s UART), unless USB.setConsole(true)', () => {
    const { scheduler, board, wire } = boardWithWire('PICO');
    board.setHostConnected(true);
    board.load('var got = ""; Serial1.setup(9600); Serial1.on("data", function (d) { got += d; });');
    scheduler.runFor(50);
    expect(board.evaluate('E.getConsole()')).toBe('USB');
    board.setHostConnected(false);
    expect(board.evaluate('E.getConsole()')).toBe('Serial1');
    wire.send('R1234\r');
    scheduler.runFor(50);
    expect(board.evaluate('got')).toBe('');

    // the STM32 port moves the console back only from USB: a console put on Serial2 stays there
    board.evaluate('E.setConsole(Serial2)');
    board.setHostConnected(true);
    expect(board.evaluate('E.getConsole()')).toBe('USB');
    board.evaluate('E.setConsole(Serial2)');
    board.setHostConnected(false);
    expect(board.evaluate('E.getConsole()')).toBe('Serial2');

    board.evaluate('USB.setConsole(true)');
    board.setHostConnected(true);
    board.setHostConnected(false);
    wire.send('R1235\r');
    scheduler.runFor(50);
    expect(board.evaluate('E.getConsole()')).toBe('USB');
    expect(board.evaluate('got')).toBe('R1235\r');
  });
});
