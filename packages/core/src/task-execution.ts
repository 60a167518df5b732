import { backoffDelay, sleep } from './backoff.ts';
import type { AbortReason, TaskContext } from './context.ts';
import { ErrorCode } from './errors.ts';
import type { RunnerHooks, TaskEnd, TaskInfo } from './hooks.ts';
import type { Logger } from './logger.ts';
import type { CompiledRunnerOptions } from './options.ts';
import { failureOutcome, isPreconditionFalse, type TaskOutcome } from './outcome.ts';
import type { HandlerRegistry } from './registry.ts';
import type { RuntimePrimitives } from './runtime.ts';
import { LeaseLostError, type LeaseReply, type SourceTask, type TaskSource } from './source.ts';
import type { Task } from './task.ts';

/** What one task execution needs from its runner. */
export interface ExecutionDeps {
  readonly options: CompiledRunnerOptions;
  readonly registry: HandlerRegistry;
  readonly runtime: RuntimePrimitives;
  readonly logger: Logger;
  readonly hooks: RunnerHooks;
  /**
   * Calls `listener` when the shutdown deadline passes (at once if it already has); returns an
   * unsubscribe function. Running handlers are then aborted with 'shutdown'.
   */
  onShutdownDeadline(listener: () => void): () => void;
  /** Epoch ms of the shutdown deadline, once stop() was called. */
  shutdownDeadline(): number | undefined;
  onStarted(info: { task: Task; group: string; startedAt: number }): void;
  onFinished(task: Task): void;
}

/** The service's default lease when a task names none (protocol §3.1: report within 15 min). */
const DEFAULT_LEASE_MS = 15 * 60_000;
const ACK_ATTEMPTS = 5;

function stringFields(
  fields: Record<string, string | number> | undefined,
): Record<string, string> | undefined {
  if (!fields) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

/**
 * Runs one received task to its end: ack before handler code, lease ticker, handler with an abort
 * signal, and exactly one terminal status unless canceled or the lease was lost.
 */
export async function executeTask(
  deps: ExecutionDeps,
  source: TaskSource,
  group: string,
  received: SourceTask,
): Promise<void> {
  const log = deps.logger.child({ workerGroup: group, attemptId: received.id });
  const ack = await acknowledge(deps, source, received, log);
  if (!ack) return;
  if (ack.canceled) {
    log.info('task was canceled before it started');
    return;
  }

  let task: Task;
  try {
    task = received.toTask();
  } catch (error) {
    deps.hooks.onTaskRejected?.({ group, id: received.id, error });
    const outcome = failureOutcome(error, ErrorCode.MalformedTask);
    log.warn({ err: error }, 'malformed task: reporting FAILED');
    await reportOutcome(deps, source, group, received, outcome, log, DEFAULT_LEASE_MS);
    return;
  }

  const taskLog = log.child({
    taskId: task.taskId.slice(0, 64),
    pipelineId: task.pipelineId,
    activityType: task.activityType,
  });
  const info: TaskInfo = { group, source: source.kind, task };
  const startedAt = deps.runtime.now();
  const started = deps.runtime.monotonicNow();
  deps.onStarted({ task, group, startedAt });
  deps.hooks.onTaskStart?.(info);
  let end: TaskEnd;
  try {
    end = await runHandler(deps, source, group, received, task, taskLog, info, startedAt);
  } finally {
    deps.onFinished(task);
  }
  deps.hooks.onTaskEnd?.({ ...info, durationMs: deps.runtime.monotonicNow() - started, end });
}

async function acknowledge(
  deps: ExecutionDeps,
  source: TaskSource,
  received: SourceTask,
  log: Logger,
): Promise<LeaseReply | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await received.ack();
    } catch (error) {
      if (LeaseLostError.is(error) || !source.isTransient(error) || attempt + 1 >= ACK_ATTEMPTS) {
        // Unacknowledged, the service offers the task again after its ack window: nothing is lost.
        log.warn({ err: error }, 'could not acknowledge task; leaving it for the service to re-offer');
        return undefined;
      }
      await sleep(backoffDelay(attempt, deps.options.statusRetryBaseMs, deps.options.statusRetryMaxMs));
    }
  }
}

async function runHandler(
  deps: ExecutionDeps,
  source: TaskSource,
  group: string,
  received: SourceTask,
  task: Task,
  log: Logger,
  info: TaskInfo,
  startedAt: number,
): Promise<TaskEnd> {
  // The AbortController is created on first access of ctx.signal: Node's EventTarget-based signals
  // cost more per task than the rest of the bookkeeping together, and many handlers never look.
  let controller: AbortController | undefined;
  let reason: AbortReason | undefined;
  let onAbort: (() => void) | undefined;
  const abortError = () => new Error(`task aborted: ${reason}`);
  const abort = (why: AbortReason) => {
    if (reason) return;
    reason = why;
    log.info({ reason: why }, 'aborting handler');
    controller?.abort(abortError());
    onAbort?.();
  };

  let leaseMs: number;
  let attemptTimeoutMs: number | undefined;
  try {
    leaseMs = received.leaseTimeoutMs ?? DEFAULT_LEASE_MS;
    attemptTimeoutMs = task.getDuration('attemptTimeout');
  } catch (error) {
    const outcome = failureOutcome(error, ErrorCode.MalformedTask);
    return reportOutcome(deps, source, group, received, outcome, log, DEFAULT_LEASE_MS);
  }
  const interval = Math.max(10, Math.min(deps.options.progressIntervalMs, Math.floor(leaseMs / 3)));

  // Lease renewal runs on its own timer, so a handler that awaits long work never starves it.
  let lastRenewal = deps.runtime.monotonicNow();
  let renewing = false;
  const renew = async (fields?: Record<string, string>) => {
    const expectedAt = lastRenewal + interval;
    try {
      const reply = await received.progress(fields);
      const now = deps.runtime.monotonicNow();
      deps.hooks.onProgress?.({ group, id: received.id, ok: true, lagMs: Math.max(0, now - expectedAt) });
      lastRenewal = now;
      if (reply.canceled) abort('canceled');
    } catch (error) {
      deps.hooks.onProgress?.({ group, id: received.id, ok: false, lagMs: 0 });
      if (LeaseLostError.is(error)) abort('lease-lost');
      else log.warn({ err: error }, 'progress report failed; will retry at the next tick');
    }
  };
  const ticker = setInterval(() => {
    if (renewing) return;
    renewing = true;
    void renew().finally(() => {
      renewing = false;
    });
  }, interval);
  // Abort a little before the service's own attemptTimeout so the attempt ends with our explanation
  // (TL_ATTEMPT_TIMEOUT and whatever the handler logged) rather than a bare service-side timeout.
  const attemptBudgetMs =
    attemptTimeoutMs === undefined ? undefined : attemptTimeoutMs - Math.min(5000, attemptTimeoutMs * 0.1);
  const attemptTimer =
    attemptBudgetMs !== undefined ? setTimeout(() => abort('attempt-timeout'), attemptBudgetMs) : undefined;
  const offShutdown = deps.onShutdownDeadline(() => abort('shutdown'));

  const ctx: TaskContext = {
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (reason) controller.abort(abortError());
      }
      return controller.signal;
    },
    get abortReason() {
      return reason;
    },
    logger: log,
    workerGroup: group,
    startedAt,
    attemptDeadline: attemptTimeoutMs !== undefined ? startedAt + attemptTimeoutMs : undefined,
    get shutdownDeadline() {
      return deps.shutdownDeadline();
    },
    runtime: deps.runtime,
    reportProgress: (fields) => renew(stringFields(fields)),
  };

  let outcome: TaskOutcome;
  try {
    outcome = await settleHandler(deps, task, ctx, info, (listener) => {
      if (reason) listener();
      else onAbort = listener;
    });
  } finally {
    clearInterval(ticker);
    if (attemptTimer) clearTimeout(attemptTimer);
    offShutdown();
  }

  switch (reason) {
    case 'canceled':
      log.info('task canceled by the service; no status reported');
      return { kind: 'canceled' };
    case 'lease-lost':
      log.warn('lease lost (the service no longer knows this task); no status reported');
      return { kind: 'lease-lost' };
    case 'attempt-timeout':
      outcome = failureOutcome(
        Object.assign(new Error(`attempt exceeded attemptTimeout of ${attemptTimeoutMs} ms`), {
          code: ErrorCode.AttemptTimeout,
        }),
        ErrorCode.AttemptTimeout,
      );
      break;
    case 'shutdown':
      outcome = failureOutcome(
        Object.assign(new Error('runner shut down before the task finished (shutdown timeout reached)'), {
          code: ErrorCode.Shutdown,
        }),
        ErrorCode.Shutdown,
      );
      break;
    case undefined:
      break;
  }
  return reportOutcome(deps, source, group, received, outcome, log, leaseMs);
}

/** Calls the handler; after an abort, waits at most `abortGraceMs` for it to settle. */
async function settleHandler(
  deps: ExecutionDeps,
  task: Task,
  ctx: TaskContext,
  info: TaskInfo,
  whenAborted: (listener: () => void) => void,
): Promise<TaskOutcome> {
  const call = async (): Promise<TaskOutcome> => {
    try {
      const handler = deps.registry.create(task.activityType);
      const result = await handler.handle(task, ctx);
      return isPreconditionFalse(result)
        ? { status: 'FALSE', message: result.message }
        : { status: 'FINISHED' };
    } catch (error) {
      return failureOutcome(error, ErrorCode.HandlerFailed);
    }
  };
  const handled = deps.hooks.wrapHandle ? deps.hooks.wrapHandle(info, call) : call();
  const abandoned = new Promise<TaskOutcome>((resolve) => {
    whenAborted(() => {
      const timer = setTimeout(() => {
        ctx.logger.warn(
          { graceMs: deps.options.abortGraceMs },
          'handler ignored its abort signal; freeing its slot',
        );
        resolve(failureOutcome(new Error('handler did not stop after abort'), ErrorCode.HandlerFailed));
      }, deps.options.abortGraceMs);
      void handled.finally(() => clearTimeout(timer));
    });
  });
  return Promise.race([handled, abandoned]);
}

/** Sends the terminal status, retrying transient failures while the lease can still hold. */
async function reportOutcome(
  deps: ExecutionDeps,
  source: TaskSource,
  group: string,
  received: SourceTask,
  outcome: TaskOutcome,
  log: Logger,
  leaseMs: number,
): Promise<TaskEnd> {
  const deadline = deps.runtime.monotonicNow() + leaseMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await received.complete(outcome);
      log.info(
        outcome.status === 'FAILED'
          ? { status: outcome.status, errorId: outcome.errorId, errorMessage: outcome.errorMessage }
          : { status: outcome.status },
        'task ended',
      );
      return { kind: 'reported', outcome };
    } catch (error) {
      if (LeaseLostError.is(error)) {
        log.warn({ err: error }, 'status not accepted: the service no longer knows the task');
        return { kind: 'lease-lost' };
      }
      const delay = backoffDelay(attempt, deps.options.statusRetryBaseMs, deps.options.statusRetryMaxMs);
      if (!source.isTransient(error) || deps.runtime.monotonicNow() + delay > deadline) {
        log.error({ err: error, status: outcome.status }, 'could not report task status');
        return { kind: 'unreported', outcome, error };
      }
      deps.hooks.onStatusRetry?.({ group, id: received.id, attempt: attempt + 1, error });
      await sleep(delay);
    }
  }
}
