import { TaskFailure } from '@tasklane/core';

/**
 * Stable errorIds the SQL and copy handlers report with FAILED. They reach SetTaskStatus, the console
 * and alarms: never rename one.
 */
export const SqlErrorId = {
  /** A `database`, data node or field is missing or cannot be understood. */
  InvalidSpec: 'SqlInvalidSpec',
  /** `jdbcDriverClass` (or the connection string's scheme) names a driver this package does not have. */
  UnknownDriver: 'SqlUnknownDriver',
  /** The database could not be reached or refused the login. */
  ConnectFailed: 'SqlConnectFailed',
  /** The RDS or Redshift API could not give an endpoint for `rdsInstanceId` / `clusterId`. */
  EndpointLookupFailed: 'SqlEndpointLookupFailed',
  /** A statement failed on the server (syntax error, constraint, permission...). */
  QueryFailed: 'SqlQueryFailed',
  /** `scriptUri` could not be read or downloaded. */
  ScriptUnavailable: 'SqlScriptUnavailable',
  /** The number of `scriptArgument`s differs from the `?` placeholders of the script. */
  ArgumentMismatch: 'SqlArgumentMismatch',
  /** An input row could not be parsed or does not fit the target (the message names the line). */
  MalformedRow: 'CopyMalformedRow',
  /** Reading or writing an S3 object failed. */
  S3Failed: 'CopyS3Failed',
  /** The pipeline object asked for a copy this package cannot do (e.g. an unsupported data node type). */
  UnsupportedCopy: 'CopyUnsupported',
  /** The task's signal aborted (cancel, attempt timeout, shutdown); the running query was cancelled on the server. */
  Aborted: 'SqlAborted',
} as const;
export type SqlErrorId = (typeof SqlErrorId)[keyof typeof SqlErrorId];

/** A FAILED outcome with one of the {@link SqlErrorId}s; `cause` keeps the underlying error for logs. */
export function sqlFailure(
  errorId: SqlErrorId,
  message: string,
  options: { cause?: unknown; retryable?: boolean } = {},
): TaskFailure {
  return new TaskFailure(errorId, message, options);
}

/** `error.message` (plus the server's SQLSTATE / errno when there is one), never "[object Object]". */
export function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { code?: unknown; errno?: unknown; sqlState?: unknown };
  const code = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? ` (SQLSTATE ${e.code})` : '';
  const message = e.message || (error as AggregateError).errors?.map((x) => reason(x)).join('; ') || e.name;
  return `${message}${code}`;
}

/** True for failures this package raised on purpose, which must pass through unchanged. */
export function isTaskFailure(error: unknown): error is TaskFailure {
  return TaskFailure.is(error);
}
