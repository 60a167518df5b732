/**
 * Overhead as users run it: the emulator, each runner and Redis are separate processes on loopback.
 * Variants (each on its own worker group, all started once and left idle between runs):
 * - raw: fixtures/raw-loop.mjs, a hand-written AWS SDK loop;
 * - tasklane: one bin/tasklane without Redis;
 * - redis1: one bin/tasklane with --redis-url;
 * - redis3: three bin/tasklane with --redis-url on one group.
 * Each Redis variant has a redis-server of its own, so the commands counted in a run are the measured
 * variant's alone (the other fleet's renewals and waits while it sits idle in a long poll went into the
 * count when they shared one, about 0.01 per task, the no-Redis rows included).
 * Each run: the variant's processes are stopped (SIGSTOP), `tasks` no-op tasks are queued, the processes
 * continue, and the run ends when every task is FINISHED. Throughput is tasks / wall time; CPU per task
 * is the runner processes' own user+system time (/proc/<pid>/stat) over the run. Runs alternate in a
 * rotating order so drift on a shared machine spreads over every variant.
 */
import { startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { Redis } from 'ioredis';
import { clientCommandCount } from './coordinator-bench.ts';
import { round } from './stats.ts';
import { cpuSeconds, EmulatorProcess, sleep, startRawLoop, startTasklane, type RunnerSpec } from './procs.ts';

export const VARIANTS = ['raw', 'tasklane', 'redis1', 'redis3'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface VariantResult {
  /** Median over the runs. */
  perSec: number;
  cpuMsPerTask: number;
  /** Redis commands the variant's runners sent per task (INFO commandstats of its own Redis; 0 without). */
  redisCommandsPerTask: number;
  runs: RunFigures[];
  /** Most polls the emulator saw in flight at once on the variant's group, over every run. */
  maxInFlightPolls: number;
  /**
   * The service's wait for the next poll after one handed out a task (emulator `pollGaps`, medians over
   * the runs): the mean wait when the same runner polled next and when another one did (a hand-off), and
   * hand-offs per task.
   */
  pollGaps: { sameHostMeanMs: number; otherHostMeanMs: number; handOffsPerTask: number };
}

interface RunFigures {
  perSec: number;
  cpuMsPerTask: number;
  redisCommandsPerTask: number;
  sameHostGapMs: number;
  otherHostGapMs: number;
  handOffsPerTask: number;
}

export interface ProcessOverheadResult {
  tasks: number;
  /** Tasks each runner process ran at least before the measured rounds (the target). */
  warmupTasksPerProcess: number;
  /** What the least-used process of each variant ran in the warm-up. */
  warmedUp: Record<Variant, number>;
  concurrency: number;
  rounds: number;
  variants: Record<Variant, VariantResult>;
  /**
   * Against the raw loop: the median over rounds of each round's ratio (a round runs every variant back
   * to back, so a machine that slows down for a while slows both sides of a ratio).
   */
  ratios: {
    tasklanePerSec: number;
    redis1PerSec: number;
    redis3PerSec: number;
    tasklaneCpu: number;
    redis1Cpu: number;
    redis3Cpu: number;
  };
  /** 1-minute load average when the section started and ended (the machine is shared). */
  loadAverage: { before: number; after: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function oneRun(
  emulator: EmulatorProcess,
  group: string,
  procs: GroupProcess[],
  tasks: number,
  admin: Redis | undefined,
): Promise<RunFigures & { maxInFlight: number; ids: string[] }> {
  await emulator.reset();
  await emulator.polling(group);
  for (const p of procs) p.signal('SIGSTOP');
  const ids = await emulator.enqueue(group, tasks);
  const last = ids[ids.length - 1]!;
  const commands0 = admin ? await clientCommandCount(admin) : 0;
  const cpu0 = procs.reduce((s, p) => s + cpuSeconds(p.pid), 0);
  await emulator.resetPollGaps();
  const t0 = performance.now();
  for (const p of procs) p.signal('SIGCONT');
  // Polling one task's state is a light request; the full check runs once the last task is done.
  while (!(await emulator.terminal(last))) await sleep(5);
  while ((await emulator.unfinished(ids)) > 0) await sleep(5);
  const elapsed = performance.now() - t0;
  const cpu = procs.reduce((s, p) => s + cpuSeconds(p.pid), 0) - cpu0;
  // The variant's own Redis; the reading before counts once more.
  const commands = admin ? (await clientCommandCount(admin)) - commands0 - 1 : 0;
  const g = await emulator.group(group);
  const mean = (x: { count: number; totalMs: number } | undefined) => (x?.count ? x.totalMs / x.count : 0);
  return {
    ids,
    redisCommandsPerTask: commands / tasks,
    perSec: (tasks / elapsed) * 1000,
    cpuMsPerTask: (cpu * 1000) / tasks,
    maxInFlight: g?.maxInFlightPolls ?? 0,
    sameHostGapMs: mean(g?.pollGaps?.sameHost),
    otherHostGapMs: mean(g?.pollGaps?.otherHost),
    handOffsPerTask: (g?.pollGaps?.otherHost.count ?? 0) / tasks,
  };
}

/** Throughput and CPU per task of every variant, from one run of alternating rounds. */
export async function benchProcessOverhead(opts: {
  redisUrl: string;
  tasks: number;
  concurrency: number;
  rounds: number;
  /** Warm-up tasks per runner process, before the measured rounds. */
  warmupTasks?: number;
}): Promise<ProcessOverheadResult> {
  const { loadavg } = await import('node:os');
  const before = loadavg()[0]!;
  const emulator = await EmulatorProcess.start('2s');
  const procs = new Map<Variant, GroupProcess[]>();
  let fleetRedis: TestRedis | undefined;
  const admins = new Map<Variant, Redis>();
  const prefix = `bench-${process.pid}-${Date.now()}:`;
  try {
    fleetRedis = await startTestRedis({ forceOwned: true });
    const redisOf: Partial<Record<Variant, string>> = { redis1: opts.redisUrl, redis3: fleetRedis.url };
    for (const [v, url] of Object.entries(redisOf) as Array<[Variant, string]>) {
      const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      admins.set(v, admin);
      await admin.connect();
    }
    const spec = (v: Variant, hostname: string): RunnerSpec => ({
      group: `wg-${v}`,
      concurrency: opts.concurrency,
      hostname,
      ...(redisOf[v] ? { redisUrl: redisOf[v], keyPrefix: prefix } : {}),
    });
    procs.set('raw', [startRawLoop(emulator, 'wg-raw', opts.concurrency)]);
    procs.set('tasklane', [startTasklane(emulator, spec('tasklane', 'tl'))]);
    procs.set('redis1', [startTasklane(emulator, spec('redis1', 'r1'))]);
    procs.set(
      'redis3',
      [0, 1, 2].map((i) => startTasklane(emulator, spec('redis3', `r3-${i}`))),
    );
    const group = (v: Variant) => `wg-${v}`;
    for (const v of VARIANTS) await emulator.polling(group(v));
    // Warm-up: JIT, sockets, Redis scripts loaded. Per process: each process of a fleet must have run as
    // many tasks as a single runner has. Long turns (1 s, the default) hand a backlog to one process at a time,
    // so a fleet's share is uneven: it warms up until its least-used process has had its share (a
    // process left cold ran a whole run at 1.5× the CPU per task of a warm one).
    const warmup = opts.warmupTasks ?? 300;
    const warmedUp = new Map<Variant, number>();
    for (const v of VARIANTS) {
      const list = procs.get(v)!;
      const ran = new Map<string, number>();
      for (let i = 0; i < 8; i++) {
        const { ids } = await oneRun(emulator, group(v), list, warmup * list.length, admins.get(v));
        for (const [host, count] of await emulator.tasksPerHost(ids))
          ran.set(host, (ran.get(host) ?? 0) + count);
        const least = ran.size < list.length ? 0 : Math.min(...ran.values());
        warmedUp.set(v, least);
        if (least >= warmup) break;
      }
    }
    const runs = new Map<Variant, VariantResult['runs']>(VARIANTS.map((v) => [v, []]));
    const maxInFlight = new Map<Variant, number>(VARIANTS.map((v) => [v, 0]));
    for (let r = 0; r < opts.rounds; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
      if (r % 2 === 1) order.reverse();
      for (const v of order) {
        const run = await oneRun(emulator, group(v), procs.get(v)!, opts.tasks, admins.get(v));
        runs.get(v)!.push({
          perSec: round(run.perSec, 1),
          cpuMsPerTask: round(run.cpuMsPerTask, 3),
          redisCommandsPerTask: round(run.redisCommandsPerTask, 3),
          sameHostGapMs: round(run.sameHostGapMs, 3),
          otherHostGapMs: round(run.otherHostGapMs, 3),
          handOffsPerTask: round(run.handOffsPerTask, 3),
        });
        maxInFlight.set(v, Math.max(maxInFlight.get(v)!, run.maxInFlight));
      }
    }
    const variants = {} as Record<Variant, VariantResult>;
    for (const v of VARIANTS) {
      const list = runs.get(v)!;
      variants[v] = {
        perSec: round(median(list.map((x) => x.perSec)), 1),
        cpuMsPerTask: round(median(list.map((x) => x.cpuMsPerTask)), 3),
        redisCommandsPerTask: round(median(list.map((x) => x.redisCommandsPerTask)), 3),
        runs: list,
        maxInFlightPolls: maxInFlight.get(v)!,
        pollGaps: {
          sameHostMeanMs: round(median(list.map((x) => x.sameHostGapMs)), 3),
          otherHostMeanMs: round(median(list.map((x) => x.otherHostGapMs)), 3),
          handOffsPerTask: round(median(list.map((x) => x.handOffsPerTask)), 3),
        },
      };
    }
    const paired = (v: Variant, key: 'perSec' | 'cpuMsPerTask') =>
      round(median(runs.get(v)!.map((run, i) => run[key] / runs.get('raw')![i]![key])), 3);
    return {
      tasks: opts.tasks,
      warmupTasksPerProcess: warmup,
      warmedUp: Object.fromEntries(warmedUp) as Record<Variant, number>,
      concurrency: opts.concurrency,
      rounds: opts.rounds,
      variants,
      ratios: {
        tasklanePerSec: paired('tasklane', 'perSec'),
        redis1PerSec: paired('redis1', 'perSec'),
        redis3PerSec: paired('redis3', 'perSec'),
        tasklaneCpu: paired('tasklane', 'cpuMsPerTask'),
        redis1Cpu: paired('redis1', 'cpuMsPerTask'),
        redis3Cpu: paired('redis3', 'cpuMsPerTask'),
      },
      loadAverage: { before: round(before, 2), after: round(loadavg()[0]!, 2) },
    };
  } finally {
    for (const admin of admins.values()) admin.disconnect();
    await Promise.all([...procs.values()].flat().map((p) => p.stop(5000)));
    await emulator.close();
    await fleetRedis?.dispose();
  }
}
