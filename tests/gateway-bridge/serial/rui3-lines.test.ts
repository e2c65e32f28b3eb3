import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_LENGTH, type ModuleLine } from '../../../gateway-bridge/src/inputs/serial/module-lines.ts';
import { Rui3LineParser } from '../../../gateway-bridge/src/inputs/serial/rui3-lines.ts';

const hex = (bytes: number[]): string => Buffer.from(bytes).toString('hex').toUpperCase();

function parseAll(...lines: string[]): ModuleLine[] {
  const parser = new Rui3LineParser();
  return lines.flatMap((l) => parser.parse(l));
}

function only(line: string): ModuleLine {
  const out = parseAll(line);
  expect(out).toHaveLength(1);
  return out[0]!;
}

function rejection(item: ModuleLine): { reason: string; detail: string } {
  if (item.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(item)}`);
  return item.rejection;
}

describe('RUI3 receive lines', () => {
  it('reads the one-line form with RSSI, SNR and the bytes', () => {
    const item = only('+EVT:RXP2P:-30:13:1234ABCD');
    expect(item).toEqual({ kind: 'packet', packet: { bytes: Uint8Array.from([0x12, 0x34, 0xab, 0xcd]), rssi: -30, snr: 13 } });
  });

  it('accepts lower-case hex and negative SNR', () => {
    const item = only('+EVT:RXP2P:-118:-9:0aff');
    expect(item.kind === 'packet' && item.packet).toEqual({ bytes: Uint8Array.from([0x0a, 0xff]), rssi: -118, snr: -9 });
  });

  it('reads the longest packet a module can print (255 bytes, 531 characters)', () => {
    const bytes = Array.from({ length: 255 }, (_, i) => i);
    const line = `+EVT:RXP2P:-120:-20:${hex(bytes)}`;
    expect(line.length).toBeLessThanOrEqual(MAX_LINE_LENGTH);
    const item = only(line);
    expect(item.kind === 'packet' && Array.from(item.packet.bytes)).toEqual(bytes);
  });

  it('pairs the two-line form of older firmware', () => {
    const out = parseAll('+EVT:RXP2P, RSSI -60, SNR 11', '+EVT:AABBCCDD');
    expect(out).toEqual([{ kind: 'packet', packet: { bytes: Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]), rssi: -60, snr: 11 } }]);
  });

  it('rejects the two-line form with odd hex as hex-invalid', () => {
    const out = parseAll('+EVT:RXP2P, RSSI -60, SNR 11', '+EVT:AABBC');
    expect(out).toHaveLength(1);
    expect(rejection(out[0]!).reason).toBe('hex-invalid');
    expect(rejection(out[0]!).detail).toContain('odd number of hex digits (5)');
  });

  it('counts a header whose data line never came, and still reads the next line', () => {
    const out = parseAll('+EVT:RXP2P, RSSI -60, SNR 11', 'OK');
    expect(out.map((o) => o.kind)).toEqual(['rejected', 'status']);
    expect(rejection(out[0]!).detail).toContain('without its data line');
  });

  it('does not pair a data line with a header two lines back', () => {
    const out = parseAll('+EVT:RXP2P, RSSI -60, SNR 11', 'P2P_RX_ON', '+EVT:AABB');
    expect(out.map((o) => o.kind)).toEqual(['rejected', 'text', 'rejected']);
    expect(rejection(out[2]!).detail).toContain('without its header');
  });

  it('keeps the newer of two headers in a row', () => {
    const out = parseAll('+EVT:RXP2P, RSSI -60, SNR 11', '+EVT:RXP2P, RSSI -70, SNR 5', '+EVT:0102');
    expect(out.map((o) => o.kind)).toEqual(['rejected', 'packet']);
    expect(out[1]).toEqual({ kind: 'packet', packet: { bytes: Uint8Array.from([1, 2]), rssi: -70, snr: 5 } });
  });

  it('rejects a data line whose header was cut off (e.g. by a reopen)', () => {
    expect(rejection(only('+EVT:AABBCCDD'))).toMatchObject({ reason: 'line-garbage' });
  });

  it('flush() rejects a header left waiting when the port closes', () => {
    const parser = new Rui3LineParser();
    expect(parser.parse('+EVT:RXP2P, RSSI -60, SNR 11')).toEqual([]);
    const out = parser.flush();
    expect(out).toHaveLength(1);
    expect(rejection(out[0]!).detail).toContain('the port closed');
    expect(parser.flush()).toEqual([]);
  });

  it.each([
    ['+EVT:RXP2P:-60:7:ABC', 'hex-invalid', 'odd number of hex digits (3)'],
    ['+EVT:RXP2P:-60:7:ABXD', 'hex-invalid', 'non-hex character "X" at position 3'],
    ['+EVT:RXP2P:-60:7:', 'hex-invalid', 'no payload'],
    ['+EVT:RXP2P:-60:ABCD', 'line-garbage', '2 fields'],
    ['+EVT:RXP2P:-6x:7:ABCD', 'line-garbage', 'RSSI is not an integer'],
    ['+EVT:RXP2P:-60:seven:ABCD', 'line-garbage', 'SNR is not an integer'],
    ['+EVT:RXP2P, RSSI loud, SNR 11', 'line-garbage', 'malformed RXP2P header'],
  ])('rejects %j as %s', (line, reason, detail) => {
    const r = rejection(only(line));
    expect(r.reason).toBe(reason);
    expect(r.detail).toContain(detail);
  });
});

describe('RUI3 statuses, events, banners and text', () => {
  it('classifies statuses', () => {
    expect(only('OK')).toEqual({ kind: 'status', ok: true, text: 'OK' });
    expect(only('AT_BUSY_ERROR')).toEqual({ kind: 'status', ok: false, text: 'AT_BUSY_ERROR' });
    expect(only('AT_PARAM_ERROR')).toMatchObject({ kind: 'status', ok: false });
  });

  it('classifies P2P events', () => {
    expect(only('+EVT:TXP2P DONE')).toMatchObject({ kind: 'event', event: 'tx-done' });
    expect(only('+EVT:RXP2P RECEIVE ERROR')).toMatchObject({ kind: 'event', event: 'receive-error' });
    expect(only('+EVT:RXP2P RECEIVE TIMEOUT')).toMatchObject({ kind: 'event', event: 'receive-timeout' });
    expect(only('+EVT:JOINED')).toMatchObject({ kind: 'event', event: 'other' });
  });

  it('reads the boot banner and its work mode', () => {
    expect(only('Current Work Mode: LoRa P2P.')).toMatchObject({ kind: 'banner', p2p: true });
    expect(only('Current Work Mode: LoRaWAN.')).toMatchObject({ kind: 'banner', p2p: false });
  });

  it('passes replies and notices as text', () => {
    for (const line of ['AT+NWM=0', 'AT+P2P=868100000:9:125:0:8:14', 'P2P_RX_ON', 'P2P_RX_ON already, please disable P2P RX before setting.', 'Restricted_Wait_2000_ms', 'RAKwireless RAK3172-E Example', '------']) {
      expect(only(line), line).toEqual({ kind: 'text', text: line });
    }
  });

  it('rejects noise, non-printable bytes and overlong lines', () => {
    expect(rejection(only('P:-60:11:ABCD'))).toMatchObject({ reason: 'line-garbage' });
    const bad = rejection(only('+EVT:RXP2P:-60:7:AB\u0000CD'));
    expect(bad).toMatchObject({ reason: 'line-garbage' });
    expect(bad.detail).toContain('0x00 at column 20');
    const long = rejection(only('+EVT:RXP2P:-60:7:' + 'AB'.repeat(400)));
    expect(long.reason).toBe('line-too-long');
    expect(long.detail).toContain('817 characters');
  });
});

describe('RUI3 lines under fuzzing', () => {
  const items = (out: ModuleLine[]): void => {
    for (const item of out) {
      expect(['packet', 'rejected', 'status', 'event', 'banner', 'text']).toContain(item.kind);
      if (item.kind === 'rejected') {
        expect(['line-garbage', 'line-too-long', 'hex-invalid']).toContain(item.rejection.reason);
        expect(item.rejection.detail.length).toBeGreaterThan(0);
        // details are printable: they go into logs and MQTT
        expect(item.rejection.detail).toMatch(/^[\x20-\x7e]*$/);
      }
    }
  };

  it('never throws on random bytes (read as latin1, as the framer does)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 6 }), (chunks) => {
        const parser = new Rui3LineParser();
        for (const c of chunks) items(parser.parse(Buffer.from(c).toString('latin1')));
        items(parser.flush());
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on near-miss lines built from the real vocabulary', () => {
    const piece = fc.constantFrom('+EVT:', 'RXP2P', ':', ',', ' RSSI ', ' SNR ', '-', '60', 'AB', 'C', 'OK', 'AT_', 'Current Work Mode', '\u0000', 'TXP2P DONE');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 10 }).map((p) => p.join('')), { maxLength: 8 }), (lines) => {
        const parser = new Rui3LineParser();
        for (const l of lines) items(parser.parse(l));
        items(parser.flush());
      }),
      { numRuns: 1000 },
    );
  });

  it('reads back every packet a module can print, in both forms', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        fc.integer({ min: -150, max: 0 }),
        fc.integer({ min: -20, max: 13 }),
        fc.boolean(),
        (bytes, rssi, snr, legacy) => {
          const h = Buffer.from(bytes).toString('hex').toUpperCase();
          const lines = legacy ? [`+EVT:RXP2P, RSSI ${rssi}, SNR ${snr}`, `+EVT:${h}`] : [`+EVT:RXP2P:${rssi}:${snr}:${h}`];
          expect(parseAll(...lines)).toEqual([{ kind: 'packet', packet: { bytes: Uint8Array.from(bytes), rssi, snr } }]);
        },
      ),
    );
  });
});
