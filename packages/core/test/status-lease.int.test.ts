import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  TaskHandler,
  type RunnerHooks,
  type TaskContext,
  type TaskEnd,
  type TaskHandlerClass,
} from '../src/index.ts';
import { delay, startHarness, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

type TaskSpec = Omit<Parameters<Harness['emulator']['control']['enqueueTask']>[0], 'workerGroup'>;

/** A runner keeping its leases on the lease thread or the main thread, and one task for it. */
async function oneTask(
  handler: TaskHandlerClass,
  leaseThread: boolean,
  task: TaskSpec,
  hooks: RunnerHooks[] = [],
) {
  harness = await startHarness([handler], { leaseThread, hooks });
  expect(await harness.runner.leaseThreadReady).toBe(leaseThread);
  const c = harness.emulator.control;
  const { taskId } = c.enqueueTask({ workerGroup: harness.group, maximumRetries: 0, ...task });
  return { c, taskId };
}

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
      const { c, taskId } = await oneTask(
        Ends,
        leaseThread,
        { type: 'EndsWhileFailing', reportProgressTimeout: '1 seconds' },
        [{ onLeaseLost: (info) => lost.push(info), onTaskEnd: (info) => ends.push(info.end) }],
      );
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

/**
 * A terminal status and a renewal in flight (seen on Deno: the lease thread's first renewal, on a fresh
 * client, still on its way when the handler threw): the status goes after the renewal's answer, so the
 * service never gets a report for an attempt that has ended, except where a deadline cannot wait.
 */
describe('The terminal status of an attempt with a renewal in flight', () => {
  const Stuck = TaskHandler('StuckUntilAborted')(
    class {
      handle(_t: unknown, ctx: TaskContext) {
        return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      }
    },
  );

  for (const leaseThread of [true, false]) {
    const on = leaseThread ? 'leases on the lease thread' : 'leases on the main thread';
    it(`a FAILED is sent after the renewal's answer (${on})`, async () => {
      const Throws = TaskHandler('ThrowsDuringRenewal')(
        class {
          async handle() {
            const c = harness!.emulator.control;
            const sent = () => c.observations().requests['ReportTaskProgress'] ?? 0;
            const before = sent();
            // The next renewal reaches the service 700 ms late; the handler fails while it is on its way.
            c.injectFault({ operation: 'ReportTaskProgress', kind: 'latency', latencyMs: 700, count: 1 });
            const deadline = Date.now() + 5000;
            while (sent() <= before && Date.now() < deadline) await delay(5);
            throw new Error('failed while a renewal was in flight');
          }
        },
      );
      const { c, taskId } = await oneTask(Throws, leaseThread, {
        type: 'ThrowsDuringRenewal',
        reportProgressTimeout: '3 seconds',
      });
      await c.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 10_000);
      expect(c.task(taskId)).toMatchObject({
        terminalStatus: 'FAILED',
        errorMessage: expect.stringContaining('failed while a renewal was in flight'),
      });
      // The delayed renewal has been answered by now, whichever came first.
      await delay(1000);
      expect(c.observations().violations).toEqual([]);
    });

    it(`an attempt timeout does not wait out a stalled renewal (${on})`, async () => {
      const ends: TaskEnd[] = [];
      const { c, taskId } = await oneTask(
        Stuck,
        leaseThread,
        { type: 'StuckUntilAborted', attemptTimeout: '2 seconds' },
        [{ onTaskEnd: (i) => ends.push(i.end) }],
      );
      await c.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0);
      // Every renewal from now on takes 5 s: one is in flight when the runner aborts at 1.8 s.
      c.injectFault({ operation: 'ReportTaskProgress', kind: 'latency', latencyMs: 5000 });
      await c.waitFor(() => ends.length > 0, 10_000);
      c.clearFaults();
      expect(c.task(taskId)).toMatchObject({ terminalStatus: 'FAILED', errorId: ErrorCode.AttemptTimeout });
    });
  }
});
