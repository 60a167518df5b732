import { startEmulator, type Emulator } from '@tasklane/emulator';
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { startTasklane } from '@tasklane/test-utils/harness';
import { waitTerminal } from './wait.ts';
import { percentile } from './stats.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const plugin = fileURLToPath(new URL('../fixtures/noop-plugin.mjs', import.meta.url));
const rawLoop = fileURLToPath(new URL('../fixtures/raw-loop.mjs', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLOCK_TICKS = 100;
/** How long a process sits idle (one open long poll) before its RSS is read. */
const IDLE_MS = 3000;

type Runtime = 'node' | 'bun' | 'deno';

/** The runtime binaries bin/tasklane itself execs (the workspace's pinned Bun and Deno). */
const EXECUTABLE: Record<Runtime, string> = {
  node: process.execPath,
  bun: `${root}apps/runner-bun/node_modules/bun/bin/bun.exe`,
  deno: `${root}apps/runner-deno/node_modules/deno/deno`,
};

// An empty program that says it is up and stays alive: what the runtime costs before any code of ours.
const BARE = "process.stdout.write('ready\\n'); setInterval(() => {}, 60000)";
const BARE_ARGS: Record<Runtime, string[]> = { node: ['-e', BARE], bun: ['-e', BARE], deno: ['eval', BARE] };
const RAW_ARGS: Record<Runtime, string[]> = {
  node: [rawLoop],
  bun: [rawLoop],
  deno: ['run', '-A', '--quiet', rawLoop],
};
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** One start of a process: wall time until it polled (or said it was up), its CPU by then, idle RSS. */
export interface StartSample {
  firstPollMs: number;
  /** User + system CPU of all its threads at that moment: far less disturbed by other load than wall time. */
  cpuMsAtFirstPoll: number;
  idleRssMb: number;
}

/** Medians (and the spread) of several starts of one program. */
export interface StartFigures {
  starts: number;
  firstPollMs: number;
  firstPollMsMin: number;
  firstPollMsMax: number;
  cpuMsAtFirstPoll: number;
  idleRssMb: number;
  idleRssMbMin: number;
  idleRssMbMax: number;
  samples: StartSample[];
}

export interface RuntimeResult {
  runtime: string;
  /** Median over {@link StartFigures.starts} starts of bin/tasklane. */
  timeToFirstPollMs: number;
  /** Median idle RSS of the same starts. */
  idleRssMb: number;
  tasklane: StartFigures;
  /** The runtime alone (an empty program): the floor of both figures. */
  bare: StartFigures;
  /** fixtures/raw-loop.mjs on the same runtime: the AWS SDK and nothing else. */
  rawLoop: StartFigures;
  /** RSS after the first half of the tasks. */
  rssHalfwayMb: number;
  rssAfterTasksMb: number;
  tasks: number;
  cpuMsPerTask: number;
  tasksPerSec: number;
}

const median = (values: number[]) => percentile(values, 50);

function figures(samples: StartSample[]): StartFigures {
  const polls = samples.map((s) => s.firstPollMs);
  const rss = samples.map((s) => s.idleRssMb);
  return {
    starts: samples.length,
    firstPollMs: median(polls),
    firstPollMsMin: Math.min(...polls),
    firstPollMsMax: Math.max(...polls),
    cpuMsAtFirstPoll: median(samples.map((s) => s.cpuMsAtFirstPoll)),
    idleRssMb: median(rss),
    idleRssMbMin: Math.min(...rss),
    idleRssMbMax: Math.max(...rss),
    samples,
  };
}

/** Starts a program, waits until `ready` resolves, reads its figures; the process is left running. */
async function sampleStart(
  start: () => GroupProcess,
  ready: (proc: GroupProcess) => Promise<unknown>,
): Promise<{ proc: GroupProcess; sample: StartSample }> {
  const t0 = performance.now();
  const proc = start();
  try {
    await ready(proc);
    const firstPollMs = performance.now() - t0;
    const cpuMsAtFirstPoll = cpuSeconds(proc.pid) * 1000;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { proc, sample: { firstPollMs, cpuMsAtFirstPoll, idleRssMb: rssMb(proc.pid) } };
  } catch (error) {
    await kill(proc);
    throw new Error(`${(error as Error).message}\n${proc.output().slice(-2000)}`, { cause: error });
  }
}

/** Start-up is what is measured, not the drain: a killed sample must not wait for its open long poll. */
async function kill(proc: GroupProcess): Promise<void> {
  proc.signal('SIGKILL');
  await proc.exited;
}

const firstPoll = (emulator: Emulator, group: string) => () =>
  emulator.control.waitFor((o) => (o.groups[group]?.polls ?? 0) > 0, 30_000);

const tasklaneArgs = (group: string, endpoint: string) => [
  'run',
  '--worker-group',
  group,
  '--endpoint',
  endpoint,
  '--plugin',
  plugin,
  '--concurrency',
  '8',
  '--log-level',
  'warn',
];

/**
 * Time to first poll and idle RSS of one runtime's bin/tasklane, as the median of `starts` starts, each
 * round also starting the bare runtime and the raw SDK loop (alternating, so load on the machine hits
 * all three alike); then RSS after N no-op tasks and CPU per task on the last bin/tasklane start.
 */
export async function benchRuntime(runtime: Runtime, tasks: number, starts = 5): Promise<RuntimeResult> {
  const emulator = await startEmulator({ longPollMs: 5000 });
  const env = { ...process.env, ...AWS_ENV, NODE_NO_WARNINGS: '1', NO_COLOR: '1' };
  const bare: StartSample[] = [];
  const raw: StartSample[] = [];
  const tasklane: StartSample[] = [];
  let last: { proc: GroupProcess; group: string } | undefined;
  try {
    for (let round = 0; round < starts; round++) {
      const b = await sampleStart(
        () => spawnGroup(EXECUTABLE[runtime], BARE_ARGS[runtime], { env }),
        (proc) => proc.waitForOutput(/ready/, 30_000),
      );
      bare.push(b.sample);
      await kill(b.proc);
      const rawGroup = `raw-${runtime}-${round}`;
      const r = await sampleStart(
        () =>
          spawnGroup(EXECUTABLE[runtime], RAW_ARGS[runtime], {
            env: { ...env, WG: rawGroup, ENDPOINT: emulator.endpoint },
          }),
        firstPoll(emulator, rawGroup),
      );
      raw.push(r.sample);
      await kill(r.proc);
      const group = `rt-${runtime}-${round}`;
      const t = await sampleStart(
        () => startTasklane(runtime, tasklaneArgs(group, emulator.endpoint)),
        firstPoll(emulator, group),
      );
      tasklane.push(t.sample);
      if (round < starts - 1) await kill(t.proc);
      else last = { proc: t.proc, group };
    }
    const { proc, group } = last!;
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
    const own = figures(tasklane);
    return {
      runtime,
      timeToFirstPollMs: own.firstPollMs,
      idleRssMb: own.idleRssMb,
      tasklane: own,
      bare: figures(bare),
      rawLoop: figures(raw),
      rssHalfwayMb,
      rssAfterTasksMb,
      tasks,
      cpuMsPerTask: (cpu * 1000) / tasks,
      tasksPerSec: (tasks / elapsed) * 1000,
    };
  } finally {
    await last?.proc.stop(10_000);
    await emulator.close();
  }
}
