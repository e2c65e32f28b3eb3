/**
 * The simulated Espruino console (tools/simulator/pty/espruino-console.ts) byte for byte, as src/jsinteractive.c
 * answers: echo, `=result`, the prompt, DLE (echo off for one line), open brackets, Ctrl-C, echo(0), errors,
 * reset() with its banner (Storage kept), and load() running .bootcde.
 */
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBrackets, EspruinoConsole } from '../../tools/simulator/pty/espruino-console.ts';
import { PtyPair } from '../../tools/simulator/pty/pty-pair.ts';

let pair: PtyPair;
let board: EspruinoConsole;
let port: SerialPort;
let received = '';

beforeAll(async () => {
  pair = await PtyPair.create();
  // the terminal first, so that it sees the power-on banner
  port = new SerialPort({ path: pair.pathA, baudRate: 9600, autoOpen: false });
  port.on('data', (data: Buffer) => (received += data.toString('latin1')));
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  board = await EspruinoConsole.open({ path: pair.pathB });
  // eslint-disable-next-line no-control-regex -- the banner starts with ESC [ ? 7 l (no line wrap)
  expect(await until(/>$/)).toMatch(/^\x1b\[\?7l\r\n ____ {17}_ \r\n[\s\S]* 2v29 \(c\) 2025 G\.Williams\r\n\r\n>$/);
});
afterAll(async () => {
  await new Promise<void>((resolve) => port.close(() => resolve()));
  await board.close();
  await pair.close();
});

/** Waits until the console's output matches, then returns it and starts afresh. */
async function until(pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  while (!pattern.test(received)) {
    if (performance.now() > deadline) throw new Error(`no ${pattern} in ${JSON.stringify(received)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const out = received;
  received = '';
  return out;
}

/** Sends input and returns the output once it has been quiet for a moment. */
async function send(input: string, settleMs = 60): Promise<string> {
  received = '';
  port.write(Buffer.from(input, 'latin1'));
  let last = '';
  let quiet = 0;
  // until the output has stopped changing (and something came, or nothing came for a while)
  while (quiet < (received === '' ? 4 : 1)) {
    last = received;
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    quiet = received === last ? quiet + 1 : 0;
  }
  const out = received;
  received = '';
  return out;
}

describe('simulated Espruino console', () => {
  it('echoes a typed line, prints its value and the prompt; an empty line gives just a new prompt', async () => {
    expect(await send('1+2\r')).toBe('1+2\r\n=3\r\n>');
    expect(await send('\n')).toBe(''); // the LF of CR LF
    expect(await send('\n')).toBe('\r\n>');
    expect(await send('"a"+1\n')).toBe('"a"+1\r\n="a1"\r\n>');
  });

  it('runs DLE lines without echo or result; the prompt comes back only after output', async () => {
    expect(await send('\x10print("<","<<",JSON.stringify(process.env.BOARD),">>",">")\n')).toBe('< << "MDBT42Q" >> >\r\n>');
    received = '';
    port.write('\x10var quiet = 5\n');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received).toBe('');
    expect(await send('quiet\n')).toBe('quiet\r\n=5\r\n>');
  });

  it('continues a line while brackets are open, and ESC LF adds a line without running it', async () => {
    expect(await send('function f() {\n')).toBe('function f() {\r\n:');
    expect(await send('return 7 }\n')).toBe('return 7 }\r\n=undefined\r\n>');
    expect(await send('f()\x1b\n+1\n')).toBe('f()\r\n:+1\r\n=8\r\n>');
    expect(countBrackets('write("(((", {a: [1]}')).toBe(1);
    expect(countBrackets('x = "unfinished ( ')).toBe(0);
  });

  it('clears the input line on Ctrl-C and prints errors as Uncaught', async () => {
    expect(await send('abc\x03')).toBe('abc\r\x1b[J>');
    expect(await send('\x10nosuchthing.x\n')).toMatch(/^Uncaught ReferenceError: .*nosuchthing.*\r\n>$/);
  });

  it('stops echoing after echo(0) until echo(1)', async () => {
    expect(await send('echo(0)\n')).toBe('echo(0)\r\n');
    received = '';
    port.write('1+1\n');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received).toBe('');
    expect(await send('echo(1)\n')).toBe('=undefined\r\n>');
  });

  it('keeps Storage over reset(), which prints the banner, and load() runs .bootcde', async () => {
    expect(await send('\x10require("Storage").write(".bootcde","print(\\"booted \\"+(1+1))")\n', 100)).toBe('');
    const reset = await send('reset()\n', 100);
    expect(reset).toMatch(/^reset\(\)\r\n[\s\S]*\|_\| espruino\.com\r\n 2v29 \(c\) 2025 G\.Williams\r\n\r\n>$/);
    expect(board.resets).toBe(1);
    expect(await send('require("Storage").read(".bootcde").length\n')).toBe('require("Storage").read(".bootcde").length\r\n=22\r\n>');
    expect(await send('\x10load()\n', 100)).toBe('\r\x1b[Jbooted 2\r\n>');
    expect(board.loads).toBe(1);
  });
});
