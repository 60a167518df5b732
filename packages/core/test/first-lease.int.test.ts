import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { emulatorSource, startTestRunner } from '@tasklane/test-utils/harness';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runner } from '../src/index.ts';
import { spinHandler, startEmulatorProcess, type EmulatorProcess } from './emulator-process.ts';

/**
 * The lease thread starts, and loads its AWS SDK, with the first lease. The case that could break that:
 * a fresh runner's very first task blocks the main thread at once, with a short lease, on a loaded
 * machine, so the thread must load and renew while nothing on the main thread can help. Busy processes
 * load the cores meanwhile (TASKLANE_LOAD_PROCS, default 2).
 */
const BLOCK_MS = Number(process.env.TASKLANE_BLOCK_MS ?? 6000);
const LOAD_PROCS = Number(process.env.TASKLANE_LOAD_PROCS ?? 2);
const INTERVAL_MS = 500;

let emulator: EmulatorProcess | undefined;
let runner: Runner | undefined;
const load: GroupProcess[] = [];
afterEach(async () => {
  await runner?.stop();
  await emulator?.stop();
  await Promise.all(load.splice(0).map((p) => p.stop()));
  runner = undefined;
  emulator = undefined;
});

describe('The first task of a fresh runner', () => {
  it(
    'keeps its lease while it blocks the main thread and the lease thread loads its SDK, on loaded cores',
    async () => {
      emulator = await startEmulatorProcess();
      const group = `wg-first-${process.pid}`;
      // Queued before the runner starts: its first poll brings it back at once.
      const taskId = await emulator.enqueue(group, 'FirstSpin', {
        reportProgressTimeout: '3 seconds',
        maximumRetries: 0,
      });
      for (let i = 0; i < LOAD_PROCS; i++)
        load.push(
          spawnGroup('node', [
            '-e',
            `const end = Date.now() + ${BLOCK_MS + 3000}; while (Date.now() < end);`,
          ]),
        );
      runner = await startTestRunner({
        progressInterval: INTERVAL_MS,
        handlers: [spinHandler('FirstSpin', BLOCK_MS)],
        sources: [{ source: emulatorSource(emulator.endpoint), groups: [group] }],
      });
      const seen = await emulator.settled([taskId], BLOCK_MS + 20_000);
      const task = seen.tasks[taskId]!;
      expect(task.terminalStatus).toBe('FINISHED');
      expect(task.handouts).toBe(1);
      expect(seen.violations).toEqual([]);
    },
    BLOCK_MS + 40_000,
  );
});
