import type { Logger } from '@tasklane/core';
import { loggableError } from './connection.ts';
import type { ManualWorker } from './manual-worker.ts';
import type { BullMQSourceTask } from './source-task.ts';

/**
 * Keeps the locks of every job one consumer leased, in one `extendLocks` call per tick (as BullMQ's own
 * Worker does), instead of a timer and a round trip per job. A job whose lock Redis refuses, or that could
 * not be extended for longer than the lock lasts (the stalled-job check may have handed it on), is lost:
 * its handler is aborted and nothing is reported for it.
 */
export class LockRenewer {
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(
    private readonly worker: ManualWorker,
    private readonly tasks: readonly BullMQSourceTask[],
    private readonly lockDurationMs: number,
    private readonly log: Logger,
  ) {}

  /** Starts ticking (idempotent); a third of the lock duration leaves two tries before a lock expires. */
  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), Math.max(10, Math.floor(this.lockDurationMs / 3)));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async tick(): Promise<void> {
    // An extension still waiting for its answer (slow or half-open connection) is not doubled up.
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#extend();
    } catch (error) {
      this.log.warn({ err: loggableError(error) }, 'lock renewal failed; will retry at the next tick');
    } finally {
      this.#busy = false;
    }
  }

  async #extend(): Promise<void> {
    const sentAt = performance.now();
    const batch: BullMQSourceTask[] = [];
    // A copy: ending a canceled or lost task below removes it from the live list.
    for (const task of [...this.tasks]) {
      // Its completion is in flight and checks the lock itself: that answer, not a renewal, decides.
      if (task.completing) continue;
      if (task.cancelPending) {
        task.endCanceled().catch(() => undefined);
      } else if (sentAt - task.renewedAt > this.lockDurationMs) {
        this.log.warn(
          { jobId: task.jobId, lockDurationMs: this.lockDurationMs },
          'job lock could not be extended for longer than it lasts: the job is no longer ours; aborting it',
        );
        task.lost();
      } else batch.push(task);
    }
    if (batch.length === 0) return;
    const refused = new Set<string>(
      await this.worker.extendJobLocks(
        batch.map((t) => t.jobId),
        batch.map((t) => t.token),
        this.lockDurationMs,
      ),
    );
    for (const task of batch) {
      // A job that ended or began completing while the extension was out: its lock is gone on purpose.
      if (task.ended || task.completing) continue;
      if (refused.has(task.jobId)) {
        this.log.warn({ jobId: task.jobId }, 'job lock expired or taken over (stalled?); aborting it');
        task.lost();
      } else task.renewedAt = Math.max(task.renewedAt, sentAt);
    }
  }
}
