/**
 * Simulated nodes for the demo and the bridge's tests: each builds real LoRaWAN 1.0 ABP uplinks (lora-packet,
 * the reference the firmware is tested against) from catalog messages encoded by payload-schema, with its own
 * persistent 32-bit frame counter, and hands them to whatever plays the radio (a simulated RAK module on a
 * pseudo-terminal).
 */
import loraPacketModule from 'lora-packet';
import { fCntMsbBytes } from '../../gateway-bridge/src/lorawan/frame-counter.ts';
import { encode } from '../../payload-schema/src/codec.ts';
import type { DemoDevice } from './demo-devices.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;

export interface AbpUplinkInput {
  devAddr: string;
  nwkSKey: string;
  appSKey: string;
  fCnt: number;
  port: number;
  payload: Uint8Array;
  confirmed?: boolean;
}

export function buildAbpUplink(input: AbpUplinkInput): Uint8Array {
  const packet = loraPacket.fromFields(
    {
      MType: input.confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
      DevAddr: Buffer.from(input.devAddr, 'hex'),
      FCtrl: { ADR: false, ACK: false, ADRACKReq: false, FPending: false },
      FCnt: input.fCnt % 0x10000,
      FPort: input.port,
      payload: Buffer.from(input.payload),
    },
    Buffer.from(input.appSKey, 'hex'),
    Buffer.from(input.nwkSKey, 'hex'),
    fCntMsbBytes(input.fCnt),
  );
  return new Uint8Array(packet.getPHYPayload()!);
}

export interface DemoUplink {
  device: DemoDevice;
  fCnt: number;
  port: number;
  phyPayload: Uint8Array;
  rssi: number;
  snr: number;
}

/** Log-distance path loss at 868 MHz, 14 dBm, as the simulator's medium does it, plus a little fading. */
function signalAt(distanceM: number, random: () => number): { rssi: number; snr: number } {
  const pathLoss = 40 + 27 * Math.log10(Math.max(distanceM, 1));
  const rssi = Math.round(14 - pathLoss + (random() - 0.5) * 6);
  const snr = Math.max(-20, Math.min(13, Math.round((rssi + 120) / 4 + (random() - 0.5) * 3)));
  return { rssi, snr };
}

/** A node that sends its readings in turn, round and round, with a counter that only ever counts up. */
export class DemoNode {
  private next = 0;
  fCnt = 0;

  constructor(
    readonly device: DemoDevice,
    private readonly random: () => number,
  ) {}

  nextUplink(): DemoUplink {
    const reading = this.device.readings[this.next % this.device.readings.length]!;
    this.next++;
    const encoded = encode(reading.port, reading.data);
    if (!encoded.ok) throw new Error(`demo reading for port ${reading.port} does not encode: ${encoded.error.message}`);
    const { devAddr, nwkSKey, appSKey } = this.device.entry;
    const fCnt = this.fCnt++;
    const phyPayload = buildAbpUplink({ devAddr, nwkSKey, appSKey, fCnt, port: reading.port, payload: encoded.bytes });
    return { device: this.device, fCnt, port: reading.port, phyPayload, ...signalAt(this.device.distanceM, this.random) };
  }
}
