import { barChart } from './svg-chart.ts';
import { round } from './stats.ts';
import { renderFleet, renderProcessOverhead } from './summary-overhead.ts';
import { stepFunctionsSummary } from './sfn-bench.ts';
import { sqlSummary } from './summary-sql.ts';

type Any = Record<string, any>;

const ok = (pass: boolean) => (pass ? 'met' : '**not met**');

/** The Markdown summary and SVG charts for a results object written by main.ts. */
export function renderSummary(results: Any): { markdown: string; charts: Record<string, string> } {
  const lines: string[] = [];
  const charts: Record<string, string> = {};
  const m = results.machine ?? {};
  lines.push(
    `# Tasklane benchmarks`,
    '',
    `Taken ${results.startedAt} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}${results.quick ? ' (quick run: small workloads, indicative only)' : ''}.${Array.isArray(results.refreshedSections) ? ` Sections ${results.refreshedSections.join(', ')} were refreshed in a run that finished ${results.finishedAt}.` : ''}`,
    '',
  );

  const emu = results.emulator;
  if (emu && !emu.error) {
    lines.push(
      '## Emulator request ceiling (loopback, real SDK client)',
      '',
      '| operation | requests/s |',
      '|---|---|',
    );
    for (const [k, v] of Object.entries(emu))
      if (typeof v === 'number') lines.push(`| ${k} | ${round(v, 0)} |`);
    lines.push('');
  }

  renderProcessOverhead(results.overhead, lines, charts);

  const overhead = results.core as Any[] | undefined;
  if (Array.isArray(overhead)) {
    lines.push(
      '## Core microbenchmark (in-process)',
      '',
      'The Runner of @tasklane/core with the in-process coordinator vs a minimal raw-SDK loop, both inside the bench process with the emulator: a regression check of core alone, not what users run (see the section above).',
      '',
      '| concurrency | raw SDK loop (tasks/s) | Tasklane (tasks/s) | ratio | target |',
      '|---|---|---|---|---|',
    );
    for (const r of overhead)
      lines.push(
        `| ${r.concurrency} | ${round(r.rawPerSec, 0)} | ${round(r.tasklanePerSec, 0)} | ${round(r.ratio, 3)} | ${ok(r.ratio >= 0.95)} |`,
      );
    if (emu?.cyclePerSec)
      lines.push(
        '',
        `The emulator's own ceiling for a full poll+ack+status cycle is ${round(emu.cyclePerSec, 0)} cycles/s.`,
      );
    lines.push('');
    charts.core = barChart(
      'Core microbenchmark: Runner vs raw SDK loop (in-process)',
      'tasks/s',
      overhead.map((r) => ({
        label: `concurrency ${r.concurrency}`,
        value: r.tasklanePerSec,
        baseline: r.rawPerSec,
      })),
      { seriesNames: ['Tasklane', 'raw SDK loop'] },
    );
  }

  const coord = results.coordinator;
  if (coord && !coord.error) {
    lines.push(
      '## Fleet coordination (Redis, loopback)',
      '',
      '| instances | hand-off gap p50 (ms) | p99 (ms) | target p99 ≤ 5 ms |',
      '|---|---|---|---|',
    );
    for (const [n, v] of Object.entries<Any>(coord.handOff ?? {}))
      lines.push(`| ${n} | ${round(v.p50, 3)} | ${round(v.p99, 3)} | ${ok(v.p99 <= 5)} |`);
    lines.push(
      '',
      `Instances in one process, each grant handed to another instance (turnMs 0): Redis commands per hand-off ${round(coord.commandsPerTask, 1)}; idle instance: ${round(coord.idleCommandsPerSec, 2)} commands/s (target ≤ 1: ${ok(coord.idleCommandsPerSec <= 1)}); failover after an abandoned lease: ${round(coord.failoverMs, 0)} ms (lease ${coord.failoverLeaseMs} ms; target ≤ lease + 1 s: ${ok(coord.failoverMs <= coord.failoverLeaseMs + 1000)}).`,
      '',
    );
    charts.handoff = barChart(
      'Hand-off gap p99 by fleet size',
      'ms',
      Object.entries(coord.handOff ?? {}).map(([n, v]: [string, any]) => ({
        label: `${n} instances`,
        value: v.p99,
        baseline: v.p50,
      })),
      { target: 5, seriesNames: ['p99', 'p50'] },
    );
  }

  renderFleet(results.fleet, lines);

  const runtimes = results.runtimes as Any[] | undefined;
  if (Array.isArray(runtimes)) {
    lines.push(
      '## Runtimes (real bin/tasklane processes)',
      '',
      '| runtime | time to first poll (ms) | idle RSS (MB) | RSS after half the tasks (MB) | RSS after all tasks (MB) | tasks | CPU per task (ms) | tasks/s |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const r of runtimes) {
      if (r.error) continue;
      lines.push(
        `| ${r.runtime} | ${round(r.timeToFirstPollMs, 0)} | ${round(r.idleRssMb, 1)} | ${round(r.rssHalfwayMb, 1)} | ${round(r.rssAfterTasksMb, 1)} | ${r.tasks} | ${round(r.cpuMsPerTask, 3)} | ${round(r.tasksPerSec, 0)} |`,
      );
    }
    const node = runtimes.find((r) => r.runtime === 'node');
    if (node)
      lines.push(
        '',
        `Targets: Node time to first poll ≤ 500 ms (${ok(node.timeToFirstPollMs <= 500)}), idle Node RSS ≤ 80 MB (${ok(node.idleRssMb <= 80)}).`,
      );
    lines.push('');
    charts.runtimes = barChart(
      'Idle RSS and RSS after tasks',
      'MB',
      runtimes.map((r) => ({ label: r.runtime, value: r.rssAfterTasksMb, baseline: r.idleRssMb })),
      { seriesNames: ['after tasks', 'idle'] },
    );
    charts['first-poll'] = barChart(
      'Time to first poll',
      'ms',
      runtimes.map((r) => ({ label: r.runtime, value: r.timeToFirstPollMs })),
      { target: 500 },
    );
  }

  const scale = results.scale;
  if (scale && !scale.error) {
    lines.push(
      '## Scale',
      '',
      `${scale.instances} simulated instances × ${scale.groups} worker groups on one Redis (${scale.simulated ? 'coordinator instances in one process, polls simulated' : 'processes'}): ${scale.permits} permits granted, max concurrent holders per group ${scale.maxConcurrentPerGroup} (${ok(scale.maxConcurrentPerGroup === 1)}), Redis ${round(scale.redisCommandsPerSec, 0)} commands/s, Redis CPU ${round(scale.redisCpuPercent, 1)} %.`,
      '',
    );
  }

  const bull = results.bullmq;
  if (bull && !bull.error) {
    lines.push(
      '## BullMQ source',
      '',
      `No-op jobs, concurrency ${bull.concurrency ?? 8}: bare BullMQ Worker ${round(bull.barePerSec, 0)} jobs/s, Tasklane ${round(bull.tasklanePerSec, 0)} jobs/s, ratio ${round(bull.ratio, 3)} (target ≥ 0.9: ${ok(bull.ratio >= 0.9)})${bull.cpuRatio === undefined ? '' : `; CPU per job ${round(bull.tasklaneCpuUsPerJob, 1)} µs vs ${round(bull.bareCpuUsPerJob, 1)} µs (×${round(bull.cpuRatio, 2)})`}.`,
      '',
    );
    charts.bullmq = barChart(
      'BullMQ: Tasklane source vs bare Worker',
      'jobs/s',
      [{ label: 'no-op jobs', value: bull.tasklanePerSec, baseline: bull.barePerSec }],
      { seriesNames: ['Tasklane', 'bare Worker'] },
    );
  }

  lines.push(...sqlSummary(new URL('../../../docs/bench/sql.json', import.meta.url)));
  lines.push(...stepFunctionsSummary(results.stepfunctions));

  for (const [name, value] of Object.entries(results)) {
    if (value && typeof value === 'object' && 'error' in value)
      lines.push(`Section ${name} failed: \`${String((value as Any).error).split('\n')[0]}\``, '');
  }
  return { markdown: lines.join('\n') + '\n', charts };
}
