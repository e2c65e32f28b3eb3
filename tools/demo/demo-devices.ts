/**
 * The nodes of the zero-setup demo: one of each device type, with published demo keys (never use them on the
 * air). Their readings come from the same seeded day of readings the benchmark uses, so the demo shows realistic
 * values and every message type of the catalog that a node sends.
 */
import type { DeviceEntry } from '../../gateway-bridge/src/types.ts';
import { dayOfReadings, type Reading } from '../bench/day-of-readings.ts';

export interface DemoDevice {
  entry: DeviceEntry & { devAddr: string; nwkSKey: string; appSKey: string };
  /** Uplinks the node cycles through: its startup status first, then its readings. */
  readings: Reading[];
  /** Metres from the gateway, for a plausible RSSI. */
  distanceM: number;
}

const DEVICE_TYPE_OF_PORT: Record<number, DeviceEntry['type']> = {
  10: 'parkingBay',
  11: 'garageCounter',
  20: 'roadClimate',
  30: 'waterLevel',
  31: 'waterLevel',
};

/** Demo session keys derived from the device number: readable, distinct, and obviously not secret. */
function demoKey(prefix: string, n: number): string {
  return (prefix + n.toString(16).padStart(2, '0')).padEnd(32, '0').slice(0, 32);
}

const SPECS: { id: string; name: string; type: DeviceEntry['type']; distanceM: number; sendIntervalS: number }[] = [
  { id: 'road-b54-bridge', name: 'B54 bridge road climate', type: 'roadClimate', distanceM: 1800, sendIntervalS: 900 },
  { id: 'bay-marktplatz-12', name: 'Marktplatz bay 12', type: 'parkingBay', distanceM: 350, sendIntervalS: 10_800 },
  { id: 'garage-rathaus', name: 'Rathaus garage', type: 'garageCounter', distanceM: 600, sendIntervalS: 900 },
  { id: 'river-gauge-mill', name: 'Mill weir river gauge', type: 'waterLevel', distanceM: 2400, sendIntervalS: 900 },
];

export function demoDevices(seed = 20261127): DemoDevice[] {
  const day = dayOfReadings(seed);
  return SPECS.map((spec, n) => {
    const startup = day.find((r) => r.port === 1 && r.data['deviceType'] === spec.type && r.data['event'] === 'startup');
    const own = day.filter((r) => DEVICE_TYPE_OF_PORT[r.port] === spec.type);
    return {
      entry: {
        id: spec.id,
        name: spec.name,
        devEui: ('70b3d57ed005' + (0xa0 + n).toString(16)).padEnd(16, '0'),
        devAddr: (0x26011b00 + 0x10 * (n + 1)).toString(16),
        nwkSKey: demoKey('de305e55', n + 1),
        appSKey: demoKey('de3a9955', n + 1),
        type: spec.type,
        sendIntervalS: spec.sendIntervalS,
      },
      readings: startup ? [{ port: 1, data: { ...startup.data, uplinkCounter: 0 } }, ...own] : own,
      distanceM: spec.distanceM,
    };
  });
}
