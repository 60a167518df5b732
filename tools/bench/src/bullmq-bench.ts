import { TaskHandler } from '@tasklane/core';
import { BullMQSource } from '@tasklane/source-bullmq';
import { startTestRunner } from '@tasklane/test-utils/harness';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** Result of {@link benchBullmq}: jobs per second through each consumer, and tasklane / bare. */
export interface BullmqBenchResult {
  tasklanePerSec: number;
  barePerSec: number;
  ratio: number;
  jobs: number;
  concurrency: number;
  /** Every measured round, in run order, so noise is visible. */
  rounds: { kind: 'bare' | 'tasklane'; perSec: number }[];
}

const NoopActivity = TaskHandler('NoopActivity')(
  class {
    handle() {}
  },
);

let queues = 0;

async function fill(connection: Redis, jobs: number): Promise<Queue> {
  const queue = new Queue(`bench-bullmq-${process.pid}-${++queues}`, { connection });
  // removeOnComplete keeps Redis memory flat across rounds; both consumers pay the same for it.
  const batch = 1000;
  for (let i = 0; i < jobs; i += batch) {
    await queue.addBulk(
      Array.from({ length: Math.min(batch, jobs - i) }, () => ({
        name: 'NoopActivity',
        data: {},
        opts: { removeOnComplete: true },
      })),
    );
  }
  return queue;
}

/** A plain BullMQ Worker with a no-op processor draining the queue. */
async function bare(redisUrl: string, connection: Redis, jobs: number, concurrency: number): Promise<number> {
  const queue = await fill(connection, jobs);
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const started = performance.now();
  const worker = new Worker(queue.name, async () => {}, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    concurrency,
  });
  worker.on('completed', () => {
    if (++done === jobs) finish();
  });
  await finished;
  const elapsed = performance.now() - started;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return (jobs * 1000) / elapsed;
}

/** The same jobs through a Tasklane Runner with the BullMQ source, `concurrency` slots. */
async function tasklane(
  redisUrl: string,
  connection: Redis,
  jobs: number,
  concurrency: number,
): Promise<number> {
  const queue = await fill(connection, jobs);
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const started = performance.now();
  const runner = await startTestRunner({
    start: false,
    handlers: [NoopActivity],
    sources: [{ source: new BullMQSource({ url: redisUrl }), groups: [queue.name] }],
    concurrency,
    hooks: [
      {
        onTaskEnd() {
          if (++done === jobs) finish();
        },
      },
    ],
  });
  await runner.start();
  await finished;
  const elapsed = performance.now() - started;
  await runner.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  return (jobs * 1000) / elapsed;
}

/**
 * Throughput of no-op jobs: a bare `new Worker(q, async () => {}, { concurrency })` against a Tasklane
 * Runner serving the same kind of queue through `BullMQSource` with the same concurrency. Each side gets
 * a warm-up and two measured rounds (interleaved, so drift hits both); the best round of each counts.
 * Timing starts when the consumer is created, so connection setup is included on both sides.
 */
export async function benchBullmq(opts: {
  redisUrl: string;
  jobs: number;
  concurrency: number;
}): Promise<BullmqBenchResult> {
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  try {
    const warm = Math.max(100, Math.floor(opts.jobs / 10));
    await bare(opts.redisUrl, connection, warm, opts.concurrency);
    await tasklane(opts.redisUrl, connection, warm, opts.concurrency);
    const rounds: BullmqBenchResult['rounds'] = [];
    for (let round = 0; round < 2; round++) {
      rounds.push({
        kind: 'bare',
        perSec: await bare(opts.redisUrl, connection, opts.jobs, opts.concurrency),
      });
      rounds.push({
        kind: 'tasklane',
        perSec: await tasklane(opts.redisUrl, connection, opts.jobs, opts.concurrency),
      });
    }
    const best = (kind: 'bare' | 'tasklane') =>
      Math.max(...rounds.filter((r) => r.kind === kind).map((r) => r.perSec));
    const barePerSec = best('bare');
    const tasklanePerSec = best('tasklane');
    return {
      tasklanePerSec,
      barePerSec,
      ratio: tasklanePerSec / barePerSec,
      jobs: opts.jobs,
      concurrency: opts.concurrency,
      rounds,
    };
  } finally {
    connection.disconnect();
  }
}
