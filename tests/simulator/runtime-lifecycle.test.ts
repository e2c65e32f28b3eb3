import { describe, expect, it } from 'vitest';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { createEspruinoBoard, FlashImage, RESET_CAUSE_ADDRESS, type EspruinoBoard } from '../../tools/simulator/runtime/index.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

/** A small node: counts boots in Storage, keeps a RAM counter, feeds a watchdog while it is healthy. */
const NODE_FIRMWARE = `
var storage = require('Storage');
var saved = storage.readJSON('boots.json', true);
var boots = (saved ? saved.count : 0) + 1;
storage.writeJSON('boots.json', { count: boots });
var wakes = 0;
var healthy = true;
var cause = peek32(0x40000400);
console.log('boot ' + boots + ' cause ' + cause);
E.enableWatchdog(10, false);
setInterval(function () {
  wakes++;
  if (healthy) E.kickWatchdog();
}, 5000);
`;

function node(): { board: EspruinoBoard; scheduler: VirtualScheduler } {
  const scheduler = new VirtualScheduler({ seed: 11 });
  const board = createEspruinoBoard({ scheduler });
  board.load(NODE_FIRMWARE);
  return { board, scheduler };
}

const lines = (board: EspruinoBoard): string[] => board.console.map((l) => l.text);

describe('the test firmware', () => {
  it('is code the Espruino interpreter can run', () => {
    expect(checkEspruinoCompat(NODE_FIRMWARE, { sourceType: 'script' })).toEqual([]);
  });
});

describe('Storage survives resets, RAM does not', () => {
  it('keeps files across power cycles while variables start over', () => {
    const { board, scheduler } = node();
    scheduler.runFor(12_000);
    expect(board.evaluate('wakes')).toBe(2);
    board.powerCycle();
    expect(board.evaluate('wakes')).toBe(0);
    expect(board.evaluate('boots')).toBe(2);
    board.powerCycle();
    expect(lines(board).filter((l) => l.startsWith('boot '))).toEqual(['boot 1 cause 0', 'boot 2 cause 0', 'boot 3 cause 0']);
    expect(board.storage.list()).toEqual(['.bootcde', 'boots.json']);
    expect(Buffer.from(board.storage.read('boots.json')!).toString()).toBe('{"count":3}');
  });

  it('boots a second board from a copy of the first one’s flash', () => {
    const { board } = node();
    const twin = createEspruinoBoard({ scheduler: new VirtualScheduler({ seed: 2 }), flash: board.storage.clone() });
    expect(twin.evaluate('boots')).toBe(2);
  });

  it('writes files as Espruino does: sized files filled at offsets, only onto erased bytes, within the size', () => {
    const { board } = node();
    const free = board.evaluate('storage.getFree()') as number;
    expect(board.evaluate('storage.write("log", "Hello", 0, 14)')).toBe(true);
    expect(board.evaluate('storage.getFree()')).toBe(free - (32 + 16));
    board.evaluate('storage.write("log", " World!!!", 5)');
    expect(board.evaluate('storage.read("log")')).toBe('Hello World!!!');
    expect(() => board.evaluate('storage.write("log", "x", 2)')).toThrow('File already written with different data');
    expect(() => board.evaluate('storage.write("fresh", "x", 2)')).toThrow('Unable to find or create file');
    board.evaluate('storage.write("small", "ab", 0, 4)');
    expect(() => board.evaluate('storage.write("small", "xyz", 2)')).toThrow('Too much data for file size');
    expect(board.evaluate('storage.write("log", " ", 0)')).toBe(true); // offset 0 rewrites the file
    expect(board.evaluate('storage.read("log")')).toBe(' ');
    expect(board.evaluate('storage.read("log", 0, 1) + storage.read("nothing")')).toBe(' undefined');
    expect(board.evaluate('new Uint8Array(storage.readArrayBuffer("small"))[3]')).toBe(0xff);
    expect(board.evaluate('storage.list(/^s/).join()')).toBe('small');
    board.evaluate('storage.erase("small")');
    expect(board.storage.read('small')).toBeUndefined();
  });

  it('refuses a file that does not fit in the flash', () => {
    const scheduler = new VirtualScheduler();
    const board = createEspruinoBoard({ scheduler, flash: new FlashImage(1024) });
    board.load('');
    expect(() => board.evaluate('require("Storage").write("big", new Uint8Array(2000))')).toThrow('Unable to find or create file');
    expect(() => board.load('x'.repeat(2000))).toThrow(/does not fit/);
  });
});

describe('watchdog and reset causes', () => {
  it('reboots with reset cause watchdog when the firmware stops kicking, and not before', () => {
    const { board, scheduler } = node();
    scheduler.runFor(60_000);
    expect(board.resetReason).toBe('power-on');
    board.evaluate('healthy = false');
    const stoppedAt = scheduler.now();
    scheduler.runFor(30_000);
    expect(board.resetReason).toBe('watchdog');
    expect(board.evaluate('boots')).toBe(2);
    expect(lines(board)).toContain('boot 2 cause 2'); // RESETREAS bit 1: watchdog
    // the last kick was at the last 5 s tick before the stop; it fired 10 s later, the boot took 50 ms
    const boot2 = board.console.find((l) => l.text.startsWith('boot 2'))!;
    expect(boot2.timeMs).toBe(Math.floor(stoppedAt / 5000) * 5000 + 10_000 + 50);
    expect(board.uptime).toBe(scheduler.now() - (boot2.timeMs - 50));
  });

  it('never fires in automatic mode, where the idle loop kicks it', () => {
    const scheduler = new VirtualScheduler();
    const board = createEspruinoBoard({ scheduler });
    board.load('E.enableWatchdog(1); var n = 0; setInterval(function () { n++; }, 60000);');
    scheduler.runFor(3_600_000);
    expect(board.resetReason).toBe('power-on');
    expect(board.watchdog).toEqual({ timeoutMs: 1000, auto: true });
  });

  it('E.reboot() stops the code at once and reboots with a software reset; causes accumulate until cleared', () => {
    const { board, scheduler } = node();
    board.evaluate('setTimeout(function () { E.reboot(); console.log("after reboot"); }, 100)');
    scheduler.runFor(1000);
    expect(lines(board)).not.toContain('after reboot');
    expect(board.resetReason).toBe('software');
    expect(lines(board)).toContain('boot 2 cause 4');
    board.reset('pin');
    expect(lines(board)).toContain('boot 3 cause 5');
    board.evaluate(`poke32(${RESET_CAUSE_ADDRESS.nrf52}, 0xffffffff)`);
    expect(board.evaluate('peek32(0x40000400)')).toBe(0);
    board.reset('pin');
    board.powerCycle();
    expect(lines(board).at(-1)).toBe('boot 5 cause 0');
  });

  it('reports the STM32 reset flags on a Pico', () => {
    const scheduler = new VirtualScheduler();
    const board = createEspruinoBoard({ scheduler, board: 'PICO' });
    const flags = (): number => board.evaluate(`peek32(${RESET_CAUSE_ADDRESS.stm32f4})`) as number;
    expect(flags()).toBe(((1 << 27) | (1 << 26) | (1 << 25)) >>> 0);
    board.evaluate(`poke32(${RESET_CAUSE_ADDRESS.stm32f4}, 1 << 24)`);
    board.load('E.enableWatchdog(1, false)');
    scheduler.runFor(2000);
    expect(flags()).toBe(((1 << 29) | (1 << 26)) >>> 0);
    expect(() => board.evaluate('E.enableWatchdog(60, false)')).toThrow('Maximum watchdog timeout exceeded');
  });
});

describe('reset(), load() and save()', () => {
  it('load() restarts the interpreter from Storage after the current code returns, telling E.on("kill")', () => {
    const { board, scheduler } = node();
    board.evaluate('E.on("kill", function () { console.log("killed with " + wakes + " wakes"); }); wakes = 7; load(); wakes = 8;');
    // load() waited for the code to finish (wakes = 8 ran), then RAM started over and the boot code ran again
    scheduler.runFor(10);
    expect(lines(board)).toContain('killed with 8 wakes');
    expect(board.evaluate('wakes')).toBe(0);
    expect(board.evaluate('boots')).toBe(2);
    expect(board.resetReason).toBe('power-on'); // a soft restart is no hardware reset
  });

  it('reset() clears RAM without running .bootcde; save() keeps code uploaded to RAM for the next power-on', () => {
    const scheduler = new VirtualScheduler();
    const board = createEspruinoBoard({ scheduler });
    board.load('var greeting = "hi"; E.on("init", function () { console.log("init " + greeting); });', { mode: 'ram' });
    board.evaluate('save()');
    board.evaluate('reset()');
    scheduler.runFor(10);
    expect(board.evaluate('typeof greeting')).toBe('undefined');
    board.powerCycle();
    expect(board.evaluate('greeting')).toBe('hi');
    expect(lines(board).at(-1)).toBe('init hi');
  });
});

describe('crypto by board', () => {
  const FIPS197_KEY = '2b7e151628aed2a6abf7158809cf4f3c';
  const FIPS197_BLOCK = '6bc1bee22e409f96e93d7e117393172a';

  it('encrypts with AES-128 ECB on a board that has AES (Puck.js)', () => {
    const board = createEspruinoBoard({ board: 'PUCKJS' });
    const hexToArray = (hex: string): string => `[${hex.match(/../g)!.map((b) => parseInt(b, 16)).join(',')}]`;
    const out = board.evaluate(`
      var c = require('crypto').AES.encrypt(${hexToArray(FIPS197_BLOCK)}, ${hexToArray(FIPS197_KEY)}, { mode: 'ECB' });
      var hex = ''; new Uint8Array(c).forEach(function (b) { hex += (b < 16 ? '0' : '') + b.toString(16); }); hex;
    `);
    expect(out).toBe('3ad77bb40d7a3660a89ecaf32466ef97');
  });

  it('has no AES where the build leaves it out, and no crypto module at all on the RAK5010', () => {
    expect(createEspruinoBoard({ board: 'MDBT42Q' }).evaluate("typeof require('crypto').AES")).toBe('undefined');
    expect(createEspruinoBoard({ board: 'MDBT42Q', hasAES: true }).evaluate("typeof require('crypto').AES")).toBe('object');
    expect(() => createEspruinoBoard({ board: 'RAK5010' }).evaluate("require('crypto')")).toThrow('Module "crypto" not found');
  });
});
