import { SetTaskStatusCommand } from '@aws-sdk/client-data-pipeline';
import fc from 'fast-check';
import { startEmulator } from '@tasklane/emulator';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  ERROR_LIMITS,
  ErrorCode,
  matchesPatternP,
  TaskHandler,
  InProcessCoordinator,
  type Coordinator,
  type Logger,
  type Task,
  type TaskContext,
} from '../src/index.ts';
import { currentRuntime } from '@tasklane/test-utils/harness';
import { delay, startHarness, wrappedSource, type Harness } from './harness.ts';
import { thrownValue } from './hostile.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const waitsForAbort = (reasons: unknown[]) =>
  class {
    async handle(_t: Task, ctx: TaskContext) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      reasons.push(ctx.abortReason);
    }
  };

function captureLogger(lines: Array<{ level: string; msg: string; obj: object }>): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(typeof obj === 'string' ? { level, msg: obj, obj: {} } : { level, msg: msg ?? '', obj });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describe('Guarantees under production conditions (issue 15)', () => {
  it('reports FAILED in accepted fields whatever a handler throws, random values and bytes included (finding 1)', async () => {
    const values = fc.sample(thrownValue, { numRuns: 40, seed: 15 });
    const Hostile = TaskHandler('Hostile')(
      class {
        handle(task: Task) {
          throw values[Number(task.get('myIndex'))]!();
        }
      },
    );
    harness = await startHarness([Hostile], { concurrency: 8 });
    const c = harness.emulator.control;
    const ids = values.map(
      (_v, i) =>
        c.enqueueTask({
          workerGroup: harness!.group,
          type: 'Hostile',
          fields: { myIndex: String(i) },
          maximumRetries: 0,
        }).taskId,
    );
    for (const taskId of ids) {
      const task = await harness.waitForTask(taskId);
      expect(task.terminalStatus).toBe('FAILED');
      for (const [field, max] of [
        ['errorId', ERROR_LIMITS.errorId],
        ['errorStackTrace', ERROR_LIMITS.errorStackTrace],
      ] as const) {
        const value = task[field] ?? '';
        expect(value.length).toBeLessThanOrEqual(max);
        expect(matchesPatternP(value)).toBe(true);
      }
    }
    expect(c.observations().violations).toEqual([]);
  });

  it('sends a minimal status when the service refuses the full one as an invalid request (finding 1)', async () => {
    const Fails = TaskHandler('Fails')(
      class {
        handle(): never {
          throw new Error('with a stack the service will not take');
        }
      },
    );
    // A service stricter than our sanitizer: the first SetTaskStatus of each task really goes out with a
    // reserved errorId, so the emulator answers a real InvalidRequestException.
    const emulator = await startEmulator({ longPollMs: 500 });
    const refusing = wrappedSource(emulator.endpoint, (got, delegate, real) => {
      let first = true;
      return {
        ...delegate,
        async complete(outcome) {
          if (!first || outcome.status !== 'FAILED') return got.complete(outcome);
          first = false;
          const { taskId } = got.toTask();
          await real.client.send(
            new SetTaskStatusCommand({ taskId, taskStatus: 'FAILED', errorId: `Service_${outcome.errorId}` }),
          );
        },
      };
    });
    const group = `wg-refusing-${process.pid}`;
    harness = await startHarness([Fails], {
      emulator,
      sources: [{ source: refusing, groups: [group] }],
    });
    onTestFinished(() => emulator.close());
    const { taskId } = emulator.control.enqueueTask({ workerGroup: group, type: 'Fails' });
    const seen = await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined);
    const task = seen.tasks[taskId]!;
    expect(task).toMatchObject({ terminalStatus: 'FAILED', errorId: ErrorCode.HandlerFailed });
    expect(task.errorMessage).toMatch(/refused the full status; original message: Error: with a stack/);
    expect(task.errorStackTrace ?? '').toBe('');
  });

  it('reports a thrown Object.create(null) as FAILED (finding 1)', async () => {
    const Nullish = TaskHandler('Nullish')(
      class {
        handle(): never {
          throw Object.create(null);
        }
      },
    );
    harness = await startHarness([Nullish]);
    const { taskId } = harness.emulator.control.enqueueTask({ workerGroup: harness.group, type: 'Nullish' });
    expect(await harness.waitForTask(taskId)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: ErrorCode.HandlerFailed,
    });
  });

  it('runs a task whose attemptTimeout is 30 days instead of timing it out at once (finding 6)', async () => {
    const Short = TaskHandler('Short')(
      class {
        handle() {
          return delay(300);
        }
      },
    );
    harness = await startHarness([Short]);
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'Short',
      attemptTimeout: '30 days',
      reportProgressTimeout: '30 days',
    });
    expect((await harness.waitForTask(taskId)).terminalStatus).toBe('FINISHED');
  });

  for (const leaseThread of [true, false]) {
    const on = leaseThread ? 'leases on the lease thread' : 'leases on the main thread';
    it(`gives an attempt up once progress fails for longer than its lease: aborted, nothing terminal, counted (finding 2, ${on})`, async () => {
      const reasons: unknown[] = [];
      const lost: Array<{ cause: string }> = [];
      harness = await startHarness([TaskHandler('Lease')(waitsForAbort(reasons))], {
        leaseThread,
        hooks: [{ onLeaseLost: (info) => lost.push(info) }],
      });
      expect(await harness.runner.leaseThreadReady).toBe(leaseThread);
      const c = harness.emulator.control;
      const { taskId } = c.enqueueTask({
        workerGroup: harness.group,
        type: 'Lease',
        reportProgressTimeout: '1 seconds',
        maximumRetries: 0,
      });
      await c.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0);
      c.injectFault({ operation: 'ReportTaskProgress', kind: 'internal-error' });
      await c.waitFor(() => reasons.length > 0, 5000);
      c.clearFaults();
      expect(reasons).toEqual(['lease-lost']);
      expect(lost).toMatchObject([{ cause: 'local' }]);
      await delay(300);
      expect(c.task(taskId)!.terminalStatus).not.toBe('FAILED');
      expect(c.observations().violations).toEqual([]);
    });

    it(`reports no FINISHED when a canceled progress reply races the handler end (finding 9, ${on})`, async () => {
      const release: Array<() => void> = [];
      const Racy = TaskHandler('Racy')(
        class {
          handle() {
            return new Promise<void>((resolve) => release.push(resolve));
          }
        },
      );
      harness = await startHarness([Racy], { progressInterval: 100, leaseThread });
      expect(await harness.runner.leaseThreadReady).toBe(leaseThread);
      const c = harness.emulator.control;
      const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Racy' });
      await c.waitFor(() => release.length > 0);
      // The next renewal is held 400 ms before the service handles it; the cancel lands meanwhile and
      // the handler returns before the renewal's `canceled` answer arrives.
      c.injectFault({ operation: 'ReportTaskProgress', kind: 'latency', latencyMs: 400 });
      await delay(150);
      c.cancelTask(taskId);
      release[0]!();
      await delay(800);
      expect(c.task(taskId)!.terminalStatus).not.toBe('FINISHED');
      expect(c.observations().violations).toEqual([]);
    });
  }

  it('leaves a task that the in-flight poll brings after the shutdown deadline un-acked, and says what it waits for (finding 5)', async () => {
    const ran: string[] = [];
    const lines: Array<{ level: string; msg: string; obj: object }> = [];
    const Ok = TaskHandler('Ok')(
      class {
        handle(task: Task) {
          ran.push(task.taskId);
        }
      },
    );
    harness = await startHarness([Ok], {
      emulator: { longPollMs: 3000 },
      shutdownTimeout: 200,
      logger: captureLogger(lines),
    });
    const c = harness.emulator.control;
    await c.waitFor((o) => (o.groups[harness!.group]?.inFlightPolls ?? 0) === 1);
    const stopping = harness.runner.stop();
    await delay(600);
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Ok' });
    await stopping;
    expect(ran).toEqual([]);
    expect(c.task(taskId)).toMatchObject({ handouts: 1, acks: 0 });
    expect(c.task(taskId)!.terminalStatus).toBeUndefined();
    expect(
      lines.some((l) => l.level === 'info' && /waiting up to \d+ s for the in-flight poll/.test(l.msg)),
    ).toBe(true);
  });

  it('gives back a poll permit whose lease would end before a poll could start (finding 3)', async () => {
    const skipped: number[] = [];
    let expiring = true;
    const inner = new InProcessCoordinator();
    // A coordinator whose lease the main thread let run down (say, blocked between grant and poll).
    const coordinator: Coordinator = {
      kind: 'expiring',
      isReady: () => true,
      close: () => inner.close(),
      async acquire(group, signal) {
        const permit = await inner.acquire(group, signal);
        return expiring
          ? { ...permit, release: () => permit.release(), expiresAt: Date.now() + 200 }
          : permit;
      },
    };
    harness = await startHarness([], {
      coordinator,
      hooks: [{ onPermitSkipped: (info) => skipped.push(info.remainingMs) }],
    });
    await delay(500);
    const c = harness.emulator.control;
    expect(c.observations().groups[harness.group]?.polls ?? 0).toBe(0);
    expect(skipped.length).toBeGreaterThan(0);
    expect(Math.max(...skipped)).toBeLessThan(1000);
    expiring = false;
    await c.waitFor((o) => (o.groups[harness!.group]?.polls ?? 0) > 0, 5000);
  });

  it('measures event-loop lag and warns when a handler blocks the thread (finding 3)', async () => {
    const lags: number[] = [];
    const lines: Array<{ level: string; msg: string; obj: object }> = [];
    const Spin = TaskHandler('Spin')(
      class {
        handle() {
          const until = Date.now() + 1500;
          while (Date.now() < until) {
            /* blocks the event loop */
          }
        }
      },
    );
    harness = await startHarness([Spin], {
      lagProbeInterval: 50,
      lagWarnThreshold: 1000,
      logger: captureLogger(lines),
      hooks: [{ onEventLoopLag: ({ lagMs }) => lags.push(lagMs) }],
    });
    const { taskId } = harness.emulator.control.enqueueTask({ workerGroup: harness.group, type: 'Spin' });
    await harness.waitForTask(taskId);
    await delay(200);
    expect(Math.max(...lags)).toBeGreaterThanOrEqual(1000);
    expect(lines.some((l) => l.level === 'warn' && /event loop blocked/.test(l.msg))).toBe(true);
  });

  it('keeps leases on the main thread when the lease thread cannot load', async () => {
    const runtime = await currentRuntime();
    const lines: Array<{ level: string; msg: string; obj: object }> = [];
    const Short = TaskHandler('Short')(
      class {
        handle() {
          return delay(600);
        }
      },
    );
    harness = await startHarness([Short], {
      runtime: {
        ...runtime,
        startThread: (url) => runtime.startThread!(new URL('./no-such-thread.js', url)),
      },
      logger: captureLogger(lines),
    });
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'Short',
      reportProgressTimeout: '1 seconds',
    });
    const task = await harness.waitForTask(taskId);
    expect(task).toMatchObject({ terminalStatus: 'FINISHED', handouts: 1 });
    expect(task.progressReports).toBeGreaterThan(1);
    expect(lines.some((l) => l.level === 'warn' && /lease thread failed/.test(l.msg))).toBe(true);
  });

  it('reports FAILED when a wrapHandle hook throws instead of losing the task (invariant 8)', async () => {
    const Ok = TaskHandler('Ok')(
      class {
        handle() {}
      },
    );
    harness = await startHarness([Ok], {
      hooks: [
        {
          wrapHandle: () => {
            throw new Error('tracing plugin broke');
          },
        },
      ],
    });
    const { taskId } = harness.emulator.control.enqueueTask({ workerGroup: harness.group, type: 'Ok' });
    expect(await harness.waitForTask(taskId)).toMatchObject({
      terminalStatus: 'FAILED',
      errorMessage: 'Error: tracing plugin broke',
    });
  });
});
