import {
  TaskFailure,
  callHandler,
  failureOutcome,
  preconditionFalse,
  taskContext,
  TaskAbort,
  Task,
} from '@tasklane/core';
import { describe, expect, it } from 'vitest';
import { FAILURE_LIMITS, StepFunctionsSource, dispositionFor, taskFromInput } from '../src/index.ts';

async function outcomeOf(result: () => unknown) {
  const ctx = taskContext({
    abort: new TaskAbort(),
    logger: { child: () => ctx.logger } as never,
    workerGroup: 'g',
    startedAt: 0,
    attemptTimeoutMs: undefined,
    shutdownDeadline: () => undefined,
    runtime: {} as never,
    reportProgress: () => Promise.resolve(),
  });
  return callHandler(() => ({ handle: result }), Task.fromFields({ taskId: 't', activityType: 'A' }), ctx);
}

describe('outcome mapping', () => {
  it('sends what the handler returned as the output, and {} when it returned nothing', async () => {
    expect(dispositionFor(await outcomeOf(() => ({ rows: 3, ok: true })))).toEqual({
      kind: 'success',
      output: '{"rows":3,"ok":true}',
    });
    expect(dispositionFor(await outcomeOf(() => undefined))).toEqual({ kind: 'success', output: '{}' });
    // The result rides along without changing how outcomes compare.
    expect(await outcomeOf(() => 5)).toEqual({ status: 'FINISHED' });
  });

  it('maps TaskFailure to error/cause within the API limits', async () => {
    const d = dispositionFor(
      await outcomeOf(() => {
        throw new TaskFailure('E'.repeat(400), 'x'.repeat(40_000));
      }),
    );
    expect(d.kind).toBe('failure');
    if (d.kind !== 'failure') return;
    expect(d.error).toHaveLength(FAILURE_LIMITS.error);
    expect(d.cause.length).toBeLessThanOrEqual(FAILURE_LIMITS.cause);
    expect(d.cause.startsWith('x')).toBe(true);
  });

  it('reports a precondition FALSE as Tasklane.PreconditionFalse and masks causes with redact', async () => {
    expect(dispositionFor(await outcomeOf(() => preconditionFalse('no file')))).toEqual({
      kind: 'failure',
      error: 'Tasklane.PreconditionFalse',
      cause: 'no file',
    });
    const failed = failureOutcome(new Error('password=hunter2'), 'TL_HANDLER_FAILED');
    const d = dispositionFor(failed, (t) => t.replace('hunter2', '***'));
    expect(d.kind === 'failure' && d.cause).toContain('password=***');
  });
});

describe('task input', () => {
  it('exposes top-level fields by key, arrays as repeated fields, nested JSON as text', () => {
    const { task, context } = taskFromInput(
      'id1',
      'ShellCommandActivity',
      JSON.stringify({
        command: 'echo "$1"',
        scriptArgument: ['a', 'b'],
        opts: { x: 1 },
        tasklane: { retryCount: 2 },
      }),
    );
    expect(task.get('command')).toBe('echo "$1"');
    expect(task.getAll('scriptArgument')).toEqual(['a', 'b']);
    expect(JSON.parse(task.get('opts')!)).toEqual({ x: 1 });
    expect(task.get('tasklane')).toBeUndefined();
    expect(task.activityType).toBe('ShellCommandActivity');
    expect(task.attemptId).toMatch(/Attempt=3$/);
    expect(context).toEqual({ retryCount: 2 });
  });

  it('reads { fields, tasklane } and refuses input that is not a JSON object', () => {
    const { task, context } = taskFromInput(
      'id2',
      'A',
      JSON.stringify({ fields: { k: 'v' }, tasklane: { heartbeatSeconds: 30, execution: 'run-1' } }),
    );
    expect(task.get('k')).toBe('v');
    expect(task.pipelineId).toBe('run-1');
    expect(context.heartbeatSeconds).toBe(30);
    expect(() => taskFromInput('id3', 'A', '[1]')).toThrow(/JSON object/);
    expect(() => taskFromInput('id4', 'A', '{')).toThrow(/not JSON/);
  });
});

describe('StepFunctionsSource options', () => {
  it('names the option at fault', () => {
    expect(() => new StepFunctionsSource({ requestTimeoutMs: 30_000 })).toThrow(/requestTimeoutMs.*>= 65000/);
    expect(() => new StepFunctionsSource({ heartbeatSeconds: 0 })).toThrow(/heartbeatSeconds/);
    expect(() => new StepFunctionsSource({ maxPollsPerActivity: 0 })).toThrow(/maxPollsPerActivity/);
    const source = new StepFunctionsSource({ maxPollsPerActivity: 3 });
    expect(source.pollsPerGroup).toBe(3);
    expect(source.maxPollMs).toBe(70_000);
    return source.close();
  });
});
