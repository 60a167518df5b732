import { describe, expect, it } from 'vitest';
import {
  ERROR_LIMITS,
  failureOutcome,
  isPreconditionFalse,
  preconditionFalse,
  TaskFailure,
} from '../src/index.ts';

describe('failureOutcome', () => {
  it('should keep a TaskFailure errorId, message and retryable flag', () => {
    const outcome = failureOutcome(
      new TaskFailure('ExitCode1', 'command failed', { retryable: false }),
      'fallback',
    );
    expect(outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'ExitCode1',
      errorMessage: 'command failed',
      retryable: false,
    });
    expect(outcome.errorStackTrace).toContain('TaskFailure');
  });

  it('should use an error code when present, else the fallback', () => {
    expect(failureOutcome(Object.assign(new Error('x'), { code: 'ENOENT' }), 'F').errorId).toBe('ENOENT');
    expect(failureOutcome(new TypeError('bad'), 'F')).toMatchObject({
      errorId: 'F',
      errorMessage: 'TypeError: bad',
    });
    expect(failureOutcome('a string', 'F').errorMessage).toMatch(/non-error value: a string/);
  });

  it('should cut fields to the service limits and avoid the reserved Service_ prefix', () => {
    const error = new TaskFailure('Service_Oops', 'm'.repeat(20_000));
    error.stack = 's'.repeat(10_000);
    const outcome = failureOutcome(error, 'F');
    expect(outcome.errorId).toBe('Handler_Service_Oops');
    expect(outcome.errorMessage.length).toBe(ERROR_LIMITS.errorMessage);
    expect(outcome.errorStackTrace?.length).toBe(ERROR_LIMITS.errorStackTrace);
  });
});

describe('preconditionFalse', () => {
  it('should be recognised, and plain objects should not', () => {
    expect(isPreconditionFalse(preconditionFalse('no file'))).toBe(true);
    expect(isPreconditionFalse({ status: 'FALSE' })).toBe(false);
    expect(preconditionFalse('no file').message).toBe('no file');
  });
});
