import { startEmulator } from '@tasklane/emulator';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  ErrorCode,
  preconditionFalse,
  TaskFailure,
  TaskHandler,
  type RunnerState,
  type Task,
  type TaskContext,
  type TaskEnd,
} from '../src/index.ts';
import { delay, startHarness, wrappedSource, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const waitTerminal = (h: Harness, taskId: string, timeoutMs = 15_000) =>
  h.emulator.control
    .waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, timeoutMs)
    .then((o) => o.tasks[taskId]!);

describe('Runner against the emulator', () => {
  it('acknowledges before any handler code runs and reports FINISHED (invariants 3, 4)', async () => {
    const seenAcks: number[] = [];
    const Echo = TaskHandler('Echo')(
      class {
        handle(task: Task) {
          seenAcks.push(harness!.emulator.control.task(task.taskId)!.acks);
        }
      },
    );
    harness = await startHarness([Echo]);
    const { taskId } = harness.emulator.control.enqueueTask({ workerGroup: harness.group, type: 'Echo' });
    const task = await waitTerminal(harness, taskId);
    expect(task.terminalStatus).toBe('FINISHED');
    expect(seenAcks).toEqual([1]);
    expect(harness.emulator.control.observations().violations).toEqual([]);
  });

  it('reports FALSE for a precondition result and FAILED with fields for a TaskFailure and a plain throw (invariant 8)', async () => {
    const Check = TaskHandler('Check')(
      class {
        handle() {
          return preconditionFalse('file missing');
        }
      },
    );
    const Typed = TaskHandler('Typed')(
      class {
        handle() {
          throw new TaskFailure('ExitCode3', 'exited with 3');
        }
      },
    );
    const Plain = TaskHandler('Plain')(
      class {
        handle() {
          throw new RangeError('boom');
        }
      },
    );
    harness = await startHarness([Check, Typed, Plain], { concurrency: 3 });
    const c = harness.emulator.control;
    const [a, b, d] = ['Check', 'Typed', 'Plain'].map(
      (type) => c.enqueueTask({ workerGroup: harness!.group, type, maximumRetries: 0 }).taskId,
    );
    expect((await waitTerminal(harness, a!)).terminalStatus).toBe('FALSE');
    expect(await waitTerminal(harness, b!)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: 'ExitCode3',
      errorMessage: 'exited with 3',
    });
    const plain = await waitTerminal(harness, d!);
    expect(plain).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: ErrorCode.HandlerFailed,
      errorMessage: 'RangeError: boom',
    });
    expect(plain.errorStackTrace).toContain('RangeError: boom');
  });

  it('ends an unknown activity type FAILED naming it (invariant 8)', async () => {
    harness = await startHarness([
      TaskHandler('Known')(
        class {
          handle() {}
        },
      ),
    ]);
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'MysteryActivity',
      maximumRetries: 0,
    });
    const task = await waitTerminal(harness, taskId);
    expect(task).toMatchObject({ terminalStatus: 'FAILED', errorId: ErrorCode.NoHandler });
    expect(task.errorMessage).toContain('"MysteryActivity"');
  });

  it('ends a malformed task FAILED and keeps running (invariant 8)', async () => {
    const Ok = TaskHandler('Ok')(
      class {
        handle() {}
      },
    );
    harness = await startHarness([Ok]);
    const c = harness.emulator.control;
    const bad = c.enqueueTask({
      workerGroup: harness.group,
      type: 'Ok',
      fields: { attemptTimeout: 'whenever' },
      maximumRetries: 0,
    }).taskId;
    const good = c.enqueueTask({ workerGroup: harness.group, type: 'Ok' }).taskId;
    const badTask = await waitTerminal(harness, bad);
    expect(badTask.terminalStatus).toBe('FAILED');
    expect(badTask.errorMessage).toMatch(/attemptTimeout.*"whenever"/);
    expect((await waitTerminal(harness, good)).terminalStatus).toBe('FINISHED');
    expect(harness.runner.state).toBe('running');
  });

  it('keeps reporting progress during a long handler, independent of it (invariant 3)', async () => {
    const Slow = TaskHandler('Slow')(
      class {
        async handle(_t: Task, ctx: TaskContext) {
          await ctx.reportProgress({ percentComplete: 10 });
          await delay(1300);
        }
      },
    );
    harness = await startHarness([Slow], { progressInterval: 200 });
    const { taskId } = harness.emulator.control.enqueueTask({ workerGroup: harness.group, type: 'Slow' });
    const task = await waitTerminal(harness, taskId);
    expect(task.terminalStatus).toBe('FINISHED');
    // ack + explicit report + at least 5 ticks in 1.3 s at 200 ms
    expect(task.progressReports).toBeGreaterThanOrEqual(6);
    expect(task.handouts).toBe(1);
  });

  it('tightens the renewal period to a third of the task reportProgressTimeout', async () => {
    const Slow = TaskHandler('Slow')(
      class {
        handle() {
          return delay(3500);
        }
      },
    );
    harness = await startHarness([Slow], { progressInterval: '1h' });
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'Slow',
      reportProgressTimeout: '3 seconds',
    });
    const task = await waitTerminal(harness, taskId);
    expect(task.terminalStatus).toBe('FINISHED');
    // ack + a renewal every second (a third of 3 s), not every hour
    expect(task.progressReports).toBeGreaterThanOrEqual(4);
    expect(task.handouts).toBe(1);
  });

  it('survives a handler that blocks the event loop for less than the lease (measured limitation)', async () => {
    const Blocking = TaskHandler('Blocking')(
      class {
        handle() {
          const until = Date.now() + 1500;
          while (Date.now() < until) {
            /* a synchronous CPU-bound handler */
          }
        }
      },
    );
    harness = await startHarness([Blocking], { progressInterval: 200 });
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'Blocking',
      reportProgressTimeout: '3 seconds',
    });
    const task = await waitTerminal(harness, taskId);
    expect(task.terminalStatus).toBe('FINISHED');
    expect(task.handouts).toBe(1);
  });

  it('aborts the handler on cancel and reports no FINISHED afterwards (invariant 5)', async () => {
    const reasons: unknown[] = [];
    let started = false;
    const Waits = TaskHandler('Waits')(
      class {
        async handle(_t: Task, ctx: TaskContext) {
          started = true;
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          reasons.push(ctx.abortReason);
          // A handler that returns normally after abort must not turn into FINISHED.
        }
      },
    );
    harness = await startHarness([Waits]);
    const c = harness.emulator.control;
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Waits' });
    // Canceled once the handler runs (a cancel before it starts is the next test).
    await expect.poll(() => started, { timeout: 10_000, interval: 10 }).toBe(true);
    c.cancelTask(taskId);
    await c.waitFor(() => reasons.length > 0, 5000);
    await delay(300);
    expect(reasons).toEqual(['canceled']);
    expect(c.task(taskId)!.terminalStatus).not.toBe('FINISHED');
    expect(c.observations().violations).toEqual([]);
  });

  it('does not start the handler of a task canceled while its lease started (invariant 5)', async () => {
    // The first lease of a process waits for the lease thread's SDK, and a renewal may bring the cancel
    // meanwhile (a CI run on a loaded machine): here the source says so at once, as a push cancel may.
    let ran = 0;
    const ends: TaskEnd[] = [];
    const Never = TaskHandler('NeverStarted')(
      class {
        handle() {
          ran++;
        }
      },
    );
    const emulator = await startEmulator({ longPollMs: 500 });
    onTestFinished(() => emulator.close());
    const canceledAtOnce = wrappedSource(emulator.endpoint, (_got, delegate) => ({
      ...delegate,
      onInterrupt: (listener) => listener('canceled'),
    }));
    const group = `wg-canceled-early-${process.pid}`;
    harness = await startHarness([Never], {
      emulator,
      sources: [{ source: canceledAtOnce, groups: [group] }],
      hooks: [{ onTaskEnd: (i) => ends.push(i.end) }],
    });
    const { taskId } = emulator.control.enqueueTask({ workerGroup: group, type: 'NeverStarted' });
    await expect.poll(() => ends.length, { timeout: 10_000, interval: 10 }).toBe(1);
    expect(ends).toEqual([{ kind: 'canceled' }]);
    expect(ran).toBe(0);
    expect(emulator.control.task(taskId)).toMatchObject({ acks: 1 });
    expect(emulator.control.task(taskId)!.terminalStatus).toBeUndefined();
  });

  it('retries a transient SetTaskStatus failure while the lease holds', async () => {
    const retries: number[] = [];
    harness = await startHarness(
      [
        TaskHandler('Ok')(
          class {
            handle() {}
          },
        ),
      ],
      {
        hooks: [{ onStatusRetry: ({ attempt }) => retries.push(attempt) }],
      },
    );
    const c = harness.emulator.control;
    c.injectFault({ operation: 'SetTaskStatus', kind: 'internal-error', count: 2 });
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Ok' });
    expect((await waitTerminal(harness, taskId)).terminalStatus).toBe('FINISHED');
    expect(retries).toEqual([1, 2]);
  });

  it('backs off on throttled polls with growing delays, then recovers', async () => {
    const pollEnds: Array<{ at: number; error: boolean }> = [];
    harness = await startHarness(
      [
        TaskHandler('Ok')(
          class {
            handle() {}
          },
        ),
      ],
      {
        concurrency: 1,
        hooks: [{ onPollEnd: ({ error }) => pollEnds.push({ at: Date.now(), error: error !== undefined }) }],
      },
    );
    const c = harness.emulator.control;
    c.injectFault({ operation: 'PollForTask', kind: 'throttle', count: 4 });
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Ok' });
    expect((await waitTerminal(harness, taskId)).terminalStatus).toBe('FINISHED');
    const failed = pollEnds.filter((p) => p.error);
    expect(failed.length).toBe(4);
    const gaps = failed.slice(1).map((p, i) => p.at - failed[i]!.at);
    // throttling starts at base*4 (50ms*4=200, jittered down to half) and is capped at 400 ms
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(90);
  });

  it('never polls a group without a free slot (invariant 2)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const Gated = TaskHandler('Gated')(
      class {
        handle() {
          return gate;
        }
      },
    );
    harness = await startHarness([Gated], { concurrency: 1 });
    const c = harness.emulator.control;
    const first = c.enqueueTask({ workerGroup: harness.group, type: 'Gated' }).taskId;
    await c.waitFor((o) => (o.tasks[first]?.acks ?? 0) > 0);
    const pollsWhileBusy = c.observations().groups[harness.group]!.polls;
    const second = c.enqueueTask({ workerGroup: harness.group, type: 'Gated' }).taskId;
    await delay(600);
    expect(c.observations().groups[harness.group]!.polls).toBe(pollsWhileBusy);
    expect(c.observations().groups[harness.group]!.inFlightPolls).toBe(0);
    expect(c.task(second)!.handouts).toBe(0);
    release();
    expect((await waitTerminal(harness, second)).terminalStatus).toBe('FINISHED');
  });

  it('stops gracefully when the service answers terminate (invariant 7)', async () => {
    const states: RunnerState[] = [];
    harness = await startHarness(
      [
        TaskHandler('Ok')(
          class {
            handle() {}
          },
        ),
      ],
      {
        runnerHeartbeatInterval: 100,
        hooks: [{ onStateChange: (s) => states.push(s) }],
      },
    );
    harness.emulator.control.requestTerminate();
    await harness.runner.stopped;
    expect(harness.runner.state).toBe('stopped');
    expect(states).toEqual(['starting', 'running', 'draining', 'stopped']);
  });

  it('lets a running task finish within the shutdown timeout (invariant 7)', async () => {
    const Slow = TaskHandler('Slow')(
      class {
        handle() {
          return delay(500);
        }
      },
    );
    harness = await startHarness([Slow], { shutdownTimeout: '5s' });
    const c = harness.emulator.control;
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Slow' });
    await c.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0);
    await harness.runner.stop();
    expect(c.task(taskId)!.terminalStatus).toBe('FINISHED');
  });

  it('aborts tasks past the shutdown timeout and reports them FAILED with TL_SHUTDOWN (invariant 7)', async () => {
    const Stuck = TaskHandler('Stuck')(
      class {
        handle(_t: Task, ctx: TaskContext) {
          return new Promise<void>((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
          );
        }
      },
    );
    harness = await startHarness([Stuck], { shutdownTimeout: 300 });
    const c = harness.emulator.control;
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Stuck', maximumRetries: 0 });
    await c.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0);
    const began = Date.now();
    await harness.runner.stop();
    expect(Date.now() - began).toBeLessThan(3000);
    expect(c.task(taskId)).toMatchObject({ terminalStatus: 'FAILED', errorId: ErrorCode.Shutdown });
  });

  it('does not abort an in-flight poll on stop, and runs the task it brings', async () => {
    harness = await startHarness(
      [
        TaskHandler('Ok')(
          class {
            handle() {
              return delay(100);
            }
          },
        ),
      ],
      { emulator: { longPollMs: 3000 } },
    );
    const c = harness.emulator.control;
    await c.waitFor((o) => (o.groups[harness!.group]?.inFlightPolls ?? 0) === 1);
    const stopping = harness.runner.stop();
    await delay(100);
    const { taskId } = c.enqueueTask({ workerGroup: harness.group, type: 'Ok' });
    await stopping;
    expect(c.task(taskId)).toMatchObject({ terminalStatus: 'FINISHED', handouts: 1 });
    expect(c.observations().groups[harness.group]!.inFlightPolls).toBe(0);
  });

  /** Runs until aborted: only the attempt timeout ends it. */
  const Stuck = TaskHandler('Stuck')(
    class {
      handle(_t: Task, ctx: TaskContext) {
        return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      }
    },
  );

  it('ends an attempt past attemptTimeout FAILED with TL_ATTEMPT_TIMEOUT', async () => {
    harness = await startHarness([Stuck]);
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'Stuck',
      // 2 s: the runner aborts 10 % early; 200 ms is room to report first on a loaded machine.
      attemptTimeout: '2 seconds',
      maximumRetries: 0,
    });
    expect(await waitTerminal(harness, taskId)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: ErrorCode.AttemptTimeout,
    });
  });

  it('counts attemptTimeout from the ack, so a handler that starts late still ends FAILED first', async () => {
    // 1.2 s between the ack and the handler, as when the lease thread is still loading its SDK on a busy
    // machine: counted from the handler's start, the runner would abort at 3 s, after the service's 2 s.
    harness = await startHarness([Stuck], {
      hooks: [
        {
          onTaskStart: () => {
            const until = Date.now() + 1200;
            while (Date.now() < until);
          },
        },
      ],
    });
    const { taskId } = harness.emulator.control.enqueueTask({
      workerGroup: harness.group,
      type: 'Stuck',
      attemptTimeout: '2 seconds',
      maximumRetries: 0,
    });
    expect(await waitTerminal(harness, taskId)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: ErrorCode.AttemptTimeout,
    });
  });
});
