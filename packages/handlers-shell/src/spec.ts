import { parseDuration, type Task, type TaskContext } from '@tasklane/core';
import { ShellErrorId, reason, shellFailure } from './errors.ts';
import { parseLocation, type Location } from './locations.ts';
import { workBase } from './workdir.ts';

/** Default time between SIGTERM and SIGKILL when a command is stopped. */
export const DEFAULT_KILL_GRACE_MS = 5000;

/** The least SIGTERM gets before SIGKILL when the drain budget is already spent. */
export const MIN_SHUTDOWN_KILL_GRACE_MS = 1000;

/**
 * The kill grace of a stop that begins at `now`: the task's own, but once the runner is draining never
 * past the shutdown deadline (and at least {@link MIN_SHUTDOWN_KILL_GRACE_MS}, so TERM is not a formality
 * at the deadline itself). The runner exits soon after the deadline; a grace outlasting it would leave the
 * command running after the runner had reported the task FAILED.
 */
export function cappedKillGrace(
  killGraceMs: number,
  shutdownDeadline: number | undefined,
  now: number,
): number {
  if (shutdownDeadline === undefined) return killGraceMs;
  return Math.min(killGraceMs, Math.max(MIN_SHUTDOWN_KILL_GRACE_MS, shutdownDeadline - now));
}

/** What a shell task asks for, read and validated once before anything runs. */
export interface ShellSpec {
  /** Run by `/bin/sh -c`; exactly one of command / script is set. */
  readonly command: string | undefined;
  /** Downloaded or copied into the attempt directory, then run. */
  readonly script: Location | undefined;
  /** `scriptArgument` values in order, passed as `$1..$n`, never parsed by a shell. */
  readonly args: readonly string[];
  readonly stdout: Location | undefined;
  readonly stderr: Location | undefined;
  /** `stage: "true"`: INPUTn/OUTPUTn staging directories. */
  readonly stage: boolean;
  readonly killGraceMs: number;
  readonly workBase: string;
  /** Keep the attempt directory after the task ends (field `keepWorkDirectory` or TASKLANE_KEEP_WORK_DIR). */
  readonly keepWorkDir: boolean;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(true|1|yes)$/i.test(value.trim());
}

function invalid(message: string, cause?: unknown): never {
  throw shellFailure(ShellErrorId.InvalidSpec, message, { cause, retryable: false });
}

function location(task: Task, field: string): Location | undefined {
  const value = task.get(field);
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parseLocation(value, field);
  } catch (error) {
    return invalid(`${task.activityType}: ${reason(error)}`, error);
  }
}

function killGrace(task: Task, ctx: TaskContext): number {
  const field = task.get('killGracePeriod');
  const env = ctx.runtime.env('TASKLANE_SHELL_KILL_GRACE');
  const [name, value] = field !== undefined ? ['killGracePeriod', field] : ['TASKLANE_SHELL_KILL_GRACE', env];
  if (value === undefined || value.trim() === '') return DEFAULT_KILL_GRACE_MS;
  try {
    return parseDuration(value, name);
  } catch (error) {
    return invalid(
      `${task.activityType}: ${name} must be a duration such as "5 seconds" or 5000 (ms), got ${JSON.stringify(value)}`,
      error,
    );
  }
}

/** Reads the fields of a ShellCommandActivity / ShellCommandPrecondition; throws FAILED (not retryable) when they make no sense. */
export function readShellSpec(task: Task, ctx: TaskContext): ShellSpec {
  const command = task.get('command');
  const scriptUri = task.get('scriptUri');
  const hasCommand = command !== undefined && command.trim() !== '';
  const hasScript = scriptUri !== undefined && scriptUri.trim() !== '';
  if (!hasCommand && !hasScript) {
    invalid(
      `${task.activityType} ${task.attemptId} has neither "command" nor "scriptUri": set one of them to the shell command or the script to run`,
    );
  }
  if (hasCommand && hasScript) {
    invalid(
      `${task.activityType} ${task.attemptId} has both "command" and "scriptUri": set only one of them`,
    );
  }
  return {
    command: hasCommand ? command : undefined,
    script: hasScript ? location(task, 'scriptUri') : undefined,
    args: task.getAll('scriptArgument'),
    stdout: location(task, 'stdout'),
    stderr: location(task, 'stderr'),
    stage: isTrue(task.get('stage')),
    killGraceMs: killGrace(task, ctx),
    workBase: workBase((name) => ctx.runtime.env(name)),
    keepWorkDir: isTrue(task.get('keepWorkDirectory')) || isTrue(ctx.runtime.env('TASKLANE_KEEP_WORK_DIR')),
  };
}
