import {
  LeaseLostError,
  MalformedTaskError,
  type LeaseReply,
  type SourceTask,
  type Task,
  type TaskOutcome,
} from '@tasklane/core';
import { UnrecoverableError, type Job } from 'bullmq';
import { taskFromJob } from './job-task.ts';
import { cancellationError, dispositionFor, progressValue } from './outcome-mapping.ts';

const CANCELED: LeaseReply = Object.freeze({ canceled: true });
const RUNNING: LeaseReply = Object.freeze({ canceled: false });
/** The usual ack answer, settled once: the ack sends nothing, so each task need not allocate a promise. */
const ACKED = Promise.resolve(RUNNING);

/** BullMQ's codes for "this worker no longer owns the job" (missing job, missing lock, wrong state, lock mismatch). */
const LOST_CODES = new Set([-1, -2, -3, -6]);

/** What a task needs from the per-queue consumer that fetched it. */
export interface TaskHost {
  readonly queue: string;
  readonly lockDurationMs: number;
  /** Masks secrets in text stored with the job (failure reasons); absent: stored as is. */
  readonly redact: ((text: string) => string) | undefined;
  /** The task ended (completed, failed, canceled or lost): stop tracking it. */
  untrack(task: BullMQSourceTask): void;
  /** Whether a completion should also fetch the next job (`fetchNext`) for the poll that will follow. */
  wantsNext(): boolean;
  /** Hands over the next job a completion fetched. */
  /** Hands over the next job a completion fetched; resolves once a poll can take it. */
  offerNext(reply: readonly unknown[], token: string): Promise<void>;
}

/** moveToFinished codes for a flow parent with pending / failed children. */
const CHILDREN_PENDING = -4;
const CHILDREN_FAILED = -9;

function isLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && LOST_CODES.has(code);
}

function lostOrRethrow(error: unknown, jobId: string, what: string): never {
  if (isLost(error)) {
    const code = (error as { code?: unknown }).code;
    throw Object.assign(
      new LeaseLostError(`job ${jobId}: ${what} refused, this worker no longer holds its lock`, {
        cause: error,
      }),
      { code },
    );
  }
  throw error;
}

type Interrupt = 'canceled' | 'lease-lost';

/**
 * One BullMQ job leased by this runner. The lock BullMQ took when the job became active is the lease:
 * the consumer's {@link LockRenewer} extends the locks of all its jobs in one call, `progress` also
 * extends it, `complete` ends the job with the same token. A cancel or a lost lock reaches the runner
 * through `onInterrupt` as it happens.
 */
export class BullMQSourceTask implements SourceTask {
  readonly id: string;
  /** The lock duration (the runner's deadline for status retries). */
  readonly leaseTimeoutMs: number;
  /** Locks are extended in bulk by the consumer, so the runner needs no ticker per job. */
  readonly renewsOwnLease = true;
  /** Monotonic ms from which the lock is known to hold for `lockDurationMs` (it was taken at fetch). */
  renewedAt = performance.now();
  #cancelReason: string | undefined;
  #ended = false;
  #completing = false;
  #acked = false;
  #interrupted: Interrupt | undefined;
  #listener: ((reason: Interrupt) => void) | undefined;
  #ending: Promise<LeaseReply> | undefined;

  constructor(
    readonly job: Job,
    readonly token: string,
    private readonly host: TaskHost,
    /** Job data with its sealed secret fields opened (kept here, never written back), or why it could not be. */
    private readonly opened?: { data: unknown } | { error: unknown },
  ) {
    this.id = `${host.queue}/${job.id ?? '?'}`;
    this.leaseTimeoutMs = host.lockDurationMs;
  }

  get jobId(): string {
    return this.job.id ?? '';
  }

  /** True once the job got its terminal transition (or was found lost). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * True while a terminal transition is on its way to Redis: that script checks the lock itself, so the
   * renewer leaves the job alone (extending it would race the completion and report a false loss).
   */
  get completing(): boolean {
    return this.#completing;
  }

  toTask(): Task {
    const opened = this.opened;
    if (opened === undefined) return taskFromJob(this.job, this.host.queue);
    if ('error' in opened)
      throw new MalformedTaskError(`job ${this.jobId}: ${(opened.error as Error).message}`);
    return taskFromJob(
      { id: this.job.id, name: this.job.name, attemptsMade: this.job.attemptsMade, data: opened.data },
      this.host.queue,
    );
  }

  /**
   * Nothing to send: BullMQ already locked the job and stamped `processedOn` when it became active.
   * A job canceled between fetch and ack ends here, before any handler code.
   */
  ack(): Promise<LeaseReply> {
    if (this.#cancelReason !== undefined) return this.endCanceled();
    this.#acked = true;
    return ACKED;
  }

  /** True when a cancel is waiting for its TL_BULLMQ_CANCELED failure to be written. */
  get cancelPending(): boolean {
    return this.#cancelReason !== undefined && !this.#ended;
  }

  /**
   * Cancels the job: before ack, the ack ends it; after, the handler is aborted at once and the job
   * failed with TL_BULLMQ_CANCELED (retried by the renewer's next tick if Redis refused).
   */
  cancel(reason: string): void {
    if (this.#cancelReason !== undefined || this.#ended) return;
    this.#cancelReason = reason;
    if (!this.#acked) return;
    this.#interrupt('canceled');
    this.endCanceled().catch(() => undefined);
  }

  /** The lock is gone (refused by Redis, or not extended for longer than its duration). */
  lost(): void {
    if (this.#ended) return;
    this.#finish();
    this.#interrupt('lease-lost');
  }

  onInterrupt(listener: (reason: Interrupt) => void): void {
    if (this.#interrupted) listener(this.#interrupted);
    else this.#listener = listener;
  }

  #interrupt(reason: Interrupt): void {
    if (this.#interrupted) return;
    this.#interrupted = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.(reason);
  }

  async progress(fields?: Record<string, string>): Promise<LeaseReply> {
    if (this.#cancelReason !== undefined) return this.endCanceled();
    const sentAt = performance.now();
    const work: Promise<unknown>[] = [this.job.extendLock(this.token, this.host.lockDurationMs)];
    if (fields && Object.keys(fields).length > 0) work.push(this.job.updateProgress(progressValue(fields)));
    let extended: unknown;
    try {
      [extended] = await Promise.all(work);
    } catch (error) {
      lostOrRethrow(error, this.jobId, 'progress');
    }
    if (extended !== 1) {
      this.#finish();
      throw new LeaseLostError(
        `job ${this.jobId}: lock expired or taken over (stalled?); extendLock refused`,
      );
    }
    this.renewedAt = Math.max(this.renewedAt, sentAt);
    if (this.#cancelReason !== undefined) return this.endCanceled();
    return RUNNING;
  }

  async complete(outcome: TaskOutcome): Promise<void> {
    if (this.#ended) throw new LeaseLostError(`job ${this.jobId} already ended`);
    const disposition = dispositionFor(outcome, this.host.redact);
    const fetchNext = disposition.kind !== 'release' && this.host.wantsNext();
    let reply: unknown;
    this.#completing = true;
    try {
      if (disposition.kind === 'complete')
        reply = await this.#completeOrFail(disposition.returnValue, fetchNext);
      else if (disposition.kind === 'fail')
        reply = await this.job.moveToFailed(disposition.error, this.token, fetchNext);
      else await this.job.moveToWait(this.token);
    } catch (error) {
      if (isLost(error)) this.#finish();
      lostOrRethrow(error, this.jobId, `${outcome.status} report`);
    } finally {
      // A transient failure is retried by the runner; meanwhile the renewer keeps the lock again.
      this.#completing = false;
    }
    this.#finish();
    // Awaited so the job is held before the runner frees this slot and polls: the poll then costs no round trip.
    if (fetchNext && Array.isArray(reply)) await this.host.offerNext(reply, this.token);
  }

  /** A flow parent whose children failed or are pending cannot complete: BullMQ says so, and the job fails. */
  async #completeOrFail(returnValue: unknown, fetchNext: boolean): Promise<unknown> {
    try {
      return await this.job.moveToCompleted(returnValue, this.token, fetchNext);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code !== CHILDREN_PENDING && code !== CHILDREN_FAILED) throw error;
      return this.job.moveToFailed(new UnrecoverableError((error as Error).message), this.token, fetchNext);
    }
  }

  /** Ends a canceled job as failed (unrecoverable) because the runner reports nothing for canceled tasks. */
  endCanceled(): Promise<LeaseReply> {
    // The push, a renewer tick and a progress call may all try: one moveToFailed at a time.
    this.#ending ??= this.#failCanceled().finally(() => (this.#ending = undefined));
    return this.#ending;
  }

  async #failCanceled(): Promise<LeaseReply> {
    if (this.#ended) return CANCELED;
    // A terminal transition like complete's: a renewal racing it must not read its release as a loss.
    this.#completing = true;
    try {
      await this.job.moveToFailed(cancellationError(this.#cancelReason ?? 'canceled'), this.token, false);
    } catch (error) {
      // Already gone (lock lost, removed): nothing left to end. Anything else is retried at the next tick.
      if (!isLost(error)) throw error;
    } finally {
      this.#completing = false;
    }
    this.#finish();
    return CANCELED;
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.host.untrack(this);
  }
}
