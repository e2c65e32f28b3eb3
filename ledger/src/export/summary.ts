/**
 * The monthly summary: per employee and local (Europe/Berlin) day, the worked time from come/go minus breaks.
 * Rules: come starts work; breakStart pauses it and breakEnd resumes it; go ends it (also during a break); errand
 * changes nothing (an errand is working time away from the desk). A stretch counts on the day it started. What the
 * bookings do not explain is named in `issues` (a go without a come, a day that ends while working, ...) instead
 * of being guessed. Columns:
 *
 *   employee_id, name, date, first_come, last_go, worked, breaks, bookings, clock_unsynced, issues
 *
 * worked and breaks as H:MM; clock_unsynced counts the day's bookings made with an unsynchronised clock.
 */
import type { ExportBooking } from '../store/types.ts';
import { berlinTime } from './berlin-time.ts';
import { csvLine } from './csv.ts';

export const SUMMARY_COLUMNS = ['employee_id', 'name', 'date', 'first_come', 'last_go', 'worked', 'breaks', 'bookings', 'clock_unsynced', 'issues'] as const;

export interface DaySummary {
  employeeId: string;
  name: string;
  date: string;
  firstCome: string | null;
  lastGo: string | null;
  workedS: number;
  breaksS: number;
  bookings: number;
  clockUnsynced: number;
  issues: string[];
}

type State = 'off' | 'working' | 'break';

export function summarize(bookings: readonly ExportBooking[]): DaySummary[] {
  const byEmployee = new Map<string, ExportBooking[]>();
  for (const b of bookings) {
    if (b.employeeId === null) continue;
    const list = byEmployee.get(b.employeeId) ?? [];
    list.push(b);
    byEmployee.set(b.employeeId, list);
  }
  const days: DaySummary[] = [];
  for (const [employeeId, list] of [...byEmployee].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.time - b.time || a.terminal.localeCompare(b.terminal) || a.sequence - b.sequence);
    const byDate = new Map<string, DaySummary>();
    const day = (date: string): DaySummary => {
      let d = byDate.get(date);
      if (!d) {
        d = { employeeId, name: list[0]!.employeeName ?? '', date, firstCome: null, lastGo: null, workedS: 0, breaksS: 0, bookings: 0, clockUnsynced: 0, issues: [] };
        byDate.set(date, d);
      }
      return d;
    };
    let state: State = 'off';
    let since = 0;
    let sinceDate = '';
    for (const b of list) {
      const local = berlinTime(b.time);
      const today = day(local.date);
      today.bookings++;
      if (b.clockUnsynced) today.clockUnsynced++;
      const elapsed = b.time - since;
      switch (b.kind) {
        case 'come':
          if (state === 'working') today.issues.push(`come at ${local.time} while working`);
          else {
            if (state === 'break') day(sinceDate).issues.push('break without breakEnd or go');
            state = 'working';
            since = b.time;
            sinceDate = local.date;
            today.firstCome ??= local.time;
          }
          break;
        case 'breakStart':
          if (state !== 'working') today.issues.push(`breakStart at ${local.time} while not working`);
          else {
            day(sinceDate).workedS += elapsed;
            state = 'break';
            since = b.time;
            sinceDate = local.date;
          }
          break;
        case 'breakEnd':
          if (state !== 'break') today.issues.push(`breakEnd at ${local.time} without breakStart`);
          else {
            day(sinceDate).breaksS += elapsed;
            state = 'working';
            since = b.time;
            sinceDate = local.date;
          }
          break;
        case 'go':
          if (state === 'off') today.issues.push(`go at ${local.time} without come`);
          else {
            if (state === 'working') day(sinceDate).workedS += elapsed;
            else day(sinceDate).breaksS += elapsed;
            state = 'off';
            today.lastGo = local.time;
          }
          break;
        case 'errand':
          break;
      }
    }
    if (state !== 'off') day(sinceDate).issues.push(`no go after ${berlinTime(since).time}: time since not counted`);
    days.push(...[...byDate.values()].sort((a, b) => a.date.localeCompare(b.date)));
  }
  return days;
}

export function hoursMinutes(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

export function summaryCsv(days: readonly DaySummary[]): string {
  const rows = days.map((d) =>
    csvLine([d.employeeId, d.name, d.date, d.firstCome ?? '', d.lastGo ?? '', hoursMinutes(d.workedS), hoursMinutes(d.breaksS), String(d.bookings), String(d.clockUnsynced), d.issues.join('; ')]),
  );
  return csvLine(SUMMARY_COLUMNS) + rows.join('');
}
