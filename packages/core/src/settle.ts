import type { AbortReason } from './context.ts';
import { ErrorCode } from './errors.ts';
import type { TaskHandlerInstance } from './handler.ts';
import { failureOutcome, finishedOutcome, isPreconditionFalse, type TaskOutcome } from './outcome.ts';
import type { TaskContext } from './context.ts';
import type { Task } from './task.ts';
import { setLongTimeout } from './timers.ts';

/**
 * The abort state of one task: the reason, the handler's AbortSignal and who to tell. The runner and
 * `@tasklane/testing` share it so a mock run aborts exactly as a real one does.
 */
export class TaskAbort {
  #reason: AbortReason | undefined;
  // Created on first access of ctx.signal: Node's EventTarget-based signals cost more per task than the
  // rest of the bookkeeping together, and many handlers never look.
  #controller: AbortController | undefined;
  // Most tasks are never aborted: the list exists once someone listens.
  #listeners: Array<(reason: AbortReason) => void> | undefined;

  get reason(): AbortReason | undefined {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(abortError(this.#reason));
    }
    return this.#controller.signal;
  }

  /** Aborts once; later calls (a second reason) are ignored. Returns whether this call aborted. */
  abort(reason: AbortReason): boolean {
    if (this.#reason) return false;
    this.#reason = reason;
    this.#controller?.abort(abortError(reason));
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
    return true;
  }

  /** Calls `listener` on abort (at once if already aborted). */
  onAbort(listener: (reason: AbortReason) => void): void {
    if (this.#reason) listener(this.#reason);
    else (this.#listeners ??= []).push(listener);
  }
}

/** What {@link taskContext} builds a handler's context from. */
export interface TaskContextParts {
  readonly abort: TaskAbort;
  readonly logger: TaskContext['logger'];
  readonly workerGroup: string;
  readonly startedAt: number;
  readonly attemptTimeoutMs: number | undefined;
  readonly shutdownDeadline: () => number | undefined;
  readonly runtime: TaskContext['runtime'];
  readonly reportProgress: TaskContext['reportProgress'];
}

/**
 * The handler's `ctx`, the same for the runner and `@tasklane/testing`: one object per task whose live
 * values (signal, abort reason, logger, shutdown deadline) are read from `parts` when the handler asks.
 * `reportProgress` stays callable when destructured from the context.
 */
class HandlerContext implements TaskContext {
  readonly #parts: TaskContextParts;
  #report: TaskContext['reportProgress'] | undefined;
  readonly workerGroup: string;
  readonly startedAt: number;
  readonly attemptDeadline: number | undefined;
  readonly runtime: TaskContext['runtime'];

  constructor(parts: TaskContextParts) {
    this.#parts = parts;
    this.workerGroup = parts.workerGroup;
    this.startedAt = parts.startedAt;
    const timeout = parts.attemptTimeoutMs;
    this.attemptDeadline = timeout !== undefined ? parts.startedAt + timeout : undefined;
    this.runtime = parts.runtime;
  }

  get signal(): AbortSignal {
    return this.#parts.abort.signal;
  }

  get abortReason(): AbortReason | undefined {
    return this.#parts.abort.reason;
  }

  get logger(): TaskContext['logger'] {
    return this.#parts.logger;
  }

  get shutdownDeadline(): number | undefined {
    return this.#parts.shutdownDeadline();
  }

  get reportProgress(): TaskContext['reportProgress'] {
    return (this.#report ??= (fields) => this.#parts.reportProgress(fields));
  }
}

/** The handler's `ctx`, the same for the runner and `@tasklane/testing`. */
export function taskContext(parts: TaskContextParts): TaskContext {
  return new HandlerContext(parts);
}

function abortError(reason: AbortReason): Error {
  return new Error(`task aborted: ${reason}`);
}

/** Builds and calls the handler, mapping its result: returned → FINISHED, preconditionFalse → FALSE, thrown → FAILED. */
export async function callHandler(
  create: () => TaskHandlerInstance | Promise<TaskHandlerInstance>,
  task: Task,
  ctx: TaskContext,
): Promise<TaskOutcome> {
  return invokeHandler(create, task, ctx);
}

/**
 * {@link callHandler} without a promise when the handler is built and returns synchronously: the outcome
 * itself then, so a quick handler costs no microtask turns. Never throws; a promise never rejects.
 */
export function invokeHandler(
  create: () => TaskHandlerInstance | Promise<TaskHandlerInstance>,
  task: Task,
  ctx: TaskContext,
): TaskOutcome | Promise<TaskOutcome> {
  try {
    const created = create();
    if (isThenable(created)) return handleLater(created, task, ctx);
    const returned = created.handle(task, ctx);
    return isThenable(returned) ? outcomeLater(returned) : outcomeOf(returned);
  } catch (error) {
    return failureOutcome(error, ErrorCode.HandlerFailed);
  }
}

async function handleLater(
  created: PromiseLike<TaskHandlerInstance>,
  task: Task,
  ctx: TaskContext,
): Promise<TaskOutcome> {
  try {
    const returned = (await created).handle(task, ctx);
    return outcomeOf(isThenable(returned) ? await returned : returned);
  } catch (error) {
    return failureOutcome(error, ErrorCode.HandlerFailed);
  }
}

async function outcomeLater(returned: PromiseLike<unknown>): Promise<TaskOutcome> {
  try {
    return outcomeOf(await returned);
  } catch (error) {
    return failureOutcome(error, ErrorCode.HandlerFailed);
  }
}

function outcomeOf(result: unknown): TaskOutcome {
  return isPreconditionFalse(result) ? { status: 'FALSE', message: result.message } : finishedOutcome(result);
}

/** True for promises and other thenables (a handler may return either). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The handler's outcome, and whether it settled by itself (false: it ignored its abort past the grace). */
export interface Settled {
  readonly outcome: TaskOutcome;
  readonly settled: boolean;
}

/** Waits for the handler; once `abort` fired, waits at most `graceMs` more and then gives up on it. */
export function settleHandler(
  handled: Promise<TaskOutcome>,
  abort: TaskAbort,
  graceMs: number,
  onAbandon: () => void = () => undefined,
): Promise<Settled> {
  // One promise settled by whichever comes first, rather than a race of two.
  return new Promise<Settled>((resolve, reject) => {
    let done = false;
    handled.then((outcome) => {
      done = true;
      resolve({ outcome, settled: true });
    }, reject);
    abort.onAbort(() => {
      if (done) return;
      const timer = setLongTimeout(() => {
        onAbandon();
        resolve({
          outcome: failureOutcome(new Error('handler did not stop after abort'), ErrorCode.HandlerFailed),
          settled: false,
        });
      }, graceMs);
      void handled.finally(() => timer.clear());
    });
  });
}

/** How long before the service's attemptTimeout an attempt is aborted, so its status goes first. */
export function attemptTimeoutMarginMs(attemptTimeoutMs: number): number {
  return Math.min(5000, attemptTimeoutMs * 0.1);
}

/** Longest a shutdown's status waits for a renewal in flight: the process is due to exit. */
const SHUTDOWN_RENEWAL_WAIT_MS = 1000;

/**
 * How long a terminal status waits for the lease's renewals still in flight: undefined for as long as
 * the keeper's stop allows (bounded there), less where the status has a deadline of its own, and not
 * at all when no status follows (a cancel, a lost lease).
 */
export function renewalWaitMs(
  reason: AbortReason | undefined,
  attemptTimeoutMs: number | undefined,
): number | undefined {
  if (reason === 'canceled' || reason === 'lease-lost') return 0;
  if (reason === 'attempt-timeout')
    return attemptTimeoutMs === undefined ? 0 : attemptTimeoutMarginMs(attemptTimeoutMs) / 2;
  if (reason === 'shutdown') return SHUTDOWN_RENEWAL_WAIT_MS;
  return undefined;
}

/**
 * What the runner reports for a handler outcome given why (if at all) the task was aborted: the outcome
 * itself; FAILED TL_ATTEMPT_TIMEOUT or TL_SHUTDOWN after those aborts; nothing after a cancel or a lost
 * lease (the attempt is no longer ours to end).
 */
export function reportedOutcome(
  outcome: TaskOutcome,
  reason: AbortReason | undefined,
  detail: { attemptTimeoutMs?: number | undefined } = {},
): TaskOutcome | undefined {
  switch (reason) {
    case 'canceled':
    case 'lease-lost':
      return undefined;
    case 'attempt-timeout': {
      const limit = detail.attemptTimeoutMs === undefined ? '' : ` of ${detail.attemptTimeoutMs} ms`;
      return coded(`attempt exceeded attemptTimeout${limit}`, ErrorCode.AttemptTimeout);
    }
    case 'shutdown':
      return coded(
        'runner shut down before the task finished (shutdown timeout reached)',
        ErrorCode.Shutdown,
      );
    case undefined:
      return outcome;
  }
}

function coded(message: string, code: ErrorCode): TaskOutcome {
  return failureOutcome(Object.assign(new Error(message), { code }), code);
}
