import {
  inject,
  optional,
  preconditionFalse,
  TASK_ENV_POLICY,
  TaskHandler,
  type PreconditionFalse,
  type Task,
  type TaskContext,
  type TaskEnvPolicy,
} from '@tasklane/core';
import { ShellErrorId, shellFailure } from './errors.ts';
import { describeEnd, runShellTask } from './shell-task.ts';

/**
 * Runs a Data Pipeline `ShellCommandPrecondition`: the same fields as {@link ShellCommandActivity}
 * without staging. Exit code 0 means the condition holds (FINISHED); any other exit code reports FALSE
 * so the service retries the precondition later. Being killed by a signal, or failing to start, is FAILED.
 */
@TaskHandler('ShellCommandPrecondition')
export class ShellCommandPrecondition {
  /** @param envPolicy variables the operator lets through to commands (`--task-env`); none when unbound. */
  constructor(@inject(TASK_ENV_POLICY) @optional() private readonly envPolicy?: TaskEnvPolicy) {}

  async handle(task: Task, ctx: TaskContext): Promise<PreconditionFalse | undefined> {
    const run = await runShellTask(task, ctx, { staging: false, envPolicy: this.envPolicy });
    if (run.aborted) {
      throw shellFailure(
        ShellErrorId.Aborted,
        `precondition ${run.what} was stopped (${ctx.abortReason ?? 'aborted'}); its process group was terminated`,
      );
    }
    if (run.code === 0) return undefined;
    if (run.code === null) throw shellFailure(ShellErrorId.CommandFailed, `precondition ${describeEnd(run)}`);
    return preconditionFalse(`precondition ${describeEnd(run)}`);
  }
}
