import { describe, expect, it } from 'vitest';
import {
  compileRunnerOptions,
  HandlerRegistry,
  InvalidOptionError,
  type RunnerOptions,
  type TaskSource,
} from '../src/index.ts';

const source: TaskSource = {
  kind: 'fake',
  coordinated: false,
  poll: () => Promise.resolve(null),
  isTransient: () => false,
};
const base: RunnerOptions = { registry: new HandlerRegistry(), sources: [{ source, groups: ['wg'] }] };

describe('compileRunnerOptions', () => {
  it('should fill documented defaults in milliseconds', () => {
    expect(compileRunnerOptions(base)).toMatchObject({
      concurrency: 2,
      progressIntervalMs: 60_000,
      runnerHeartbeatIntervalMs: 900_000,
      shutdownTimeoutMs: 60_000,
      pollBackoffBaseMs: 1000,
      pollBackoffMaxMs: 60_000,
    });
  });

  it('should accept duration strings', () => {
    expect(compileRunnerOptions({ ...base, progressInterval: '2s', shutdownTimeout: '1m' })).toMatchObject({
      progressIntervalMs: 2000,
      shutdownTimeoutMs: 60_000,
    });
  });

  it.each<[string, Partial<RunnerOptions>, RegExp]>([
    ['concurrency', { concurrency: 0 }, /`concurrency` to be an integer >= 1, got 0 \(number\)/],
    ['concurrency', { concurrency: 1.5 }, /`concurrency`/],
    ['maxConcurrentTasks', { maxConcurrentTasks: -1 }, /`maxConcurrentTasks`/],
    ['progressInterval', { progressInterval: 'often' }, /`progressInterval` to be a duration.*"often"/],
    ['shutdownTimeout', { shutdownTimeout: -5 }, /`shutdownTimeout`/],
    ['pollBackoffMax', { pollBackoffBase: '10s', pollBackoffMax: '1s' }, /`pollBackoffMax`/],
    ['sources', { sources: [] }, /`sources`/],
    ['sources[0].groups', { sources: [{ source, groups: [] }] }, /`sources\[0\]\.groups`/],
    ['groups', { sources: [{ source, groups: ['a', 'a'] }] }, /listed twice/],
    ['groups', { sources: [{ source, groups: [''] }] }, /non-empty strings/],
    ['groups', { sources: [{ source, groups: ['wg\u001b[31m'] }] }, /without control characters/],
    ['taskrunnerId', { taskrunnerId: '' }, /`taskrunnerId`/],
  ])('should reject a bad %s naming it', (option, patch, message) => {
    try {
      compileRunnerOptions({ ...base, ...patch });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
      expect(String(error)).toMatch(message);
    }
  });
});
