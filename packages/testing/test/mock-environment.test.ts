import {
  ContainerModule,
  inject,
  preconditionFalse,
  TaskFailure,
  TaskHandler,
  Tokens,
  type Logger,
  type RuntimePrimitives,
  type Task,
  type TaskContext,
} from '@tasklane/core';
import { describe, expect, it } from 'vitest';
import { fakeTask, MockHandlerEnvironment } from '../src/index.ts';

@TaskHandler('MockOk')
class Ok {
  async handle(task: Task, ctx: TaskContext) {
    ctx.logger.info({ input: task.get('input') }, 'working');
    await ctx.reportProgress({ percentComplete: 50 });
    await ctx.reportProgress({ percentComplete: 100 });
  }
}

@TaskHandler('MockFalse')
class NotYet {
  handle() {
    return preconditionFalse('file not there yet');
  }
}

@TaskHandler('MockFail')
class Fails {
  handle(): never {
    throw new TaskFailure('MyError', 'it broke', { retryable: false });
  }
}

@TaskHandler('MockThrows')
class Throws {
  handle(): never {
    throw new RangeError('out of range');
  }
}

@TaskHandler('MockWaits')
class Waits {
  handle(_task: Task, ctx: TaskContext) {
    return new Promise<void>((_resolve, reject) =>
      ctx.signal.addEventListener('abort', () =>
        reject(new TaskFailure('Stopped', `stopped: ${ctx.abortReason}`)),
      ),
    );
  }
}

@TaskHandler('MockIgnoresAbort')
class IgnoresAbort {
  handle() {
    return new Promise<void>((resolve) => setTimeout(resolve, 5000));
  }
}

const GREETING = Symbol('greeting');

@TaskHandler('MockInjected')
class Injected {
  constructor(
    @inject(Tokens.Logger) private readonly logger: Logger,
    @inject(Tokens.Runtime) private readonly runtime: RuntimePrimitives,
    @inject(GREETING) private readonly greeting: string,
  ) {}
  handle() {
    this.logger.info({ runtime: this.runtime.name }, this.greeting);
  }
}

describe('MockHandlerEnvironment', () => {
  const env = new MockHandlerEnvironment();

  it('returned → FINISHED, with progress reports and log lines captured', async () => {
    const result = await env.run(Ok, fakeTask({ type: 'MockOk', input: '/in' }));
    expect(result.outcome).toEqual({ status: 'FINISHED' });
    expect(result.reported).toEqual({ status: 'FINISHED' });
    expect(result.progress).toEqual([{ percentComplete: 50 }, { percentComplete: 100 }]);
    expect(result.logs).toContainEqual({
      level: 'info',
      msg: 'working',
      fields: expect.objectContaining({ input: '/in', activityType: 'MockOk' }),
    });
  });

  it('preconditionFalse → FALSE', async () => {
    expect((await env.run(NotYet, fakeTask({ type: 'MockFalse' }))).outcome).toEqual({
      status: 'FALSE',
      message: 'file not there yet',
    });
  });

  it('TaskFailure → FAILED with its errorId; other throws use their name', async () => {
    expect((await env.run(Fails, fakeTask({ type: 'MockFail' }))).outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'MyError',
      errorMessage: 'it broke',
      retryable: false,
    });
    expect((await env.run(Throws, fakeTask({ type: 'MockThrows' }))).outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'TL_HANDLER_FAILED',
      errorMessage: 'RangeError: out of range',
    });
  });

  it('cancel() aborts the signal; the runner would report nothing', async () => {
    const running = env.run(Waits, fakeTask({ type: 'MockWaits' }));
    setTimeout(() => env.cancel(), 20);
    const result = await running;
    expect(result.abortReason).toBe('canceled');
    expect(result.outcome).toMatchObject({
      status: 'FAILED',
      errorId: 'Stopped',
      errorMessage: 'stopped: canceled',
    });
    expect(result.reported).toBeUndefined();
  });

  it('timeout() and shutdown() map to the runner’s errorIds', async () => {
    const t = env.run(Waits, fakeTask({ type: 'MockWaits' }));
    setTimeout(() => env.timeout(), 20);
    expect((await t).reported).toMatchObject({ status: 'FAILED', errorId: 'TL_ATTEMPT_TIMEOUT' });
    const s = env.run(Waits, fakeTask({ type: 'MockWaits' }));
    setTimeout(() => env.shutdown(), 20);
    expect((await s).reported).toMatchObject({ status: 'FAILED', errorId: 'TL_SHUTDOWN' });
  });

  it('attemptTimeoutMs sets the deadline and aborts when it passes', async () => {
    const result = await env.run(Waits, fakeTask({ type: 'MockWaits' }), { attemptTimeoutMs: 50 });
    expect(result.abortReason).toBe('attempt-timeout');
  });

  it('a handler that ignores its abort is abandoned after abortGraceMs', async () => {
    const strict = new MockHandlerEnvironment({ abortGraceMs: 100 });
    const running = strict.run(IgnoresAbort, fakeTask({ type: 'MockIgnoresAbort' }));
    setTimeout(() => strict.cancel(), 20);
    const result = await running;
    expect(result.settled).toBe(false);
    expect(result.outcome).toMatchObject({
      status: 'FAILED',
      errorMessage: 'Error: handler did not stop after abort',
    });
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('builds classes through a container: Tokens.Logger, Tokens.Runtime and module bindings', async () => {
    const bindings = new ContainerModule(({ bind }) => {
      bind(GREETING).toConstantValue('hello from DI');
    });
    const withDi = new MockHandlerEnvironment({ modules: [bindings] });
    const result = await withDi.run(Injected, fakeTask({ type: 'MockInjected' }));
    expect(result.outcome).toEqual({ status: 'FINISHED' });
    expect(result.logs).toContainEqual({ level: 'info', msg: 'hello from DI', fields: { runtime: 'node' } });
  });

  it('accepts a handler instance', async () => {
    const result = await env.run({ handle: () => undefined }, fakeTask({ type: 'Anything' }));
    expect(result.outcome).toEqual({ status: 'FINISHED' });
  });

  it('uses a real runtime by default, and env overrides on top of it', async () => {
    const withEnv = new MockHandlerEnvironment({ env: { MY_SETTING: 'on' } });
    expect(withEnv.runtime.name).toBe('node');
    expect(withEnv.runtime.env('MY_SETTING')).toBe('on');
    expect(withEnv.runtime.env('PATH')).toBe(process.env.PATH);
    expect(typeof withEnv.runtime.spawn).toBe('function');
  });
});
