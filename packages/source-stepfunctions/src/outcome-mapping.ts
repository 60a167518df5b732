import { handlerResult, type TaskOutcome } from '@tasklane/core';
import { StepFunctionsErrorCode } from './errors.ts';

/** SendTaskFailure's limits: error 256 characters, cause 32768. */
export const FAILURE_LIMITS = { error: 256, cause: 32_768 } as const;
/** SendTaskSuccess's output limit (256 KiB). */
const MAX_OUTPUT = 262_144;

/** What ends an activity task. */
export type ActivityDisposition =
  | { readonly kind: 'success'; readonly output: string }
  | { readonly kind: 'failure'; readonly error: string; readonly cause: string };

/**
 * Maps a Tasklane outcome to the call that ends the activity task.
 * - FINISHED → SendTaskSuccess with the handler's return value as JSON (`{}` when it returned nothing or
 *   something JSON cannot carry); an output over 256 KiB fails `Tasklane.OutputTooLarge` instead.
 * - FALSE (a precondition) → SendTaskFailure `Tasklane.PreconditionFalse` with the message as cause.
 * - FAILED → SendTaskFailure with the errorId as error and `message` (and stack) as cause, cut to the
 *   limits; a shutdown's TL_SHUTDOWN too, so a Retry runs the task again at once instead of after its timeout.
 */
export function dispositionFor(outcome: TaskOutcome, redact?: (text: string) => string): ActivityDisposition {
  const clean = redact ?? ((text: string) => text);
  switch (outcome.status) {
    case 'FINISHED': {
      const result = handlerResult(outcome);
      let output: string | undefined;
      try {
        output = result === undefined ? undefined : JSON.stringify(result);
      } catch {
        output = undefined;
      }
      output ??= '{}';
      if (output.length > MAX_OUTPUT)
        return failure(
          'Tasklane.OutputTooLarge',
          `the handler returned ${output.length} characters of JSON; the limit is ${MAX_OUTPUT}`,
        );
      return { kind: 'success', output };
    }
    case 'FALSE':
      return failure(
        StepFunctionsErrorCode.PreconditionFalse,
        clean(outcome.message ?? 'precondition is false'),
      );
    case 'FAILED': {
      const stack = outcome.errorStackTrace === undefined ? '' : `\n${clean(outcome.errorStackTrace)}`;
      return failure(outcome.errorId, `${clean(outcome.errorMessage)}${stack}`);
    }
  }
}

function failure(error: string, cause: string): ActivityDisposition {
  return {
    kind: 'failure',
    error: error.slice(0, FAILURE_LIMITS.error),
    cause: cause.length > FAILURE_LIMITS.cause ? `${cause.slice(0, FAILURE_LIMITS.cause - 1)}…` : cause,
  };
}
