/**
 * One line of `evtest` (libevdev's evtest 1.35, Debian package `evtest`) capture output → a typed record.
 *
 * evtest prints, per input event (stdout unbuffered):
 *   Event: time 1732611128.101149, type 4 (EV_MSC), code 4 (MSC_SCAN), value 7001e
 *   Event: time 1732611128.101149, type 1 (EV_KEY), code 2 (KEY_1), value 1
 *   Event: time 1732611128.101149, -------------- SYN_REPORT ------------
 * EV_MSC MSC_SCAN/MSC_RAW values are hex, every other value decimal; key values are 1 (down), 0 (up), 2 (repeat).
 * Before the events it prints a device description, and with `--grab` on a device someone else holds, a banner with
 * "This device is grabbed by another process." (and then no events ever arrive).
 */

export type EvtestLine =
  | { type: 'key'; timeMs: number; code: number; value: number }
  | { type: 'sync'; timeMs: number; name: string }
  | { type: 'event'; timeMs: number }
  | { type: 'grabbed-elsewhere' }
  | { type: 'header' }
  | { type: 'garbage' };

const EVENT_LINE = /^Event: time (\d+)\.(\d{6}), type (\d+) \(([^)]*)\), code (\d+) \(([^)]*)\), value (-?[0-9a-fA-F]+)$/;
const SYNC_LINE = /^Event: time (\d+)\.(\d{6}), [-+]+ (\w+) [-+]+$/;
const EV_KEY = 1;

export function parseEvtestLine(raw: string): EvtestLine {
  const line = raw.trimEnd();
  const event = EVENT_LINE.exec(line);
  if (event) {
    const timeMs = eventTimeMs(event[1]!, event[2]!);
    if (Number(event[3]) !== EV_KEY) return { type: 'event', timeMs };
    const value = Number(event[7]);
    if (!Number.isInteger(value)) return { type: 'garbage' };
    return { type: 'key', timeMs, code: Number(event[5]), value };
  }
  const sync = SYNC_LINE.exec(line);
  if (sync) return { type: 'sync', timeMs: eventTimeMs(sync[1]!, sync[2]!), name: sync[3]! };
  if (line.includes('grabbed by another process')) return { type: 'grabbed-elsewhere' };
  if (line.startsWith('Event:')) return { type: 'garbage' };
  return { type: 'header' };
}

function eventTimeMs(seconds: string, micros: string): number {
  return Number(seconds) * 1000 + Number(micros) / 1000;
}
