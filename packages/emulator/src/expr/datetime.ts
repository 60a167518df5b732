/** DateTime values of the expression language: Joda-style `format` and calendar arithmetic in UTC. */

/** A DateTime value; fields hold them as the service's `YYYY-MM-DDTHH:MM:SS` text. */
export interface DateTime {
  readonly ms: number;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Joda DateTimeFormat patterns as Data Pipeline uses them (`YYYY-MM-dd'T'HH:mm:ss`). */
export function formatJoda(ms: number, pattern: string): string {
  const d = new Date(ms);
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      // Quoted literal text; '' is a quote, inside or outside quotes.
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      i++;
      while (i < pattern.length) {
        if (pattern[i] === "'" && pattern[i + 1] === "'") {
          out += "'";
          i += 2;
        } else if (pattern[i] === "'") {
          i++;
          break;
        } else out += pattern[i++];
      }
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    out += field(d, c, n);
  }
  return out;
}

function field(d: Date, c: string, n: number): string {
  const year = d.getUTCFullYear();
  switch (c) {
    case 'y':
    case 'Y':
    case 'x':
      return n === 2 ? pad(year % 100, 2) : pad(year, n);
    case 'M':
      return n >= 4
        ? MONTHS[d.getUTCMonth()]!
        : n === 3
          ? MONTHS[d.getUTCMonth()]!.slice(0, 3)
          : pad(d.getUTCMonth() + 1, n);
    case 'd':
      return pad(d.getUTCDate(), n);
    case 'D':
      return pad(dayOfYear(d.getTime()), n);
    case 'H':
      return pad(d.getUTCHours(), n);
    case 'h':
      return pad(d.getUTCHours() % 12 || 12, n);
    case 'm':
      return pad(d.getUTCMinutes(), n);
    case 's':
      return pad(d.getUTCSeconds(), n);
    case 'S':
      return pad(d.getUTCMilliseconds(), 3).slice(0, n).padEnd(n, '0');
    case 'E':
      return n >= 4 ? DAYS[d.getUTCDay()]! : DAYS[d.getUTCDay()]!.slice(0, 3);
    case 'e':
      return String(d.getUTCDay() || 7);
    case 'a':
      return d.getUTCHours() < 12 ? 'AM' : 'PM';
    case 'Z':
      return n >= 2 ? '+00:00' : '+0000';
    case 'z':
      return 'UTC';
    default:
      return c.repeat(n);
  }
}

export function dayOfYear(ms: number): number {
  const d = new Date(ms);
  return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

export type CalendarUnit = 'Minutes' | 'Hours' | 'Days' | 'Weeks' | 'Months' | 'Years';

/** Adds `n` units; months and years keep the day of month where it exists (Jan 31 + 1 month = Feb 28/29). */
export function addUnits(ms: number, unit: CalendarUnit, n: number): number {
  const fixed: Partial<Record<CalendarUnit, number>> = {
    Minutes: 60_000,
    Hours: 3_600_000,
    Days: 86_400_000,
    Weeks: 604_800_000,
  };
  const step = fixed[unit];
  if (step !== undefined) return ms + n * step;
  const d = new Date(ms);
  const months = unit === 'Months' ? n : 12 * n;
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime() + (ms - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** The same wall-clock instant expressed in `zone` (an IANA name), as inTimeZone does. */
export function inTimeZone(ms: number, zone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(ms));
  } catch {
    throw new RangeError(`unknown time zone '${zone}'`);
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return (
    Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) +
    (ms % 1000)
  );
}
