/** BridgeEvents and Rejections shaped like the bridge's, for outbox and publisher tests. */
import type { BridgeEvent, Rejection, RxInfo } from '../../../gateway-bridge/src/types.ts';

export function sampleRx(overrides: Partial<RxInfo> = {}): RxInfo {
  return {
    gatewayId: 'pi-rathaus-1',
    input: 'serial',
    rssi: -97,
    snr: 6.5,
    receivedAt: '2025-03-01T06:00:00.000Z',
    clock: 'bridge',
    clockSynced: true,
    frequencyHz: 868_100_000,
    spreadingFactor: 9,
    ...overrides,
  };
}

/** Event number n of a device: fCnt n, received n seconds after a fixed start, a unique id. */
export function sampleEvent(n: number, options: { device?: string; receivedAt?: string; fCnt?: number } = {}): BridgeEvent {
  const device = options.device ?? 'road-3';
  const receivedAt = options.receivedAt ?? new Date(Date.UTC(2025, 2, 1, 6) + n * 1000).toISOString();
  const fCnt = options.fCnt ?? n;
  return {
    id: `${device}-${fCnt}-${n.toString(16).padStart(8, '0')}`,
    device: {
      id: device,
      name: `Straßenklima ${device}`,
      devEui: '70b3d57ed005a1b2',
      devAddr: '260b1c2d',
      type: 'roadClimate',
      location: { latitude: 52.1234, longitude: 9.8765, description: 'Brücke Mühlenweg' },
    },
    port: 10,
    message: 'roadClimate',
    fCnt,
    confirmed: false,
    counterReset: false,
    data: { air: { temperature: 3.5 + (n % 10) / 10, relativeHumidity: 81.5 }, road: { temperature: 1.25, wet: true }, battery: 3.61, seq: n },
    units: { 'air.temperature': 'Cel', 'air.relativeHumidity': '%RH', 'road.temperature': 'Cel', battery: 'V' },
    payloadHex: '0a1b2c3d4e5f60718293',
    receivedAt,
    rx: [sampleRx({ receivedAt })],
    input: 'serial',
  };
}

export function sampleRejection(n: number): Rejection {
  return {
    reason: 'mic-mismatch',
    detail: `MIC does not match NwkSKey of road-3 (#${n})`,
    input: 'serial',
    gatewayId: 'pi-rathaus-1',
    receivedAt: new Date(Date.UTC(2025, 2, 1, 6) + n * 1000).toISOString(),
    devAddr: '260b1c2d',
    fCnt: n,
    raw: '40' + n.toString(16).padStart(8, '0'),
  };
}
