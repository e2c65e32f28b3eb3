import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../gateway-bridge/src/inputs/serial/line-framer.ts';

describe('LineFramer', () => {
  it('ends lines at \\r\\n, \\n or \\r and skips empty lines', () => {
    const framer = new LineFramer();
    const texts = framer.push('OK\r\n\r\nAT+NWM=0\nP2P_RX_ON\rpart').map((l) => l.text);
    expect(texts).toEqual(['OK', 'AT+NWM=0', 'P2P_RX_ON']);
    expect(framer.pending).toBe(4);
    expect(framer.push('ial\r\n')).toEqual([{ text: 'partial', length: 7, overlong: false, partial: false }]);
  });

  it('keeps at most maxLength characters of an overlong line and reports its real length', () => {
    const framer = new LineFramer(10);
    expect(framer.push('x'.repeat(5000))).toEqual([]);
    expect(framer.pending).toBe(5000);
    const [line] = framer.push('y'.repeat(5000) + '\r\nOK\r\n');
    expect(line).toEqual({ text: 'x'.repeat(10), length: 10_000, overlong: true, partial: false });
    expect(framer.push('')).toEqual([]);
  });

  it('hands out the unfinished line on flush', () => {
    const framer = new LineFramer();
    framer.push('OK\r\n+EVT:RXP2P:-60:7:AB');
    expect(framer.flush()).toEqual({ text: '+EVT:RXP2P:-60:7:AB', length: 19, overlong: false, partial: true });
    expect(framer.flush()).toBeUndefined();
  });

  it('gives the same lines however the stream is split into chunks', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'B', '1', ':', '\r', '\n', '\u0000', '\u00ff'), maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 10 }), (text, cuts) => {
        const whole = new LineFramer(40);
        const expected = [...whole.push(text), whole.flush()];
        const pieces = new LineFramer(40);
        const got = [];
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          got.push(...pieces.push(text.slice(at, Math.max(at, cut))));
          at = Math.max(at, cut);
        }
        got.push(...pieces.push(text.slice(at)), pieces.flush());
        expect(got).toEqual(expected);
        for (const line of got) if (line) expect(line.text.length).toBeLessThanOrEqual(40);
      }),
    );
  });
});
