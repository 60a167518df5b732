import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  TaskFailure,
  TaskHandler,
  preconditionFalse,
  type Runner,
  type Task,
  type TaskContext,
} from '@tasklane/core';
import { startTestRunner } from '@tasklane/test-utils/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFunctionsSource } from '../src/index.ts';
import { startSfnEmulator, taskState, unique, type SfnEmulator } from './helpers.ts';

const seen: Array<{ type: string; retry: number; abort?: string | undefined }> = [];
let running = 0;
let maxRunning = 0;

const attempt = (task: Task) => Number(/Attempt=(\d+)$/.exec(task.attemptId)?.[1] ?? '1') - 1;

function untilAborted(ctx: TaskContext, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

const Flaky = TaskHandler('Flaky')(
  class {
    handle(task: Task) {
      seen.push({ type: 'Flaky', retry: attempt(task) });
      if (attempt(task) === 0) throw new TaskFailure('Upload.Busy', 'endpoint busy, try again');
      return { uploaded: task.get('target') };
    }
  },
);
const Beat = TaskHandler('Beat')(
  class {
    async handle(task: Task, ctx: TaskContext) {
      // The first attempt heartbeats too rarely for its state's HeartbeatSeconds and is timed out.
      if (attempt(task) === 0) await untilAborted(ctx, 15_000);
      seen.push({ type: 'Beat', retry: attempt(task), abort: ctx.abortReason });
      return { beat: true };
    }
  },
);
const Waiter = TaskHandler('Waiter')(
  class {
    async handle(_task: Task, ctx: TaskContext) {
      await untilAborted(ctx, 20_000);
      seen.push({ type: 'Waiter', retry: 0, abort: ctx.abortReason });
    }
  },
);
const Slow = TaskHandler('Slow')(
  class {
    async handle() {
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, 600));
      running--;
    }
  },
);
const Gate = TaskHandler('Gate')(
  class {
    handle() {
      return preconditionFalse('not yet');
    }
  },
);

describe('StepFunctionsSource against the emulator (real SFNClient)', () => {
  let sfn: SfnEmulator;
  let runner: Runner;
  const arns: Record<string, string> = {};

  beforeAll(async () => {
    sfn = await startSfnEmulator();
    for (const name of ['Flaky', 'Beat', 'Waiter', 'Slow', 'Gate'])
      arns[name] = await sfn.activity(unique(name));
    const handlerTypes = Object.fromEntries(Object.entries(arns).map(([type, arn]) => [arn, type]));
    const bound = new StepFunctionsSource({ ...sfnClientOptions(sfn), handlerTypes });
    runner = await startTestRunner({
      handlers: [Flaky, Beat, Waiter, Slow, Gate],
      concurrency: 4,
      // Heartbeats follow each task's `tasklane.heartbeatSeconds`, not the harness's fast cadence.
      progressInterval: '60s',
      sources: [{ source: bound, groups: Object.values(arns) }],
    });
  });

  afterAll(async () => {
    await runner?.stop();
    await sfn?.close();
  });

  it('runs a workflow to SUCCEEDED through a retried failure and a heartbeat timeout', async () => {
    const machine = await sfn.machine({
      StartAt: 'Upload',
      States: {
        Upload: {
          ...taskState(arns.Flaky!, { target: 's3://bucket/out' }),
          ResultPath: '$.upload',
          Retry: [{ ErrorEquals: ['Upload.Busy'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
          Next: 'Beat',
        },
        Beat: {
          ...taskState(arns.Beat!, {}, {}, 6),
          HeartbeatSeconds: 1,
          ResultPath: null,
          Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 1, MaxAttempts: 1 }],
          End: true,
        },
      },
    });
    const execution = await sfn.start(machine, { run: 1 });
    const done = await sfn.finished(execution);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ run: 1, upload: { uploaded: 's3://bucket/out' } });
    const events = await sfn.history(execution);
    const failed = events.find((e) => e.type === 'ActivityFailed')?.activityFailedEventDetails;
    expect(failed).toMatchObject({ error: 'Upload.Busy' });
    expect(failed?.cause).toContain('endpoint busy');
    expect(events.find((e) => e.type === 'ActivityTimedOut')?.activityTimedOutEventDetails?.error).toBe(
      'States.HeartbeatTimeout',
    );
    expect(seen.filter((s) => s.type === 'Flaky').map((s) => s.retry)).toEqual([0, 1]);
    // The timed-out attempt learned it at its next heartbeat (TaskTimedOut) through its signal.
    await expect.poll(() => seen.find((s) => s.type === 'Beat' && s.retry === 0)?.abort).toBe('canceled');
  }, 40_000);

  it('StopExecution aborts the running handler', async () => {
    const machine = await sfn.machine({
      StartAt: 'Wait',
      States: { Wait: { ...taskState(arns.Waiter!, {}, {}, 1), End: true } },
    });
    const execution = await sfn.start(machine);
    await sfn.event(execution, 'ActivityStarted');
    await sfn.client.send(new StopExecutionCommand({ executionArn: execution, cause: 'operator' }));
    await expect
      .poll(() => seen.find((s) => s.type === 'Waiter')?.abort, { timeout: 10_000 })
      .toBe('canceled');
    expect((await sfn.finished(execution)).status).toBe('ABORTED');
  }, 30_000);

  it('keeps several polls open per activity, one per free slot', async () => {
    const machine = await sfn.machine({
      StartAt: 'S',
      States: { S: { ...taskState(arns.Slow!, {}), End: true } },
    });
    const executions = await Promise.all([1, 2, 3, 4].map(() => sfn.start(machine)));
    const results = await Promise.all(executions.map((e) => sfn.finished(e)));
    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(maxRunning).toBe(4);
  }, 30_000);

  it('reports a precondition FALSE as Tasklane.PreconditionFalse', async () => {
    const machine = await sfn.machine({
      StartAt: 'G',
      States: {
        G: {
          ...taskState(arns.Gate!, {}),
          Catch: [{ ErrorEquals: ['Tasklane.PreconditionFalse'], Next: 'Skipped' }],
          End: true,
        },
        Skipped: { Type: 'Succeed' },
      },
    });
    const execution = await sfn.start(machine);
    expect((await sfn.finished(execution)).status).toBe('SUCCEEDED');
    const failed = (await sfn.history(execution)).find((e) => e.type === 'ActivityFailed');
    expect(failed?.activityFailedEventDetails).toEqual({
      error: 'Tasklane.PreconditionFalse',
      cause: 'not yet',
    });
  }, 30_000);
});

function sfnClientOptions(sfn: SfnEmulator) {
  return {
    endpoint: sfn.emulator.endpoint,
    region: 'us-east-1',
    clientConfig: { credentials: { accessKeyId: 'AKIDTASKLANE', secretAccessKey: 'tasklane' } },
  };
}
