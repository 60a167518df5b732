/** Data Pipeline period strings ("15 minutes"), literal datetimes and CLI durations ("500ms"). */

const PERIOD = /^\s*(\d+)\s*(second|minute|hour|day|week|month|year)s?\s*$/i;
const UNIT_MS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  // Calendar months/years are approximated; the emulator only needs ordering and rough spacing.
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

/** Milliseconds of service time, or undefined when the text is not a period. */
export function parsePeriod(text: string): number | undefined {
  const m = PERIOD.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** CLI durations: `500ms`, `2s`, `1m`, `1h`; a bare number is milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_MS[m[2] ?? 'ms']!);
}

const LITERAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** Parses the service's zone-less `YYYY-MM-DDTHH:MM:SS` (treated as UTC). */
export function parseDateTime(text: string): number | undefined {
  if (!LITERAL_DATETIME.test(text)) return undefined;
  const ms = Date.parse(`${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
