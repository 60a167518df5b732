/** The functions of the expression language: date/time, string and conversion helpers. */
import { formatDateTime } from '../periods.ts';
import { addUnits, dayOfYear, formatJoda, inTimeZone } from './datetime.ts';
import type { CalendarUnit, DateTime } from './datetime.ts';
import { ExpressionError } from './parse.ts';

export type Value = string | number | DateTime;

const DATETIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?Z?$/i;

export function isDateTime(v: Value): v is DateTime {
  return typeof v === 'object';
}

export function toText(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(10)));
  return formatDateTime(v.ms);
}

function toDate(v: Value, fn: string): DateTime {
  if (isDateTime(v)) return v;
  const m = typeof v === 'string' ? DATETIME_TEXT.exec(v.trim()) : null;
  if (!m) throw new ExpressionError(`${fn}: '${toText(v).slice(0, 64)}' is not a DateTime`);
  const [, y, mo, d, h, mi, s] = m;
  return dt(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)));
}

function toInt(v: Value, fn: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new ExpressionError(`${fn}: '${toText(v).slice(0, 64)}' is not an integer`);
  return n;
}

type Fn = { min: number; max: number; run: (args: Value[]) => Value };

/** JavaScript dates end at ±8.64e15 ms; beyond that a DateTime cannot be formatted. */
const dt = (ms: number): DateTime => {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new ExpressionError('date out of range');
  return { ms };
};
const table: Record<string, Fn> = Object.create(null) as Record<string, Fn>;
const def = (name: string, min: number, max: number, run: Fn['run']) => {
  table[name] = { min, max, run };
};

for (const unit of ['Minutes', 'Hours', 'Days', 'Weeks', 'Months', 'Years'] as CalendarUnit[]) {
  def(`plus${unit}`, 2, 2, ([d, n]) =>
    dt(addUnits(toDate(d!, `plus${unit}`).ms, unit, toInt(n!, `plus${unit}`))),
  );
  def(`minus${unit}`, 2, 2, ([d, n]) =>
    dt(addUnits(toDate(d!, `minus${unit}`).ms, unit, -toInt(n!, `minus${unit}`))),
  );
}
def('format', 2, 2, ([d, p]) => formatJoda(toDate(d!, 'format').ms, toText(p!)));
const part = (name: string, get: (x: Date) => number) =>
  def(name, 1, 1, ([d]) => get(new Date(toDate(d!, name).ms)));
part('year', (x) => x.getUTCFullYear());
part('month', (x) => x.getUTCMonth() + 1);
part('day', (x) => x.getUTCDate());
part('hour', (x) => x.getUTCHours());
part('minute', (x) => x.getUTCMinutes());
def('dayOfYear', 1, 1, ([d]) => dayOfYear(toDate(d!, 'dayOfYear').ms));
def('midnight', 1, 1, ([d]) => {
  const x = new Date(toDate(d!, 'midnight').ms);
  return dt(Date.UTC(x.getUTCFullYear(), x.getUTCMonth(), x.getUTCDate()));
});
def('firstOfMonth', 1, 1, ([d]) => {
  const ms = toDate(d!, 'firstOfMonth').ms;
  return dt(ms - (new Date(ms).getUTCDate() - 1) * 86_400_000);
});
def('sunday', 1, 1, ([d]) => {
  const ms = toDate(d!, 'sunday').ms;
  return dt(ms - new Date(ms).getUTCDay() * 86_400_000);
});
def('yesterday', 1, 1, ([d]) => dt(toDate(d!, 'yesterday').ms - 86_400_000));
def('inTimeZone', 2, 2, ([d, z]) => {
  try {
    return dt(inTimeZone(toDate(d!, 'inTimeZone').ms, toText(z!)));
  } catch (err) {
    throw new ExpressionError(`inTimeZone: ${(err as Error).message}`);
  }
});
def('makeDate', 3, 3, ([y, m, d]) =>
  dt(Date.UTC(toInt(y!, 'makeDate'), toInt(m!, 'makeDate') - 1, toInt(d!, 'makeDate'))),
);
def('makeDateTime', 5, 5, ([y, m, d, h, mi]) =>
  dt(
    Date.UTC(
      toInt(y!, 'makeDateTime'),
      toInt(m!, 'makeDateTime') - 1,
      toInt(d!, 'makeDateTime'),
      toInt(h!, 'makeDateTime'),
      toInt(mi!, 'makeDateTime'),
    ),
  ),
);
def('concat', 2, 64, (args) => args.map(toText).join(''));
def('indexOf', 2, 2, ([s, sub]) => toText(s!).indexOf(toText(sub!)));
def('substring', 2, 3, ([s, a, b]) => {
  const text = toText(s!);
  const start = toInt(a!, 'substring');
  const end = b === undefined ? text.length : toInt(b, 'substring');
  if (start < 0 || end > text.length || start > end)
    throw new ExpressionError(
      `substring: range ${start}..${end} is outside a ${text.length}-character string`,
    );
  return text.slice(start, end);
});

export function isKnownFunction(name: string): boolean {
  return name in table;
}

export function callFunction(name: string, args: Value[]): Value {
  const fn = table[name];
  if (!fn) throw new ExpressionError(`unknown function '${name}'`);
  if (args.length < fn.min || args.length > fn.max)
    throw new ExpressionError(
      `${name} takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} arguments, got ${args.length}`,
    );
  return fn.run(args);
}
