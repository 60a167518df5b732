import { ShellCommandActivity, ShellCommandPrecondition } from '@tasklane/handlers-shell';
import { TaskHandler, TaskFailure, type Task, type TaskContext } from '@tasklane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessCoordinator, startTestEnvironment, type TestEnvironment } from '../src/index.ts';

@TaskHandler('EnvEcho')
class EnvEcho {
  async handle(task: Task, ctx: TaskContext) {
    await ctx.reportProgress({ percentComplete: 100 });
    if (task.get('fail') === 'yes')
      throw new TaskFailure('EchoFailed', `asked to fail: ${task.getAll('note').join('+')}`);
  }
}

@TaskHandler('EnvSlow')
class EnvSlow {
  handle(_task: Task, ctx: TaskContext) {
    return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
  }
}

describe('startTestEnvironment', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({
      handlers: [EnvEcho, EnvSlow],
      modules: [{ ShellCommandActivity, ShellCommandPrecondition }],
      workerGroups: ['wg-a', 'wg-b'],
      concurrency: 2,
    });
  });
  afterAll(() => env.close());

  it('re-exports the in-memory coordinator', () => {
    expect(new InProcessCoordinator().kind).toBe('in-process');
  });

  it('runs an enqueued task to FINISHED through the emulator, with progress reported', async () => {
    const { taskId } = env.enqueue('EnvEcho', { note: 'hi' });
    const done = await env.waitForTask(taskId);
    expect(done.terminalStatus).toBe('FINISHED');
    expect(done.acks).toBeGreaterThanOrEqual(1);
    expect(done.lastProgressFields).toMatchObject({ percentComplete: '100' });
  });

  it('reports FAILED with the handler’s errorId and message', async () => {
    const { taskId } = env.enqueue('EnvEcho', { fail: 'yes', note: ['a', 'b'] }, { maximumRetries: 0 });
    expect(await env.waitForTask(taskId)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: 'EchoFailed',
      errorMessage: 'asked to fail: a+b',
    });
  });

  it('serves every worker group', async () => {
    const { taskId } = env.enqueue('EnvEcho', {}, { workerGroup: 'wg-b' });
    expect((await env.waitForTask(taskId)).terminalStatus).toBe('FINISHED');
  });

  it('delivers cancellation to the handler', async () => {
    const { taskId } = env.enqueue('EnvSlow');
    await env.emulator.control.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0, 10_000);
    env.emulator.control.cancelTask(taskId);
    expect((await env.waitForTask(taskId)).canceled).toBe(true);
  });

  it('runs loaded plugin modules (the shell handlers) end to end', async () => {
    const ok = env.enqueue('ShellCommandActivity', {
      command: 'echo "$1"',
      scriptArgument: ['hello world'],
    }).taskId;
    const bad = env.enqueue(
      'ShellCommandActivity',
      { command: 'echo nope >&2; exit 2' },
      { maximumRetries: 0 },
    ).taskId;
    expect((await env.waitForTask(ok)).terminalStatus).toBe('FINISHED');
    expect(await env.waitForTask(bad)).toMatchObject({
      terminalStatus: 'FAILED',
      errorId: 'ShellCommandFailed',
    });
    expect((await env.waitForTask(bad)).errorMessage).toContain('nope');
    expect(env.emulator.control.observations().violations).toEqual([]);
  });
});
