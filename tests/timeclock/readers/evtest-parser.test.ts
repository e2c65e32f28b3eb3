import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseEvtestLine } from '../../../firmware/timeclock/terminal/readers/evtest-lines.ts';
import { KeystrokeAssembler, type KeystrokeResult } from '../../../firmware/timeclock/terminal/readers/keystrokes.ts';

/** evtest 1.35 output of a keyboard-wedge reader: seven cards, some of them spoiled (see the comments below). */
const RECORDING = readFileSync(new URL('./fixtures/evtest-wedge-reader.txt', import.meta.url), 'utf8');

function assemble(text: string, assembler = new KeystrokeAssembler()): KeystrokeResult[] {
  return text.split('\n').flatMap((line) => assembler.push(parseEvtestLine(line)));
}

describe('evtest lines', () => {
  it('parses key, scan-code and sync events with their time', () => {
    expect(parseEvtestLine('Event: time 1732611128.101149, type 1 (EV_KEY), code 2 (KEY_1), value 1')).toEqual({
      type: 'key',
      timeMs: 1732611128101.149,
      code: 2,
      value: 1,
    });
    expect(parseEvtestLine('Event: time 1732611128.101149, type 4 (EV_MSC), code 4 (MSC_SCAN), value 7001e')).toEqual({
      type: 'event',
      timeMs: 1732611128101.149,
    });
    expect(parseEvtestLine('Event: time 1732611128.101149, -------------- SYN_REPORT ------------')).toEqual({
      type: 'sync',
      timeMs: 1732611128101.149,
      name: 'SYN_REPORT',
    });
    expect(parseEvtestLine('Event: time 5.000001, -------------- SYN_DROPPED ------------\r')).toMatchObject({
      type: 'sync',
      name: 'SYN_DROPPED',
    });
  });

  it('tells the header, the grab banner and garbage apart', () => {
    expect(parseEvtestLine('Input device name: "Sycreader RFID Technology Co., Ltd SYC ID&IC USB Reader"').type).toBe('header');
    expect(parseEvtestLine('    Event code 2 (KEY_1)').type).toBe('header');
    expect(parseEvtestLine('Testing ... (interrupt to exit)').type).toBe('header');
    expect(parseEvtestLine('  This device is grabbed by another process.').type).toBe('grabbed-elsewhere');
    expect(parseEvtestLine('Event: time 1732611128.101149, type 1 (EV_KEY), code 2 (KEY_1), val').type).toBe('garbage');
    expect(parseEvtestLine('Event: time x.y, type 1 (EV_KEY), code 2 (KEY_1), value 1').type).toBe('garbage');
    expect(parseEvtestLine('Event: time 1.000000, type 1 (EV_KEY), code 2 (KEY_1), value 1f').type).toBe('garbage');
  });
});

describe('keystrokes of a recorded reader', () => {
  it('reads the good cards and refuses the spoiled ones, in order', () => {
    expect(assemble(RECORDING)).toEqual([
      { ok: true, number: '0077740828' }, // decimal, top-row digits
      { ok: true, number: '04A23B1D' }, // hex with shifted letters
      { ok: true, number: '1234567890' }, // keypad digits and keypad Enter
      { ok: false, reason: 'events-dropped' }, // SYN_DROPPED in the middle
      { ok: false, reason: 'interrupted' }, // half a card, 1.5 s pause ...
      { ok: true, number: '0077740828' }, // ... then the whole card
      { ok: false, reason: 'unexpected-key' }, // KEY_X inside the number
      { ok: true, number: '04112233445566' }, // auto-repeat (value 2) ignored
    ]);
  });

  it('gives the same result however the output is cut into lines across chunks', () => {
    const lines = RECORDING.split('\n');
    const assembler = new KeystrokeAssembler();
    const results = lines.flatMap((line) => assembler.push(parseEvtestLine(line + '\r')));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });

  it('lets a slower reader through with a longer key gap', () => {
    const slow = RECORDING.replace(/Event: time (\d+)\.(\d+)/g, (_, s: string, us: string) => {
      // stretch time fourfold: keys 32 ms apart instead of 8
      const ms = (Number(s) * 1000 + Number(us) / 1000) * 4;
      return 'Event: time ' + Math.floor(ms / 1000) + '.' + String(Math.round((ms % 1000) * 1000)).padStart(6, '0');
    });
    expect(assemble(slow).filter((r) => r.ok)).toHaveLength(5);
    expect(assemble(slow, new KeystrokeAssembler({ maxKeyGapMs: 20 })).filter((r) => r.ok)).toHaveLength(0);
  });

  it('refuses an over-long number and an empty Enter', () => {
    const key = (t: number, code: number): string => `Event: time 100.${String(t * 1000).padStart(6, '0')}, type 1 (EV_KEY), code ${code} (K), value 1`;
    const long = Array.from({ length: 30 }, (_, i) => key(i, 2)).concat(key(30, 28)).join('\n');
    expect(assemble(long)).toEqual([{ ok: false, reason: 'too-long' }]);
    expect(assemble(key(1, 28))).toEqual([{ ok: false, reason: 'empty' }]);
  });

  it('never throws and never accepts anything but digits and A-F on garbage', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom(...RECORDING.split('\n').slice(36, 120))), { maxLength: 80 }), (lines) => {
        for (const result of assemble(lines.join('\n'))) {
          if (result.ok) expect(result.number).toMatch(/^[0-9A-F]+$/);
        }
      }),
    );
  });
});
