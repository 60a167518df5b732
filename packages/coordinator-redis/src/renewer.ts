import type { Logger } from '@tasklane/core';
import type { RedisOptions } from 'ioredis';
import type { CompiledOptions } from './options.ts';

/** What the renewal thread reports about one lease (by owner token). */
export interface RenewerEvents {
  renewed(owner: string, sentAt: number): void;
  lost(owner: string): void;
  /** `at`: the thread's clock when the renewal failed. */
  failed(owner: string, message: string, at: number): void;
}

type WorkerLike = {
  postMessage(message: unknown): void;
  on(event: string, listener: (value: any) => void): void;
  unref?(): void;
  terminate(): Promise<number> | void;
};

/** Where the renewal thread connects: one server, or a cluster's seed nodes with per-node options. */
export interface RenewalTarget {
  readonly redisOptions: RedisOptions;
  readonly clusterNodes?: ReadonlyArray<{ host: string; port: number }>;
}

/** Top-level function values (retryStrategy and the like) cannot cross to another thread. */
function transferable(options: RedisOptions): RedisOptions | undefined {
  const out = Object.fromEntries(Object.entries(options).filter(([, v]) => typeof v !== 'function'));
  try {
    return structuredClone(out);
  } catch {
    return undefined;
  }
}

/** Groups one thread can renew for; a process serving more renews the rest on the main thread. */
const SLOTS = 256;

/**
 * Renews leases on a worker thread (worker/renewer.mjs) with its own Redis connection, so a handler
 * that blocks the main thread cannot starve them. What the main thread holds lives in shared memory
 * (no message per poll); the main thread stamps it once per renewal period, and without a fresh stamp
 * the thread renews for at most `pollTimeoutMs` (a poll cannot stay open longer). Until the thread is
 * ready, or where it cannot start, renewal stays on the main thread (`ready` is false).
 */
export class ThreadRenewer {
  readonly #o: CompiledOptions;
  readonly #log: Logger;
  readonly #events: RenewerEvents;
  readonly #target: RenewalTarget;
  readonly #token: string;
  readonly #shared = new SharedArrayBuffer(4 * (SLOTS + 1));
  readonly #held = new Int32Array(this.#shared, 0, SLOTS);
  readonly #alive = new Int32Array(this.#shared, 4 * SLOTS, 1);
  readonly #slots = new Map<string, number>();
  #worker: WorkerLike | undefined;
  #starting = false;
  #ready = false;
  /** The thread failed, exited or cannot start: it will not come up (renewal stays on the main thread). */
  #gone = false;
  #closed = false;
  /** Wakes whoever waits in `whenReady` (the thread came up, failed, or cannot start). */
  readonly #settled = new Set<() => void>();

  constructor(target: RenewalTarget, token: string, o: CompiledOptions, log: Logger, events: RenewerEvents) {
    this.#target = target;
    this.#token = token;
    this.#o = o;
    this.#log = log;
    this.#events = events;
    this.touch();
  }

  /** True once the thread is connected and renews by itself. */
  get ready(): boolean {
    return this.#ready;
  }

  /** True while the thread may still come up: not connected yet, and neither failed nor closed. */
  get loading(): boolean {
    return !this.#ready && !this.#gone && !this.#closed;
  }

  /**
   * Starts the thread now rather than with the first lease: until it is connected only the main thread
   * renews, and a handler that blocks it then lets a fresh lease expire under its poll (a loaded machine
   * takes seconds to load a thread). Resolves with `ready` once it is up, has failed, after `ms`, or
   * once `signal` aborts.
   */
  whenReady(ms: number, signal?: AbortSignal): Promise<boolean> {
    void this.#start();
    if (!this.loading || signal?.aborted) return Promise.resolve(this.#ready);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#settled.delete(done);
        resolve(this.#ready);
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#settled.add(done);
    });
  }

  #giveUp(): void {
    this.#ready = false;
    this.#gone = true;
    this.#settle();
  }

  #settle(): void {
    for (const done of [...this.#settled]) done();
  }

  /**
   * The lease at `leaseKey` is now held by `owner` (`${token}:${seq}`); false when the thread cannot
   * take it (no slot left), so the main thread keeps renewing it.
   */
  hold(leaseKey: string, owner: string): boolean {
    let slot = this.#slots.get(leaseKey);
    if (slot === undefined) {
      if (this.#slots.size >= SLOTS) return false;
      slot = this.#slots.size;
      this.#slots.set(leaseKey, slot);
      this.#worker?.postMessage({ t: 'slot', slot, key: leaseKey });
    }
    Atomics.store(this.#held, slot, Number(owner.slice(this.#token.length + 1)));
    this.touch();
    if (!this.#worker) void this.#start();
    return true;
  }

  drop(leaseKey: string): void {
    const slot = this.#slots.get(leaseKey);
    if (slot !== undefined) Atomics.store(this.#held, slot, 0);
  }

  /** The main thread is alive: the thread may go on renewing. */
  touch(): void {
    Atomics.store(this.#alive, 0, Math.floor(Date.now() / 1000));
  }

  async #start(): Promise<void> {
    if (this.#starting || this.#closed) return;
    this.#starting = true;
    const options = transferable(this.#target.redisOptions);
    if (!options) {
      this.#log.warn(
        {},
        'Redis options cannot be sent to a worker thread; leases are renewed on the main thread',
      );
      this.#giveUp();
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
          clusterNodes: this.#target.clusterNodes?.map(({ host, port }) => ({ host, port })),
          token: this.#token,
          shared: this.#shared,
          leaseMs: this.#o.leaseMs,
          renewEveryMs: this.#o.renewEveryMs,
          capMs: this.#o.pollTimeoutMs,
          commandTimeoutMs: this.#o.commandTimeoutMs,
        },
      }) as unknown as WorkerLike;
      worker.unref?.();
      worker.on('message', (m: { t: string; owner: string; sentAt: number; message: string; at: number }) => {
        if (m.t === 'ready') {
          this.#ready = true;
          this.#settle();
        } else if (m.t === 'renewed') this.#events.renewed(m.owner, m.sentAt);
        else if (m.t === 'lost') this.#events.lost(m.owner);
        else if (m.t === 'error') this.#events.failed(m.owner, m.message, m.at);
      });
      worker.on('error', (error: unknown) => {
        this.#giveUp();
        this.#log.warn({ err: error }, 'lease renewal thread failed; leases are renewed on the main thread');
      });
      worker.on('exit', () => this.#giveUp());
      this.#worker = worker;
      for (const [key, slot] of this.#slots) worker.postMessage({ t: 'slot', slot, key });
    } catch (error) {
      this.#log.warn(
        { err: error },
        'no worker thread for lease renewal; leases are renewed on the main thread',
      );
      this.#giveUp();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    this.#settle();
    this.#held.fill(0);
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    worker.postMessage({ t: 'close' });
    await worker.terminate();
  }
}
