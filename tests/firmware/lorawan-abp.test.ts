import fc from 'fast-check';
import loraPacketModule from 'lora-packet';
import { describe, expect, it } from 'vitest';
import { aes128 } from '../../firmware/core/aes128.ts';
import { buildUplink, parseDownlink, type Downlink, type Uplink } from '../../firmware/core/lorawan-abp.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'ascii'));

// lorawan.md: lora-packet's published vectors.
const nwkSKey = hex('44024241ed4ce9a68c6a8bc055233fd3');
const appSKey = hex('ec925802ae430ca77fd3dd73cb2cc588');
const devAddr = hex('49be7df1');
const keys = { nwkSKey, appSKey };

/** lora-packet takes the 16 high counter bits as a separate little-endian 2-byte buffer. */
const fCntMsb = (fCnt: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(Math.floor(fCnt / 0x10000));
  return b;
};

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const fCnt32 = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([hi, lo]) => hi * 0x10000 + lo),
  fc.integer({ min: 0, max: 0xffff }),
  fc.constantFrom(0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffeffff, 0xffffffff),
);
const fPort = fc.oneof(fc.integer({ min: 1, max: 223 }), fc.constant(0), fc.integer({ min: 224, max: 255 }));

describe('buildUplink: published vectors', () => {
  it('FCnt 2, FPort 1, "test"', () => {
    const frame: Uplink = { devAddr, fCnt: 2, fPort: 1, payload: ascii('test') };
    expect(toHex(buildUplink(frame, keys))).toBe('40f17dbe4900020001954378762b11ff0d');
  });

  it('FCnt 4, FPort 1, a 44-byte payload over three keystream blocks', () => {
    const frame = { devAddr, fCnt: 4, fPort: 1, payload: ascii('The quick brown fox jumps over the lazy dog.') };
    expect(toHex(buildUplink(frame, keys))).toBe(
      '40f17dbe490004000155332de41a11adc072553544429ce7787707d1c316e027e7e5e334263376affb8aa17ad30075293f28dea8a20af3c5e7',
    );
  });

  it('FCnt 3, FPort 1, empty payload (listed in lorawan.md as "no FPort", but its bytes carry FPort 01)', () => {
    const frame = { devAddr, fCnt: 3, fPort: 1, payload: new Uint8Array(0) };
    expect(toHex(buildUplink(frame, keys))).toBe('40f17dbe49000300012a3518af');
  });

  it('accepts ready ciphers instead of key bytes', () => {
    const frame = { devAddr, fCnt: 2, fPort: 1, payload: ascii('test') };
    expect(toHex(buildUplink(frame, { nwkSKey: aes128(nwkSKey), appSKey: aes128(appSKey) }))).toBe(
      '40f17dbe4900020001954378762b11ff0d',
    );
  });
});

describe('buildUplink against lora-packet 0.9.3', () => {
  it('is byte-identical to fromFields and verifies and decrypts there, for 32-bit counters', () => {
    fc.assert(
      fc.property(
        fc.record({
          nwk: bytes(16),
          app: bytes(16),
          devAddr: bytes(4),
          fCnt: fCnt32,
          fPort,
          payload: fc.uint8Array({ maxLength: 242 }),
          confirmed: fc.boolean(),
          adr: fc.boolean(),
          ack: fc.boolean(),
        }),
        (c) => {
          const ours = buildUplink(c, { nwkSKey: c.nwk, appSKey: c.app });
          const msb = fCntMsb(c.fCnt);
          const N = Buffer.from(c.nwk);
          const A = Buffer.from(c.app);
          const theirs = loraPacket.fromFields(
            {
              MType: c.confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
              DevAddr: Buffer.from(c.devAddr),
              FCtrl: { ADR: c.adr, ACK: c.ack },
              FCnt: c.fCnt % 0x10000,
              FPort: c.fPort,
              payload: Buffer.from(c.payload),
            },
            A,
            N,
            undefined,
            msb,
          );
          expect(toHex(ours)).toBe(theirs.getPHYPayload()!.toString('hex'));

          const parsed = loraPacket.fromWire(Buffer.from(ours));
          expect(loraPacket.verifyMIC(parsed, N, undefined, msb)).toBe(true);
          expect(toHex(loraPacket.decrypt(parsed, A, N, msb))).toBe(toHex(c.payload));
          expect(parsed.getFCnt()).toBe(c.fCnt % 0x10000);
          expect(parsed.getFPort()).toBe(c.fPort);
          expect(parsed.getBuffers().DevAddr!.toString('hex')).toBe(toHex(c.devAddr));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fails lora-packet MIC verification with the wrong upper counter bits', () => {
    const ours = buildUplink({ devAddr, fCnt: 0x10002, fPort: 1, payload: ascii('test') }, keys);
    const parsed = loraPacket.fromWire(Buffer.from(ours));
    expect(loraPacket.verifyMIC(parsed, Buffer.from(nwkSKey), undefined, fCntMsb(0x10002))).toBe(true);
    expect(loraPacket.verifyMIC(parsed, Buffer.from(nwkSKey), undefined, fCntMsb(2))).toBe(false);
  });
});

interface DownlinkCase {
  nwk: Uint8Array;
  app: Uint8Array;
  devAddr: Uint8Array;
  fCnt: number;
  fPort: number | null;
  payload: Uint8Array;
  fOpts: Uint8Array;
  confirmed: boolean;
  ack: boolean;
  adr: boolean;
  fPending: boolean;
}

/** A downlink as the gateway bridge builds it, with lora-packet. */
function loraPacketDownlink(c: DownlinkCase): Uint8Array {
  const N = Buffer.from(c.nwk);
  const msb = fCntMsb(c.fCnt);
  const fields = {
    MType: c.confirmed ? 'Confirmed Data Down' : 'Unconfirmed Data Down',
    DevAddr: Buffer.from(c.devAddr),
    FCtrl: { ADR: c.adr, ACK: c.ack, FPending: c.fPending },
    FCnt: c.fCnt % 0x10000,
    FOpts: Buffer.from(c.fOpts),
    payload: Buffer.from(c.payload),
  };
  if (c.fPort === null) {
    // Without an FPort lora-packet skips the MIC in fromFields; it signs on request.
    const packet = loraPacket.fromFields(fields);
    loraPacket.recalculateMIC(packet, N, undefined, msb);
    return new Uint8Array(packet.getPHYPayload()!);
  }
  return new Uint8Array(
    loraPacket.fromFields({ ...fields, FPort: c.fPort }, Buffer.from(c.app), N, undefined, msb).getPHYPayload()!,
  );
}

const downlinkCase: fc.Arbitrary<DownlinkCase> = fc
  .record({
    nwk: bytes(16),
    app: bytes(16),
    devAddr: bytes(4),
    fCnt: fCnt32,
    fPort: fc.oneof(fPort, fc.constant(null)),
    payload: fc.uint8Array({ minLength: 1, maxLength: 242 }),
    fOpts: fc.uint8Array({ maxLength: 15 }),
    confirmed: fc.boolean(),
    ack: fc.boolean(),
    adr: fc.boolean(),
    fPending: fc.boolean(),
  })
  .map((c) => ({
    ...c,
    payload: c.fPort === null ? new Uint8Array(0) : c.payload,
    fOpts: c.fPort === 0 ? new Uint8Array(0) : c.fOpts,
  }));

function session(c: DownlinkCase, fCntDownExpected: number) {
  return { devAddr: c.devAddr, nwkSKey: c.nwk, appSKey: c.app, fCntDownExpected };
}

function expectDownlink(result: Downlink | string): Downlink {
  if (typeof result === 'string') throw new Error(`expected a downlink, got '${result}'`);
  return result;
}

describe('parseDownlink', () => {
  it('reads the published ACK downlink', () => {
    const down = expectDownlink(parseDownlink(hex('60f17dbe4920020001f9d65d27'), { ...keys, devAddr, fCntDownExpected: 0 }));
    expect(down).toMatchObject({ fPort: 1, fCnt: 2, ack: true, adr: false, confirmed: false, fPending: false });
    expect(down.payload.length).toBe(0);
  });

  it('verifies and decrypts every downlink lora-packet builds, reconstructing the 32-bit counter', () => {
    fc.assert(
      fc.property(downlinkCase, fc.integer({ min: 0, max: 0xffff }), (c, behind) => {
        const expected = Math.max(0, c.fCnt - behind);
        const down = expectDownlink(parseDownlink(loraPacketDownlink(c), session(c, expected)));
        expect(down.fCnt).toBe(c.fCnt);
        expect(down.fPort).toBe(c.fPort);
        expect(toHex(down.payload)).toBe(toHex(c.payload));
        expect(toHex(down.fOpts)).toBe(toHex(c.fOpts));
        expect([down.confirmed, down.ack, down.adr, down.fPending]).toEqual([c.confirmed, c.ack, c.adr, c.fPending]);
      }),
      { numRuns: 200 },
    );
  });

  it("answers 'replay' for an authentic frame whose counter is already used", () => {
    fc.assert(
      fc.property(downlinkCase, fc.integer({ min: 1, max: 0x10000 }), (c, ahead) => {
        fc.pre(c.fCnt + ahead <= 0xffffffff);
        expect(parseDownlink(loraPacketDownlink(c), session(c, c.fCnt + ahead))).toBe('replay');
      }),
      { numRuns: 100 },
    );
  });

  it("answers 'mic' for a changed byte or the wrong key, 'devaddr' for another device", () => {
    fc.assert(
      fc.property(downlinkCase, fc.nat(), fc.integer({ min: 1, max: 255 }), (c, at, flip) => {
        const frame = loraPacketDownlink(c);
        const changed = frame.slice();
        const index = 8 + (at % (frame.length - 8)); // after the header: FOpts, FPort, payload or MIC
        changed[index] = changed[index]! ^ flip;
        // An FPort turned into 0 beside FOpts is malformed before it is inauthentic.
        const nowPort0WithFOpts = c.fOpts.length > 0 && c.fPort !== null && index === 8 + c.fOpts.length && changed[index] === 0;
        expect(parseDownlink(changed, session(c, c.fCnt))).toBe(nowPort0WithFOpts ? 'format' : 'mic');
        const otherKey = c.nwk.slice();
        otherKey[0] = otherKey[0]! ^ flip;
        expect(parseDownlink(frame, { ...session(c, c.fCnt), nwkSKey: otherKey })).toBe('mic');
        const otherAddr = c.devAddr.slice();
        otherAddr[at % 4] = otherAddr[at % 4]! ^ flip;
        expect(parseDownlink(frame, { ...session(c, c.fCnt), devAddr: otherAddr })).toBe('devaddr');
      }),
      { numRuns: 100 },
    );
  });

  it("answers 'format' for what is not a LoRaWAN 1.0 data downlink", () => {
    const s = { ...keys, devAddr, fCntDownExpected: 0 };
    const ack = hex('60f17dbe4920020001f9d65d27');
    expect(parseDownlink(ack.subarray(0, 11), s)).toBe('format');
    expect(parseDownlink(buildUplink({ devAddr, fCnt: 2, fPort: 1, payload: ascii('test') }, keys), s)).toBe('format');
    const major1 = ack.slice();
    major1[0] = 0x61;
    expect(parseDownlink(major1, s)).toBe('format');
    const longFOpts = ack.slice();
    longFOpts[5] = 0x22; // FOptsLen 2, but only the FPort byte follows the header
    expect(parseDownlink(longFOpts, s)).toBe('format');
    const port0WithFOpts = loraPacketDownlink({
      nwk: nwkSKey, app: appSKey, devAddr, fCnt: 5, fPort: 0, payload: hex('02'), fOpts: hex('0203'),
      confirmed: false, ack: false, adr: false, fPending: false,
    });
    expect(parseDownlink(port0WithFOpts, s)).toBe('format');
  });

  it('rolls the counter over into the next 65,536-block', () => {
    const c: DownlinkCase = {
      nwk: nwkSKey, app: appSKey, devAddr, fCnt: 0x20005, fPort: 2, payload: hex('0102'), fOpts: new Uint8Array(0),
      confirmed: true, ack: false, adr: false, fPending: false,
    };
    expect(expectDownlink(parseDownlink(loraPacketDownlink(c), session(c, 0x1fff0))).fCnt).toBe(0x20005);
    expect(expectDownlink(parseDownlink(loraPacketDownlink(c), session(c, 0x20005))).fCnt).toBe(0x20005);
    // Believing the session is one block behind, the reconstruction misses and the MIC fails.
    expect(parseDownlink(loraPacketDownlink(c), session(c, 0x00006))).toBe('mic');
  });
});
