const FAILURE_BRAND = Symbol.for('tasklane.TaskFailure');
const PRECONDITION_BRAND = Symbol.for('tasklane.PreconditionFalse');

/**
 * Throw this from a handler to end the task FAILED with your own errorId and message.
 * `retryable: false` asks sources that retry on their own (BullMQ) not to.
 */
export class TaskFailure extends Error {
  readonly [FAILURE_BRAND] = true;
  override name = 'TaskFailure';
  readonly retryable: boolean;
  constructor(
    readonly errorId: string,
    message: string,
    options: ErrorOptions & { retryable?: boolean } = {},
  ) {
    super(message, options);
    this.retryable = options.retryable ?? true;
  }
  static is(value: unknown): value is TaskFailure {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[FAILURE_BRAND] === true
    );
  }
}

/** What a precondition handler returns when the condition does not hold (reported as FALSE). */
export interface PreconditionFalse {
  readonly [PRECONDITION_BRAND]: true;
  readonly message: string | undefined;
}

/** Return this from a precondition handler to report `FALSE`. */
export function preconditionFalse(message?: string): PreconditionFalse {
  return { [PRECONDITION_BRAND]: true, message };
}

export function isPreconditionFalse(value: unknown): value is PreconditionFalse {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[PRECONDITION_BRAND] === true
  );
}

/** The terminal result the runner reports for a task. */
export type TaskOutcome =
  | { readonly status: 'FINISHED' }
  | { readonly status: 'FALSE'; readonly message?: string | undefined }
  | {
      readonly status: 'FAILED';
      readonly errorId: string;
      readonly errorMessage: string;
      readonly errorStackTrace?: string | undefined;
      readonly retryable: boolean;
    };

/** Data Pipeline caps errorStackTrace at 4095 characters; messages are cut to keep reports small. */
export const ERROR_LIMITS = { errorId: 1024, errorMessage: 10_000, errorStackTrace: 4095 } as const;

function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 3) + '...';
}

/** Maps whatever a handler threw to a FAILED outcome with fields inside the service's limits. */
export function failureOutcome(error: unknown, fallbackId: string): TaskOutcome & { status: 'FAILED' } {
  let errorId = fallbackId;
  let message: string;
  let stack: string | undefined;
  let retryable = true;
  if (TaskFailure.is(error)) {
    errorId = error.errorId;
    message = error.message;
    stack = error.stack;
    retryable = error.retryable;
  } else if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') errorId = code;
    message = error.message ? `${error.name}: ${error.message}` : error.name;
    stack = error.stack;
  } else {
    message = `handler threw a non-error value: ${String(error)}`;
  }
  // The service rejects errorIds with its own prefix; keep the report from being refused.
  if (errorId.startsWith('Service_')) errorId = `Handler_${errorId}`;
  return {
    status: 'FAILED',
    errorId: cut(errorId, ERROR_LIMITS.errorId),
    errorMessage: cut(message, ERROR_LIMITS.errorMessage),
    errorStackTrace: stack === undefined ? undefined : cut(stack, ERROR_LIMITS.errorStackTrace),
    retryable,
  };
}
