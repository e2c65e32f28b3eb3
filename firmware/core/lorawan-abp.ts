/**
 * LoRaWAN 1.0.x data frames for an ABP session, built and checked by the node itself (P2P mode, where no
 * modem stack does it). Output is byte-identical to lora-packet 0.9.3, which the gateway bridge uses.
 *
 * PHYPayload = MHDR | DevAddr (LE) | FCtrl | FCnt (16 low bits, LE) | FOpts | FPort | FRMPayload | MIC.
 * The full 32-bit counter enters the keystream blocks A_i and the MIC block B0.
 */
import { aes128, type BlockCipher } from './aes128.ts';
import { aesCmac } from './cmac.ts';

/** A 16-byte session key, or a ready cipher for it (a cached one, or the board's built-in AES). */
export type SessionKey = Uint8Array | BlockCipher;

export interface SessionKeys {
  nwkSKey: SessionKey;
  appSKey: SessionKey;
}

export interface Uplink {
  /** 4 bytes, most significant first (as AT+DEVADDR and lora-packet write it). */
  devAddr: Uint8Array;
  /** The full 32-bit uplink counter; 0 <= fCnt <= 0xFFFFFFFF. */
  fCnt: number;
  /** 0 (MAC commands, encrypted with NwkSKey) .. 255. */
  fPort: number;
  /** FRMPayload plaintext, at most 242 bytes. */
  payload: Uint8Array;
  confirmed?: boolean;
  adr?: boolean;
  /** Acknowledges a confirmed downlink. */
  ack?: boolean;
}

export interface DownlinkSession extends SessionKeys {
  devAddr: Uint8Array;
  /** The lowest downlink counter still acceptable: the last accepted one + 1 (0 in a new session). */
  fCntDownExpected: number;
}

export interface Downlink {
  /** null when the frame has no FPort (and so no payload), e.g. a bare ACK. */
  fPort: number | null;
  /** Decrypted FRMPayload. */
  payload: Uint8Array;
  /** MAC commands piggybacked in FOpts (plaintext in LoRaWAN 1.0.x). */
  fOpts: Uint8Array;
  /** The reconstructed 32-bit downlink counter: store fCnt + 1 as the next fCntDownExpected. */
  fCnt: number;
  /** A confirmed downlink: set `ack` on the next uplink. */
  confirmed: boolean;
  ack: boolean;
  adr: boolean;
  fPending: boolean;
}

/** format: not a LoRaWAN 1.0 data downlink; devaddr: for another device; mic: wrong keys or corrupted;
 * replay: authentic, but its counter is below fCntDownExpected. */
export type DownlinkError = 'format' | 'devaddr' | 'mic' | 'replay';

const UPLINK = 0;
const DOWNLINK = 1;
const MAX_FCNT = 0xffffffff;

function cipherOf(key: SessionKey): BlockCipher {
  return typeof key === 'function' ? key : aes128(key);
}

/** The 16-byte A_i / B0 block: first byte, direction, DevAddr (LE), 32-bit FCnt (LE), last byte. */
function frameBlock(first: number, dir: number, devAddr: Uint8Array, fCnt: number, last: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = first;
  b[5] = dir;
  let count = fCnt;
  for (let i = 0; i < 4; i++) {
    b[6 + i] = devAddr[3 - i]!;
    // Arithmetic, not bit operators: counters >= 2^31 must not pass through a signed 32-bit integer.
    b[10 + i] = count % 256;
    count = Math.floor(count / 256);
  }
  b[15] = last;
  return b;
}

/** FRMPayload en- and decryption: XOR with AES(key, A_i), i = 1, 2, ... */
function cryptPayload(cipher: BlockCipher, dir: number, devAddr: Uint8Array, fCnt: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  let stream: Uint8Array = new Uint8Array(16);
  for (let i = 0; i < data.length; i++) {
    if (i % 16 === 0) stream = cipher(frameBlock(0x01, dir, devAddr, fCnt, i / 16 + 1));
    out[i] = data[i]! ^ stream[i % 16]!;
  }
  return out;
}

/** The 4-byte MIC: CMAC(NwkSKey, B0 | MHDR | MACPayload). */
function mic(cipher: BlockCipher, dir: number, devAddr: Uint8Array, fCnt: number, msg: Uint8Array): Uint8Array {
  const input = new Uint8Array(16 + msg.length);
  input.set(frameBlock(0x49, dir, devAddr, fCnt, msg.length));
  input.set(msg, 16);
  return aesCmac(cipher, input).subarray(0, 4);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The PHYPayload of an (un)confirmed data uplink, encrypted and signed. */
export function buildUplink(frame: Uplink, keys: SessionKeys): Uint8Array {
  const nwk = cipherOf(keys.nwkSKey);
  const n = frame.payload.length;
  const out = new Uint8Array(13 + n);
  out[0] = frame.confirmed ? 0x80 : 0x40;
  for (let i = 0; i < 4; i++) out[1 + i] = frame.devAddr[3 - i]!;
  out[5] = (frame.adr ? 0x80 : 0) | (frame.ack ? 0x20 : 0);
  out[6] = frame.fCnt % 256;
  out[7] = Math.floor(frame.fCnt / 256) % 256;
  out[8] = frame.fPort;
  const key = frame.fPort === 0 ? nwk : cipherOf(keys.appSKey);
  out.set(cryptPayload(key, UPLINK, frame.devAddr, frame.fCnt, frame.payload), 9);
  out.set(mic(nwk, UPLINK, frame.devAddr, frame.fCnt, out.subarray(0, 9 + n)), 9 + n);
  return out;
}

/**
 * Checks and decrypts a data downlink for this session. The frame carries only the 16 low bits of the
 * counter; the 32-bit value is the smallest one >= fCntDownExpected with those bits. A frame whose MIC
 * only fits the previous 65,536-block is an authentic old frame: 'replay'.
 */
export function parseDownlink(bytes: Uint8Array, session: DownlinkSession): Downlink | DownlinkError {
  const len = bytes.length;
  if (len < 12) return 'format';
  const mhdr = bytes[0]!;
  const mType = mhdr >> 5;
  if ((mType !== 3 && mType !== 5) || (mhdr & 3) !== 0) return 'format';
  const fCtrl = bytes[5]!;
  const fOptsEnd = 8 + (fCtrl & 0x0f);
  const micStart = len - 4;
  if (fOptsEnd > micStart) return 'format';
  const fPort = fOptsEnd < micStart ? bytes[fOptsEnd]! : null;
  // MAC commands go either in FOpts or in an FPort 0 payload, never both.
  if (fPort === 0 && fOptsEnd > 8) return 'format';
  for (let i = 0; i < 4; i++) if (bytes[1 + i] !== session.devAddr[3 - i]) return 'devaddr';

  const nwk = cipherOf(session.nwkSKey);
  const expected = session.fCntDownExpected;
  let fCnt = expected - (expected % 0x10000) + (bytes[6]! | (bytes[7]! << 8));
  if (fCnt < expected) fCnt += 0x10000;
  const msg = bytes.subarray(0, micStart);
  const received = bytes.subarray(micStart);
  const authentic = (count: number): boolean => sameBytes(mic(nwk, DOWNLINK, session.devAddr, count, msg), received);
  if (fCnt > MAX_FCNT || !authentic(fCnt)) {
    return fCnt >= 0x10000 && authentic(fCnt - 0x10000) ? 'replay' : 'mic';
  }

  let payload: Uint8Array = new Uint8Array(0);
  if (fPort !== null) {
    const key = fPort === 0 ? nwk : cipherOf(session.appSKey);
    payload = cryptPayload(key, DOWNLINK, session.devAddr, fCnt, bytes.subarray(fOptsEnd + 1, micStart));
  }
  return {
    fPort: fPort,
    payload: payload,
    fOpts: bytes.slice(8, fOptsEnd),
    fCnt: fCnt,
    confirmed: mType === 5,
    ack: (fCtrl & 0x20) !== 0,
    adr: (fCtrl & 0x80) !== 0,
    fPending: (fCtrl & 0x10) !== 0,
  };
}
