#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark in one run, each figure a ratio against a baseline measured in the
 * same invocation. Writes docs/bench/results.json, docs/bench/summary.md and SVG charts.
 * `--quick` shrinks the workloads (used by CI smoke runs); `--only a,b` picks sections.
 */
import { startTestRedis } from '@tasklane/test-utils';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchBullmq } from './bullmq-bench.ts';
import { benchCoordinator } from './coordinator-bench.ts';
import { benchEmulator } from './emulator-bench.ts';
import { benchFleet } from './fleet-bench.ts';
import { benchProcessOverhead } from './process-bench.ts';
import { benchRunnerOverhead } from './runner-bench.ts';
import { benchRuntime } from './runtime-bench.ts';
import { benchScale } from './scale-bench.ts';
import { renderSummary } from './summary.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg =
  args.find((a) => a.startsWith('--only='))?.slice(7) ??
  (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
const out = fileURLToPath(new URL('../../../docs/bench/', import.meta.url));
const want = (name: string) => !only || only.has(name);

const results: Record<string, unknown> = {
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: process.platform,
  },
  startedAt: new Date().toISOString(),
  quick,
};

async function section(name: string, fn: () => Promise<unknown>): Promise<void> {
  if (!want(name)) return;
  const t0 = Date.now();
  process.stdout.write(`bench ${name} … `);
  try {
    results[name] = await fn();
    console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    results[name] = { error: String((error as Error).stack ?? error) };
    console.log(`FAILED: ${(error as Error).message}`);
  }
}

const redis = await startTestRedis();
try {
  await section('emulator', () => benchEmulator({ durationMs: quick ? 1500 : 5000 }));
  await section('overhead', () =>
    benchProcessOverhead({
      redisUrl: redis.url,
      tasks: quick ? 300 : 2000,
      concurrency: 4,
      rounds: quick ? 1 : 5,
      warmupTasks: quick ? 100 : 1000,
    }),
  );
  await section('core', () =>
    benchRunnerOverhead({ tasks: quick ? 300 : 2000, concurrencies: [1, 8], rounds: quick ? 1 : 3 }),
  );
  await section('coordinator', () =>
    benchCoordinator({ redisUrl: redis.url, instances: [2, 4, 8], rounds: quick ? 100 : 1000 }),
  );
  await section('fleet', () =>
    benchFleet({ redisUrl: redis.url, idleWindowMs: quick ? 5000 : 20_000, leaseMs: quick ? 5000 : 15_000 }),
  );
  await section('runtimes', async () => {
    const list = [];
    for (const runtime of ['node', 'bun', 'deno'] as const)
      list.push(await benchRuntime(runtime, quick ? 500 : 10_000));
    return list;
  });
  await section('scale', () =>
    benchScale({
      redisUrl: redis.url,
      instances: quick ? 10 : 50,
      groups: quick ? 5 : 20,
      durationMs: quick ? 3000 : 10_000,
    }),
  );
  await section('bullmq', () =>
    benchBullmq({ redisUrl: redis.url, jobs: quick ? 500 : 20_000, concurrency: 8 }),
  );
  await section('sql', async () => (await import('./sql-bench.ts')).benchSqlSection(quick));
  await section('stepfunctions', async () =>
    (await import('./sfn-bench.ts')).benchStepFunctionsSection(quick),
  );
} finally {
  await redis.dispose();
}

results.finishedAt = new Date().toISOString();
mkdirSync(out, { recursive: true });
const suffix = quick ? '-quick' : '';
if (only) {
  // A partial run refreshes its sections and keeps the others from the last full run.
  try {
    const previous = JSON.parse(readFileSync(`${out}results${suffix}.json`, 'utf8')) as Record<
      string,
      unknown
    >;
    for (const [key, value] of Object.entries(previous)) if (!(key in results)) results[key] = value;
    // Sections refreshed by earlier partial runs stay listed: the summary says what is not from the full run.
    const before = Array.isArray(previous.refreshedSections) ? (previous.refreshedSections as string[]) : [];
    results.refreshedSections = [...new Set([...before, ...only])];
    results.startedAt = previous.startedAt;
  } catch {
    // no earlier results: write what this run has
  }
}
writeFileSync(`${out}results${suffix}.json`, JSON.stringify(results, null, 2) + '\n');
const { markdown, charts } = renderSummary(results);
writeFileSync(`${out}summary${suffix}.md`, markdown);
if (!quick) for (const [name, svg] of Object.entries(charts)) writeFileSync(`${out}${name}.svg`, svg);
console.log(markdown);
// Client libraries may still hold reconnect timers to the Redis this run already stopped.
process.exit(0);
