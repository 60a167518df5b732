import { parseDuration } from './duration.ts';
import { describeValue, InvalidOptionError } from './errors.ts';

/**
 * One message format for every invalid option in Tasklane (core, coordinator, sources):
 * ``Expected `name` to be <what>, got <value> (<type>)``. The error's `option` names the option so a
 * CLI can point at its flag without parsing the message.
 */
export function optionError(option: string, expected: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(
    option,
    `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`,
  );
}

/** Inclusive bounds of a numeric option. */
export interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

/** Checks an optional integer option; `fallback` when absent. */
export function integerOption(
  option: string,
  value: unknown,
  fallback: number,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: Bounds = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw optionError(option, `an integer ${range}`, value);
  }
  return value;
}

/** Checks an optional duration option (ms or '2s', '1m', ...) and returns milliseconds; `fallback` when absent. */
export function durationOption(
  option: string,
  value: unknown,
  fallback: number,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: Bounds = {},
): number {
  if (value === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDuration(value as string | number, option);
  } catch {
    throw optionError(option, 'a duration such as 500ms, 2s or 1m', value);
  }
  if (ms < min) throw optionError(option, `at least ${min} ms`, value);
  if (ms > max) throw optionError(option, `at most ${max} ms`, value);
  return ms;
}

/** Checks an optional non-empty string option; `fallback` when absent. */
export function stringOption<T extends string | undefined>(
  option: string,
  value: unknown,
  fallback: T,
): string | T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw optionError(option, 'a non-empty string', value);
  return value;
}

/** Checks an optional boolean option; `fallback` when absent. */
export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw optionError(option, 'true or false', value);
  return value;
}
