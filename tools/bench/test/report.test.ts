import { describe, expect, it } from 'vitest';
import { percentile } from '../src/stats.ts';
import { barChart } from '../src/svg-chart.ts';
import { renderSummary } from '../src/summary.ts';

describe('bench reporting', () => {
  it('should compute nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('should draw bars proportional to values, with the target line', () => {
    const svg = barChart(
      't',
      'ms',
      [
        { label: 'a', value: 10 },
        { label: 'b', value: 5, baseline: 2 },
      ],
      { target: 8 },
    );
    expect(svg).toMatch(/^<svg /);
    const widths = [...svg.matchAll(/<rect x="170" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]! / widths[1]!).toBeCloseTo(2, 5);
    expect(svg).toContain('target 8');
  });

  it('should mark targets met and missed in the summary', () => {
    const { markdown } = renderSummary({
      machine: { cpus: 2, cpuModel: 'x', memoryGb: 1, node: 'v20' },
      core: [
        { concurrency: 1, rawPerSec: 100, tasklanePerSec: 99, ratio: 0.99 },
        { concurrency: 8, rawPerSec: 100, tasklanePerSec: 80, ratio: 0.8 },
      ],
    });
    expect(markdown).toContain('| 1 | 100 | 99 | 0.99 | met |');
    expect(markdown).toContain('| 8 | 100 | 80 | 0.8 | **not met** |');
  });

  it('should report the process overhead as ratios to the raw loop of the same run', () => {
    const v = (perSec: number, cpuMsPerTask: number, redisCommandsPerTask = 0) => ({
      perSec,
      cpuMsPerTask,
      redisCommandsPerTask,
      maxInFlightPolls: 1,
      runs: [],
    });
    const { markdown, charts } = renderSummary({
      machine: { cpus: 2, cpuModel: 'x', memoryGb: 1, node: 'v20' },
      overhead: {
        tasks: 100,
        concurrency: 4,
        rounds: 1,
        loadAverage: { before: 1, after: 2 },
        variants: { raw: v(1000, 2), tasklane: v(990, 2.1), redis1: v(960, 2.1, 0.02), redis3: v(900, 3, 3) },
        ratios: {
          tasklanePerSec: 0.99,
          redis1PerSec: 0.96,
          redis3PerSec: 0.9,
          tasklaneCpu: 1.05,
          redis1Cpu: 1.05,
          redis3Cpu: 1.5,
        },
      },
    });
    expect(markdown).toContain('| Tasklane + Redis, 1 instance | 960 | 0.96 | 2.1 | 1.05 | 0.02 | 1 |');
    expect(markdown).toContain('(0.96: met), CPU per task ≤ 1.1× (1.05: met)');
    expect(markdown).toContain('≥ 0.95 of one raw loop (0.9: **not met**)');
    expect(charts.overhead).toMatch(/^<svg /);
  });
});
