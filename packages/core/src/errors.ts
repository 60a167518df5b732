const BRAND = Symbol.for('tasklane.error');

/** Stable error codes. They appear in logs, in SetTaskStatus errorIds and in CLI output; never rename one. */
export const ErrorCode = {
  InvalidOption: 'TL_INVALID_OPTION',
  InvalidDuration: 'TL_INVALID_DURATION',
  DuplicateHandler: 'TL_DUPLICATE_HANDLER',
  NoHandler: 'TL_NO_HANDLER',
  InvalidHandler: 'TL_INVALID_HANDLER',
  MalformedTask: 'TL_MALFORMED_TASK',
  MissingField: 'TL_MISSING_FIELD',
  InvalidField: 'TL_INVALID_FIELD',
  UnresolvedReference: 'TL_UNRESOLVED_REFERENCE',
  HandlerFailed: 'TL_HANDLER_FAILED',
  AttemptTimeout: 'TL_ATTEMPT_TIMEOUT',
  Shutdown: 'TL_SHUTDOWN',
  CoordinatorUnavailable: 'TL_COORDINATOR_UNAVAILABLE',
  LifecycleError: 'TL_LIFECYCLE',
  LeaseLost: 'TL_LEASE_LOST',
  TaskFailure: 'TL_TASK_FAILURE',
  StatusRejected: 'TL_STATUS_REJECTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error Tasklane throws on purpose. `code` is stable; `is()` works across
 * duplicate package copies because it checks a `Symbol.for` brand rather than the prototype chain.
 */
export class TasklaneError extends Error {
  readonly [BRAND] = true;
  override name = 'TasklaneError';
  constructor(
    readonly code: ErrorCode | (string & {}),
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(value: unknown): value is TasklaneError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** An option given to a Tasklane API is invalid; the message names the option and the value received. */
export class InvalidOptionError extends TasklaneError {
  override name = 'InvalidOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(ErrorCode.InvalidOption, message);
  }
}

/** Describes a value for an error message: `"abc" (string)`. */
export function describeValue(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    shown = String(value);
  }
  return `${shown.length > 80 ? shown.slice(0, 77) + '...' : shown} (${value === null ? 'null' : typeof value})`;
}
