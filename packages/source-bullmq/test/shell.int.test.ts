import { HandlerRegistry, type Runner } from '@tasklane/core';
import * as shell from '@tasklane/handlers-shell';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestRunner } from '@tasklane/test-utils/harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullMQSource, cancelJob } from '../src/index.ts';
import { eventually, redisForFile, uniqueQueue } from './helpers.ts';

const redis = redisForFile();
beforeAll(() => redis.start());
afterAll(() => redis.stop());

interface ShellHarness {
  queue: Queue;
  runner: Runner;
  settled(id: string): Promise<Job>;
  close(): Promise<void>;
}
let harness: ShellHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The same shell handler classes the Data Pipeline tests use, loaded as the CLI loads plugins. */
async function start(): Promise<ShellHarness> {
  const registry = new HandlerRegistry();
  await registry.loadModule(shell, '@tasklane/handlers-shell');
  const name = uniqueQueue('shell');
  const connection = new Redis(redis.get().url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  const runner = await startTestRunner({
    registry,
    sources: [{ source: new BullMQSource({ url: redis.get().url, blockTimeoutMs: 500 }), groups: [name] }],
  });
  return {
    queue,
    runner,
    async settled(id) {
      return eventually(
        async () => {
          const job = await queue.getJob(id);
          const state = await job?.getState();
          return state === 'completed' || state === 'failed' ? queue.getJob(id) : undefined;
        },
        20_000,
        `job ${id} to settle`,
      );
    },
    async close() {
      await runner.stop();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      connection.disconnect();
    },
  };
}

describe('@tasklane/handlers-shell through the BullMQ source', () => {
  it('runs ShellCommandActivity jobs: exit 0 completes, non-zero fails with the stderr tail', async () => {
    harness = await start();
    const ok = await harness.queue.add('ShellCommandActivity', {
      command: 'test "$1" = hello',
      scriptArgument: ['hello'],
    });
    const bad = await harness.queue.add('ShellCommandActivity', { command: 'echo broken >&2; exit 3' });
    const [done, failed] = await Promise.all([harness.settled(ok.id!), harness.settled(bad.id!)]);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toEqual({ status: 'FINISHED' });
    expect(await failed.getState()).toBe('failed');
    expect(failed.failedReason).toMatch(/^ShellCommandFailed: /);
    expect(failed.failedReason).toContain('broken');
  });

  it('completes a ShellCommandPrecondition that does not hold as FALSE', async () => {
    harness = await start();
    const job = await harness.queue.add('ShellCommandPrecondition', { command: 'exit 1' });
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toMatchObject({ status: 'FALSE' });
  });

  it('cancels a running shell command: its process group is stopped and the job fails canceled', async () => {
    harness = await start();
    const job = await harness.queue.add('ShellCommandActivity', { command: 'sleep 30' }, { attempts: 2 });
    await eventually(async () => (await harness!.queue.getJob(job.id!))?.processedOn, 10_000, 'job start');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect(await cancelJob({ url: redis.get().url, queue: harness.queue.name, jobId: job.id! })).toBe(
      'signaled',
    );
    const done = await harness.settled(job.id!);
    expect(done.failedReason).toBe('TL_BULLMQ_CANCELED: canceled');
    // The runner frees the slot only once the handler returned, i.e. once the sleep was killed.
    await harness.runner.stop();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
