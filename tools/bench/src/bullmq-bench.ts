/**
 * The BullMQ source against a bare BullMQ Worker, both as users run them, each in its own process:
 * - bare: fixtures/bullmq-worker.mjs, `new Worker(queue, async () => {}, { concurrency })`;
 * - tasklane: `bin/tasklane run --source bullmq` with the no-op plugin, same concurrency;
 * - source, runner (diagnostic, fixtures/bullmq-layers.mjs): the source under a minimal loop, and core's
 *   Runner without the CLI, so the cost of each layer shows apart.
 * Each serves its own queue and all stay up for the whole section. A run stops them all (SIGSTOP), queues
 * `jobs` no-op jobs for one side, lets only that side continue and ends when its queue is empty, so
 * filling the queue is not timed and the idle sides neither compete for the CPU nor send commands.
 * Every round runs every side, bare and tasklane back to back (alternating which goes first): the median
 * of the per-round ratios is the figure, as a shared machine's load drifts between rounds far more than
 * within one.
 */
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, sleep, TASKLANE_BIN } from './procs.ts';
import { round } from './stats.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** One side of one round. */
export interface BullmqSideRun {
  perSec: number;
  /** The consumer process's user + system CPU time per job (/proc/<pid>/stat). */
  cpuUsPerJob: number;
  /** Commands the consumer sent per job (scripts, blocking pops, connection chatter; INFO commandstats). */
  redisCommandsPerJob: number;
  /** Every command Redis ran per job, those inside BullMQ's Lua scripts included. */
  redisCallsPerJob: number;
  /** redis-server's own CPU time per job (INFO cpu). */
  redisCpuUsPerJob: number;
}

const SIDES = ['bare', 'tasklane', 'source', 'runner'] as const;
type SideName = (typeof SIDES)[number];

/** One round: every side once, and tasklane's ratios to bare. */
export interface BullmqRound {
  order: SideName[];
  bare: BullmqSideRun;
  tasklane: BullmqSideRun;
  source?: BullmqSideRun;
  runner?: BullmqSideRun;
  /** tasklane / bare throughput. */
  ratio: number;
  /** tasklane / bare CPU per job. */
  cpuRatio: number;
  /** 1-minute load average when the round ended. */
  loadAverage: number;
}

/** Result of {@link benchBullmq}: medians over the rounds, and every round so the spread is visible. */
export interface BullmqBenchResult {
  /** Median over the rounds of tasklane / bare throughput, each pair from the same round. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  /** Median over the rounds of tasklane / bare CPU per job. */
  cpuRatio: number;
  /** Medians of each side's own figures. */
  tasklanePerSec: number;
  barePerSec: number;
  tasklaneCpuUsPerJob: number;
  bareCpuUsPerJob: number;
  tasklaneRedisCommandsPerJob: number;
  bareRedisCommandsPerJob: number;
  tasklaneRedisCallsPerJob: number;
  bareRedisCallsPerJob: number;
  tasklaneRedisCpuUsPerJob: number;
  bareRedisCpuUsPerJob: number;
  /** The diagnostic layers against bare, medians of per-round ratios (throughput, CPU per job). */
  layers?: Record<'source' | 'runner', { ratio: number; cpuRatio: number; cpuUsPerJob: number }>;
  jobs: number;
  concurrency: number;
  rounds: BullmqRound[];
  /** 1-minute load average when the section started and ended (the machine is shared). */
  loadAverage: { before: number; after: number };
  /** The commit measured, and measured files that differed from it (a shared checkout has work in progress). */
  code?: { commit: string; uncommitted: string[] };
}

/** Which code ran: the builds come from the working tree, which need not match the commit. */
function measuredCode(): BullmqBenchResult['code'] {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: fileURLToPath(new URL('../../..', import.meta.url)), encoding: 'utf8' });
  try {
    const paths = ['packages/core/src', 'packages/cli/src', 'packages/source-bullmq/src', 'apps/runner-node'];
    const status = git('status', '--porcelain', '--', ...paths);
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      uncommitted: status
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(3)),
    };
  } catch {
    return undefined; // not a git checkout
  }
}

/** Commands Lua cannot run, so each call is one a client sent (Redis 7 counts script calls too). */
const CLIENT_ONLY =
  /^(evalsha|eval|evalsha_ro|eval_ro|fcall|fcall_ro|bzpopmin|bzpopmax|bzmpop|blpop|brpop|blmpop|blmove|brpoplpush|multi|exec|info|ping|hello|auth|select|quit|client\|.*|script\|.*|subscribe|psubscribe)$/;

interface RedisSnapshot {
  commands: number;
  calls: number;
  cpuSeconds: number;
}

/** One INFO for both sections; it counts itself in the next snapshot (subtracted in drain). */
async function snapshot(admin: Redis): Promise<RedisSnapshot> {
  const info = await admin.info('commandstats', 'cpu');
  const s: RedisSnapshot = { commands: 0, calls: 0, cpuSeconds: 0 };
  for (const line of info.split('\n')) {
    const cmd = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (cmd) {
      s.calls += Number(cmd[2]);
      if (CLIENT_ONLY.test(cmd[1]!)) s.commands += Number(cmd[2]);
    }
    const cpu = /^used_cpu_(sys|user):([\d.]+)/.exec(line.trim());
    if (cpu) s.cpuSeconds += Number(cpu[2]);
  }
  return s;
}

/** A consumer process and the queue only it serves. */
interface Side {
  readonly name: SideName;
  readonly proc: GroupProcess;
  readonly queue: Queue;
}

function startSide(name: SideName, redisUrl: string, concurrency: number, connection: Redis): Side {
  const queueName = `bench-bullmq-${name}-${process.pid}`;
  const env = { ...process.env, NODE_NO_WARNINGS: '1', NODE_OPTIONS: '' };
  const fixtureEnv = { ...env, REDIS_URL: redisUrl, QUEUE: queueName, CONCURRENCY: String(concurrency) };
  // `tasklane run` as the README gives it, at --log-level warn like the other process benches (at the
  // default info level every job would add a log line).
  const args = ['run', '--source', 'bullmq', '--queue', queueName, '--redis-url', redisUrl, '--plugin'];
  args.push(fixture('noop-plugin.mjs'), '--concurrency', String(concurrency), '--log-level', 'warn');
  const proc =
    name === 'bare'
      ? spawnGroup(process.execPath, [fixture('bullmq-worker.mjs')], { env: fixtureEnv })
      : name !== 'tasklane'
        ? spawnGroup(process.execPath, [fixture('bullmq-layers.mjs')], { env: { ...fixtureEnv, MODE: name } })
        : spawnGroup(TASKLANE_BIN, args, { env });
  return { name, proc, queue: new Queue(queueName, { connection }) };
}

/** Queues `jobs` no-op jobs; removeOnComplete keeps Redis memory flat and costs both sides the same. */
async function fill(queue: Queue, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, jobs - i) }, () => ({
        name: 'NoopActivity',
        data: {},
        opts: { removeOnComplete: true },
      })),
    );
  }
}

/** One drain of `jobs` jobs by `side` while every other consumer is stopped. */
async function drain(side: Side, all: Side[], jobs: number, admin: Redis): Promise<BullmqSideRun> {
  for (const s of all) s.proc.signal('SIGSTOP');
  await fill(side.queue, jobs);
  const keys = [side.queue.toKey('wait'), side.queue.toKey('active')];
  const before = await snapshot(admin);
  const cpu0 = cpuSeconds(side.proc.pid);
  const t0 = performance.now();
  side.proc.signal('SIGCONT');
  // Two LLENs per check, subtracted below; a 5 ms cadence is well under 1 % of a run.
  let checks = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    checks++;
    const [[, waiting], [, active]] = (await admin.pipeline().llen(keys[0]!).llen(keys[1]!).exec()) as [
      [null, number],
      [null, number],
    ];
    if (waiting === 0 && active === 0) break;
    if (Date.now() > deadline)
      throw new Error(`${side.name} did not drain: ${side.proc.output().slice(-2000)}`);
    await sleep(5);
  }
  const elapsed = performance.now() - t0;
  const cpu = cpuSeconds(side.proc.pid) - cpu0;
  const after = await snapshot(admin);
  const failed = await side.queue.getFailedCount();
  if (failed > 0) throw new Error(`${side.name}: ${failed} jobs failed: ${side.proc.output().slice(-2000)}`);
  return {
    perSec: round((jobs / elapsed) * 1000, 1),
    cpuUsPerJob: round((cpu * 1e6) / jobs, 1),
    // The first snapshot's INFO shows up in the second one.
    redisCommandsPerJob: round((after.commands - before.commands - 1) / jobs, 3),
    redisCallsPerJob: round((after.calls - before.calls - 1 - 2 * checks) / jobs, 3),
    redisCpuUsPerJob: round(((after.cpuSeconds - before.cpuSeconds) * 1e6) / jobs, 1),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Throughput, CPU and Redis commands per no-op job: `tasklane run --source bullmq` vs a bare Worker. */
export async function benchBullmq(opts: {
  redisUrl: string;
  jobs: number;
  concurrency: number;
  /** Measured rounds (each runs every side). @default 7 */
  rounds?: number;
  /** Also run the diagnostic `source` and `runner` sides. @default true */
  layers?: boolean;
}): Promise<BullmqBenchResult> {
  const before = loadavg()[0]!;
  const code = measuredCode();
  const admin = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  const names = opts.layers === false ? SIDES.slice(0, 2) : SIDES;
  const sides: Side[] = [];
  try {
    for (const name of names) sides.push(startSide(name, opts.redisUrl, opts.concurrency, admin));
    // Warm-up: process start, JIT, scripts loaded, connections open.
    for (const side of sides) await drain(side, sides, Math.max(500, opts.jobs / 2), admin);
    const rounds: BullmqRound[] = [];
    for (let r = 0; r < (opts.rounds ?? 7); r++) {
      // bare and tasklane stay adjacent; which of them goes first alternates.
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      const runs: Partial<Record<SideName, BullmqSideRun>> = {};
      for (const side of order) runs[side.name] = await drain(side, sides, opts.jobs, admin);
      const b = runs.bare!;
      const t = runs.tasklane!;
      rounds.push({
        order: order.map((x) => x.name),
        ...(runs as Pick<BullmqRound, SideName>),
        ratio: round(t.perSec / b.perSec, 3),
        cpuRatio: round(t.cpuUsPerJob / b.cpuUsPerJob, 3),
        loadAverage: round(loadavg()[0]!, 2),
      });
    }
    const of = (pick: (r: BullmqRound) => number, digits = 1) => round(median(rounds.map(pick)), digits);
    const ratios = rounds.map((r) => r.ratio);
    const layer = (name: 'source' | 'runner') => ({
      ratio: of((r) => r[name]!.perSec / r.bare.perSec, 3),
      cpuRatio: of((r) => r[name]!.cpuUsPerJob / r.bare.cpuUsPerJob, 3),
      cpuUsPerJob: of((r) => r[name]!.cpuUsPerJob),
    });
    return {
      ratio: of((r) => r.ratio, 3),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      cpuRatio: of((r) => r.cpuRatio, 3),
      tasklanePerSec: of((r) => r.tasklane.perSec),
      barePerSec: of((r) => r.bare.perSec),
      tasklaneCpuUsPerJob: of((r) => r.tasklane.cpuUsPerJob),
      bareCpuUsPerJob: of((r) => r.bare.cpuUsPerJob),
      tasklaneRedisCommandsPerJob: of((r) => r.tasklane.redisCommandsPerJob, 3),
      bareRedisCommandsPerJob: of((r) => r.bare.redisCommandsPerJob, 3),
      tasklaneRedisCallsPerJob: of((r) => r.tasklane.redisCallsPerJob, 3),
      bareRedisCallsPerJob: of((r) => r.bare.redisCallsPerJob, 3),
      tasklaneRedisCpuUsPerJob: of((r) => r.tasklane.redisCpuUsPerJob),
      bareRedisCpuUsPerJob: of((r) => r.bare.redisCpuUsPerJob),
      ...(names.length > 2 ? { layers: { source: layer('source'), runner: layer('runner') } } : {}),
      jobs: opts.jobs,
      concurrency: opts.concurrency,
      rounds,
      loadAverage: { before: round(before, 2), after: round(loadavg()[0]!, 2) },
      ...(code ? { code } : {}),
    };
  } finally {
    for (const side of sides) side.proc.signal('SIGCONT');
    await Promise.all(sides.map((s) => s.proc.stop(5000)));
    for (const side of sides) await side.queue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all(sides.map((s) => s.queue.close()));
    admin.disconnect();
  }
}
