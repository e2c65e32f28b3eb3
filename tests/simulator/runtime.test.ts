import { describe, expect, it } from 'vitest';
import { createEspruinoBoard, type EspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

function boardWith(code: string, seed = 1): { board: EspruinoBoard; scheduler: VirtualScheduler } {
  const scheduler = new VirtualScheduler({ seed });
  const board = createEspruinoBoard({ scheduler });
  board.load(code);
  return { board, scheduler };
}

const lines = (board: EspruinoBoard): string[] => board.console.map((l) => l.text);

describe('the board has Espruino globals and nothing Espruino lacks', () => {
  it('has no Map, Set, Symbol, Proxy, Reflect or globalThis, and no Math.trunc or Number.isInteger', () => {
    const { board } = boardWith('');
    for (const name of ['Map', 'Set', 'WeakMap', 'Symbol', 'Proxy', 'Reflect', 'globalThis', 'TextEncoder', 'setImmediate']) {
      expect(board.evaluate(`typeof ${name}`), name).toBe('undefined');
    }
    expect(board.evaluate('typeof Math.trunc')).toBe('undefined');
    expect(board.evaluate('typeof Number.isInteger')).toBe('undefined');
    expect(board.evaluate('typeof Array.from')).toBe('undefined');
    expect(() => board.evaluate('new Map()')).toThrow(/Map is not defined/);
    expect(() => board.evaluate('Math.trunc(1.5)')).toThrow(/not a function/);
  });

  it('reports firmware that uses them as Espruino would: an uncaught error, and the board keeps running', () => {
    const { board, scheduler } = boardWith(`
      var ticks = 0;
      setInterval(function () { ticks++; }, 100);
      var cache = new Map();
    `);
    scheduler.runFor(1000);
    expect(lines(board)).toContain('Uncaught ReferenceError: Map is not defined');
    expect(board.uncaughtErrors).toBe(1);
    expect(board.evaluate('ticks')).toBe(10);
  });

  it('has the Espruino globals of the board', () => {
    const { board } = boardWith('');
    for (const name of ['E', 'Serial1', 'I2C1', 'D0', 'D31', 'LED1', 'BTN', 'setWatch', 'analogRead', 'getTime', 'Modules', 'peek32', 'NRF']) {
      expect(board.evaluate(`typeof ${name}`), name).not.toBe('undefined');
    }
    expect(board.evaluate('typeof Serial2')).toBe('undefined'); // the nRF52832 has one UART
    expect(board.evaluate('String(LED1) + " " + (D5 == 5)')).toBe('D1 true');
    expect(board.evaluate('process.env.BOARD + " " + process.env.VERSION')).toBe('MDBT42Q 2v29');
  });
});

describe('timers on the virtual clock', () => {
  it('runs timeouts with their extra arguments and intervals without drift', () => {
    const { board, scheduler } = boardWith(`
      setTimeout(function (a, b) { console.log('timeout ' + a + b + ' at ' + getTime()); }, 250, 'x', 'y');
      var n = 0;
      var id = setInterval(function () { n++; if (n === 3) clearInterval(id); console.log('tick ' + n + ' at ' + getTime()); }, 1000);
    `);
    scheduler.runFor(10_000);
    expect(lines(board)).toEqual(['timeout xy at 0.25', 'tick 1 at 1', 'tick 2 at 2', 'tick 3 at 3']);
    expect(board.timerCount).toBe(0);
  });

  it('numbers timers like Espruino: the next after the highest in use, so ids are reused', () => {
    const { board, scheduler } = boardWith('');
    expect(board.evaluate('setTimeout(function () {}, 10)')).toBe(1);
    expect(board.evaluate('setTimeout(function () {}, 20)')).toBe(2);
    scheduler.runFor(30);
    expect(board.evaluate('setTimeout(function () {}, 10)')).toBe(1);
  });

  it('throws for an unknown timer id, and clearTimeout() without arguments clears every timer', () => {
    const { board, scheduler } = boardWith(`
      var fired = 0;
      setTimeout(function () { fired++; }, 100);
      setInterval(function () { fired++; }, 50);
    `);
    expect(() => board.evaluate('clearTimeout(7)')).toThrow('Unknown Timeout');
    expect(() => board.evaluate('clearInterval(7)')).toThrow('Unknown Interval');
    board.evaluate('clearTimeout()');
    scheduler.runFor(1000);
    expect(board.evaluate('fired')).toBe(0);
    expect(board.timerCount).toBe(0);
  });

  it('changeInterval restarts the period from now', () => {
    const { board, scheduler } = boardWith(`
      var times = [];
      var id = setInterval(function () { times.push(getTime()); }, 1000);
    `);
    scheduler.runFor(1500);
    board.evaluate('changeInterval(id, 300)');
    scheduler.runFor(1000);
    expect(board.evaluate('times.join(",")')).toBe('1,1.8,2.1,2.4');
  });

  it('keeps an interval running after it throws, and counts every uncaught error', () => {
    const { board, scheduler } = boardWith(`
      var calls = 0;
      setInterval(function () { calls++; throw new Error('sensor gone'); }, 1000);
    `);
    scheduler.runFor(3500);
    expect(board.evaluate('calls')).toBe(3);
    expect(board.uncaughtErrors).toBe(3);
    expect(lines(board).filter((l) => l === 'Uncaught Error: sensor gone')).toHaveLength(3);
  });

  it('stamps console lines with virtual time', () => {
    const { board, scheduler } = boardWith(`setTimeout(function () { print('late', 42, [1, 2], { a: 'b' }); }, 1234);`);
    scheduler.runFor(2000);
    // Boot 1 is the empty board at power-on, boot 2 the interpreter restart of load().
    expect(board.console.at(-1)).toEqual({ timeMs: 1234, boot: 2, text: 'late 42 [ 1, 2 ] { "a": "b" }', device: 'Serial1' });
  });
});

describe('determinism', () => {
  const noisy = `
    var out = [];
    setInterval(function () {
      out.push(Math.floor(Math.random() * 1000), E.hwRand() & 0xff);
      if (out.length >= 10) console.log(out.join(' '));
    }, 100);
  `;

  it('gives the same run for the same seed and another for another seed', () => {
    const run = (seed: number): string => {
      const { board, scheduler } = boardWith(noisy, seed);
      scheduler.runFor(550);
      return board.consoleText();
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });
});

describe('E and process', () => {
  it('converts data like the examples in the Espruino reference', () => {
    const { board } = boardWith('');
    expect(board.evaluate('E.toUint8Array([1, { data: 2, count: 3 }, 3]).join()')).toBe('1,2,2,2,3');
    expect(board.evaluate('E.toUint8Array("Hello").join()')).toBe('72,101,108,108,111');
    expect(board.evaluate('E.toUint8Array(["hi", { callback: function () { return [1, 2, 3]; } }]).join()')).toBe('104,105,1,2,3');
    expect(board.evaluate('E.toString([72, 105])')).toBe('Hi');
    expect(board.evaluate('E.CRC32("hello")')).toBe(0x3610a686);
    expect(board.evaluate('btoa("hi") + " " + atob("aGk=")')).toBe('aGk= hi');
  });

  it('estimates memory blocks: a program that keeps data uses more, and the totals add up', () => {
    const { board } = boardWith('var small = 1;');
    const before = board.evaluate('process.memory()') as { usage: number; free: number; total: number };
    expect(before.total).toBe(2500);
    expect(before.usage + before.free).toBe(before.total);
    board.evaluate('var readings = []; for (var i = 0; i < 200; i++) readings.push({ t: i, v: "reading " + i });');
    const after = board.evaluate('process.memory()') as { usage: number };
    expect(after.usage - before.usage).toBeGreaterThan(400);
    expect(board.evaluate('E.getSizeOf(readings)')).toBeGreaterThan(400);
    expect(board.evaluate('E.getSizeOf(1)')).toBe(1);
  });
});

describe('Date, promises and modules', () => {
  it('has Date on the board clock in UTC, set by setTime and shifted by E.setTimeZone', () => {
    const { board, scheduler } = boardWith('');
    scheduler.runFor(90_000);
    expect(board.evaluate('Date.now()')).toBe(90_000);
    board.evaluate('setTime(1700000000)');
    expect(board.evaluate('new Date().toISOString()')).toBe('2023-11-14T22:13:20.000Z');
    expect(board.evaluate('new Date().getHours()')).toBe(22);
    board.evaluate('E.setTimeZone(1)');
    expect(board.evaluate('new Date().getHours()')).toBe(23);
    expect(board.evaluate('new Date(2024, 0, 1, 12).toISOString()')).toBe('2024-01-01T11:00:00.000Z');
  });

  it('runs promise callbacks right after the code that resolved them, and reports unhandled rejections', () => {
    const { board, scheduler } = boardWith(`
      var order = [];
      setTimeout(function () {
        Promise.resolve(1).then(function (v) { order.push('then ' + v); });
        order.push('sync');
      }, 10);
      setTimeout(function () { order.push('next timer'); }, 10);
      setTimeout(function () { Promise.reject(new Error('nobody listens')); }, 20);
      setTimeout(function () { Promise.reject(new Error('handled')).catch(function (e) { order.push('caught ' + e.message); }); }, 30);
    `);
    scheduler.runFor(100);
    expect(board.evaluate('order.join("; ")')).toBe('sync; then 1; next timer; caught handled');
    expect(lines(board)).toContain('Uncaught Error: Unhandled promise rejection: Error: nobody listens');
    expect(board.uncaughtErrors).toBe(1);
  });

  it('requires modules added with Modules.addCached, and not unknown ones', () => {
    const { board } = boardWith(`
      Modules.addCached('adder', function () { exports.add = function (a, b) { return a + b; }; });
      var add = require('adder').add;
    `);
    expect(board.evaluate('add(2, 3)')).toBe(5);
    expect(() => board.evaluate("require('nope')")).toThrow('Module "nope" not found');
  });
});
