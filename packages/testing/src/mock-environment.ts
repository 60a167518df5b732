import {
  callHandler,
  getTaskHandlerMetadata,
  HandlerRegistry,
  reportedOutcome,
  setLongTimeout,
  settleHandler,
  TaskAbort,
  taskContext,
  Tokens,
  type AbortReason,
  type RuntimePrimitives,
  type Task,
  type TaskHandlerClass,
  type TaskHandlerInstance,
  type TaskOutcome,
} from '@tasklane/core';
import { createRuntime } from '@tasklane/runtime/node';
import { captureLogger, type LogLine } from './capture-logger.ts';

/** An inversify ContainerModule, typed through core so this package needs no inversify import of its own. */
export type BindingsModule = Parameters<HandlerRegistry['container']['loadAsync']>[0];

/** Options of {@link MockHandlerEnvironment}. */
export interface MockHandlerEnvironmentOptions {
  /** Runtime primitives handed to the handler. @default createRuntime() from @tasklane/runtime/node */
  runtime?: RuntimePrimitives;
  /** Variables ctx.runtime.env() returns on top of the real environment. */
  env?: Record<string, string>;
  /** ctx.workerGroup. @default 'test-group' */
  workerGroup?: string;
  /** Like the runner's abortGrace: how long a handler may take to settle after an abort. @default 10_000 */
  abortGraceMs?: number;
  /** Bindings for handler constructors (`@inject(MY_TOKEN)`), loaded into each fresh container. */
  modules?: BindingsModule[];
}

/** Options of one {@link MockHandlerEnvironment.run}. */
export interface MockRunOptions {
  /** Sets ctx.attemptDeadline and aborts with 'attempt-timeout' when it passes, as the runner does. */
  attemptTimeoutMs?: number;
}

/** What one handler run produced. */
export interface MockRunResult {
  /** The handler's own outcome: returned → FINISHED, preconditionFalse → FALSE, thrown → FAILED. */
  readonly outcome: TaskOutcome;
  /**
   * What the runner would report: `outcome`, except that after 'attempt-timeout' or 'shutdown' it
   * reports FAILED TL_ATTEMPT_TIMEOUT / TL_SHUTDOWN, and after 'canceled' or 'lease-lost' nothing.
   */
  readonly reported: TaskOutcome | undefined;
  /** Every ctx.reportProgress() call, in order. */
  readonly progress: Array<Record<string, string | number>>;
  /** Everything the handler logged through ctx.logger or an injected Tokens.Logger. */
  readonly logs: LogLine[];
  readonly abortReason: AbortReason | undefined;
  /** False when the handler ignored its abort past abortGraceMs (the runner frees its slot then). */
  readonly settled: boolean;
  readonly durationMs: number;
}

type HandlerInput = TaskHandlerClass | TaskHandlerInstance;

/**
 * Runs one handler on one task the way the runner does (fresh container, ctx with an AbortSignal,
 * outcome mapping), without a service. Abort the running task with {@link cancel}, {@link timeout} or
 * {@link shutdown}; the result captures progress reports and log lines.
 *
 * @example
 * ```ts
 * const env = new MockHandlerEnvironment();
 * const { outcome, progress } = await env.run(MyHandler, fakeTask({ type: 'MyActivity', input: '/tmp/in' }));
 * expect(outcome).toEqual({ status: 'FINISHED' });
 * ```
 */
export class MockHandlerEnvironment {
  readonly runtime: RuntimePrimitives;
  readonly #options: MockHandlerEnvironmentOptions;
  readonly #running = new Set<(reason: AbortReason) => void>();

  constructor(options: MockHandlerEnvironmentOptions = {}) {
    this.#options = options;
    const base = options.runtime ?? createRuntime();
    const env = options.env;
    this.runtime = env ? { ...base, env: (name) => env[name] ?? base.env(name) } : base;
  }

  /** Aborts the running task(s) as a service-side cancel does. */
  cancel(): void {
    this.#abort('canceled');
  }

  /** Aborts the running task(s) as an attempt timeout does. */
  timeout(): void {
    this.#abort('attempt-timeout');
  }

  /** Aborts the running task(s) as the runner's shutdown deadline does. */
  shutdown(): void {
    this.#abort('shutdown');
  }

  #abort(reason: AbortReason): void {
    for (const abort of this.#running) abort(reason);
  }

  async #instantiate(
    handler: HandlerInput,
    logger: ReturnType<typeof captureLogger>,
  ): Promise<TaskHandlerInstance> {
    if (typeof handler !== 'function') return handler;
    const metadata = getTaskHandlerMetadata(handler);
    if (!metadata)
      throw new TypeError(
        `${handler.name || 'class'} is not a task handler: decorate it with @TaskHandler("ActivityType")`,
      );
    const registry = new HandlerRegistry().register(handler);
    for (const module of this.#options.modules ?? []) await registry.container.loadAsync(module);
    registry.bindDefault(Tokens.Logger, logger);
    registry.bindDefault(Tokens.Runtime, this.runtime);
    return registry.create(metadata.activityType);
  }

  /** Builds the handler (a @TaskHandler class through a fresh container, or an instance as is) and runs it on `task`. */
  async run(handler: HandlerInput, task: Task, options: MockRunOptions = {}): Promise<MockRunResult> {
    const logs: LogLine[] = [];
    const logger = captureLogger(logs);
    const progress: Array<Record<string, string | number>> = [];
    // The runner's own abort, handler-call, settle and outcome code: what this reports cannot drift.
    const abort = new TaskAbort();
    const abortRun = (reason: AbortReason) => void abort.abort(reason);
    this.#running.add(abortRun);
    const startedAt = this.runtime.now();
    const started = this.runtime.monotonicNow();
    const { attemptTimeoutMs } = options;
    const timer =
      attemptTimeoutMs !== undefined
        ? setLongTimeout(() => abort.abort('attempt-timeout'), attemptTimeoutMs)
        : undefined;
    const taskLogger = logger.child({
      taskId: task.taskId,
      attemptId: task.attemptId,
      activityType: task.activityType,
    });
    const ctx = taskContext({
      abort,
      logger: taskLogger,
      workerGroup: this.#options.workerGroup ?? 'test-group',
      startedAt,
      attemptTimeoutMs,
      shutdownDeadline: () => undefined,
      runtime: this.runtime,
      reportProgress: async (fields = {}) => {
        progress.push({ ...fields });
      },
    });
    const handled = callHandler(() => this.#instantiate(handler, logger), task, ctx);
    let result;
    try {
      result = await settleHandler(handled, abort, this.#options.abortGraceMs ?? 10_000);
    } finally {
      timer?.clear();
      this.#running.delete(abortRun);
    }
    return {
      outcome: result.outcome,
      reported: reportedOutcome(result.outcome, abort.reason, { attemptTimeoutMs }),
      progress,
      logs,
      abortReason: abort.reason,
      settled: result.settled,
      durationMs: this.runtime.monotonicNow() - started,
    };
  }
}
