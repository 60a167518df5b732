import { TaskHandler, type AbortReason, type Task, type TaskContext } from '@tasklane/core';
import { spawnGroup } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delay, eventually, redisForFile, startBullHarness, type BullHarness } from './helpers.ts';

const redis = redisForFile();
beforeAll(() => redis.start());
afterAll(() => redis.stop());

let harness: BullHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const fixture = fileURLToPath(new URL('./fixtures/cancel-job.mjs', import.meta.url));

/** Runs `cancelJob` in a separate `node` process and returns what it printed. */
async function cancelFromAnotherProcess(queue: string, jobId: string, reason: string) {
  // The fixture runs the built package; a missing build is a failure, never a silent skip.
  if (!existsSync(new URL('../dist/index.js', import.meta.url)))
    throw new Error('build @tasklane/source-bullmq first (nx runs build before test)');
  const proc = spawnGroup('node', [fixture, redis.get().url, queue, jobId, reason], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const exit = await proc.exited;
  expect(exit, proc.output()).toBe(0);
  return JSON.parse(proc.output().trim().split('\n').pop()!) as { result: string; at: number };
}

describe('push-based cancel', () => {
  it('aborts the handler of a job canceled from another process promptly, not at the next renewal', async () => {
    let abortedAt: number | undefined;
    let reason: AbortReason | undefined;
    let started = false;
    const Waits = TaskHandler('Waits')(
      class {
        async handle(_task: Task, ctx: TaskContext) {
          started = true;
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          abortedAt = Date.now();
          reason = ctx.abortReason;
        }
      },
    );
    // A 60 s lock and progress interval: renewals (the old way a cancel was noticed) are 20 s apart.
    harness = await startBullHarness(redis.get(), [Waits], {
      source: { lockDurationMs: 60_000 },
      progressInterval: '60s',
    });
    const job = await harness.queue.add('Waits', {}, { attempts: 3 });
    await eventually(() => started, 5000, 'handler start');
    const { result, at } = await cancelFromAnotherProcess(harness.queueName, job.id!, 'from elsewhere');
    expect(result).toBe('signaled');
    await eventually(() => abortedAt, 3000, 'handler abort');
    expect(reason).toBe('canceled');
    expect(abortedAt! - at).toBeLessThan(2000);
    const done = await harness.settled(job.id!, 5000);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe('TL_BULLMQ_CANCELED: from elsewhere');
    expect(done.attemptsMade).toBe(1);
  });

  it('aborts with lease-lost, and reports nothing, once the bulk lock renewal finds the lock taken', async () => {
    let reason: AbortReason | undefined;
    let started = false;
    const Waits = TaskHandler('Waits')(
      class {
        async handle(_task: Task, ctx: TaskContext) {
          started = true;
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          reason = ctx.abortReason;
        }
      },
    );
    // Renewals every 100 ms; the stalled check stays out of the way so the job stays active.
    harness = await startBullHarness(redis.get(), [Waits], {
      source: { lockDurationMs: 300, stalledIntervalMs: 60_000 },
    });
    const job = await harness.queue.add('Waits', {});
    await eventually(() => started, 5000, 'handler start');
    await delay(400);
    expect(reason).toBeUndefined();
    const client = new Redis(redis.get().url);
    await client.set(`bull:${harness.queueName}:${job.id!}:lock`, 'another-worker');
    client.disconnect();
    await eventually(() => reason, 2000, 'handler abort');
    expect(reason).toBe('lease-lost');
    await delay(200);
    const current = await harness.queue.getJob(job.id!);
    expect(await current!.getState()).toBe('active');
    expect(harness.source.running(harness.queueName)).toBe(0);
  });
});
