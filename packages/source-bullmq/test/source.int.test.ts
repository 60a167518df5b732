import {
  preconditionFalse,
  TaskFailure,
  TaskHandler,
  type AbortReason,
  type Task,
  type TaskContext,
} from '@tasklane/core';
import { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cancelJob } from '../src/index.ts';
import { delay, eventually, redisForFile, startBullHarness, type BullHarness } from './helpers.ts';

const redis = redisForFile();
beforeAll(() => redis.start());
afterAll(() => redis.stop());

let harness: BullHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('BullMQSource with the real Runner', () => {
  it('runs a job by name with its data as fields and completes it with a return value', async () => {
    const seen: {
      taskId: string;
      attemptId: string;
      pipelineId: string;
      type: string;
      command?: string;
      args: string[];
      group: string;
    }[] = [];
    const Echo = TaskHandler('Echo')(
      class {
        handle(task: Task, ctx: TaskContext) {
          seen.push({
            taskId: task.taskId,
            attemptId: task.attemptId,
            pipelineId: task.pipelineId,
            type: task.activityType,
            command: task.get('command'),
            args: task.getAll('scriptArgument'),
            group: ctx.workerGroup,
          });
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Echo]);
    const flat = await harness.queue.add('Echo', { command: 'echo hi', scriptArgument: ['a', 'b'] });
    const nested = await harness.queue.add('Echo', { fields: { command: 'echo nested' } });
    const [a, b] = await Promise.all([harness.settled(flat.id!), harness.settled(nested.id!)]);
    expect(await a.getState()).toBe('completed');
    expect(a.returnvalue).toEqual({ status: 'FINISHED' });
    expect(b.returnvalue).toEqual({ status: 'FINISHED' });
    const first = seen.find((s) => s.taskId === flat.id)!;
    expect(first).toEqual({
      taskId: flat.id,
      attemptId: `${flat.id}#1`,
      pipelineId: harness.queueName,
      type: 'Echo',
      command: 'echo hi',
      args: ['a', 'b'],
      group: harness.queueName,
    });
    expect(seen.find((s) => s.taskId === nested.id)?.command).toBe('echo nested');
  });

  it('completes a precondition FALSE with { status: "FALSE", message }', async () => {
    const Check = TaskHandler('Check')(
      class {
        handle() {
          return preconditionFalse('file missing');
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Check]);
    const job = await harness.queue.add('Check', {});
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toEqual({ status: 'FALSE', message: 'file missing' });
  });

  it('fails a job whose handler throws, with failedReason and stack trace', async () => {
    const Boom = TaskHandler('Boom')(
      class {
        handle() {
          throw new RangeError('boom');
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Boom]);
    const job = await harness.queue.add('Boom', {});
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe('TL_HANDLER_FAILED: RangeError: boom');
    expect((done.stacktrace ?? []).join('\n')).toContain('RangeError: boom');
    expect(done.attemptsMade).toBe(1);
  });

  it('retries by the job attempts/backoff and succeeds on the second attempt', async () => {
    const attempts: string[] = [];
    const Flaky = TaskHandler('Flaky')(
      class {
        handle(task: Task) {
          attempts.push(task.attemptId);
          if (attempts.length === 1) throw new TaskFailure('Transient', 'try again');
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Flaky]);
    const job = await harness.queue.add('Flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('completed');
    expect(attempts).toEqual([`${job.id}#1`, `${job.id}#2`]);
    // BullMQ 6 counts the successful attempt too.
    expect(done.attemptsMade).toBe(2);
    expect((done.stacktrace ?? []).join('\n')).toContain('try again');
  });

  it('does not retry a TaskFailure marked retryable:false, nor a malformed job', async () => {
    let calls = 0;
    const Fatal = TaskHandler('Fatal')(
      class {
        handle() {
          calls++;
          throw new TaskFailure('BadInput', 'will never work', { retryable: false });
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Fatal]);
    const job = await harness.queue.add('Fatal', {}, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    const malformed = await harness.queue.add('Fatal', 'not an object', { attempts: 3 });
    const [done, bad] = await Promise.all([harness.settled(job.id!), harness.settled(malformed.id!)]);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe('BadInput: will never work');
    expect(calls).toBe(1);
    expect(await bad.getState()).toBe('failed');
    expect(bad.failedReason).toMatch(/^TL_MALFORMED_TASK: .*data must be an object/);
    expect(bad.attemptsMade).toBe(1);
  });

  it('fails a job with no handler for its name as TL_NO_HANDLER', async () => {
    const Known = TaskHandler('Known')(
      class {
        handle() {}
      },
    );
    harness = await startBullHarness(redis.get(), [Known]);
    const job = await harness.queue.add('Unknown', {});
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toMatch(/^TL_NO_HANDLER: /);
  });

  it('publishes progress through job.updateProgress and keeps the lock while a handler runs longer than it', async () => {
    const progressSeen: unknown[] = [];
    const Long = TaskHandler('Long')(
      class {
        async handle(_task: Task, ctx: TaskContext) {
          await ctx.reportProgress({ percentComplete: 50 });
          await delay(1500);
          await ctx.reportProgress({ percentComplete: 75, stage: 'load' });
        }
      },
    );
    // A 600 ms lock: without renewal the job would be stalled and the completion refused.
    harness = await startBullHarness(redis.get(), [Long], {
      source: { lockDurationMs: 600, stalledIntervalMs: 200 },
    });
    const job = await harness.queue.add('Long', {});
    await eventually(
      async () => {
        const current = await harness!.queue.getJob(job.id!);
        progressSeen.push(current?.progress);
        return current?.progress === 50;
      },
      5000,
      'progress 50',
    );
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('completed');
    expect(done.progress).toEqual({ percentComplete: 75, stage: 'load' });
    expect(done.stalledCounter ?? 0).toBe(0);
  });

  it('cancels a running job from another connection: ctx.signal aborts with "canceled", the job fails without retry', async () => {
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
    harness = await startBullHarness(redis.get(), [Waits]);
    const job = await harness.queue.add('Waits', {}, { attempts: 3 });
    await eventually(() => started, 5000, 'handler start');
    expect(
      await cancelJob({
        url: redis.get().url,
        queue: harness.queueName,
        jobId: job.id!,
        reason: 'operator said so',
      }),
    ).toBe('signaled');
    const done = await harness.settled(job.id!);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe('TL_BULLMQ_CANCELED: operator said so');
    await eventually(() => reason, 5000, 'handler abort');
    expect(reason).toBe('canceled');
    await delay(300);
    expect(await done.getState()).toBe('failed');
  });

  it('cancels locally through source.cancelJob, and removes a job that has not started', async () => {
    let reason: AbortReason | undefined;
    const Waits = TaskHandler('Waits')(
      class {
        async handle(_task: Task, ctx: TaskContext) {
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          reason = ctx.abortReason;
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Waits], { concurrency: 1 });
    const running = await harness.queue.add('Waits', {});
    const queued = await harness.queue.add('Waits', {}, { delay: 60_000 });
    await eventually(() => harness!.source.running(harness!.queueName) === 1, 5000, 'job running');
    expect(harness.source.cancelJob(harness.queueName, running.id!, 'local')).toBe(true);
    expect(harness.source.cancelJob(harness.queueName, 'no-such-job')).toBe(false);
    const done = await harness.settled(running.id!);
    expect(done.failedReason).toBe('TL_BULLMQ_CANCELED: local');
    await eventually(() => reason, 5000, 'handler abort');
    expect(reason).toBe('canceled');
    expect(await cancelJob({ url: redis.get().url, queue: harness.queueName, jobId: queued.id! })).toBe(
      'removed',
    );
    expect(await harness.queue.getJob(queued.id!)).toBeUndefined();
    expect(await cancelJob({ url: redis.get().url, queue: harness.queueName, jobId: running.id! })).toBe(
      'finished',
    );
    expect(await cancelJob({ url: redis.get().url, queue: harness.queueName, jobId: 'nope' })).toBe(
      'not-found',
    );
  });

  it('runs up to `concurrency` jobs at once', async () => {
    let now = 0;
    let peak = 0;
    const Sleepy = TaskHandler('Sleepy')(
      class {
        async handle() {
          peak = Math.max(peak, ++now);
          await delay(100);
          now--;
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Sleepy], { concurrency: 4 });
    const jobs = await harness.queue.addBulk(
      Array.from({ length: 16 }, () => ({ name: 'Sleepy', data: {} })),
    );
    await Promise.all(jobs.map((j) => harness!.settled(j.id!)));
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
    expect(await harness.queue.getCompletedCount()).toBe(16);
  });

  it('closes gracefully: runner.stop() lets the running job complete, takes no new job, gives held jobs back', async () => {
    let started = 0;
    const Slow = TaskHandler('Slow')(
      class {
        async handle() {
          started++;
          await delay(800);
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Slow], { concurrency: 1, shutdownTimeout: 10_000 });
    const jobs = await harness.queue.addBulk(Array.from({ length: 3 }, () => ({ name: 'Slow', data: {} })));
    await eventually(() => started === 1, 5000, 'first job start');
    const t0 = Date.now();
    await harness.runner.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(started).toBe(1);
    const states = await Promise.all(jobs.map(async (j) => (await harness!.queue.getJob(j.id!))!.getState()));
    expect(states.sort()).toEqual(['completed', 'waiting', 'waiting']);
    expect(await harness.queue.getActiveCount()).toBe(0);
    expect(harness.source.running(harness.queueName)).toBe(0);
  });

  it('gives a job back to the queue when the shutdown timeout aborts its handler', async () => {
    let reason: AbortReason | undefined;
    const Stubborn = TaskHandler('Stubborn')(
      class {
        async handle(_task: Task, ctx: TaskContext) {
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          reason = ctx.abortReason;
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Stubborn], { concurrency: 1, shutdownTimeout: 300 });
    const job = await harness.queue.add('Stubborn', {});
    await eventually(() => harness!.source.running(harness!.queueName) === 1, 5000, 'job running');
    await harness.runner.stop();
    expect(reason).toBe('shutdown');
    const after = (await harness.queue.getJob(job.id!))!;
    expect(await after.getState()).toBe('waiting');
    expect(after.attemptsMade).toBe(0);
  });

  it('fails a flow parent whose child failed (failParentOnFailure) without running its handler', async () => {
    const ran: string[] = [];
    const Parent = TaskHandler('Parent')(
      class {
        handle() {
          ran.push('parent');
        }
      },
    );
    const Boom = TaskHandler('Boom')(
      class {
        handle() {
          throw new TaskFailure('BOOM', 'child failed on purpose', { retryable: false });
        }
      },
    );
    harness = await startBullHarness(redis.get(), [Parent, Boom]);
    const connection = new Redis(redis.get().url, { maxRetriesPerRequest: null });
    const flows = new FlowProducer({ connection });
    try {
      const flow = await flows.add({
        name: 'Parent',
        queueName: harness.queueName,
        children: [
          { name: 'Boom', queueName: harness.queueName, data: {}, opts: { failParentOnFailure: true } },
        ],
      });
      const parent = await harness.settled(flow.job.id!);
      expect(await parent.getState()).toBe('failed');
      expect(parent.failedReason).toMatch(/child .* failed/);
      expect(ran).toEqual([]);
    } finally {
      await flows.close();
      connection.disconnect();
    }
  });
});
