import {
  InvalidOptionError,
  silentLogger,
  type Logger,
  type SourceTask,
  type TaskSource,
} from '@tasklane/core';
import type { Redis, RedisOptions } from 'ioredis';
import { CancelListener, type CancelMessage } from './cancel.ts';
import { closeRedis, isConnectionError, loggableError, openRedis } from './connection.ts';
import { QueueConsumer, type ConsumerSettings } from './queue-consumer.ts';
import { SecretBox } from './secrets.ts';

/** Options of {@link BullMQSource}. */
export interface BullMQSourceOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. Either this or `redis` (or both). */
  url?: string;
  /** ioredis options (TLS, sentinels, ...), merged over what the URL says. */
  redis?: RedisOptions;
  logger?: Logger;
  /** BullMQ key prefix. @default 'bull' */
  prefix?: string;
  /**
   * Job lock duration in ms: a job whose lock is not extended within it is "stalled" and handed to another
   * worker. The source renews all its jobs' locks at a third of it. @default 30000
   */
  lockDurationMs?: number;
  /** Longest a poll blocks waiting for a job before it returns empty (BullMQ `drainDelay`). @default 5000 */
  blockTimeoutMs?: number;
  /** How often the stalled-job check runs (BullMQ `stalledInterval`). @default 30000 */
  stalledIntervalMs?: number;
  /** Stalls after which a job fails instead of being retried (BullMQ `maxStalledCount`). @default 1 */
  maxStalledCount?: number;
  /** Name recorded as `processedBy` on jobs. @default none */
  workerName?: string;
  /** How long a job fetched together with a completion waits for the next poll before it is given back. @default 2000 */
  prefetchHoldMs?: number;
  /** Bound on `close()`: workers and connections not closed by then are disconnected. @default 10000 */
  closeTimeoutMs?: number;
  /**
   * Base64 of the 32-byte AES-256 key `enqueueJobs` sealed `*`-prefixed (secret) fields with. Absent: a
   * job with sealed fields fails as malformed (without retries). @default none
   */
  secretKey?: string;
  /**
   * Masks secrets in text this source stores in Redis (failure reasons and stack traces, which the
   * dashboard shows), e.g. the CLI's `redactText`. @default none (stored as the handler reported them)
   */
  redact?: (text: string) => string;
}

const PENDING_CANCEL_TTL_MS = 60_000;
const PENDING_CANCEL_MAX = 10_000;

function positive(option: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(
      option,
      `Expected \`${option}\` to be a number >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * BullMQ as a Tasklane task source: each group is a BullMQ queue, each job a task whose activity type is the
 * job name and whose fields are the job data. BullMQ already hands a job to exactly one worker, so polls
 * are not coordinated. Outcomes map to BullMQ results (see README): FINISHED/FALSE → completed, FAILED →
 * failed (retried by the job's `attempts`/`backoff` unless `retryable: false`), canceled → failed
 * `TL_BULLMQ_CANCELED` without retry.
 *
 * @example
 * ```ts
 * const source = new BullMQSource({ url: 'redis://127.0.0.1:6379', logger });
 * const runner = new Runner({ registry, sources: [{ source, groups: ['reports'] }], concurrency: 8 });
 * ```
 */
export class BullMQSource implements TaskSource {
  readonly kind = 'bullmq';
  readonly coordinated = false;
  readonly #settings: ConsumerSettings;
  readonly #log: Logger;
  readonly #connection: Redis;
  readonly #consumers = new Map<string, QueueConsumer>();
  readonly #cancels: CancelListener;
  readonly #pendingCancels = new Map<string, { reason: string; at: number }>();
  readonly #closeTimeoutMs: number;
  #closing: Promise<void> | undefined;

  constructor(options: BullMQSourceOptions) {
    if (!options || (options.url === undefined && options.redis === undefined)) {
      throw new InvalidOptionError(
        'url',
        'BullMQSource needs `url` (redis://host:port) or `redis` (ioredis options)',
      );
    }
    if (
      options.url !== undefined &&
      (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))
    ) {
      throw new InvalidOptionError(
        'url',
        `Expected \`url\` to be a redis:// or rediss:// URL, got ${JSON.stringify(options.url)}`,
      );
    }
    this.#log = (options.logger ?? silentLogger).child({ source: 'bullmq' });
    const prefix = options.prefix ?? 'bull';
    const connectionOptions = { url: options.url, redis: options.redis };
    this.#connection = openRedis(connectionOptions, 'tasklane-bullmq');
    this.#connection.on('error', (error: unknown) =>
      this.#log.warn({ err: loggableError(error) }, 'Redis connection error'),
    );
    this.#closeTimeoutMs = positive('closeTimeoutMs', options.closeTimeoutMs, 10_000);
    const lockDurationMs = positive('lockDurationMs', options.lockDurationMs, 30_000, 100);
    this.#settings = {
      connection: this.#connection,
      prefix,
      lockDurationMs,
      blockTimeoutMs: positive('blockTimeoutMs', options.blockTimeoutMs, 5000, 10),
      stalledIntervalMs: positive('stalledIntervalMs', options.stalledIntervalMs, 30_000, 100),
      maxStalledCount: positive('maxStalledCount', options.maxStalledCount, 1, 0),
      // A held job's lock is not extended: give it back well before the lock could expire.
      prefetchHoldMs: Math.min(
        positive('prefetchHoldMs', options.prefetchHoldMs, 2000, 1),
        Math.floor(lockDurationMs / 3),
      ),
      workerName: options.workerName,
      logger: this.#log,
      secrets: options.secretKey === undefined ? undefined : SecretBox.fromBase64(options.secretKey),
      redact: options.redact,
      takePendingCancel: (queue, jobId) => this.#takePendingCancel(queue, jobId),
    };
    this.#cancels = new CancelListener(
      connectionOptions,
      prefix,
      (queue, message) => this.#onCancelMessage(queue, message),
      (error) => this.#log.warn({ err: loggableError(error) }, 'cancel listener error'),
    );
  }

  /** Waits (up to `blockTimeoutMs`) for the next job of `queue`; null when none came or `signal` aborted. */
  poll(queue: string, signal: AbortSignal): Promise<SourceTask | null> {
    if (this.#closing) return Promise.resolve(null);
    return this.#consumer(queue).next(signal);
  }

  isTransient(error: unknown): boolean {
    return isConnectionError(error);
  }

  /**
   * Cancels a job this source is running (BullMQ's cancellation is per worker; use the exported
   * `cancelJob()` to cancel from another process). The handler's `ctx.signal` aborts at once with
   * `abortReason === 'canceled'`; the job ends failed with `TL_BULLMQ_CANCELED: <reason>`
   * and is not retried. Returns false when the job is not running here.
   */
  cancelJob(queue: string, jobId: string, reason = 'canceled'): boolean {
    return this.#consumers.get(queue)?.cancel(jobId, reason) ?? false;
  }

  /** Number of jobs of `queue` leased by this source right now. */
  running(queue: string): number {
    return this.#consumers.get(queue)?.running ?? 0;
  }

  /**
   * Stops fetching, gives back jobs fetched but not started, closes workers and connections. The runner
   * calls it after its drain, so running jobs have already ended. Bounded by `closeTimeoutMs`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const consumers = [...this.#consumers.values()];
    await Promise.allSettled(consumers.map((c) => c.close(this.#closeTimeoutMs)));
    await Promise.allSettled([
      this.#cancels.close(this.#closeTimeoutMs),
      closeRedis(this.#connection, this.#closeTimeoutMs),
    ]);
  }

  #consumer(queue: string): QueueConsumer {
    let consumer = this.#consumers.get(queue);
    if (!consumer) {
      consumer = new QueueConsumer(queue, this.#settings);
      this.#consumers.set(queue, consumer);
      this.#cancels.listen(queue);
    }
    return consumer;
  }

  #onCancelMessage(queue: string, { jobId, reason }: CancelMessage): void {
    if (this.cancelJob(queue, jobId, reason)) {
      this.#log.info({ queue, jobId, reason }, 'job canceled');
      return;
    }
    // The job may be on its way to us (fetched, reply not read yet): remember the request briefly.
    const now = Date.now();
    for (const [key, value] of this.#pendingCancels) {
      if (now - value.at < PENDING_CANCEL_TTL_MS && this.#pendingCancels.size < PENDING_CANCEL_MAX) break;
      this.#pendingCancels.delete(key);
    }
    this.#pendingCancels.set(`${queue}\u0000${jobId}`, { reason, at: now });
  }

  #takePendingCancel(queue: string, jobId: string): string | undefined {
    if (this.#pendingCancels.size === 0) return undefined;
    const key = `${queue}\u0000${jobId}`;
    const pending = this.#pendingCancels.get(key);
    if (!pending) return undefined;
    this.#pendingCancels.delete(key);
    return Date.now() - pending.at < PENDING_CANCEL_TTL_MS ? pending.reason : undefined;
  }
}
