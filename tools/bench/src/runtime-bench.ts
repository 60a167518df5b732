import { startEmulator } from '@tasklane/emulator';
import { startTasklane } from '@tasklane/test-utils/harness';
import { waitTerminal } from './wait.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const plugin = fileURLToPath(new URL('../fixtures/noop-plugin.mjs', import.meta.url));
const CLOCK_TICKS = 100;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export interface RuntimeResult {
  runtime: string;
  timeToFirstPollMs: number;
  idleRssMb: number;
  /** RSS after the first half of the tasks. */
  rssHalfwayMb: number;
  rssAfterTasksMb: number;
  tasks: number;
  cpuMsPerTask: number;
  tasksPerSec: number;
}

/** Time to first poll, idle RSS, RSS after N no-op tasks and CPU per task for one runtime's bin/tasklane. */
export async function benchRuntime(runtime: 'node' | 'bun' | 'deno', tasks: number): Promise<RuntimeResult> {
  const emulator = await startEmulator({ longPollMs: 5000 });
  const group = `rt-${runtime}`;
  const started = performance.now();
  const proc = startTasklane(runtime, [
    'run',
    '--worker-group',
    group,
    '--endpoint',
    emulator.endpoint,
    '--plugin',
    plugin,
    '--concurrency',
    '8',
    '--log-level',
    'warn',
  ]);
  try {
    await emulator.control.waitFor((o) => (o.groups[group]?.polls ?? 0) > 0, 30_000);
    const timeToFirstPollMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 3000));
    const idleRssMb = rssMb(proc.pid);
    // Two equal batches: memory that grows in the first and not the second is warm-up (JIT, pools,
    // heap sizing); growth that continues into the second would be a leak.
    const runBatch = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++)
        ids.push(emulator.control.enqueueTask({ workerGroup: group, type: 'NoopActivity' }).taskId);
      await waitTerminal(emulator, ids);
      await new Promise((r) => setTimeout(r, 1000));
      return rssMb(proc.pid);
    };
    const cpuBefore = cpuSeconds(proc.pid);
    const t0 = performance.now();
    const rssHalfwayMb = await runBatch(Math.floor(tasks / 2));
    const rssAfterTasksMb = await runBatch(tasks - Math.floor(tasks / 2));
    const elapsed = performance.now() - t0 - 2000;
    const cpu = cpuSeconds(proc.pid) - cpuBefore;
    return {
      runtime,
      timeToFirstPollMs,
      idleRssMb,
      rssHalfwayMb,
      rssAfterTasksMb,
      tasks,
      cpuMsPerTask: (cpu * 1000) / tasks,
      tasksPerSec: (tasks / elapsed) * 1000,
    };
  } finally {
    await proc.stop(10_000);
    await emulator.close();
  }
}
