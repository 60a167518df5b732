/** The faults a chaos run injects, each one an action on the fleet, the service or the workload. */
import type { EmulatorControl, FaultSpec } from '@tasklane/emulator';
import type { TestRedis } from '@tasklane/test-utils';
import {
  LATE_SHUTDOWN_MS,
  LONG_POLL_MS,
  PROGRESS_FAILURE_MS,
  type ChaosConfig,
  type FaultName,
} from './config.ts';
import type { Fleet, RunnerEntry } from './fleet.ts';
import { checkShellChildren, liveChildren } from './shell-children.ts';
import type { Workload } from './workload.ts';

/** When a fault that can make requests late or lost was active, for explaining what it caused. */
export interface FaultWindow {
  readonly fault: FaultName;
  readonly start: number;
  end: number;
}

export interface FaultContext {
  readonly config: ChaosConfig;
  readonly fleet: Fleet;
  readonly control: EmulatorControl;
  readonly redis: TestRedis;
  readonly workload: Workload;
  readonly groups: readonly string[];
  readonly lateGroup: string;
  readonly random: () => number;
  readonly windows: FaultWindow[];
  /** Checks that finish later (shell children after a kill); their findings are problems. */
  readonly pending: Array<Promise<string[]>>;
  readonly log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pick<T>(ctx: FaultContext, xs: readonly T[]): T | undefined {
  return xs[Math.floor(ctx.random() * xs.length)];
}

/** Injects a service fault for `holdMs`, then clears it, recording the window. */
async function hold(ctx: FaultContext, fault: FaultName, spec: FaultSpec, holdMs: number): Promise<void> {
  const window: FaultWindow = { fault, start: Date.now(), end: Date.now() + holdMs };
  ctx.windows.push(window);
  ctx.control.injectFault(spec);
  await sleep(holdMs);
  ctx.control.clearFaults();
  window.end = Date.now();
}

function replaceKilled(ctx: FaultContext, entry: RunnerEntry): void {
  ctx.fleet.kill9(entry);
  ctx.fleet.start(entry.kind);
}

export const FAULTS: Record<FaultName, (ctx: FaultContext) => Promise<void> | void> = {
  'kill-9': (ctx) => {
    const entry = pick(ctx, ctx.fleet.live());
    if (entry) replaceKilled(ctx, entry);
  },
  'sigterm-rolling': async (ctx) => {
    for (const entry of ctx.fleet.live()) {
      await ctx.fleet.settled(entry);
      if (entry.expectedExit !== 'running') continue;
      ctx.fleet.terminate(entry);
      ctx.fleet.start();
      await entry.proc.exited;
    }
  },
  'redis-restart': async (ctx) => {
    const window: FaultWindow = { fault: 'redis-restart', start: Date.now(), end: Date.now() };
    ctx.windows.push(window);
    await ctx.redis.stop();
    await sleep(1000 + ctx.random() * 1500);
    await ctx.redis.start();
    window.end = Date.now();
  },
  'http-500': (ctx) =>
    hold(ctx, 'http-500', { operation: '*', kind: 'internal-error', probability: 0.2 }, 1500),
  throttle: (ctx) =>
    hold(ctx, 'throttle', { operation: 'PollForTask', kind: 'throttle', probability: 0.5 }, 1500),
  latency: (ctx) =>
    hold(ctx, 'latency', { operation: '*', kind: 'latency', latencyMs: 300, probability: 0.5 }, 2000),
  drop: (ctx) => hold(ctx, 'drop', { operation: '*', kind: 'drop', probability: 0.1 }, 1500),
  // The handler blocks the thread of the runner that polled it; with free slots that runner has already
  // taken the group's poll lease again for its next poll, so the block lands on a lease holder with a
  // poll open, and on every lease of its running tasks.
  'cpu-block': (ctx) => {
    for (let i = 0; i < 2; i++) {
      const ms = Math.round(ctx.config.maxBlockMs * (0.5 + ctx.random() / 2));
      ctx.workload.block(pick(ctx, ctx.groups)!, ms);
    }
  },
  // Longer than the attempt lease: the service times the attempts out, and the runner must notice that
  // they are no longer its own (abort them, report nothing terminal).
  'progress-failure': (ctx) =>
    hold(
      ctx,
      'progress-failure',
      { operation: 'ReportTaskProgress', kind: 'internal-error', probability: 1 },
      PROGRESS_FAILURE_MS,
    ),
  'hostile-output': (ctx) => {
    ctx.workload.hostileShell(pick(ctx, ctx.groups)!);
    ctx.workload.hostileThrow(pick(ctx, ctx.groups)!, 'null-prototype');
    ctx.workload.hostileThrow(pick(ctx, ctx.groups)!, 'junk');
  },
  'kill-9-shell': async (ctx) => {
    for (const group of ctx.groups) ctx.workload.shellSleep(group, 3 + Math.floor(ctx.random() * 3));
    const deadline = Date.now() + 4000;
    let target: RunnerEntry | undefined;
    while (!target && Date.now() < deadline) {
      target = ctx.fleet.live().find((e) => liveChildren(e.workDir).length > 0);
      if (!target) await sleep(100);
    }
    if (!target) {
      ctx.log('kill-9-shell: no runner had a shell child running; skipped');
      return;
    }
    const children = liveChildren(target.workDir);
    ctx.log(`kill-9-shell: killing ${target.name} with ${children.length} shell child(ren) running`);
    replaceKilled(ctx, target);
    ctx.pending.push(checkShellChildren(target.name, children));
  },
  // SIGTERM while the late runner's poll is open; the task arrives through that poll after the runner's
  // shutdown deadline. Invariant 7: it is run, or left un-acked for the service to re-offer.
  'late-task': async (ctx) => {
    const entry = ctx.fleet.live('late')[0] ?? ctx.fleet.start('late');
    await ctx.fleet.settled(entry);
    const polls = () => ctx.control.observations().groups[ctx.lateGroup]?.polls ?? 0;
    const before = polls();
    const deadline = Date.now() + LONG_POLL_MS * 2;
    while (polls() === before && Date.now() < deadline) await sleep(20);
    ctx.fleet.terminate(entry);
    await sleep(LATE_SHUTDOWN_MS + 300);
    ctx.workload.late(ctx.lateGroup);
    await entry.proc.exited;
    ctx.fleet.start('late');
  },
};
