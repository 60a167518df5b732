import {
  DataPipelineClient,
  PollForTaskCommand,
  ReportTaskProgressCommand,
  SetTaskStatusCommand,
} from '@aws-sdk/client-data-pipeline';
import { TaskHandler } from '@tasklane/core';
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { emulatorSource, startTestRunner } from '@tasklane/test-utils/harness';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { waitTerminal } from './wait.ts';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };

function client(endpoint: string): DataPipelineClient {
  return new DataPipelineClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      requestTimeout: 100_000,
    }),
  });
}

/**
 * One handler class for every run, as in a real runner: a new class per run would make the runner's
 * call sites polymorphic across runs and measure V8 feedback, not Tasklane.
 */
const Noop = TaskHandler('NoopActivity')(
  class {
    handle() {}
  },
);

function enqueue(emulator: Emulator, group: string, count: number): string[] {
  return Array.from(
    { length: count },
    () => emulator.control.enqueueTask({ workerGroup: group, type: 'NoopActivity' }).taskId,
  );
}

/**
 * The baseline: the smallest correct loop on the raw SDK. One poll in flight per group (as the protocol
 * asks), tasks handed to up to `concurrency` workers that ack and set FINISHED.
 */
export async function rawLoop(
  emulator: Emulator,
  group: string,
  tasks: number,
  concurrency: number,
): Promise<number> {
  const dp = client(emulator.endpoint);
  const ids = enqueue(emulator, group, tasks);
  let running = 0;
  let done = 0;
  let wake: (() => void) | undefined;
  const started = performance.now();
  const work = async (taskId: string) => {
    await dp.send(new ReportTaskProgressCommand({ taskId }));
    await dp.send(new SetTaskStatusCommand({ taskId, taskStatus: 'FINISHED' }));
    running--;
    done++;
    wake?.();
  };
  const poll = async () => {
    while (done + running < tasks) {
      if (running >= concurrency) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      running++;
      const { taskObject } = await dp.send(new PollForTaskCommand({ workerGroup: group, hostname: 'bench' }));
      if (taskObject?.taskId) void work(taskObject.taskId);
      else running--;
    }
  };
  // Both variants are timed the same way: until the client has had every SetTaskStatus answered.
  // (Asking the emulator on a timer would spend CPU in the very process being measured.)
  await poll();
  while (done < tasks) await new Promise<void>((r) => (wake = r));
  const elapsed = performance.now() - started;
  await waitTerminal(emulator, ids);
  dp.destroy();
  return (tasks / elapsed) * 1000;
}

/** The same tasks through a Tasklane Runner with a no-op handler. */
export async function tasklane(
  emulator: Emulator,
  group: string,
  tasks: number,
  concurrency: number,
): Promise<number> {
  // The raw loop's client, so both paths pay for the same HTTP stack.
  const source = emulatorSource(emulator.endpoint, {
    hostname: 'bench',
    taskrunnerId: 'bench',
    client: client(emulator.endpoint),
  });
  const ids = enqueue(emulator, group, tasks);
  const runner = await startTestRunner({
    start: false,
    handlers: [Noop],
    sources: [{ source, groups: [group] }],
    concurrency,
    progressInterval: '1m',
    hooks: [
      {
        onTaskEnd: () => {
          if (++ended === tasks) allEnded();
        },
      },
    ],
  });
  let ended = 0;
  let allEnded!: () => void;
  const finished = new Promise<void>((resolve) => (allEnded = resolve));
  const started = performance.now();
  await runner.start();
  await finished;
  const elapsed = performance.now() - started;
  await waitTerminal(emulator, ids);
  await runner.stop();
  source.client.destroy();
  return (tasks / elapsed) * 1000;
}

export interface OverheadResult {
  concurrency: number;
  tasks: number;
  rawPerSec: number;
  tasklanePerSec: number;
  ratio: number;
}

/** Framework overhead: Tasklane vs the raw-SDK loop, alternating runs, median of `rounds`. */
export async function benchRunnerOverhead(opts: {
  tasks: number;
  concurrencies: number[];
  rounds: number;
}): Promise<OverheadResult[]> {
  const emulator = await startEmulator({ longPollMs: 2000 });
  const results: OverheadResult[] = [];
  try {
    let n = 0;
    for (const concurrency of opts.concurrencies) {
      const raw: number[] = [];
      const ours: number[] = [];
      // warm-up both paths (JIT, sockets)
      await rawLoop(emulator, `warm-${++n}`, 200, concurrency);
      await tasklane(emulator, `warm-${++n}`, 200, concurrency);
      // Each run starts from an empty emulator, and the order alternates: whichever runs second in a
      // pair otherwise pays for the garbage the first one left in this shared process.
      const runRaw = async () => {
        emulator.control.reset();
        raw.push(await rawLoop(emulator, `raw-${++n}`, opts.tasks, concurrency));
      };
      const runOurs = async () => {
        emulator.control.reset();
        ours.push(await tasklane(emulator, `tl-${++n}`, opts.tasks, concurrency));
      };
      for (let r = 0; r < opts.rounds * 2; r++) {
        if (r % 2 === 0) {
          await runRaw();
          await runOurs();
        } else {
          await runOurs();
          await runRaw();
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const rawPerSec = median(raw);
      const tasklanePerSec = median(ours);
      results.push({
        concurrency,
        tasks: opts.tasks,
        rawPerSec,
        tasklanePerSec,
        ratio: tasklanePerSec / rawPerSec,
      });
    }
  } finally {
    await emulator.close();
  }
  return results;
}
