/**
 * One line per published event or rejection, for people watching the demo: the device, the message, its readings
 * with units, the frame counter and how well the gateway heard it.
 */
import type { DecodedObject, DecodedValue } from '../../payload-schema/src/codec.ts';
import type { BridgeEvent, Rejection } from '../../gateway-bridge/src/types.ts';

const UNIT_SYMBOLS: Record<string, string> = { Cel: '°C', '%RH': '%', cm: 'cm', mm: 'mm', V: 'V', s: 's', min: 'min' };

function leaves(value: DecodedValue, path: string, out: [string, DecodedValue][]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, path ? `${path}.${key}` : key, out);
  } else if (Array.isArray(value)) {
    out.push([path, `[${value.length}]`]);
  } else {
    out.push([path, value]);
  }
}

function readings(data: DecodedObject, units: Record<string, string>): string {
  const out: [string, DecodedValue][] = [];
  leaves(data, '', out);
  return out
    // flags that are off say nothing worth a column
    .filter(([, value]) => value !== false)
    .map(([path, value]) => {
      const unit = units[path];
      const shown = value === null ? '–' : String(value);
      return `${path} ${shown}${unit && value !== null ? ' ' + (UNIT_SYMBOLS[unit] ?? unit) : ''}`;
    })
    .join(', ');
}

function time(iso: string): string {
  return iso.slice(11, 19);
}

export function formatEvent(event: BridgeEvent): string {
  const rx = event.rx[0];
  const signal = rx ? `RSSI ${rx.rssi} dBm, SNR ${rx.snr} dB` : 'no rx metadata';
  return `${time(event.receivedAt)}  ${event.device.id.padEnd(18)} ${event.message.padEnd(14)} ${readings(event.data, event.units)}  (FCnt ${event.fCnt}, ${signal})`;
}

export function formatRejection(rejection: Rejection): string {
  return `${time(rejection.receivedAt)}  rejected           ${rejection.reason.padEnd(14)} ${rejection.detail}`;
}
