import { TaskFailure, TaskHandler, type Task, type TaskContext } from '@tasklane/core';
import { copyFileChunked, planCopy, type CopyItem } from './copy.ts';
import { LocalCopyErrorId, pathOf } from './locations.ts';

/** Progress is published at most this often; every report also renews the lease, so keep it modest. */
const PROGRESS_EVERY_MS = 500;

/**
 * `LocalCopyActivity`: copies the file or directory at `input` into the directory `output` (paths, or
 * refs to data nodes with `directoryPath` / `filePath`), reporting `percentComplete` as it goes and
 * stopping within one chunk when the task is canceled.
 */
@TaskHandler('LocalCopyActivity')
export class LocalCopyActivity {
  async handle(task: Task, ctx: TaskContext): Promise<void> {
    const input = pathOf(task, 'input');
    const output = pathOf(task, 'output');
    let items: CopyItem[];
    try {
      items = await planCopy(input, output);
    } catch (error) {
      throw new TaskFailure(
        LocalCopyErrorId.InputMissing,
        `LocalCopyActivity: cannot read input ${input}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const total = items.reduce((sum, item) => sum + item.size, 0);
    ctx.logger.info({ input, output, files: items.length, bytes: total }, 'copying');

    let copied = 0;
    let lastReport = 0;
    const report = async (force: boolean) => {
      const now = ctx.runtime.monotonicNow();
      if (!force && now - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = now;
      await ctx.reportProgress({ percentComplete: total === 0 ? 100 : Math.floor((copied / total) * 100) });
    };
    await report(true);
    try {
      for (const item of items) {
        await copyFileChunked(item, ctx.signal, (n) => {
          copied += n;
        });
        await report(false);
      }
    } catch (error) {
      if (ctx.signal.aborted) {
        throw new TaskFailure(
          LocalCopyErrorId.Aborted,
          `LocalCopyActivity stopped (${ctx.abortReason ?? 'aborted'}) after ${copied} of ${total} bytes`,
        );
      }
      throw new TaskFailure(
        LocalCopyErrorId.IoFailed,
        `LocalCopyActivity: copy failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    await report(true);
    ctx.logger.info({ files: items.length, bytes: copied }, 'copied');
  }
}
