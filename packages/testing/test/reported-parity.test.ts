import { TaskFailure, TaskHandler, type Task, type TaskContext } from '@tasklane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fakeTask,
  MockHandlerEnvironment,
  startTestEnvironment,
  type TestEnvironment,
} from '../src/index.ts';

@TaskHandler('ParityWaits')
class Waits {
  handle(_task: Task, ctx: TaskContext) {
    return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
  }
}

@TaskHandler('ParityThrows')
class Throws {
  handle(): never {
    throw new TaskFailure('Parity\u001b[31m', `red \u001b[31malert\u0000 ${'x'.repeat(20)}`);
  }
}

/** The runner's report and MockHandlerEnvironment.reported come from one piece of code; this keeps it so. */
describe('MockHandlerEnvironment.reported matches what the runner reports', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({ handlers: [Waits, Throws], emulator: { timeScale: 1 } });
  });
  afterAll(() => env.close());

  it('for an attempt timeout', async () => {
    // 5 s: the runner aborts 10 % early, and 500 ms leaves room on a loaded machine to report first.
    const { taskId } = env.enqueue('ParityWaits', {}, { attemptTimeout: '5 seconds', maximumRetries: 0 });
    const [real, mock] = await Promise.all([
      env.waitForTask(taskId),
      new MockHandlerEnvironment().run(Waits, fakeTask({ type: 'ParityWaits' }), { attemptTimeoutMs: 5000 }),
    ]);
    expect(real.terminalStatus).toBe('FAILED');
    expect(mock.reported).toMatchObject({ errorId: real.errorId, errorMessage: real.errorMessage });
  });

  it('for a failure with hostile characters (sanitized the same way)', async () => {
    const { taskId } = env.enqueue('ParityThrows', {}, { maximumRetries: 0 });
    const real = await env.waitForTask(taskId);
    const mock = await new MockHandlerEnvironment().run(Throws, fakeTask({ type: 'ParityThrows' }));
    expect(real.errorId).toBe('Parity');
    expect(mock.reported).toMatchObject({ errorId: real.errorId, errorMessage: real.errorMessage });
  });
});
