import type { Logger } from '@tasklane/core';
import type { RedisOptions } from 'ioredis';
import type { CompiledOptions } from './options.ts';

/** What the renewal thread reports about one lease (by owner token). */
export interface RenewerEvents {
  renewed(owner: string, sentAt: number): void;
  lost(owner: string): void;
  failed(owner: string, message: string): void;
}

type WorkerLike = {
  postMessage(message: unknown): void;
  on(event: string, listener: (value: any) => void): void;
  unref?(): void;
  terminate(): Promise<number> | void;
};

/** Top-level function values (retryStrategy and the like) cannot cross to another thread. */
function transferable(options: RedisOptions): RedisOptions | undefined {
  const out = Object.fromEntries(Object.entries(options).filter(([, v]) => typeof v !== 'function'));
  try {
    return structuredClone(out);
  } catch {
    return undefined;
  }
}

/**
 * Renews leases on a worker thread (worker/renewer.mjs) with its own Redis connection, so a handler
 * that blocks the main thread cannot starve them. The main thread says which leases it holds and
 * touches the thread once per renewal period; the thread renews for at most `pollTimeoutMs` after the
 * last touch (a poll cannot stay open longer). Until the thread is ready, or where it cannot start,
 * renewal stays on the main thread (`ready` is false).
 */
export class ThreadRenewer {
  readonly #o: CompiledOptions;
  readonly #log: Logger;
  readonly #events: RenewerEvents;
  readonly #redisOptions: RedisOptions;
  readonly #holds = new Map<string, string>();
  #worker: WorkerLike | undefined;
  #starting = false;
  #ready = false;
  #closed = false;

  constructor(redisOptions: RedisOptions, o: CompiledOptions, log: Logger, events: RenewerEvents) {
    this.#redisOptions = redisOptions;
    this.#o = o;
    this.#log = log;
    this.#events = events;
  }

  /** True once the thread is connected and renews by itself. */
  get ready(): boolean {
    return this.#ready;
  }

  hold(owner: string, leaseKey: string): void {
    this.#holds.set(owner, leaseKey);
    if (this.#worker) this.#worker.postMessage({ t: 'hold', owner, key: leaseKey });
    else void this.#start();
  }

  drop(owner: string): void {
    if (this.#holds.delete(owner)) this.#worker?.postMessage({ t: 'drop', owner });
  }

  /** The main thread is alive: the thread may go on renewing. */
  touch(): void {
    this.#worker?.postMessage({ t: 'touch' });
  }

  async #start(): Promise<void> {
    if (this.#starting || this.#closed) return;
    this.#starting = true;
    const options = transferable(this.#redisOptions);
    if (!options) {
      this.#log.warn(
        {},
        'Redis options cannot be sent to a worker thread; leases are renewed on the main thread',
      );
      return;
    }
    try {
      const { Worker } = await import('node:worker_threads');
      if (this.#closed) return;
      const worker = new Worker(new URL('../worker/renewer.mjs', import.meta.url), {
        // A few timers and one connection: a small heap keeps the thread's memory small.
        resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
        workerData: {
          redisOptions: options,
          leaseMs: this.#o.leaseMs,
          renewEveryMs: this.#o.renewEveryMs,
          capMs: this.#o.pollTimeoutMs,
          commandTimeoutMs: this.#o.commandTimeoutMs,
        },
      }) as unknown as WorkerLike;
      worker.unref?.();
      worker.on('message', (m: { t: string; owner: string; sentAt: number; message: string }) => {
        if (m.t === 'ready') this.#ready = true;
        else if (m.t === 'renewed') this.#events.renewed(m.owner, m.sentAt);
        else if (m.t === 'lost') this.#events.lost(m.owner);
        else if (m.t === 'error') this.#events.failed(m.owner, m.message);
      });
      worker.on('error', (error: unknown) => {
        this.#ready = false;
        this.#log.warn({ err: error }, 'lease renewal thread failed; leases are renewed on the main thread');
      });
      worker.on('exit', () => {
        this.#ready = false;
      });
      this.#worker = worker;
      for (const [owner, key] of this.#holds) worker.postMessage({ t: 'hold', owner, key });
    } catch (error) {
      this.#log.warn(
        { err: error },
        'no worker thread for lease renewal; leases are renewed on the main thread',
      );
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    worker.postMessage({ t: 'close' });
    await worker.terminate();
  }
}
