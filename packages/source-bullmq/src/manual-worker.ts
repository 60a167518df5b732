import { Worker, type Job } from 'bullmq';

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
  async adoptNext(reply: readonly unknown[], token: string): Promise<Job | undefined> {
    const [jobData, jobId, rateLimitDelay, delayUntil] = reply as [never, string, number, number];
    (this as unknown as WorkerInternals).updateDelays(rateLimitDelay, delayUntil);
    return (await this.nextJobFromJobData(jobData, jobId, token)) ?? undefined;
  }

  /** How long the queue's rate limiter still holds fetches back, in ms (0 when it does not). */
  get rateLimitedForMs(): number {
    const until = (this as unknown as WorkerInternals).limitUntil;
    return typeof until === 'number' ? Math.max(0, until - Date.now()) : 0;
  }
}
