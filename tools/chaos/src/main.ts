#!/usr/bin/env node
/**
 * `npm run chaos [-- --short]`: several runner processes + Redis + the emulator, with kill -9 of random
 * runners, Redis restarts, injected 500s, throttling, latency, dropped connections and SIGTERM rolling
 * restarts. At the end it checks, from the emulator's observations, that every task reached a terminal
 * status, no attempt ran twice, at most one poll per group was ever in flight, and no runner crashed
 * except the ones it killed. Prints a one-line verdict; exit 0 only on PASS.
 */
import { startEmulator, type FaultSpec } from '@tasklane/emulator';
import { spawnGroup, startTestRedis, type GroupProcess } from '@tasklane/test-utils';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judge } from './verdict.ts';

const args = process.argv.slice(2);
const short = args.includes('--short');
const seedArg = args.find((a) => a.startsWith('--seed='));
let seed = seedArg ? Number(seedArg.slice(7)) : Date.now() % 100_000;
const initialSeed = seed;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const config = short
  ? { runners: 3, groups: 2, tasks: 150, durationMs: 25_000, actionEveryMs: 2500 }
  : { runners: 5, groups: 3, tasks: 1000, durationMs: 120_000, actionEveryMs: 3000 };

const bin = fileURLToPath(new URL('../../../apps/runner-node/bin/tasklane', import.meta.url));
const plugin = fileURLToPath(new URL('../fixtures/chaos-plugin.mjs', import.meta.url));
const log = (line: string) => console.log(`[chaos +${((Date.now() - began) / 1000).toFixed(1)}s] ${line}`);
const began = Date.now();

// One service minute per 100 ms: ack windows and leases expire in seconds, so killed work is retried fast.
const emulator = await startEmulator({ longPollMs: 2000, timeScale: 600 });
const redis = await startTestRedis({ forceOwned: true });
const groups = Array.from({ length: config.groups }, (_, i) => `chaos-${i + 1}`);
const prefix = `tl-chaos-${began}:`;
interface RunnerEntry {
  proc: GroupProcess;
  expectedExit: 'any' | 0 | 'running';
  name: string;
  startedAt: number;
}
const runners = new Map<number, RunnerEntry>();
/** Time a runner gets to install its signal handlers before the run may SIGTERM it. */
const STARTUP_MS = 3000;
/** Waits until a runner is past start-up: a SIGTERM before then is the OS default, not a drain. */
const settled = (entry: RunnerEntry) =>
  new Promise((r) => setTimeout(r, Math.max(0, entry.startedAt + STARTUP_MS - Date.now())));
const unexpectedExits: string[] = [];
let nextId = 0;

function startRunner(): void {
  const id = ++nextId;
  const name = `runner-${id}`;
  const proc = spawnGroup(
    bin,
    [
      'run',
      ...groups.flatMap((g) => ['--worker-group', g]),
      '--endpoint',
      emulator.endpoint,
      '--redis-url',
      redis.url,
      '--redis-key-prefix',
      prefix,
      '--plugin',
      plugin,
      '--hostname',
      name,
      '--concurrency',
      '3',
      '--progress-interval',
      '300ms',
      '--shutdown-timeout',
      '3s',
      '--lease',
      '2s',
      '--log-level',
      'warn',
    ],
    { env: { ...process.env, AWS_ACCESS_KEY_ID: 'c', AWS_SECRET_ACCESS_KEY: 'c', AWS_REGION: 'us-east-1' } },
  );
  const entry: RunnerEntry = { proc, expectedExit: 'running', name, startedAt: Date.now() };
  runners.set(id, entry);
  void proc.exited.then((code) => {
    runners.delete(id);
    if (entry.expectedExit === 'any') return;
    if (entry.expectedExit === 0 && code === 0) return;
    unexpectedExits.push(`${name} exited ${String(code)}: ${proc.output().slice(-600)}`);
  });
}

const actions: Record<string, () => Promise<void> | void> = {
  'kill -9 a runner': () => {
    const entry = pick([...runners.values()]);
    if (!entry) return;
    entry.expectedExit = 'any';
    entry.proc.signal('SIGKILL');
    startRunner();
  },
  'SIGTERM rolling restart': async () => {
    for (const entry of [...runners.values()]) {
      await settled(entry);
      if (entry.expectedExit !== 'running') continue;
      entry.expectedExit = 0;
      entry.proc.signal('SIGTERM');
      startRunner();
      await entry.proc.exited;
    }
  },
  'restart Redis': async () => {
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1000 + random() * 1500));
    await redis.start();
  },
  'inject 500s': () =>
    emulator.control.injectFault({
      operation: '*',
      kind: 'internal-error',
      probability: 0.2,
      count: 30,
    } satisfies FaultSpec),
  'inject throttling': () =>
    emulator.control.injectFault({ operation: 'PollForTask', kind: 'throttle', probability: 0.5, count: 20 }),
  'inject latency': () =>
    emulator.control.injectFault({
      operation: '*',
      kind: 'latency',
      latencyMs: 300,
      probability: 0.5,
      count: 60,
    }),
  'drop connections': () =>
    emulator.control.injectFault({ operation: '*', kind: 'drop', probability: 0.1, count: 20 }),
};

for (let i = 0; i < config.runners; i++) startRunner();
const units: Array<{ pipelineId: string; objectId: string }> = [];
const enqueueTimer = setInterval(() => {
  const batch = Math.ceil(config.tasks / (config.durationMs / 200));
  for (let i = 0; i < batch && units.length < config.tasks; i++) {
    units.push(
      emulator.control.enqueueTask({
        workerGroup: pick(groups),
        type: 'ChaosActivity',
        fields: { myWorkMs: String(Math.floor(20 + random() * 300)) },
        maximumRetries: 5,
        retryDelay: '2 minutes',
      }),
    );
  }
}, 200);

const deadline = began + config.durationMs;
let verdictLine: string;
let exitCode: number;
try {
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, config.actionEveryMs * (0.5 + random())));
    const name = pick(Object.keys(actions));
    log(name);
    await actions[name]!();
  }
  clearInterval(enqueueTimer);
  emulator.control.clearFaults();
  log('chaos over: letting the fleet finish the remaining work');
  const settleBy = Date.now() + 60_000;
  while (Date.now() < settleBy && judge(emulator.control.observations(), units, []).terminal < units.length) {
    await new Promise((r) => setTimeout(r, 250));
  }
  // Runners killed with -9 may not have been reaped yet: keep their 'any'.
  for (const entry of runners.values()) if (entry.expectedExit === 'running') entry.expectedExit = 0;
  await Promise.all([...runners.values()].map(settled));
  await Promise.all([...runners.values()].map((e) => e.proc.stop(15_000)));
  const verdict = judge(emulator.control.observations(), units, unexpectedExits);
  writeFileSync(
    // The long run's report is committed; the short (CI) run's goes to the temp dir so tests leave the
    // checkout clean.
    short
      ? join(tmpdir(), 'tasklane-chaos-last-short.json')
      : fileURLToPath(new URL('../../../docs/chaos-last.json', import.meta.url)),
    JSON.stringify({ seed: initialSeed, config, verdict }, null, 2) + '\n',
  );
  verdictLine =
    `chaos ${verdict.ok ? 'PASS' : 'FAIL'}: ${verdict.terminal}/${verdict.tasks} tasks terminal (${verdict.finished} finished, ${verdict.failed} failed, ${verdict.retried} retried after chaos), ` +
    `attempts run twice ${verdict.attemptsRunTwice.length}, max polls in flight per group ${Math.max(...Object.values(verdict.maxConcurrentPolls))}, ` +
    `unexpected runner exits ${verdict.unexpectedExits.length}, seed ${initialSeed}${verdict.ok ? '' : ` — ${verdict.problems.join('; ')}`}`;
  exitCode = verdict.ok ? 0 : 1;
} finally {
  clearInterval(enqueueTimer);
  await Promise.all([...runners.values()].map((e) => e.proc.stop(5000)));
  await emulator.close();
  await redis.dispose();
}
console.log(verdictLine);
process.exit(exitCode);
