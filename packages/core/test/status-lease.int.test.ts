import { afterEach, describe, expect, it } from 'vitest';
import { TaskHandler, type TaskEnd } from '../src/index.ts';
import { delay, startHarness, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/**
 * Invariant 3 at the end of an attempt (chaos `progress-failure`, status-after-expiry): a handler that
 * returns while renewals fail, with SetTaskStatus failing too, must not keep retrying its status past
 * the local lease and land it after the service expired the attempt.
 */
describe('The terminal status of an attempt whose renewals fail', () => {
  for (const leaseThread of [true, false]) {
    const on = leaseThread ? 'leases on the lease thread' : 'leases on the main thread';
    it(`is not sent once the local lease lapsed: lease-lost, counted, no violation (${on})`, async () => {
      const lost: Array<{ cause: string }> = [];
      const ends: TaskEnd[] = [];
      const Ends = TaskHandler('EndsWhileFailing')(
        class {
          async handle() {
            // Returns well inside the 1 s lease; the status retries would run on for another lease.
            await delay(800);
          }
        },
      );
      harness = await startHarness([Ends], {
        leaseThread,
        hooks: [
          {
            onLeaseLost: (info) => lost.push(info),
            onTaskEnd: (info) => ends.push(info.end),
          },
        ],
      });
      expect(await harness.runner.leaseThreadReady).toBe(leaseThread);
      const c = harness.emulator.control;
      const { taskId } = c.enqueueTask({
        workerGroup: harness.group,
        type: 'EndsWhileFailing',
        reportProgressTimeout: '1 seconds',
        maximumRetries: 0,
      });
      await c.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0);
      c.injectFault({ operation: 'ReportTaskProgress', kind: 'internal-error' });
      c.injectFault({ operation: 'SetTaskStatus', kind: 'internal-error' });
      // After the lease (from the ack) and before the end of the old retry window (handler end + lease).
      await delay(1500);
      c.clearFaults();
      await c.waitFor(() => ends.length > 0, 5000);
      await delay(300);
      expect(ends).toMatchObject([{ kind: 'lease-lost' }]);
      expect(lost).toMatchObject([{ cause: 'local' }]);
      expect(c.task(taskId)!.terminalStatus).not.toBe('FINISHED');
      expect(c.observations().violations).toEqual([]);
    });
  }
});
