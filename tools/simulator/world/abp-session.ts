/**
 * The network-server side of an ABP session, as the gateway bridge does it in P2P mode, with lora-packet: check an
 * uplink's DevAddr and MIC, rebuild its 32-bit frame counter from the 16 bits on the air, reject replays, decrypt the
 * payload; and build downlinks with the session's own counter.
 */
import loraPacketModule from 'lora-packet';
import { fCntMsbBytes as counterMsb } from '../../../gateway-bridge/src/lorawan/frame-counter.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;

export interface AbpKeys {
  /** 8 hex digits, most significant byte first. */
  devAddr: string;
  nwkSKey: string;
  appSKey: string;
}

export type UplinkRejection = 'not a data uplink' | 'unknown DevAddr' | 'MIC mismatch' | 'repeated FCnt';

export interface OpenedUplink {
  devAddr: string;
  /** The 32-bit counter (or the 16 bits on the air when the MIC did not verify). */
  fCnt: number;
  fPort: number | undefined;
  micOk: boolean;
  /** The decrypted FRMPayload (empty for a rejected frame). */
  payload: Uint8Array;
  rejected?: UplinkRejection;
}

const UPLINK_TYPES = ['Unconfirmed Data Up', 'Confirmed Data Up'];

export class AbpSession {
  private readonly nwkSKey: Buffer;
  private readonly appSKey: Buffer;
  readonly devAddr: string;
  /** The last accepted uplink counter; -1 before the first. */
  lastFCntUp = -1;
  /** The counter of the next downlink. */
  fCntDown = 0;

  constructor(keys: AbpKeys) {
    this.devAddr = keys.devAddr.toUpperCase();
    this.nwkSKey = Buffer.from(keys.nwkSKey, 'hex');
    this.appSKey = Buffer.from(keys.appSKey, 'hex');
  }

  /** Verifies and decrypts one PHYPayload; an accepted frame advances the session's counter. */
  openUplink(phyPayload: Uint8Array): OpenedUplink {
    let packet: ReturnType<typeof loraPacket.fromWire>;
    try {
      packet = loraPacket.fromWire(Buffer.from(phyPayload));
    } catch {
      return { devAddr: '', fCnt: 0, fPort: undefined, micOk: false, payload: new Uint8Array(0), rejected: 'not a data uplink' };
    }
    const fCnt16 = packet.getFCnt();
    if (!UPLINK_TYPES.includes(packet.getMType()) || fCnt16 === null || !packet.DevAddr) {
      return { devAddr: '', fCnt: 0, fPort: undefined, micOk: false, payload: new Uint8Array(0), rejected: 'not a data uplink' };
    }
    const devAddr = packet.DevAddr.toString('hex').toUpperCase();
    const fPort = packet.getFPort() ?? undefined;
    const rejected = (reason: UplinkRejection, fCnt: number, micOk: boolean): OpenedUplink => ({
      devAddr,
      fCnt,
      fPort,
      micOk,
      payload: new Uint8Array(0),
      rejected: reason,
    });
    if (devAddr !== this.devAddr) return rejected('unknown DevAddr', fCnt16, false);

    // The smallest counter above the last one with these low bits; else the same upper bits (a replay).
    const last = this.lastFCntUp;
    const upper = last < 0 ? 0 : last - (last % 0x10000);
    let next = upper + fCnt16;
    if (next <= last) next += 0x10000;
    if (!loraPacket.verifyMIC(packet, this.nwkSKey, undefined, counterMsb(next))) {
      const replayed = upper + fCnt16;
      if (replayed <= last && loraPacket.verifyMIC(packet, this.nwkSKey, undefined, counterMsb(replayed))) {
        return rejected('repeated FCnt', replayed, true);
      }
      return rejected('MIC mismatch', fCnt16, false);
    }
    this.lastFCntUp = next;
    const payload =
      packet.FRMPayload && packet.FRMPayload.length > 0
        ? new Uint8Array(loraPacket.decrypt(packet, this.appSKey, this.nwkSKey, counterMsb(next)))
        : new Uint8Array(0);
    return { devAddr, fCnt: next, fPort, micOk: true, payload };
  }

  /** An unconfirmed downlink to this device on `port`, encrypted and signed; uses the next downlink counter. */
  buildDownlink(port: number, payload: Uint8Array): { fCnt: number; phyPayload: Uint8Array } {
    const fCnt = this.fCntDown++;
    const packet = loraPacket.fromFields(
      {
        MType: 'Unconfirmed Data Down',
        DevAddr: Buffer.from(this.devAddr, 'hex'),
        FCtrl: { ADR: false, ACK: false, FPending: false },
        FCnt: fCnt % 0x10000,
        FPort: port,
        payload: Buffer.from(payload),
      },
      this.appSKey,
      this.nwkSKey,
      undefined,
      counterMsb(fCnt),
    );
    return { fCnt, phyPayload: new Uint8Array(packet.getPHYPayload()!) };
  }
}
