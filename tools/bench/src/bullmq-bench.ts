import { TaskHandler } from '@tasklane/core';
import { BullMQSource } from '@tasklane/source-bullmq';
import { startTestRunner } from '@tasklane/test-utils/harness';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** One measured drain: jobs per second, and this process's CPU time per job (user + system). */
export interface BullmqRound {
  /** `source`: the BullMQ source driven by a minimal poll loop, no Runner (what the source itself costs). */
  kind: 'bare' | 'tasklane' | 'source';
  perSec: number;
  cpuUsPerJob: number;
}

/** Result of {@link benchBullmq}: jobs per second through each consumer, and tasklane / bare. */
export interface BullmqBenchResult {
  tasklanePerSec: number;
  barePerSec: number;
  ratio: number;
  /** Median CPU time per job (µs) of each side, and tasklane / bare: steadier than throughput on a busy machine. */
  tasklaneCpuUsPerJob: number;
  bareCpuUsPerJob: number;
  cpuRatio: number;
  /** The source without the Runner, against the same bare Worker: separates the source's cost from core's. */
  sourceOnlyPerSec: number;
  sourceOnlyCpuUsPerJob: number;
  jobs: number;
  concurrency: number;
  /** Every measured round, in run order, so noise is visible. */
  rounds: BullmqRound[];
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

/** Throughput and CPU per job of one drain that started at `started` / `cpu`. */
function measure(
  kind: BullmqRound['kind'],
  jobs: number,
  started: number,
  cpu: NodeJS.CpuUsage,
): BullmqRound {
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { kind, perSec: (jobs * 1000) / elapsed, cpuUsPerJob: (used.user + used.system) / jobs };
}

/** A plain BullMQ Worker with a no-op processor draining the queue. */
async function bare(
  redisUrl: string,
  connection: Redis,
  jobs: number,
  concurrency: number,
): Promise<BullmqRound> {
  const queue = await fill(connection, jobs);
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(queue.name, async () => {}, { connection: workerConnection, concurrency });
  worker.on('completed', () => {
    if (++done === jobs) finish();
  });
  await finished;
  const round = measure('bare', jobs, started, cpu);
  await worker.close();
  workerConnection.disconnect();
  await queue.obliterate({ force: true });
  await queue.close();
  return round;
}

/** The same jobs through a Tasklane Runner with the BullMQ source, `concurrency` slots. */
async function tasklane(
  redisUrl: string,
  connection: Redis,
  jobs: number,
  concurrency: number,
): Promise<BullmqRound> {
  const queue = await fill(connection, jobs);
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const cpu = process.cpuUsage();
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
  const round = measure('tasklane', jobs, started, cpu);
  await runner.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  return round;
}

/**
 * The source alone: one poll loop (as the Runner's, one poll at a time) starting up to `concurrency`
 * tasks that ack, parse and complete FINISHED. What remains between this and `tasklane` is the Runner.
 */
async function sourceOnly(
  redisUrl: string,
  connection: Redis,
  jobs: number,
  concurrency: number,
): Promise<BullmqRound> {
  const queue = await fill(connection, jobs);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const source = new BullMQSource({ url: redisUrl });
  const stop = new AbortController();
  let done = 0;
  let running = 0;
  let wake: (() => void) | undefined;
  const run = async (task: NonNullable<Awaited<ReturnType<BullMQSource['poll']>>>) => {
    await task.ack();
    task.toTask();
    await task.complete({ status: 'FINISHED' });
    running--;
    done++;
    wake?.();
  };
  while (done < jobs) {
    if (running >= concurrency || running + done >= jobs) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    running++;
    const task = await source.poll(queue.name, stop.signal);
    if (task) void run(task);
    else running--;
  }
  const round = measure('source', jobs, started, cpu);
  stop.abort();
  await source.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return round;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Throughput of no-op jobs: a bare `new Worker(q, async () => {}, { concurrency })` against a Tasklane
 * Runner serving the same kind of queue through `BullMQSource` with the same concurrency, and the source
 * alone under a minimal poll loop (so the source's own cost and the Runner's show apart). Each side gets
 * a warm-up and `rounds` measured rounds (interleaved, so drift hits both); the best round of each counts
 * for throughput, the median for CPU per job. Timing starts when the consumer is created, so connection
 * setup is included on both sides.
 */
export async function benchBullmq(opts: {
  redisUrl: string;
  jobs: number;
  concurrency: number;
  /** Measured rounds per side. @default 4 */
  rounds?: number;
}): Promise<BullmqBenchResult> {
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  try {
    const warm = Math.max(100, Math.floor(opts.jobs / 10));
    await bare(opts.redisUrl, connection, warm, opts.concurrency);
    await tasklane(opts.redisUrl, connection, warm, opts.concurrency);
    const rounds: BullmqRound[] = [];
    for (let round = 0; round < (opts.rounds ?? 4); round++) {
      // Alternate which side goes first, so neither always runs on a warmer (or busier) machine.
      const order =
        round % 2 === 0 ? ([bare, tasklane, sourceOnly] as const) : ([sourceOnly, tasklane, bare] as const);
      for (const run of order) rounds.push(await run(opts.redisUrl, connection, opts.jobs, opts.concurrency));
    }
    const of = (kind: BullmqRound['kind']) => rounds.filter((r) => r.kind === kind);
    const barePerSec = Math.max(...of('bare').map((r) => r.perSec));
    const tasklanePerSec = Math.max(...of('tasklane').map((r) => r.perSec));
    const bareCpuUsPerJob = median(of('bare').map((r) => r.cpuUsPerJob));
    const tasklaneCpuUsPerJob = median(of('tasklane').map((r) => r.cpuUsPerJob));
    const sourceOnlyPerSec = Math.max(...of('source').map((r) => r.perSec));
    const sourceOnlyCpuUsPerJob = median(of('source').map((r) => r.cpuUsPerJob));
    return {
      tasklanePerSec,
      barePerSec,
      ratio: tasklanePerSec / barePerSec,
      tasklaneCpuUsPerJob,
      bareCpuUsPerJob,
      cpuRatio: tasklaneCpuUsPerJob / bareCpuUsPerJob,
      sourceOnlyPerSec,
      sourceOnlyCpuUsPerJob,
      jobs: opts.jobs,
      concurrency: opts.concurrency,
      rounds,
    };
  } finally {
    connection.disconnect();
  }
}
