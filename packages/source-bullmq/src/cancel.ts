import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedis, openRedis, type RedisConnectionOptions } from './connection.ts';

/** The pub/sub channel on which cancellations of one queue's running jobs are announced. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:tasklane:cancel`;
}

/** The message published on {@link cancelChannel}. */
export interface CancelMessage {
  readonly jobId: string;
  readonly reason: string;
}

/** Parses a cancel message; undefined when it is not one. */
export function parseCancelMessage(text: string): CancelMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<CancelMessage> | null;
    if (value && typeof value.jobId === 'string' && value.jobId !== '') {
      return {
        jobId: value.jobId,
        reason: typeof value.reason === 'string' && value.reason !== '' ? value.reason : 'canceled',
      };
    }
  } catch {}
  return undefined;
}

/** Options of {@link cancelJob}. */
export interface CancelJobOptions extends RedisConnectionOptions {
  queue: string;
  jobId: string;
  /** Recorded in the job's failedReason: `TL_BULLMQ_CANCELED: <reason>`. @default 'canceled' */
  reason?: string;
  /** BullMQ key prefix. @default 'bull' */
  prefix?: string;
}

/**
 * What {@link cancelJob} did: `removed` (the job was not running yet and is gone), `signaled` (it is
 * running; the runner holding it aborts its handler and fails it), `finished` (already completed or
 * failed: nothing to do) or `not-found`.
 */
export type CancelResult = 'removed' | 'signaled' | 'finished' | 'not-found';

const NOT_STARTED = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'wait', 'paused']);

/**
 * Cancels a job from anywhere. A job that has not started is removed (BullMQ's way of canceling a queued
 * job); a running one is announced on the queue's cancel channel, where every `BullMQSource` serving the
 * queue listens; the one holding the job marks it canceled (→ `ctx.signal` aborts with
 * `abortReason === 'canceled'`, the job ends failed `TL_BULLMQ_CANCELED: <reason>` with no retry).
 */
export async function cancelJob(options: CancelJobOptions): Promise<CancelResult> {
  const prefix = options.prefix ?? 'bull';
  const reason = options.reason ?? 'canceled';
  const connection = openRedis(options, 'tasklane-cancel');
  const queue = new Queue(options.queue, { connection, prefix });
  try {
    const job = await Job.fromId(queue, options.jobId);
    if (!job) return 'not-found';
    const state = await job.getState();
    if (NOT_STARTED.has(state)) {
      try {
        await job.remove();
        return 'removed';
      } catch {
        // It became active (locked) meanwhile: signal the runner that took it.
      }
    } else if (state === 'completed' || state === 'failed') {
      return 'finished';
    }
    const message: CancelMessage = { jobId: options.jobId, reason };
    await connection.publish(cancelChannel(prefix, options.queue), JSON.stringify(message));
    return 'signaled';
  } finally {
    await queue.close().catch(() => {});
    await closeRedis(connection, 2000);
  }
}

/** Subscribes to the cancel channels of the queues a source serves. */
export class CancelListener {
  #subscriber: Redis | undefined;
  readonly #channels = new Map<string, string>();

  constructor(
    private readonly options: RedisConnectionOptions,
    private readonly prefix: string,
    private readonly onCancel: (queue: string, message: CancelMessage) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts listening for `queue` (idempotent). */
  listen(queue: string): void {
    const channel = cancelChannel(this.prefix, queue);
    if (this.#channels.has(channel)) return;
    this.#channels.set(channel, queue);
    if (!this.#subscriber) {
      const subscriber = openRedis(this.options, 'tasklane-cancel-listener');
      subscriber.on('error', this.onError);
      subscriber.on('message', (ch: string, text: string) => {
        const target = this.#channels.get(ch);
        const message = parseCancelMessage(text);
        if (target !== undefined && message) this.onCancel(target, message);
      });
      this.#subscriber = subscriber;
    }
    this.#subscriber.subscribe(channel).catch(this.onError);
  }

  async close(timeoutMs: number): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) await closeRedis(subscriber, timeoutMs);
  }
}
