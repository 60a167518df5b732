import {
  preconditionFalse,
  TaskHandler,
  type PreconditionFalse,
  type Task,
  type TaskContext,
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
  async handle(task: Task, ctx: TaskContext): Promise<PreconditionFalse | undefined> {
    const run = await runShellTask(task, ctx, { staging: false });
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
