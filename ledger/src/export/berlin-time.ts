/**
 * Local time in Europe/Berlin for payroll: the calendar date and wall-clock time of a Unix time, and the Unix time
 * at which a local calendar month begins. Uses the ICU time-zone data Node ships with (DST rules included).
 */
export const TIME_ZONE = 'Europe/Berlin';

const format = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export interface LocalTime {
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM:SS */
  time: string;
}

function parts(unixSeconds: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(unixSeconds * 1000))) out[part.type] = part.value;
  return out;
}

export function berlinTime(unixSeconds: number): LocalTime {
  const p = parts(unixSeconds);
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}` };
}

/** Seconds Berlin is ahead of UTC at that instant (3600 or 7200). */
function offsetAt(unixSeconds: number): number {
  const p = parts(unixSeconds);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) / 1000;
  return asUtc - unixSeconds;
}

/** The Unix time of local midnight starting the given day (month 1-12); Berlin changes clocks at 02:00/03:00, never at midnight. */
export function berlinMidnight(year: number, month: number, day = 1): number {
  const wall = Date.UTC(year, month - 1, day) / 1000;
  return wall - offsetAt(wall - 3600);
}

/** `YYYY-MM` -> [start, end) in Unix seconds, local Berlin months. */
export function berlinMonth(month: string): { from: number; to: number } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new RangeError(`not a month: ${JSON.stringify(month)} (expected YYYY-MM, e.g. 2026-11)`);
  const year = Number(match[1]);
  const m = Number(match[2]);
  return { from: berlinMidnight(year, m), to: m === 12 ? berlinMidnight(year + 1, 1) : berlinMidnight(year, m + 1) };
}
