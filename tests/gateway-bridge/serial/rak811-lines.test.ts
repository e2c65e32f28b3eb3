import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModuleLine } from '../../../gateway-bridge/src/inputs/serial/module-lines.ts';
import { describeRak811Status, Rak811LineParser } from '../../../gateway-bridge/src/inputs/serial/rak811-lines.ts';

function only(line: string): ModuleLine {
  const out = new Rak811LineParser().parse(line);
  expect(out).toHaveLength(1);
  return out[0]!;
}

function rejection(item: ModuleLine): { reason: string; detail: string } {
  if (item.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(item)}`);
  return item.rejection;
}

describe('RAK811 lines', () => {
  it('reads a P2P receive line and checks its length field', () => {
    expect(only('at+recv=-65,6,4:deadBEEF')).toEqual({ kind: 'packet', packet: { bytes: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), rssi: -65, snr: 6 } });
    expect(only('at+recv=-105,-12,1:00')).toMatchObject({ kind: 'packet', packet: { rssi: -105, snr: -12 } });
  });

  it.each([
    ['at+recv=-65,6,5:deadbeef', 'hex-invalid', 'length field says 5 bytes, the hex holds 4'],
    ['at+recv=-65,6,4:deadbee', 'hex-invalid', 'odd number of hex digits'],
    ['at+recv=-65,6,2:zz00', 'hex-invalid', 'non-hex character'],
    ['at+recv=-65,6,0', 'hex-invalid', 'no payload'],
    ['at+recv=1,-65,6,2:4865', 'line-garbage', 'LoRaWAN downlink'],
    ['at+recv=-65,6:4865', 'line-garbage', '2 fields'],
    ['at+recv=-65,x,2:4865', 'line-garbage', 'SNR is not an integer'],
    ['at+recv=-65,6,two:4865', 'line-garbage', 'length is not a number'],
    ['65,6,4:deadbeef', 'line-garbage', 'tail of an at+recv line'],
    ['cv=-65,6,4:deadbeef', 'line-garbage', 'tail of an at+recv line'],
    ['adbeef', 'line-garbage', 'tail of an at+recv line'],
  ])('rejects %j as %s', (line, reason, detail) => {
    const r = rejection(only(line));
    expect(r.reason).toBe(reason);
    expect(r.detail).toContain(detail);
  });

  it('classifies statuses, with the meaning of error codes', () => {
    expect(only('OK')).toEqual({ kind: 'status', ok: true, text: 'OK' });
    expect(only('OK V3.0.0.14.H')).toMatchObject({ kind: 'status', ok: true });
    expect(only('Initialization OK')).toMatchObject({ kind: 'status', ok: true });
    expect(only('ERROR: 80')).toEqual({ kind: 'status', ok: false, text: 'ERROR: 80' });
    expect(describeRak811Status('ERROR: 80')).toBe('ERROR: 80 (LoRa busy)');
    expect(describeRak811Status('ERROR:2')).toBe('ERROR:2 (invalid parameter)');
    expect(describeRak811Status('ERROR: 4242')).toBe('ERROR: 4242');
  });

  it('passes information lines as text', () => {
    for (const line of ['RAK811 Version:3.0.0.14.H', 'UART1 work mode: RUI_UART_NORMAL, 115200, N81', 'Current work_mode:P2P']) {
      expect(only(line)).toEqual({ kind: 'text', text: line });
    }
  });

  it('reads the boot banner\'s work-mode line as a restart, so the bridge sets the module up again', () => {
    expect(only('LoRa work mode: P2P')).toEqual({ kind: 'banner', p2p: true, text: 'LoRa work mode: P2P' });
    const lorawan = 'LoRa work mode:LoRaWAN, join_mode:ABP, MulticastEnable: false.';
    expect(only(lorawan)).toEqual({ kind: 'banner', p2p: false, text: lorawan });
  });

  it('rejects non-printable and overlong lines', () => {
    expect(rejection(only('at+recv=-65,6,1:\u00ff0'))).toMatchObject({ reason: 'line-garbage' });
    expect(rejection(only('x'.repeat(601)))).toMatchObject({ reason: 'line-too-long' });
  });

  it('never throws on random input, and reads back every packet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const parser = new Rak811LineParser();
        const out = parser.parse(Buffer.from(bytes).toString('latin1'));
        expect(out.length).toBe(1);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 255 }), fc.integer({ min: -150, max: 0 }), fc.integer({ min: -20, max: 15 }), (bytes, rssi, snr) => {
        const line = `at+recv=${rssi},${snr},${bytes.length}:${Buffer.from(bytes).toString('hex')}`;
        expect(only(line)).toEqual({ kind: 'packet', packet: { bytes: Uint8Array.from(bytes), rssi, snr } });
      }),
    );
  });
});
