import {
  inject,
  optional,
  TASK_ENV_POLICY,
  TaskHandler,
  type Task,
  type TaskContext,
  type TaskEnvPolicy,
} from '@tasklane/core';
import { ShellErrorId, shellFailure } from './errors.ts';
import { describeEnd, runShellTask } from './shell-task.ts';

/**
 * Runs a Data Pipeline `ShellCommandActivity`: `command` through `/bin/sh -c` or the script at
 * `scriptUri` (local path, file:// or s3://), with each `scriptArgument` as `$1..$n`. `stdout` / `stderr`
 * go to a local file (appended) or s3:// (uploaded at the end); `stage: "true"` provides
 * INPUTn_STAGING_DIR / OUTPUTn_STAGING_DIR. Exit code 0 is FINISHED; anything else is FAILED with
 * errorId `ShellCommandFailed` and the end of stderr in the message. An aborted task stops the
 * command's whole process group (SIGTERM, then SIGKILL after `killGracePeriod`, default 5 s).
 */
@TaskHandler('ShellCommandActivity')
export class ShellCommandActivity {
  /** @param envPolicy variables the operator lets through to commands (`--task-env`); none when unbound. */
  constructor(@inject(TASK_ENV_POLICY) @optional() private readonly envPolicy?: TaskEnvPolicy) {}

  async handle(task: Task, ctx: TaskContext): Promise<void> {
    const run = await runShellTask(task, ctx, { staging: true, envPolicy: this.envPolicy });
    if (run.aborted) {
      throw shellFailure(
        ShellErrorId.Aborted,
        `${run.what} was stopped (${ctx.abortReason ?? 'aborted'}); its process group was terminated`,
      );
    }
    if (run.code !== 0) throw shellFailure(ShellErrorId.CommandFailed, describeEnd(run));
  }
}
