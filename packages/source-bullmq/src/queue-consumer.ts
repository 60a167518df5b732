import type { Logger } from '@tasklane/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { loggableError } from './connection.ts';
import { LockRenewer } from './lock-renewer.ts';
import { ManualWorker } from './manual-worker.ts';
import { hasSealedFields, openJobData, type SecretBox } from './secrets.ts';
import { BullMQSourceTask, type TaskHost } from './source-task.ts';

/** Settings shared by every queue of one source. */
export interface ConsumerSettings {
  readonly connection: Redis;
  readonly prefix: string;
  readonly lockDurationMs: number;
  readonly blockTimeoutMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly prefetchHoldMs: number;
  readonly workerName: string | undefined;
  readonly logger: Logger;
  /** Masks secrets in failure text stored with jobs (the `redact` option). */
  readonly redact: ((text: string) => string) | undefined;
  /** Opens sealed `*` fields of job data (`secretKey`); absent: sealed jobs fail as malformed. */
  readonly secrets: SecretBox | undefined;
  /** A cancellation that arrived before the job was fetched here, if any (consumed on read). */
  takePendingCancel(queue: string, jobId: string): string | undefined;
}

interface Fetched {
  readonly job: Job;
  readonly token: string;
}

/** A job the runner can start as it is: no deferred failure to record, no sealed fields to open. */
const plain = (job: Job) => !job.deferredFailure && !hasSealedFields(job.data);

/** Upper bound on jobs fetched ahead of polls. */
const MAX_HELD = 64;

type FetchResult = { readonly fetched: Fetched } | { readonly empty: true } | { readonly error: unknown };
type Waiter = (result: FetchResult) => void;

interface Held extends Fetched {
  readonly since: number;
}

/**
 * Fetches jobs of one queue for the runner's poll loop and tracks the jobs it leased.
 *
 * At most one blocking `getNextJob` runs at a time. A completion may fetch the next job in the same
 * round trip (`fetchNext`, as BullMQ's own Worker does); that job is held for the poll that follows at
 * once when the runner frees the slot, and given back to the queue if no poll takes it soon.
 */
export class QueueConsumer implements TaskHost {
  readonly worker: ManualWorker;
  readonly lockDurationMs: number;
  readonly redact: ((text: string) => string) | undefined;
  readonly #settings: ConsumerSettings;
  readonly #log: Logger;
  /**
   * Jobs leased here, oldest first. An array, not a Map keyed by job id: a Map with an insert and a delete
   * per job made V8 carry every job's objects into the old space (scavenges 0.45 -> 3 ms, ~2 KB promoted
   * per job). Lookups by id are rare (cancel) and the list is short.
   */
  readonly #tasks: BullMQSourceTask[] = [];
  readonly #held: Held[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #locks: LockRenewer;
  #fetching: Promise<void> | undefined;
  #tokens = 0;
  #closing = false;
  #stalledCheckStarted = false;
  #sweeper: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly queue: string,
    settings: ConsumerSettings,
  ) {
    this.#settings = settings;
    this.#log = settings.logger.child({ queue });
    this.lockDurationMs = settings.lockDurationMs;
    this.redact = settings.redact;
    this.worker = new ManualWorker(queue, null, {
      connection: settings.connection,
      prefix: settings.prefix,
      autorun: false,
      lockDuration: settings.lockDurationMs,
      drainDelay: settings.blockTimeoutMs / 1000,
      stalledInterval: settings.stalledIntervalMs,
      maxStalledCount: settings.maxStalledCount,
      ...(settings.workerName ? { name: settings.workerName } : {}),
    });
    this.#locks = new LockRenewer(this.worker, this.#tasks, settings.lockDurationMs, this.#log);
    // Worker errors (connection drops while blocked, ...) are retried by BullMQ; log, never crash.
    this.worker.on('error', (error) => this.#log.warn({ err: loggableError(error) }, 'BullMQ worker error'));
  }

  /** Jobs of this queue currently leased here. */
  get running(): number {
    return this.#tasks.length;
  }

  /** Waits for the next job; null when the blocking fetch timed out empty or `signal` aborted. */
  next(signal: AbortSignal): Promise<BullMQSourceTask | null> {
    // The usual case, a job fetched with the last completion, is handed over without an async frame.
    const held = this.#held[0];
    if (!held || !this.#stalledCheckStarted || this.#closing || signal.aborted || !plain(held.job))
      return this.#next(signal);
    this.#held.shift();
    return Promise.resolve(this.#adopt(held));
  }

  async #next(signal: AbortSignal): Promise<BullMQSourceTask | null> {
    if (!this.#stalledCheckStarted) {
      // Manual fetching skips Worker.run(), which is what normally starts the check that recovers jobs of
      // crashed workers.
      this.#stalledCheckStarted = true;
      this.worker
        .startStalledCheckTimer()
        .catch((error: unknown) =>
          this.#log.warn({ err: loggableError(error) }, 'stalled-job checker did not start'),
        );
    }
    for (;;) {
      if (this.#closing || signal.aborted) return null;
      const fetched = this.#held.shift() ?? (await this.#wait(signal));
      if (!fetched) return null;
      // A flow parent whose child failed (failParentOnFailure) comes back with a deferred failure:
      // BullMQ's own Worker fails it without running the processor, and so do we.
      if (fetched.job.deferredFailure) {
        await this.worker.failDeferred(fetched.job, fetched.token, this.#log);
        continue;
      }
      // Only a job with secret fields pays for the extra await (the hot path has none).
      if (!hasSealedFields(fetched.job.data)) return this.#adopt(fetched);
      return this.#adopt(fetched, await this.#openSecrets(fetched.job));
    }
  }

  /** The job data with sealed secret fields opened, or the error that makes the task malformed. */
  #openSecrets(job: Job): Promise<{ data: unknown } | { error: unknown }> {
    const opening = openJobData(job.data, this.#settings.secrets);
    return opening.then(
      (data) => ({ data }),
      (error: unknown) => ({ error }),
    );
  }

  async #wait(signal: AbortSignal): Promise<Fetched | undefined> {
    const result = await new Promise<FetchResult>((resolve) => {
      const onAbort = () => settle({ empty: true });
      const settle: Waiter = (value) => {
        signal.removeEventListener('abort', onAbort);
        const index = this.#waiters.indexOf(settle);
        if (index >= 0) this.#waiters.splice(index, 1);
        resolve(value);
      };
      // An abandoned fetch is safe: whatever it brings later is held and given back to the queue.
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(settle);
      this.#ensureFetch();
    });
    // ioredis errors carry the command's arguments; the runner logs what a poll throws.
    if ('error' in result) throw loggableError(result.error);
    return 'empty' in result ? undefined : result.fetched;
  }

  #ensureFetch(): void {
    if (this.#fetching || this.#closing) return;
    const token = `${this.worker.id}:${++this.#tokens}`;
    this.#fetching = (async () => {
      let result: FetchResult;
      try {
        const job = await this.worker.getNextJob(token, { block: true });
        if (job) {
          result = { fetched: { job, token } };
        } else {
          // A rate-limited queue answers at once; wait out the limit rather than spin the poll loop.
          const limited = this.worker.rateLimitedForMs;
          if (limited > 0)
            await new Promise((r) => setTimeout(r, Math.min(limited, this.#settings.blockTimeoutMs)));
          result = { empty: true };
        }
      } catch (error) {
        result = { error };
      }
      this.#fetching = undefined;
      this.#deliver(result);
    })();
  }

  #deliver(result: FetchResult): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(result);
      // Another poll is still waiting (two runners on one source): keep fetching for it.
      if (this.#waiters.length > 0) this.#ensureFetch();
      return;
    }
    if ('fetched' in result) this.#hold(result.fetched);
    else if ('error' in result)
      this.#log.warn({ err: loggableError(result.error) }, 'fetch failed with no poll waiting');
  }

  #hold(fetched: Fetched): void {
    if (this.#closing) {
      void this.#giveBack(fetched);
      return;
    }
    this.#held.push({ job: fetched.job, token: fetched.token, since: Date.now() });
    // One sweep timer for all held jobs rather than a timer per job: holding is the hot path.
    if (!this.#sweeper) this.#sweeper = setTimeout(() => this.#sweep(), this.#settings.prefetchHoldMs);
  }

  #sweep(): void {
    this.#sweeper = undefined;
    const cutoff = Date.now() - this.#settings.prefetchHoldMs;
    while (this.#held.length > 0 && this.#held[0]!.since <= cutoff) void this.#giveBack(this.#held.shift()!);
    if (this.#held.length > 0) this.#sweeper = setTimeout(() => this.#sweep(), this.#settings.prefetchHoldMs);
  }

  /** Puts a fetched job nobody will run back to waiting, so another worker gets it without a stall. */
  async #giveBack({ job, token }: Fetched): Promise<void> {
    try {
      await job.moveToWait(token);
    } catch (error) {
      // Its lock then expires and the stalled-job checker puts it back.
      this.#log.warn(
        { err: loggableError(error), jobId: job.id },
        'could not give a held job back to the queue',
      );
    }
  }

  #adopt({ job, token }: Fetched, opened?: { data: unknown } | { error: unknown }): BullMQSourceTask {
    const task = new BullMQSourceTask(job, token, this, opened);
    // A job leased here again (its lock expired and the queue handed it back) replaces the stale entry.
    const stale = this.#tasks.findIndex((t) => t.jobId === task.jobId);
    if (stale >= 0) this.#tasks.splice(stale, 1);
    this.#tasks.push(task);
    this.#locks.start();
    const pending = this.#settings.takePendingCancel(this.queue, task.jobId);
    if (pending !== undefined) task.cancel(pending);
    return task;
  }

  untrack(task: BullMQSourceTask): void {
    const index = this.#tasks.indexOf(task);
    if (index >= 0) this.#tasks.splice(index, 1);
  }

  wantsNext(): boolean {
    // Each completion frees one slot, so one job fetched per completion keeps the held list near empty;
    // the cap only matters when polls stop (process-wide cap reached), and the sweeper gives those back.
    return !this.#closing && this.#held.length < MAX_HELD;
  }

  async offerNext(reply: readonly unknown[], token: string): Promise<void> {
    try {
      const job = await this.worker.adoptNext(reply, token);
      if (job) this.#deliver({ fetched: { job, token } });
    } catch (error) {
      this.#log.warn({ err: loggableError(error) }, 'could not read the job fetched with a completion');
    }
  }

  /** Cancels a job leased here; true when it was found. */
  cancel(jobId: string, reason: string): boolean {
    const task = this.#tasks.find((t) => t.jobId === jobId);
    if (!task) return false;
    task.cancel(reason);
    return true;
  }

  /**
   * Stops fetching, gives held jobs back, and closes the worker (its blocking connection). Jobs still
   * running keep their lock and can still be completed: the shared connection stays open until the source closes.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#locks.stop();
    for (const waiter of [...this.#waiters]) waiter({ empty: true });
    const held = this.#held.splice(0);
    clearTimeout(this.#sweeper);
    this.#sweeper = undefined;
    await Promise.allSettled(held.map((h) => this.#giveBack(h)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([this.worker.close(true), deadline]);
      // A fetch that was blocked when we closed may still bring a job: give it back.
      if (this.#fetching) await Promise.race([this.#fetching, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
