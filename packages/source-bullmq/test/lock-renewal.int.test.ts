import { TaskHandler, type Logger, type TaskEnd } from '@tasklane/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, redisForFile, startBullHarness, type BullHarness } from './helpers.ts';

const redis = redisForFile();
beforeAll(() => redis.start());
afterAll(() => redis.stop());

let harness: BullHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A logger that keeps the messages of its warnings (children share the list). */
function recordingLogger(warnings: string[]): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (obj, msg) => void warnings.push(msg ?? JSON.stringify(obj)),
    error: (obj, msg) => void warnings.push(msg ?? JSON.stringify(obj)),
    child: () => logger,
  };
  return logger;
}

describe('bulk lock renewal', () => {
  it('takes no job whose completion races a renewal for lost: every job completes, nothing is aborted', async () => {
    const Noop = TaskHandler('RenewalRaceNoop')(
      class {
        handle() {}
      },
    );
    const warnings: string[] = [];
    const ends: TaskEnd['kind'][] = [];
    // Renewals every second while jobs complete by the thousand: every tick finds completions in flight,
    // whose locks Redis has released by the time the extension runs. The lock itself is long enough for
    // a loaded machine (a 300 ms lock expired for real under the whole suite).
    harness = await startBullHarness(redis.get(), [Noop], {
      concurrency: 8,
      source: { lockDurationMs: 3000, logger: recordingLogger(warnings) },
      hooks: [{ onTaskEnd: ({ end }) => void ends.push(end.kind) }],
    });
    const jobs = 6000;
    for (let i = 0; i < jobs; i += 1000)
      await harness.queue.addBulk(
        Array.from({ length: 1000 }, () => ({ name: 'RenewalRaceNoop', data: {} })),
      );
    await eventually(() => ends.length >= jobs, 60_000, 'every job to end');
    expect(ends.filter((kind) => kind !== 'reported')).toEqual([]);
    expect(warnings).toEqual([]);
    expect(await harness.queue.getCompletedCount()).toBe(jobs);
  });
});
