import { TaskFailure } from '@tasklane/core';
import { bounded, describeThrown, MAX_MESSAGE_CHARS } from './message.ts';

/**
 * Stable errorIds the shell handlers report with FAILED. They show up in SetTaskStatus, in the console
 * and in alarms; never rename one.
 */
export const ShellErrorId = {
  /** The command ran and exited non-zero (or was killed by a signal it did not get from us). */
  CommandFailed: 'ShellCommandFailed',
  /** Neither `command` nor `scriptUri` is set, or both are. */
  InvalidSpec: 'ShellCommandInvalid',
  /** The host gave no `runtime.spawn` primitive. */
  SpawnUnavailable: 'ShellSpawnUnavailable',
  /** The process could not be started. */
  SpawnFailed: 'ShellSpawnFailed',
  /** `scriptUri` could not be read or downloaded. */
  ScriptUnavailable: 'ShellScriptUnavailable',
  /** A `stdout` / `stderr` destination could not be written or uploaded. */
  OutputFailed: 'ShellOutputFailed',
  /** Input or output staging failed. */
  StagingFailed: 'ShellStagingFailed',
  /** The task's signal aborted (cancel, attempt timeout, shutdown); the process group was stopped. */
  Aborted: 'ShellCommandAborted',
} as const;
export type ShellErrorId = (typeof ShellErrorId)[keyof typeof ShellErrorId];

/** A FAILED outcome with one of the {@link ShellErrorId}s; `cause` keeps the underlying error for logs. */
export function shellFailure(
  errorId: ShellErrorId,
  message: string,
  options: { cause?: unknown; retryable?: boolean } = {},
): TaskFailure {
  return new TaskFailure(errorId, bounded(message, MAX_MESSAGE_CHARS), options);
}

/**
 * `error.message` when there is one, so failure messages read "...: ENOENT: no such file" and not
 * "[object]"; printable, at most 1000 characters, and it never throws whatever was thrown.
 */
export function reason(error: unknown): string {
  return describeThrown(error);
}
