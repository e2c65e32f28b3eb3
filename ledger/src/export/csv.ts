/**
 * The payroll CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or line break in double
 * quotes, quotes doubled; UTF-8; a header line). One row per booking, columns:
 *
 *   employee_id, name, date, time, utc, kind, terminal, sequence, clock_unsynced
 *
 * date and time are the Europe/Berlin calendar date (YYYY-MM-DD) and wall-clock time (HH:MM:SS); utc is the same
 * instant as ISO 8601 UTC (it tells the two 02:xx hours of the autumn clock change apart). kind is come, go,
 * breakStart, breakEnd or errand; clock_unsynced is true when the terminal's clock was not synchronised (the time
 * may be wrong: payroll should check it). A booking whose badge mapped to no employee at its time has empty
 * employee_id and name (only in the export of all employees).
 */
import type { ExportBooking } from '../store/types.ts';
import { berlinTime } from './berlin-time.ts';

export const BOOKING_COLUMNS = ['employee_id', 'name', 'date', 'time', 'utc', 'kind', 'terminal', 'sequence', 'clock_unsynced'] as const;

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export function utcIso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function bookingRow(b: ExportBooking): string[] {
  const local = berlinTime(b.time);
  return [b.employeeId ?? '', b.employeeName ?? '', local.date, local.time, utcIso(b.time), b.kind, b.terminal, String(b.sequence), String(b.clockUnsynced)];
}

export function bookingsCsv(bookings: readonly ExportBooking[]): string {
  return csvLine(BOOKING_COLUMNS) + bookings.map((b) => csvLine(bookingRow(b))).join('');
}
