import { TaskFailure, TaskHandler, type Task, type TaskContext } from '@tasklane/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `__ACTIVITY_TYPE__`: writes "Hello, <who>!" to the file at `output`. Rename the class, the activity type
 * and the fields to what your pipeline needs. Returning marks the attempt FINISHED; a thrown error marks it
 * FAILED (a TaskFailure sets the errorId the pipeline shows).
 */
@TaskHandler('__ACTIVITY_TYPE__')
export class GreetingHandler {
  async handle(task: Task, ctx: TaskContext): Promise<void> {
    const who = task.require('who').trim();
    const output = task.require('output');
    if (who === '') throw new TaskFailure('GreetingWhoEmpty', 'the "who" field is empty');
    // Progress renews the lease; report it from long-running work.
    await ctx.reportProgress({ percentComplete: 50 });
    await mkdir(dirname(output), { recursive: true });
    await writeFile(output, `Hello, ${who}!\n`, { signal: ctx.signal });
    ctx.logger.info({ output }, 'greeting written');
  }
}
