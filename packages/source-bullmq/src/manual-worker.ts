import type { Logger } from '@tasklane/core';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { loggableError } from './connection.ts';

/** Internals of Worker 6.7.0 that manual fetching needs (private in the typings, stable in the code). */
interface WorkerInternals {
  updateDelays(rateLimitDelay?: number, delayUntil?: number): void;
  limitUntil: number;
}

/**
 * A BullMQ Worker driven by hand (no processor, `autorun: false`): the source fetches with
 * `getNextJob` and ends jobs with `moveToCompleted` / `moveToFailed` itself.
 */
export class ManualWorker extends Worker {
  /**
   * Turns the `[jobData, jobId, rateLimitDelay, delayUntil]` reply of a `fetchNext` completion into a Job
   * the way Worker's own loop does (it also schedules the next iteration of repeatable jobs).
   */
  adoptNext(reply: readonly unknown[], token: string): Promise<Job | null | undefined> {
    const [jobData, jobId, rateLimitDelay, delayUntil] = reply as [never, string, number, number];
    (this as unknown as WorkerInternals).updateDelays(rateLimitDelay, delayUntil);
    // Returned as is (null or undefined when there was no next job): no async frame per completion.
    return this.nextJobFromJobData(jobData, jobId, token);
  }

  /** How long the queue's rate limiter still holds fetches back, in ms (0 when it does not). */
  get rateLimitedForMs(): number {
    const until = (this as unknown as WorkerInternals).limitUntil;
    return typeof until === 'number' ? Math.max(0, until - Date.now()) : 0;
  }

  /**
   * Fails a flow parent whose child failed (`failParentOnFailure`: it comes back with a deferred failure)
   * without running it, as BullMQ's own Worker does.
   */
  async failDeferred(job: Job, token: string, log: Logger): Promise<void> {
    try {
      await job.moveToFailed(new UnrecoverableError(job.deferredFailure), token, false);
      log.info({ jobId: job.id, reason: job.deferredFailure }, 'job failed without running: a child failed');
    } catch (error) {
      log.warn({ err: loggableError(error), jobId: job.id }, 'could not fail a job with a deferred failure');
    }
  }
}
