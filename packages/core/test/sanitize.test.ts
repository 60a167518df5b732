import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_LIMITS, failureOutcome, matchesPatternP, sanitizeText } from '../src/index.ts';
import { hostileString, thrownValue } from './hostile.ts';

function expectSafe(outcome: ReturnType<typeof failureOutcome>): void {
  expect(outcome.status).toBe('FAILED');
  expect(outcome.errorId.length).toBeGreaterThan(0);
  expect(outcome.errorId.length).toBeLessThanOrEqual(ERROR_LIMITS.errorId);
  expect(outcome.errorStackTrace?.length ?? 0).toBeLessThanOrEqual(ERROR_LIMITS.errorStackTrace);
  expect(outcome.errorMessage.length).toBeLessThanOrEqual(ERROR_LIMITS.errorMessage);
  for (const field of [outcome.errorId, outcome.errorMessage, outcome.errorStackTrace ?? ''])
    expect(matchesPatternP(field)).toBe(true);
  expect(outcome.errorId.startsWith('Service_')).toBe(false);
}

describe('sanitizeText', () => {
  it('should keep pattern P and the limit for any string, counting units and code points', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 0, max: 2000 }), (text, max) => {
        const out = sanitizeText(text, max);
        expect(matchesPatternP(out)).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
        expect([...out].length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 300 },
    );
  });

  it('should strip ANSI colour codes and control characters, and never split a surrogate pair', () => {
    expect(sanitizeText('\u001b[31mred\u001b[0m\u0000 ok\r\n\tend', 100)).toBe('red ok\r\n\tend');
    expect(sanitizeText('😀'.repeat(10), 9)).toBe('😀😀😀...');
    expect(sanitizeText('a\uD800b', 10)).toBe('a\uFFFDb');
  });
});

describe('failureOutcome', () => {
  it('should never throw and always produce fields the service accepts', () => {
    fc.assert(
      fc.property(thrownValue, fc.string(), (make, fallback) =>
        expectSafe(failureOutcome(make(), fallback || 'F')),
      ),
      { numRuns: 500 },
    );
  });

  it('should describe a thrown Object.create(null) instead of throwing', () => {
    expect(failureOutcome(Object.create(null), 'TL_HANDLER_FAILED')).toMatchObject({
      status: 'FAILED',
      errorId: 'TL_HANDLER_FAILED',
      errorMessage: 'handler threw a non-error value: [object Object]',
    });
  });
});
