import { barChart } from './svg-chart.ts';
import { round } from './stats.ts';

type Any = Record<string, any>;

const ok = (pass: boolean) => (pass ? 'met' : '**not met**');

const LABELS: Record<string, string> = {
  raw: 'raw AWS SDK loop',
  tasklane: 'Tasklane, no Redis',
  redis1: 'Tasklane + Redis, 1 instance',
  redis3: 'Tasklane + Redis, 3 instances on one group',
};

/** The "overhead" section: real processes, ratios against the raw loop of the same run. */
export function renderProcessOverhead(
  o: Any | undefined,
  lines: string[],
  charts: Record<string, string>,
): void {
  if (!o || o.error || !o.variants) return;
  const r = o.ratios;
  lines.push(
    '## Framework overhead (separate processes, as users run it)',
    '',
    `Emulator, Redis and every runner in its own process on loopback; ${o.tasks} no-op tasks per run, concurrency ${o.concurrency}, after at least ${o.warmupTasksPerProcess ?? '?'} warm-up tasks per runner process (a fleet warms up until its least-used process has run them${o.warmedUp ? `: the least-used of the 3 instances ran ${o.warmedUp.redis3}` : ''}); median of ${o.rounds} alternating rounds; the ratios are the median of each round's own ratio. CPU per task is the runner processes' own user+system time (/proc/<pid>/stat); Redis commands are counted on the variant's own redis-server (the 1-instance and the 3-instance fleets each have one). Load average ${o.loadAverage?.before} → ${o.loadAverage?.after} on this shared machine during the section.`,
    '',
    '| variant | tasks/s | ratio to raw | CPU per task (ms) | CPU ratio | Redis commands per task | max polls in flight | service wait for the next poll: same runner / hand-off (ms) | hand-offs per task |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  const raw = o.variants.raw;
  const gaps = (v: Any) =>
    v.pollGaps
      ? `${round(v.pollGaps.sameHostMeanMs, 2)} / ${v.pollGaps.handOffsPerTask > 0 ? round(v.pollGaps.otherHostMeanMs, 2) : '—'} | ${round(v.pollGaps.handOffsPerTask, 3)}`
      : '— | —';
  const ratio = (name: string, key: 'PerSec' | 'Cpu') => (name === 'raw' ? 1 : r[`${name}${key}`]);
  for (const [name, v] of Object.entries<Any>(o.variants)) {
    lines.push(
      `| ${LABELS[name] ?? name} | ${round(v.perSec, 0)} | ${ratio(name, 'PerSec')} | ${round(v.cpuMsPerTask, 3)} | ${ratio(name, 'Cpu')} | ${round(v.redisCommandsPerTask, 2)} | ${v.maxInFlightPolls} | ${gaps(v)} |`,
    );
  }
  lines.push(
    '',
    `Targets: Redis, 1 instance: throughput ≥ 0.95 of raw (${r.redis1PerSec}: ${ok(r.redis1PerSec >= 0.95)}), CPU per task ≤ 1.1× (${r.redis1Cpu}: ${ok(r.redis1Cpu <= 1.1)}); 3 instances on one group ≥ 0.95 of one raw loop (${r.redis3PerSec}: ${ok(r.redis3PerSec >= 0.95)}).`,
    '',
  );
  charts.overhead = barChart(
    'Throughput vs raw SDK loop (separate processes)',
    'tasks/s',
    Object.entries<Any>(o.variants)
      .filter(([name]) => name !== 'raw')
      .map(([name, v]) => ({ label: name, value: v.perSec, baseline: raw.perSec })),
    { seriesNames: ['Tasklane', 'raw SDK loop'] },
  );
}

/** The "fleet" section: idle commands and failover after kill -9, with real runner processes. */
export function renderFleet(f: Any | undefined, lines: string[]): void {
  if (!f || f.error) return;
  lines.push(
    '## Fleet of runner processes (Redis)',
    '',
    `${f.instances} bin/tasklane processes on one worker group, lease ${f.leaseMs} ms, emulator long poll ${f.longPollMs} ms. Idle fleet (nothing queued): ${f.idleCommandsPerSecPerInstance} Redis commands/s per instance over ${f.idleWindowMs / 1000} s (target ≤ 1: ${ok(f.idleCommandsPerSecPerInstance <= 1)}). kill -9 of the lease holder → next poll by another instance after ${f.failoverMs} ms (target ≤ lease + 1 s: ${ok(f.failoverMs <= f.leaseMs + 1000)}).`,
    '',
  );
}
