import type { Runner, RunnerOptions, SourceBinding, TaskHandlerClass } from '@tasklane/core';
import { startTestRedis, type TestRedis } from '@tasklane/test-utils';
import { assertExpectedRuntime, startTestRunner } from '@tasklane/test-utils/harness';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { BullMQSource, type BullMQSourceOptions } from '../src/index.ts';

let counter = 0;

/** A queue name unique to this process and test. */
export function uniqueQueue(label = 'q'): string {
  return `tl-${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** A runner serving one fresh BullMQ queue, plus a Queue to add jobs and read them back. */
export interface BullHarness {
  readonly queueName: string;
  readonly queue: Queue;
  readonly source: BullMQSource;
  readonly runner: Runner;
  /** Waits until the job is completed or failed (after its last attempt) and returns it reloaded. */
  settled(jobId: string, timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<RunnerOptions, 'registry' | 'sources'>> {
  source?: Partial<BullMQSourceOptions>;
  /** More bindings (e.g. a Data Pipeline worker group) served by the same runner. */
  extraSources?: SourceBinding[];
  start?: boolean;
}

export async function startBullHarness(
  redis: TestRedis,
  handlers: TaskHandlerClass[],
  options: HarnessOptions = {},
): Promise<BullHarness> {
  const queueName = uniqueQueue();
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  const source = new BullMQSource({ url: redis.url, blockTimeoutMs: 500, ...options.source });
  const { source: _s, extraSources, start, ...runnerOptions } = options;
  const runner = await startTestRunner({
    ...runnerOptions,
    handlers,
    sources: [{ source, groups: [queueName] }, ...(extraSources ?? [])],
    start: start !== false,
  });
  return {
    queueName,
    queue,
    source,
    runner,
    async settled(jobId, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await queue.getJob(jobId);
        if (!job) throw new Error(`job ${jobId} vanished`);
        const state = await job.getState();
        // Reload: the job read above may predate the transition getState() just saw.
        if (state === 'completed' || state === 'failed') return (await queue.getJob(jobId)) ?? job;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
        await delay(20);
      }
    },
    async close() {
      await runner.stop();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Redis for one test file: TASKLANE_TEST_REDIS_URL or a private redis-server. */
export function redisForFile(): { get(): TestRedis; start(): Promise<void>; stop(): Promise<void> } {
  let redis: TestRedis | undefined;
  return {
    get() {
      if (!redis) throw new Error('redis not started');
      return redis;
    },
    async start() {
      // Every integration file checks the runtime itself, so a test:bun / test:deno run that silently
      // fell back to Node fails here rather than passing on the wrong runtime.
      assertExpectedRuntime();
      redis = await startTestRedis();
    },
    async stop() {
      await redis?.dispose();
    },
  };
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}
