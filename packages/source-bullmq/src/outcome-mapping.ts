import { ErrorCode, type TaskOutcome } from '@tasklane/core';
import { UnrecoverableError } from 'bullmq';

/** The return value a completed job gets: the Tasklane status, plus the message of a precondition FALSE. */
export interface CompletedReturnValue {
  readonly status: 'FINISHED' | 'FALSE';
  readonly message?: string;
}

/** What to do with a job once its handler ended. */
export type JobDisposition =
  | { readonly kind: 'complete'; readonly returnValue: CompletedReturnValue }
  | { readonly kind: 'fail'; readonly error: Error; readonly unrecoverable: boolean }
  /** Give the job back to the queue untouched (no attempt used): the runner was shut down under it. */
  | { readonly kind: 'release' };

/** The disposition of every FINISHED job, shared: the hot path allocates none. */
const COMPLETE_FINISHED: JobDisposition = Object.freeze({
  kind: 'complete',
  returnValue: Object.freeze({ status: 'FINISHED' }),
});

/** Errors that will fail the same way on every attempt, so BullMQ retries would only waste time. */
const DETERMINISTIC: ReadonlySet<string> = new Set([
  ErrorCode.MalformedTask,
  ErrorCode.MissingField,
  ErrorCode.InvalidField,
]);

/** An UnrecoverableError (BullMQ skips remaining attempts) that keeps the Tasklane errorId as its name. */
class UnrecoverableTaskError extends UnrecoverableError {
  constructor(errorId: string, message: string) {
    super(message);
    this.name = errorId;
  }
}

/**
 * Maps a Tasklane outcome to a BullMQ transition.
 * - FINISHED → completed with `{ status: 'FINISHED' }`; FALSE → completed with `{ status: 'FALSE', message }`.
 * - FAILED → failed; `failedReason` is `"<errorId>: <errorMessage>"`, the stack trace is errorStackTrace.
 *   `retryable: false` (and malformed tasks / missing or invalid fields) skip BullMQ's remaining attempts;
 *   otherwise the job's `attempts` / `backoff` decide.
 * - `redact`, when given, masks secrets in the failure text before it is stored (the CLI passes its
 *   redaction layer).
 * - FAILED with TL_SHUTDOWN (the shutdown timeout aborted the handler) → back to waiting, like a stalled job.
 */
export function dispositionFor(outcome: TaskOutcome, redact?: (text: string) => string): JobDisposition {
  switch (outcome.status) {
    case 'FINISHED':
      return COMPLETE_FINISHED;
    case 'FALSE':
      return {
        kind: 'complete',
        returnValue:
          outcome.message === undefined ? { status: 'FALSE' } : { status: 'FALSE', message: outcome.message },
      };
    case 'FAILED': {
      if (outcome.errorId === ErrorCode.Shutdown) return { kind: 'release' };
      const unrecoverable = !outcome.retryable || DETERMINISTIC.has(outcome.errorId);
      // failedReason and the stack are stored in Redis and shown by the dashboard: redact them first.
      const clean = redact ?? ((text: string) => text);
      const message = clean(`${outcome.errorId}: ${outcome.errorMessage}`);
      const error = unrecoverable
        ? new UnrecoverableTaskError(outcome.errorId, message)
        : Object.assign(new Error(message), { name: outcome.errorId });
      error.stack = outcome.errorStackTrace === undefined ? message : clean(outcome.errorStackTrace);
      return { kind: 'fail', error, unrecoverable };
    }
  }
}

/** The failure a canceled job ends with: unrecoverable, so BullMQ does not run it again. */
export function cancellationError(reason: string): Error {
  const error = new UnrecoverableTaskError('TL_BULLMQ_CANCELED', `TL_BULLMQ_CANCELED: ${reason}`);
  error.stack = error.message;
  return error;
}

/** Job progress from Tasklane progress fields: a number for a lone `percentComplete`, else an object. */
export function progressValue(fields: Record<string, string>): number | Record<string, string | number> {
  const entries = Object.entries(fields);
  const percent = fields.percentComplete === undefined ? undefined : Number(fields.percentComplete);
  const numericPercent = percent !== undefined && Number.isFinite(percent) ? percent : undefined;
  if (numericPercent !== undefined && entries.length === 1) return numericPercent;
  const value: Record<string, string | number> = Object.fromEntries(entries);
  if (numericPercent !== undefined) value.percentComplete = numericPercent;
  return value;
}
