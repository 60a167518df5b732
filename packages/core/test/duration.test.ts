import { describe, expect, it } from 'vitest';
import { ErrorCode, formatDuration, parseDuration, TasklaneError } from '../src/index.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['20 minutes', 1_200_000],
    ['1 hour', 3_600_000],
    ['2 days', 172_800_000],
    ['30 seconds', 30_000],
    ['250', 250],
    [1234, 1234],
  ] as const)('should read %s as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 'soon', '5 parsecs', '-1s', '1 month', 'ms'])(
    'should reject %j with a coded error',
    (input) => {
      try {
        parseDuration(input, '--shutdown-timeout');
        expect.unreachable();
      } catch (error) {
        expect(TasklaneError.is(error)).toBe(true);
        expect((error as TasklaneError).code).toBe(ErrorCode.InvalidDuration);
        expect(String(error)).toContain('--shutdown-timeout');
      }
    },
  );

  it('should format compactly', () => {
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(250)).toBe('250ms');
  });
});
