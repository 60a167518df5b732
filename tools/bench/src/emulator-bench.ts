/**
 * The emulator's own request ceiling on loopback, driven by the real SDK client: several clients with
 * keep-alive agents, several request loops each. Emulator and clients share this process, like the
 * runner benchmarks that are compared against these figures.
 */
import {
  DataPipelineClient,
  PollForTaskCommand,
  ReportTaskProgressCommand,
  SetTaskStatusCommand,
} from '@aws-sdk/client-data-pipeline';
import { startEmulator } from '@tasklane/emulator';
import type { Emulator } from '@tasklane/emulator';
import { Agent } from 'node:http';

export interface EmulatorBenchResult {
  pollPerSec: number;
  progressPerSec: number;
  statusPerSec: number;
  cyclePerSec: number;
}

const CLIENTS = 4;
const LOOPS_PER_CLIENT = 4;
const MAX_STATUS_POOL = 50_000;

function clients(endpoint: string): DataPipelineClient[] {
  return Array.from(
    { length: CLIENTS },
    () =>
      new DataPipelineClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        maxAttempts: 1,
        requestHandler: {
          httpAgent: new Agent({ keepAlive: true, maxSockets: LOOPS_PER_CLIENT * 2 }),
          requestTimeout: 100_000,
        },
      }),
  );
}

/** Runs `step` in every loop until `ms` passed; returns completed steps per second. */
async function measure(
  dps: DataPipelineClient[],
  ms: number,
  step: (dp: DataPipelineClient, loop: number) => Promise<boolean>,
): Promise<number> {
  let count = 0;
  const start = performance.now();
  const until = start + ms;
  await Promise.all(
    dps.flatMap((dp, c) =>
      Array.from({ length: LOOPS_PER_CLIENT }, async (_, l) => {
        while (performance.now() < until) {
          if (!(await step(dp, c * LOOPS_PER_CLIENT + l))) return;
          count++;
        }
      }),
    ),
  );
  return Math.round(count / ((performance.now() - start) / 1000));
}

async function takeAcked(emu: Emulator, dp: DataPipelineClient, group: string): Promise<string> {
  emu.control.enqueueTask({ workerGroup: group, type: 'NoopActivity' });
  const { taskObject } = await dp.send(new PollForTaskCommand({ workerGroup: group, hostname: 'bench' }));
  const taskId = taskObject!.taskId!;
  await dp.send(new ReportTaskProgressCommand({ taskId }));
  return taskId;
}

export async function benchEmulator(opts: { durationMs: number }): Promise<EmulatorBenchResult> {
  // Leases long enough that nothing expires mid-run and no timers fire while measuring.
  const emu = await startEmulator({
    longPollMs: 1000,
    ackTimeoutMs: 3_600_000,
    defaultReportProgressTimeoutMs: 3_600_000,
  });
  const dps = clients(emu.endpoint);
  const phase = Math.max(250, Math.round(opts.durationMs / 4));
  try {
    const group = (loop: number) => `bench-${loop}`;
    // Warm-up: JIT, sockets, SDK middleware caches.
    await measure(dps, Math.min(500, phase), async (dp, loop) => {
      await takeAcked(emu, dp, group(loop));
      return true;
    });

    const pollPerSec = await measure(dps, phase, async (dp, loop) => {
      emu.control.enqueueTask({ workerGroup: group(loop), type: 'NoopActivity' });
      const { taskObject } = await dp.send(
        new PollForTaskCommand({ workerGroup: group(loop), hostname: 'bench' }),
      );
      return taskObject !== undefined;
    });

    const leased = await Promise.all(
      dps.flatMap((dp, c) =>
        Array.from({ length: LOOPS_PER_CLIENT }, (_, l) =>
          takeAcked(emu, dp, group(c * LOOPS_PER_CLIENT + l)),
        ),
      ),
    );
    const progressPerSec = await measure(dps, phase, async (dp, loop) => {
      await dp.send(new ReportTaskProgressCommand({ taskId: leased[loop]! }));
      return true;
    });

    // SetTaskStatus closes a task, so each call needs a fresh acked one: prepare a pool first.
    const poolSize = Math.min(MAX_STATUS_POOL, Math.ceil((progressPerSec * phase * 1.2) / 1000));
    const pools: string[][] = Array.from({ length: CLIENTS * LOOPS_PER_CLIENT }, () => []);
    await Promise.all(
      dps.flatMap((dp, c) =>
        Array.from({ length: LOOPS_PER_CLIENT }, async (_, l) => {
          const loop = c * LOOPS_PER_CLIENT + l;
          while (pools[loop]!.length < poolSize / pools.length)
            pools[loop]!.push(await takeAcked(emu, dp, group(loop)));
        }),
      ),
    );
    const statusPerSec = await measure(dps, phase, async (dp, loop) => {
      const taskId = pools[loop]!.pop();
      if (taskId === undefined) return false;
      await dp.send(new SetTaskStatusCommand({ taskId, taskStatus: 'FINISHED' }));
      return true;
    });

    const cyclePerSec = await measure(dps, phase, async (dp, loop) => {
      const taskId = await takeAcked(emu, dp, group(loop));
      await dp.send(new SetTaskStatusCommand({ taskId, taskStatus: 'FINISHED' }));
      return true;
    });

    return { pollPerSec, progressPerSec, statusPerSec, cyclePerSec };
  } finally {
    for (const dp of dps) dp.destroy();
    await emu.close();
  }
}
