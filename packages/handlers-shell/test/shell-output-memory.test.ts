import type { RuntimePrimitives } from '@tasklane/core';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellErrorId } from '../src/index.ts';
import { currentRuntime, expectedRuntime, memoryLogger, runHandler, shellTask } from './harness.ts';

let runtime: RuntimePrimitives;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  runtime = await currentRuntime();
  dir = mkdtempSync(join(tmpdir(), 'tl-mem-'));
  env = { TASKLANE_WORK_DIR: join(dir, 'work') };
  // Warm-up: the first large run grows RSS once (allocator arenas, pipe buffers: 40-80 MB on every
  // runtime, measured) and not again, whatever the volume (1 GB grows less than 100 MB did). The
  // assertions below are about the steady state, where buffering output would show as growth.
  await runHandler(
    shellTask('ShellCommandActivity', {
      command: 'yes | head -c 100000000; head -c 100000000 /dev/zero >&2',
    }),
    { runtime, env },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `fn` while sampling RSS and heap; returns the largest growth over the baseline, in bytes. */
async function peakGrowth(fn: () => Promise<unknown>): Promise<{ rss: number; heap: number }> {
  const base = process.memoryUsage();
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - base.rss);
    heap = Math.max(heap, now.heapUsed - base.heapUsed);
  };
  const timer = setInterval(sample, 20);
  try {
    await fn();
  } finally {
    clearInterval(timer);
    sample();
  }
  return { rss, heap };
}

const MB = 1024 * 1024;

describe(`large output on ${expectedRuntime}`, () => {
  it('300 MB of stdout does not grow memory', async () => {
    const logger = memoryLogger();
    const growth = await peakGrowth(async () => {
      const { outcome } = await runHandler(
        shellTask('ShellCommandActivity', { command: 'yes "tasklane output line" | head -c 300000000' }),
        { runtime, env, logger },
      );
      expect(outcome).toEqual({ status: 'FINISHED' });
    });
    expect(growth.rss).toBeLessThan(64 * MB);
    expect(growth.heap).toBeLessThan(64 * MB);
    // Debug logging of output lines is capped, whatever the volume.
    expect(logger.lines.length).toBeLessThan(1100);
  });

  it('300 MB of stderr from a failing command: memory stays flat and the message holds only the tail', async () => {
    const growth = await peakGrowth(async () => {
      const { outcome } = await runHandler(
        shellTask('ShellCommandActivity', {
          command: 'head -c 300000000 /dev/zero | tr "\\0" "e" >&2; echo; echo "final words" >&2; exit 9',
        }),
        { runtime, env },
      );
      expect(outcome).toMatchObject({ status: 'FAILED', errorId: ShellErrorId.CommandFailed });
      if (outcome.status === 'FAILED') {
        expect(outcome.errorMessage).toContain('exited with code 9');
        expect(outcome.errorMessage).toContain('final words');
        expect(outcome.errorMessage.length).toBeLessThan(2300);
      }
    });
    expect(growth.rss).toBeLessThan(64 * MB);
  });

  it('300 MB of stdout to a file is streamed to disk', async () => {
    const out = join(dir, 'big.out');
    const growth = await peakGrowth(async () => {
      const { outcome } = await runHandler(
        shellTask('ShellCommandActivity', { command: 'head -c 300000000 /dev/zero', stdout: out }),
        { runtime, env },
      );
      expect(outcome).toEqual({ status: 'FINISHED' });
    });
    expect(statSync(out).size).toBe(300_000_000);
    expect(growth.rss).toBeLessThan(64 * MB);
    rmSync(out);
  });
});
