import { fileURLToPath } from 'node:url';
import { spawnGroup, type GroupProcess } from '@tasklane/test-utils';
import { emulatorSource, startTestRunner } from '@tasklane/test-utils/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskHandler, type Runner } from '../src/index.ts';

/**
 * Invariant 3 for the other tasks of a runner whose main thread a handler blocks (chaos `cpu-block`): a
 * task taken before the lease thread had loaded must still be renewed from it. The emulator runs in its
 * own process, as in blocking.int.test.ts.
 */
const BLOCK_MS = 5000;
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
  tasks: Record<string, { terminalStatus?: string } | undefined>;
  violations: unknown[];
}

describe('A handler that blocks the main thread', () => {
  it('leaves the lease of a task taken before the lease thread loaded renewing (invariant 3)', async () => {
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
    const Slow = TaskHandler('Slow')(
      class {
        async handle() {
          await new Promise((r) => setTimeout(r, BLOCK_MS + 2000));
        }
      },
    );
    const group = `wg-block-others-${process.pid}`;
    const lease = { reportProgressTimeout: '3 seconds', maximumRetries: 0 };
    runner = await startTestRunner({
      progressInterval: 500,
      handlers: [Spin, Slow],
      sources: [{ source: emulatorSource(endpoint!), groups: [group] }],
    });
    // Queued as the runner starts: its first poll takes it while the lease thread is still loading.
    const slow = await control<{ taskId: string }>(endpoint!, 'POST', 'enqueue', {
      workerGroup: group,
      type: 'Slow',
      ...lease,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const spin = await control<{ taskId: string }>(endpoint!, 'POST', 'enqueue', {
      workerGroup: group,
      type: 'Spin',
      ...lease,
    });
    let seen: Observed;
    const until = Date.now() + BLOCK_MS + 20_000;
    do {
      await new Promise((r) => setTimeout(r, 200));
      seen = await control<Observed>(endpoint!, 'GET', 'observations');
    } while (
      !(seen.tasks[slow.taskId]?.terminalStatus && seen.tasks[spin.taskId]?.terminalStatus) &&
      Date.now() < until
    );
    expect(seen.tasks[slow.taskId]?.terminalStatus).toBe('FINISHED');
    expect(seen.tasks[spin.taskId]?.terminalStatus).toBe('FINISHED');
    expect(seen.violations).toEqual([]);
  }, 40_000);
});
