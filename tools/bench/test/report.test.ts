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
      overhead: [
        { concurrency: 1, rawPerSec: 100, tasklanePerSec: 99, ratio: 0.99 },
        { concurrency: 8, rawPerSec: 100, tasklanePerSec: 80, ratio: 0.8 },
      ],
    });
    expect(markdown).toContain('| 1 | 100 | 99 | 0.99 | met |');
    expect(markdown).toContain('| 8 | 100 | 80 | 0.8 | **not met** |');
  });
});
