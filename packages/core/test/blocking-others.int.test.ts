import { emulatorSource, startTestRunner } from '@tasklane/test-utils/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskHandler, type Runner } from '../src/index.ts';
import { spinHandler, startEmulatorProcess, type EmulatorProcess } from './emulator-process.ts';

/**
 * Invariant 3 for the other tasks of a runner whose main thread a handler blocks (chaos `cpu-block`): a
 * task taken before the lease thread had loaded must still be renewed from it.
 */
const BLOCK_MS = 5000;

let emulator: EmulatorProcess | undefined;
let runner: Runner | undefined;
afterEach(async () => {
  await runner?.stop();
  await emulator?.stop();
  runner = undefined;
  emulator = undefined;
});

describe('A handler that blocks the main thread', () => {
  it('leaves the lease of a task taken before the lease thread loaded renewing (invariant 3)', async () => {
    emulator = await startEmulatorProcess();
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
      handlers: [spinHandler('Spin', BLOCK_MS), Slow],
      sources: [{ source: emulatorSource(emulator.endpoint), groups: [group] }],
    });
    // Queued as the runner starts: its first poll takes it while the lease thread is still loading.
    const slow = await emulator.enqueue(group, 'Slow', lease);
    await new Promise((r) => setTimeout(r, 1000));
    const spin = await emulator.enqueue(group, 'Spin', lease);
    const seen = await emulator.settled([slow, spin], BLOCK_MS + 20_000);
    expect(seen.tasks[slow]?.terminalStatus).toBe('FINISHED');
    expect(seen.tasks[spin]?.terminalStatus).toBe('FINISHED');
    expect(seen.violations).toEqual([]);
  }, 40_000);
});
