import { fileURLToPath } from 'node:url';
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { emulatorSource, startTestRunner } from '@tasklane/test-utils/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskHandler, type Runner } from '../src/index.ts';

/**
 * Invariant 3 with a handler that blocks its thread: the emulator runs in its own process (an in-process
 * one would be blocked too), and the handler spins for BLOCK_MS on the runner's main thread.
 */
const BLOCK_MS = Number(process.env.TASKLANE_BLOCK_MS ?? 20_000);
const INTERVAL_MS = 500;
const emulatorBin = fileURLToPath(new URL('../../emulator/bin/tasklane-emulator.mjs', import.meta.url));

let emulator: GroupProcess | undefined;
let runner: Runner | undefined;
afterEach(async () => {
  await runner?.stop();
  await emulator?.stop();
  runner = undefined;
  emulator = undefined;
});

async function control<T>(endpoint: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${endpoint}/_tasklane/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as T;
}

interface Observed {
  tasks: Record<string, { terminalStatus?: string; handouts: number; progressReports: number } | undefined>;
  violations: unknown[];
}

describe('A handler that blocks the main thread', () => {
  it(
    `keeps its lease through a ${BLOCK_MS / 1000} s synchronous loop (invariant 3, finding 3)`,
    async () => {
      emulator = spawnGroup('node', [emulatorBin, '--port', '0', '--long-poll', '1s', '--quiet']);
      const [, endpoint] = await emulator.waitForOutput(/emulator listening on (http:\S+)/);
      const Spin = TaskHandler('Spin')(
        class {
          handle() {
            const until = Date.now() + BLOCK_MS;
            while (Date.now() < until) {
              /* CPU-bound work that never yields */
            }
          }
        },
      );
      const group = `wg-block-${process.pid}`;
      runner = await startTestRunner({
        progressInterval: INTERVAL_MS,
        handlers: [Spin],
        sources: [{ source: emulatorSource(endpoint!), groups: [group] }],
      });
      expect(await runner.leaseThreadReady).toBe(true);
      const { taskId } = await control<{ taskId: string }>(endpoint!, 'POST', 'enqueue', {
        workerGroup: group,
        type: 'Spin',
        // The service gives the attempt up after 3 s without progress; the runner renews every 500 ms.
        reportProgressTimeout: '3 seconds',
        maximumRetries: 0,
      });
      let seen: Observed;
      const until = Date.now() + BLOCK_MS + 20_000;
      do {
        await new Promise((r) => setTimeout(r, 200));
        seen = await control<Observed>(endpoint!, 'GET', 'observations');
      } while (!seen.tasks[taskId]?.terminalStatus && Date.now() < until);
      const task = seen.tasks[taskId]!;
      expect(task.terminalStatus).toBe('FINISHED');
      expect(task.handouts).toBe(1);
      // The cadence holds while blocked (measured: 91 of 100 at 200 ms on Node); a loaded machine loses some.
      expect(task.progressReports).toBeGreaterThanOrEqual(Math.floor((BLOCK_MS / INTERVAL_MS) * 0.6));
      expect(seen.violations).toEqual([]);
    },
    BLOCK_MS + 40_000,
  );
});
