import { ErrorCode, TasklaneError } from './errors.ts';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

/**
 * Parses a duration into milliseconds. Accepts the CLI forms (`500ms`, `2s`, `1m`, `1h`), Data Pipeline
 * periods (`20 minutes`, `2 hours`, `1 day`) and bare numbers (milliseconds). Months are rejected: their
 * length is not fixed and no lease or timeout in Tasklane should be that long.
 */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
    throw new TasklaneError(
      ErrorCode.InvalidDuration,
      `${what}: expected a non-negative number of milliseconds, got ${input}`,
    );
  }
  const match = PATTERN.exec(input);
  if (match) {
    const amount = Number(match[1]);
    let unit = (match[2] ?? '').toLowerCase();
    if (unit === '') return amount;
    if (unit.length > 3 && unit.endsWith('s')) unit = unit.slice(0, -1);
    const factor = UNIT_MS[unit];
    if (factor !== undefined) return Math.round(amount * factor);
  }
  throw new TasklaneError(
    ErrorCode.InvalidDuration,
    `${what}: invalid duration ${JSON.stringify(input)}; use forms like 500ms, 2s, 1m, 1h or "20 minutes"`,
  );
}

/** Formats milliseconds compactly for logs and help text. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
