import { describe, expect, it, vi } from 'vitest';
import { cancelTimer, lineSplitter, MAX_LINE_LENGTH } from '../../firmware/drivers/at-line.ts';

function splitAll(chunks: string[]): { lines: string[]; dropped: number } {
  const result = { lines: [] as string[], dropped: 0 };
  const feed = lineSplitter(
    (line) => result.lines.push(line),
    () => result.dropped++,
  );
  for (const chunk of chunks) feed(chunk);
  return result;
}

describe('line splitting', () => {
  it('ends lines at \\r\\n, \\r or \\n, across chunk borders, ignoring blank lines', () => {
    const { lines, dropped } = splitAll(['AT+VER=3.2.0\r', '\nOK\r\n\r\n', 'AT_ERROR\rAT_BUSY', '_ERROR\n\n+EVT:JOINED\r\n']);
    expect(lines).toEqual(['AT+VER=3.2.0', 'OK', 'AT_ERROR', 'AT_BUSY_ERROR', '+EVT:JOINED']);
    expect(dropped).toBe(0);
  });

  it('keeps an unfinished line until its end arrives', () => {
    expect(splitAll(['+EVT:RX_1:-70:8:UNI', 'CAST:1:1234']).lines).toEqual([]);
    expect(splitAll(['+EVT:RX_1:-70:8:UNI', 'CAST:1:1234\n']).lines).toEqual(['+EVT:RX_1:-70:8:UNICAST:1:1234']);
  });

  it('trims spaces around a line', () => {
    expect(splitAll(['  +EVT: SEND CONFIRMED OK \r\n']).lines).toEqual(['+EVT: SEND CONFIRMED OK']);
  });

  it('drops and counts lines with control or non-ASCII characters, salvaging noise before a line', () => {
    const { lines, dropped } = splitAll(['\u00ff\u0000Current Work Mode: LoRaWAN.\r\n', 'O\u0001K\r\n', '\u00fe\u00fd\r\n', 'AT+BAND=4\u00e9\r\nOK\r\n']);
    expect(lines).toEqual(['Current Work Mode: LoRaWAN.', 'OK']);
    expect(dropped).toBe(3);
  });

  it('drops an over-long line whole, also when it arrives in pieces, and resynchronises at the next line end', () => {
    const long = 'A'.repeat(MAX_LINE_LENGTH + 1);
    const pieces = ['x'.repeat(400), 'y'.repeat(400), 'z'.repeat(400), 'tail\r\nOK\r\n'];
    const { lines, dropped } = splitAll([long + '\r\n', ...pieces, 'B'.repeat(MAX_LINE_LENGTH) + '\n']);
    expect(lines).toEqual(['OK', 'B'.repeat(MAX_LINE_LENGTH)]);
    expect(dropped).toBe(2);
  });
});

describe('cancelTimer', () => {
  it('clears a live timer, skips a missing handle and swallows an error for a timer that already fired', () => {
    const clearTimeout = vi.fn((handle: unknown) => {
      if (handle === 'fired') throw new Error('no such timer');
    });
    const timers = { setTimeout: () => 'live', clearTimeout };
    cancelTimer(timers, 'live');
    cancelTimer(timers, undefined);
    expect(() => cancelTimer(timers, 'fired')).not.toThrow();
    expect(clearTimeout.mock.calls).toEqual([['live'], ['fired']]);
  });
});
