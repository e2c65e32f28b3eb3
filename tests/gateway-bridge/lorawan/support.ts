/** Frames and devices for the LoRaWAN and event stage tests: real lora-packet crypto, real catalog payloads. */
import loraPacketModule from 'lora-packet';
import { encode } from '../../../payload-schema/src/codec.ts';
import type { DeviceEntry, RxInfo } from '../../../gateway-bridge/src/types.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
export const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;

/** lorawan.md: lora-packet's published test vector keys. */
export const VECTOR = {
  devAddr: '49be7df1',
  nwkSKey: '44024241ed4ce9a68c6a8bc055233fd3',
  appSKey: 'ec925802ae430ca77fd3dd73cb2cc588',
};

/** A second device with its own keys. */
export const OTHER = {
  devAddr: '26011bda',
  nwkSKey: '000102030405060708090a0b0c0d0e0f',
  appSKey: 'f0e0d0c0b0a090807060504030201000',
};

export const ALL_KEYS = [VECTOR.nwkSKey, VECTOR.appSKey, OTHER.nwkSKey, OTHER.appSKey];

export function vectorDevice(overrides: Partial<DeviceEntry> = {}): DeviceEntry {
  return {
    id: 'road-3',
    name: 'Road climate B 27',
    devEui: '70b3d57ed0000003',
    devAddr: VECTOR.devAddr,
    nwkSKey: VECTOR.nwkSKey,
    appSKey: VECTOR.appSKey,
    type: 'roadClimate',
    location: { latitude: 48.52, longitude: 9.05, description: 'B 27 bridge' },
    sendIntervalS: 600,
    ...overrides,
  };
}

export function otherDevice(overrides: Partial<DeviceEntry> = {}): DeviceEntry {
  return {
    id: 'bay-7',
    name: 'Parking bay 7',
    devEui: '70b3d57ed0000007',
    devAddr: OTHER.devAddr,
    nwkSKey: OTHER.nwkSKey,
    appSKey: OTHER.appSKey,
    type: 'parkingBay',
    ...overrides,
  };
}

export interface UplinkSpec {
  /** Full 32-bit counter: its high bits enter MIC and keystream, its low 16 go on the air. */
  fCnt: number;
  /** Omitted together with an empty payload: a frame without FPort. */
  fPort?: number;
  payload?: Uint8Array | string;
  confirmed?: boolean;
  fOpts?: string;
  keys?: { devAddr: string; nwkSKey: string; appSKey: string };
}

/** A LoRaWAN 1.0 data uplink built and signed by lora-packet. */
export function uplink(spec: UplinkSpec): Buffer {
  const keys = spec.keys ?? VECTOR;
  const msb = Buffer.alloc(2);
  msb.writeUInt16LE(Math.floor(spec.fCnt / 0x10000));
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload ?? []);
  const packet = loraPacket.fromFields(
    {
      MType: spec.confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
      DevAddr: Buffer.from(keys.devAddr, 'hex'),
      FCtrl: {},
      FCnt: spec.fCnt % 0x10000,
      ...(spec.fPort === undefined ? {} : { FPort: spec.fPort }),
      ...(spec.fOpts === undefined ? {} : { FOpts: spec.fOpts }),
      payload,
    },
    Buffer.from(keys.appSKey, 'hex'),
    Buffer.from(keys.nwkSKey, 'hex'),
    undefined,
    msb,
  );
  return Buffer.from(packet.getPHYPayload()!);
}

let clock = Date.parse('2025-01-15T06:00:00.000Z');

export function rx(overrides: Partial<RxInfo> = {}): RxInfo {
  clock += 1000;
  return {
    gatewayId: 'rak-1',
    input: 'serial',
    rssi: -97,
    snr: 6.5,
    receivedAt: new Date(clock).toISOString(),
    clock: 'bridge',
    clockSynced: true,
    ...overrides,
  };
}

export function statusPayload(fields: { event?: string; resetReason?: string } = {}): Uint8Array {
  const result = encode(1, {
    event: fields.event ?? 'startup',
    deviceType: 'roadClimate',
    firmware: { major: 1, minor: 4, patch: 2 },
    resetReason: fields.resetReason ?? 'powerOn',
    battery: 3.31,
    uptime: 4,
    uplinkCounter: 0,
    errors: {},
  });
  if (!result.ok) throw result.error;
  return result.bytes;
}

export function roadClimatePayload(temperature = -1.5): Uint8Array {
  const result = encode(20, {
    air: { temperature, relativeHumidity: 93.5 },
    surface: { temperature: -2.4 },
    iceRisk: 'risk',
    status: { heaterOn: false },
    battery: 3.3,
  });
  if (!result.ok) throw result.error;
  return result.bytes;
}

/** Fails when any key appears in the JSON of `value`, in either case. */
export function keysIn(value: unknown): string[] {
  const json = JSON.stringify(value).toLowerCase();
  return ALL_KEYS.filter((key) => json.includes(key));
}
