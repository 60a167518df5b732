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
  readonly #listeners: Array<(reason: AbortReason) => void> = [];

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
    for (const listener of this.#listeners.splice(0)) listener(reason);
    return true;
  }

  /** Calls `listener` on abort (at once if already aborted). */
  onAbort(listener: (reason: AbortReason) => void): void {
    if (this.#reason) listener(this.#reason);
    else this.#listeners.push(listener);
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

/** The handler's `ctx`, the same for the runner and `@tasklane/testing`. */
export function taskContext(parts: TaskContextParts): TaskContext {
  const { abort, attemptTimeoutMs, startedAt } = parts;
  return {
    get signal() {
      return abort.signal;
    },
    get abortReason() {
      return abort.reason;
    },
    logger: parts.logger,
    workerGroup: parts.workerGroup,
    startedAt,
    attemptDeadline: attemptTimeoutMs !== undefined ? startedAt + attemptTimeoutMs : undefined,
    get shutdownDeadline() {
      return parts.shutdownDeadline();
    },
    runtime: parts.runtime,
    reportProgress: parts.reportProgress,
  };
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
  try {
    const handler = await create();
    const result = await handler.handle(task, ctx);
    return isPreconditionFalse(result)
      ? { status: 'FALSE', message: result.message }
      : finishedOutcome(result);
  } catch (error) {
    return failureOutcome(error, ErrorCode.HandlerFailed);
  }
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
  const settled = handled.then((outcome) => ({ outcome, settled: true }));
  const abandoned = new Promise<Settled>((resolve) => {
    abort.onAbort(() => {
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
  return Promise.race([settled, abandoned]);
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
