import { ErrorCode, TasklaneError } from './errors.ts';
import { safeString, sanitizeText } from './sanitize.ts';

const FAILURE_BRAND = Symbol.for('tasklane.TaskFailure');
const PRECONDITION_BRAND = Symbol.for('tasklane.PreconditionFalse');

/** Reads a property without letting a getter, a proxy trap or a null prototype throw. */
function read(value: unknown, key: PropertyKey): unknown {
  try {
    return typeof value === 'object' && value !== null
      ? (value as Record<PropertyKey, unknown>)[key]
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throw this from a handler to end the task FAILED with your own errorId and message.
 * `retryable: false` asks sources that retry on their own (BullMQ) not to. Its `code` is
 * `TL_TASK_FAILURE`; the errorId reported is `errorId`.
 */
export class TaskFailure extends TasklaneError {
  readonly [FAILURE_BRAND] = true;
  override name = 'TaskFailure';
  readonly retryable: boolean;
  constructor(
    readonly errorId: string,
    message: string,
    options: ErrorOptions & { retryable?: boolean } = {},
  ) {
    super(ErrorCode.TaskFailure, message, options);
    this.retryable = options.retryable ?? true;
  }
  static override is(value: unknown): value is TaskFailure {
    return read(value, FAILURE_BRAND) === true;
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
  return read(value, PRECONDITION_BRAND) === true;
}

const RESULT = Symbol.for('tasklane.handlerResult');
const FINISHED: TaskOutcome = Object.freeze({ status: 'FINISHED' });

/**
 * A FINISHED outcome carrying what the handler returned, for sources that report it (Step Functions
 * output). The value is a non-enumerable property, so outcomes log and compare as plain `{ status }`.
 */
export function finishedOutcome(result: unknown): TaskOutcome {
  // Most handlers return nothing: they share one frozen outcome.
  if (result === undefined) return FINISHED;
  const outcome = { status: 'FINISHED' as const };
  if (result !== undefined) Object.defineProperty(outcome, RESULT, { value: result });
  return outcome;
}

/** What the handler of a FINISHED outcome returned, if anything. */
export function handlerResult(outcome: TaskOutcome): unknown {
  return outcome.status === 'FINISHED' ? read(outcome, RESULT) : undefined;
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

/**
 * Field limits the runner keeps to. The service model gives errorId and errorStackTrace the `string`
 * shape (0–1024, pattern P); the API reference allows a 4095-character stack, but a service enforcing the
 * model refuses that, so the strictest documented limit wins. errorMessage is unconstrained by the model
 * and cut only to keep reports small.
 */
export const ERROR_LIMITS = { errorId: 1024, errorMessage: 10_000, errorStackTrace: 1024 } as const;

type Failed = TaskOutcome & { status: 'FAILED' };

/** Puts every field of an outcome within the service's shapes: pattern P and the length limits. */
export function sanitizeOutcome<T extends TaskOutcome>(outcome: T): T {
  if (outcome.status === 'FINISHED') return outcome;
  if (outcome.status === 'FALSE') {
    if (outcome.message === undefined) return outcome;
    return { ...outcome, message: sanitizeText(outcome.message, ERROR_LIMITS.errorMessage) };
  }
  let errorId = sanitizeText(outcome.errorId, ERROR_LIMITS.errorId);
  // The service rejects errorIds with its own prefix; keep the report from being refused.
  if (errorId.startsWith('Service_')) errorId = sanitizeText(`Handler_${errorId}`, ERROR_LIMITS.errorId);
  const stack =
    outcome.errorStackTrace === undefined
      ? undefined
      : sanitizeText(outcome.errorStackTrace, ERROR_LIMITS.errorStackTrace);
  return {
    status: 'FAILED',
    errorId: errorId || ErrorCode.HandlerFailed,
    errorMessage: sanitizeText(outcome.errorMessage, ERROR_LIMITS.errorMessage),
    ...(stack ? { errorStackTrace: stack } : {}),
    retryable: outcome.retryable === true,
  } as T;
}

/**
 * The smallest FAILED status that any service accepts: a plain-ASCII errorId, a short ASCII message and
 * no stack. Sent when the service refused the full status as an invalid request.
 */
export function minimalOutcome(outcome: Failed, why: string): Failed {
  const ascii = (text: string, max: number) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
  const id = /^[A-Za-z0-9_.:-]{1,128}$/.test(outcome.errorId) && !outcome.errorId.startsWith('Service_');
  return {
    status: 'FAILED',
    errorId: id ? outcome.errorId : ErrorCode.StatusRejected,
    errorMessage: ascii(`${why}; original message: ${outcome.errorMessage}`, 512),
    retryable: outcome.retryable,
  };
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** Maps whatever a handler threw to a FAILED outcome inside the service's shapes. Never throws. */
export function failureOutcome(error: unknown, fallbackId: string): Failed {
  let errorId = fallbackId;
  let message: string;
  let stack: unknown;
  let retryable = true;
  try {
    if (TaskFailure.is(error)) {
      errorId = safeString(read(error, 'errorId'));
      message = safeString(read(error, 'message'));
      stack = read(error, 'stack');
      retryable = read(error, 'retryable') !== false;
    } else if (isError(error)) {
      const code = read(error, 'code');
      if (typeof code === 'string' && code !== '') errorId = code;
      const name = safeString(read(error, 'name') ?? 'Error');
      const text = read(error, 'message');
      message = text ? `${name}: ${safeString(text)}` : name;
      stack = read(error, 'stack');
    } else {
      message = `handler threw a non-error value: ${safeString(error)}`;
    }
  } catch {
    message = 'handler threw a value that could not be described';
  }
  return sanitizeOutcome({
    status: 'FAILED',
    errorId,
    errorMessage: message,
    errorStackTrace: typeof stack === 'string' ? stack : undefined,
    retryable,
  });
}
