#!/usr/bin/env node
/**
 * `npm run chaos [-- --short] [--seed=N] [--faults=a,b] [--exclude=a,b] [--turn-ms=N]`: runner processes + Redis + the
 * emulator, under the faults of faults.ts: kill -9 (also with shell children running), Redis restarts,
 * 500s, throttling, latency, dropped connections, SIGTERM rolling restarts, CPU-blocking handlers,
 * failing progress reports, hostile handler output, and SIGTERM while a poll is open with a task arriving
 * after the deadline. At the end it checks, from the emulator's observations, that every unit reached
 * its terminal status (hostile ones FAILED as sent), no attempt ran twice, at most one poll per group was
 * ever in flight, no runner crashed, no shell child outlived its runner, and every protocol anomaly is
 * explained by a fault. Prints a one-line verdict; exit 0 only on PASS.
 */
import { startEmulator } from '@tasklane/emulator';
import { startTestRedis } from '@tasklane/test-utils';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LONG_POLL_MS, PROGRESS_FAILURE_MS, readConfig, seededRandom } from './config.ts';
import { FAULTS, type FaultContext, type FaultWindow } from './faults.ts';
import { Fleet } from './fleet.ts';
import { judge } from './verdict.ts';
import { Workload } from './workload.ts';

const { config, seed } = readConfig(process.argv.slice(2));
const random = seededRandom(seed);
const began = Date.now();
const log = (line: string) => console.log(`[chaos +${((Date.now() - began) / 1000).toFixed(1)}s] ${line}`);

// Real time, not scaled: the runners measure their attempt leases in real time from the task's
// reportProgressTimeout, and so must the service for "the attempt is no longer ours" to line up. The ack
// window (2 min on the service) is cut short so un-acked work comes back within the run, but kept above
// the longest CPU block: a poll answer that lands on a blocked thread is acked once the thread is free.
const emulator = await startEmulator({
  longPollMs: LONG_POLL_MS,
  // A block can follow a progress failure that already held the ack back: room for both.
  ackTimeoutMs: config.maxBlockMs + PROGRESS_FAILURE_MS + 3000,
});
const redis = await startTestRedis({ forceOwned: true });
const baseDir = mkdtempSync(join(tmpdir(), 'tl-chaos-'));
const groups = Array.from({ length: config.groups }, (_, i) => `chaos-${i + 1}`);
const lateGroup = 'chaos-late';
const fleet = new Fleet({
  endpoint: emulator.endpoint,
  redisUrl: redis.url,
  groups,
  lateGroup,
  baseDir,
  turnMs: config.turnMs,
});
const workload = new Workload((spec) => emulator.control.enqueueTask(spec));
const windows: FaultWindow[] = [];
const pending: Array<Promise<string[]>> = [];
const ctx: FaultContext = {
  config,
  fleet,
  control: emulator.control,
  redis,
  workload,
  groups,
  lateGroup,
  random,
  windows,
  pending,
  log,
};

for (let i = 0; i < config.runners; i++) fleet.start();
if (config.faults.includes('late-task')) fleet.start('late');
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
let plain = 0;
const enqueueTimer = setInterval(() => {
  const batch = Math.ceil(config.tasks / (config.durationMs / 200));
  for (let i = 0; i < batch && plain < config.tasks; i++, plain++)
    workload.plain(pick(groups), Math.floor(20 + random() * 300));
}, 200);

/** Every fault once per round, in a seeded order, so even the short run sees each one. */
function* schedule(): Generator<string> {
  for (;;) {
    const round = [...config.faults];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    yield* round;
  }
}

/** When a group's count of polls in flight first went past one, to line the overlap up with the faults. */
const overlaps: Array<{ group: string; atMs: number; polls: number }> = [];
const overlapTimer = setInterval(() => {
  for (const [group, g] of Object.entries(emulator.control.observations().groups)) {
    const seen = overlaps.filter((o) => o.group === group).at(-1)?.polls ?? 1;
    if (g.maxInFlightPolls > seen)
      overlaps.push({ group, atMs: Date.now() - began, polls: g.maxInFlightPolls });
  }
}, 500);

const deadline = began + config.durationMs;
let verdictLine: string;
let exitCode: number;
try {
  const next = schedule();
  // At least one full round, so every fault runs even when the short run's time is up first.
  for (let n = 0; (Date.now() < deadline || n < config.faults.length) && config.faults.length > 0; n++) {
    await new Promise((r) => setTimeout(r, config.actionEveryMs * (0.5 + random())));
    const name = next.next().value as keyof typeof FAULTS;
    log(name);
    await FAULTS[name](ctx);
  }
  while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  clearInterval(enqueueTimer);
  emulator.control.clearFaults();
  log('chaos over: letting the fleet finish the remaining work');
  const settleBy = Date.now() + 60_000;
  while (
    Date.now() < settleBy &&
    judge(emulator.control.observations(), workload.units).terminal < workload.units.length
  )
    await new Promise((r) => setTimeout(r, 250));
  const shellProblems = (await Promise.all(pending)).flat();
  await fleet.stopAll(15_000);
  const verdict = judge(emulator.control.observations(), workload.units, {
    unexpectedExits: fleet.unexpectedExits,
    runners: fleet.all,
    windows,
    problems: shellProblems,
  });
  // What the runner itself logged about each unexplained anomaly: the first lead when one fails the run.
  const evidence = verdict.anomalies.unexplained.map((a) => {
    const out = a.hostname === undefined ? '' : (fleet.all.get(a.hostname)?.proc.output() ?? '');
    const lines = a.attemptId === undefined ? [] : out.split('\n').filter((l) => l.includes(a.attemptId!));
    return {
      attemptId: a.attemptId,
      hostname: a.hostname,
      log: lines.slice(0, 5).map((l) => l.slice(0, 400)),
    };
  });
  writeFileSync(
    // The long run's report is committed; the short (CI) run's goes to the temp dir so tests leave the
    // checkout clean.
    config.short
      ? join(tmpdir(), 'tasklane-chaos-last-short.json')
      : fileURLToPath(new URL('../../../docs/chaos-last.json', import.meta.url)),
    JSON.stringify(
      {
        seed,
        config,
        durationMs: Date.now() - began,
        verdict,
        evidence,
        // Relative to the start, like the log lines, to line faults up with anomalies.
        windows: windows.map((w) => ({ fault: w.fault, fromMs: w.start - began, toMs: w.end - began })),
        runners: [...fleet.all.values()].map((r) => ({
          name: r.name,
          startedMs: r.startedAt - began,
          ...(r.termAt === undefined ? {} : { termMs: r.termAt - began }),
          ...(r.killedAt === undefined ? {} : { killedMs: r.killedAt - began }),
          // What each runner said about its poll leases: the lead when a group had two polls in flight.
          leaseLog: r.proc
            .output()
            .split('\n')
            .filter((l) => l.startsWith('{') && /lease|renewal/i.test(l))
            .slice(0, 10)
            .map((l) => l.slice(0, 400)),
        })),
        began,
        overlaps,
        unexplainedAtMs: verdict.anomalies.unexplained.map((a) => (a.at === undefined ? null : a.at - began)),
      },
      null,
      2,
    ) + '\n',
  );
  const a = verdict.anomalies;
  verdictLine =
    `chaos ${verdict.ok ? 'PASS' : 'FAIL'}: ${verdict.terminal}/${verdict.tasks} tasks terminal (${verdict.finished} finished, ${verdict.failed} failed, ${verdict.retried} retried after chaos), ` +
    `attempts run twice ${verdict.attemptsRunTwice.length}, max polls in flight per group ${Math.max(...Object.values(verdict.maxConcurrentPolls))}, ` +
    `protocol anomalies ${a.total} (${a.total - a.unexplainedCount} explained by faults, ${a.unexplainedCount} not), ` +
    `unexpected runner exits ${verdict.unexpectedExits.length}, faults ${config.faults.join(',')}, seed ${seed}` +
    (config.turnMs === undefined ? '' : `, turn ${config.turnMs} ms`) +
    (verdict.ok ? '' : ` — ${verdict.problems.join('; ')}`);
  exitCode = verdict.ok ? 0 : 1;
} finally {
  clearInterval(enqueueTimer);
  clearInterval(overlapTimer);
  await fleet.kill();
  await emulator.close();
  await redis.dispose();
  rmSync(baseDir, { recursive: true, force: true });
}
console.log(verdictLine);
process.exit(exitCode);
