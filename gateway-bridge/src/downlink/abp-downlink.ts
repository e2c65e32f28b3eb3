/**
 * ABP downlink frames for P2P nodes, built with lora-packet exactly as a network server would: the application
 * payload encrypted with the AppSKey, the MIC over the 32-bit downlink counter with the NwkSKey. An uplink that
 * asked for confirmation gets the ACK bit, with or without a payload.
 */
import loraPacketModule from 'lora-packet';
import { fCntMsbBytes as counterMsb } from '../lorawan/frame-counter.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;

export interface DownlinkFrameInput {
  /** 8 hex digits. */
  devAddr: string;
  nwkSKey: string;
  appSKey: string;
  /** 32-bit downlink counter. */
  fCnt: number;
  /** Absent for an empty ACK. */
  port?: number;
  payload?: Uint8Array;
  ack: boolean;
}


/**
 * A bare ACK has no FPort (LoRaWAN 1.0.x 4.3.1: the FPort is present only with a payload); lora-packet's
 * fromFields always writes one, so this frame is laid out here and only its MIC is computed by lora-packet.
 */
function bareAck(input: DownlinkFrameInput): Uint8Array {
  const frame = Buffer.alloc(12);
  frame[0] = 0x60; // Unconfirmed Data Down, LoRaWAN R1
  Buffer.from(input.devAddr, 'hex').reverse().copy(frame, 1);
  frame[5] = 0x20; // ACK
  frame.writeUInt16LE(input.fCnt % 0x10000, 6);
  const packet = loraPacket.fromWire(frame);
  loraPacket.recalculateMIC(packet, Buffer.from(input.nwkSKey, 'hex'), undefined, counterMsb(input.fCnt));
  return new Uint8Array(packet.getPHYPayload()!);
}

export function buildAbpDownlink(input: DownlinkFrameInput): Uint8Array {
  if (input.port === undefined) {
    if (!input.ack) throw new Error('a downlink without FPort carries nothing but an ACK');
    return bareAck(input);
  }
  if (input.port < 1 || input.port > 223) throw new Error(`downlink FPort ${input.port}: 1..223`);
  const packet = loraPacket.fromFields(
    {
      MType: 'Unconfirmed Data Down',
      DevAddr: Buffer.from(input.devAddr, 'hex'),
      FCtrl: { ADR: false, ACK: input.ack, FPending: false },
      FCnt: input.fCnt % 0x10000,
      FPort: input.port,
      payload: Buffer.from(input.payload ?? new Uint8Array(0)),
    },
    Buffer.from(input.appSKey, 'hex'),
    Buffer.from(input.nwkSKey, 'hex'),
    undefined,
    counterMsb(input.fCnt),
  );
  return new Uint8Array(packet.getPHYPayload()!);
}
