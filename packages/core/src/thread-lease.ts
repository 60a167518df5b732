import { LeaseTicker, expireLocally, type LeaseKeeper, type LeaseTickerOptions } from './lease-ticker.ts';
import type { Logger } from './logger.ts';
import type { ThreadHandle } from './runtime.ts';
import type { LeaseRenewalSpec } from './source.ts';
import type { ThreadReply, ThreadRequest } from './thread-messages.ts';
import { setLongInterval, withTimeout, type LongTimer } from './timers.ts';

/** The lease thread's module, beside this one (`.ts` when run from source, `.js` from dist). */
export function leaseThreadUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './lease-thread.ts' : './lease-thread.js', here);
}

/** Credentials this close to expiry are re-resolved on the main thread and sent to the lease thread. */
const REFRESH_BEFORE_MS = 10 * 60_000;
/** Longest wait for a task's renewal spec before its lease is kept on the main thread instead. */
const SPEC_TIMEOUT_MS = 2000;

/**
 * The runner's one lease thread, started on first use. Each attempt whose source can describe its
 * renewal gets a {@link ThreadLeaseKeeper}; the others, and all of them if the thread cannot start,
 * keep their leases on the main thread.
 */
export class LeaseThread {
  readonly #start: () => ThreadHandle;
  readonly #logger: Logger;
  readonly #keepers = new Map<number, ThreadLeaseKeeper>();
  #handle: ThreadHandle | undefined;
  #failed = false;
  #closed = false;
  #nextId = 1;
  readonly #ready: Promise<boolean>;
  #settleReady: (ready: boolean) => void = () => undefined;

  constructor(start: () => ThreadHandle, logger: Logger) {
    this.#start = start;
    this.#logger = logger;
    this.#ready = new Promise((resolve) => (this.#settleReady = resolve));
  }

  /**
   * A thread-backed keeper when the task can be renewed from the thread; undefined otherwise. One that
   * starts before the thread is ready waits for it (bounded) rather than keep its lease on the main
   * thread for life, where another task's CPU block would starve it (chaos `cpu-block`).
   */
  keeper(options: LeaseTickerOptions): LeaseKeeper | undefined {
    if (this.#failed || this.#closed || !options.received.renewalSpec) return undefined;
    return new ThreadLeaseKeeper(this, this.#nextId++, options);
  }

  /** Starts the thread now (loading it takes a moment); resolves true once it runs, false if it cannot. */
  warm(): Promise<boolean> {
    if (!this.#failed && !this.#handle) {
      try {
        this.#handle = this.#open();
      } catch (error) {
        this.#fail(error);
      }
    }
    return this.#ready;
  }

  /** Posts to the thread, starting it first; false when there is no working thread. */
  post(request: ThreadRequest, keeper?: ThreadLeaseKeeper): boolean {
    if (this.#failed) return false;
    try {
      this.#handle ??= this.#open();
      if (keeper) this.#keepers.set(keeper.id, keeper);
      this.#handle.postMessage(request);
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  forget(id: number): void {
    this.#keepers.delete(id);
  }

  #open(): ThreadHandle {
    const handle = this.#start();
    handle.onMessage((message) => {
      const reply = message as ThreadReply;
      if (reply.type !== 'ready') this.#keepers.get(reply.id)?.onReply(reply);
      else if (!this.#failed) this.#settleReady(true);
    });
    handle.onError((error) => this.#fail(error));
    return handle;
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#settleReady(false);
    this.#logger.warn({ err: error }, 'lease thread failed; keeping leases on the main thread');
    this.#handle?.terminate();
    for (const keeper of [...this.#keepers.values()]) keeper.fallBack();
    this.#keepers.clear();
  }

  close(): void {
    this.#handle?.terminate();
    this.#handle = undefined;
    this.#closed = true;
    this.#settleReady(false);
  }
}

/**
 * Keeps one lease from the lease thread. Handler progress (ctx.reportProgress) still goes out from the
 * main thread; `stop()` waits for the thread's `stopped`, which follows its last renewal answer, so a
 * `canceled` is never missed.
 */
export class ThreadLeaseKeeper implements LeaseKeeper {
  readonly id: number;
  readonly #thread: LeaseThread;
  readonly #o: LeaseTickerOptions;
  readonly #main: LeaseTicker;
  readonly #ackedAt: number;
  /** When the last renewal the thread reported succeeded was sent, on this thread's clock. */
  #renewedAt: number;
  #stopping: Promise<void> | undefined;
  #mode: 'pending' | 'thread' | 'main' | 'stopped' = 'pending';
  #spec: LeaseRenewalSpec | undefined;
  #refresh: LongTimer | undefined;
  #stopped: (() => void) | undefined;

  constructor(thread: LeaseThread, id: number, options: LeaseTickerOptions) {
    this.#thread = thread;
    this.id = id;
    this.#o = options;
    this.#main = new LeaseTicker(options);
    this.#ackedAt = options.ackSentAt ?? options.runtime.monotonicNow();
    this.#renewedAt = this.#ackedAt;
  }

  /** Resolves once the thread has the lease: a handler that blocks at once must find it renewing. */
  async start(): Promise<void> {
    let spec: LeaseRenewalSpec | undefined;
    // A thread still loading holds only the first tasks of a runner, and no longer than this bound.
    const ready = withTimeout(this.#thread.warm(), SPEC_TIMEOUT_MS).catch(() => false);
    try {
      // A credential provider that hangs (an unreachable metadata service) must not hold the handler.
      spec = await withTimeout(this.#o.received.renewalSpec?.(), SPEC_TIMEOUT_MS);
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'lease cannot be renewed from the lease thread; renewing it here');
    }
    if (!(await ready)) spec = undefined;
    if (this.#mode !== 'pending') return;
    const start: ThreadRequest | undefined = spec && {
      type: 'start',
      id: this.id,
      spec,
      intervalMs: this.#o.intervalMs,
      leaseMs: this.#o.leaseMs,
      sinceRenewalMs: this.#o.runtime.monotonicNow() - this.#ackedAt,
    };
    if (!start || !this.#thread.post(start, this)) {
      this.fallBack();
      return;
    }
    this.#mode = 'thread';
    this.#spec = spec;
    if (spec?.credentials?.expiration !== undefined)
      this.#refresh = setLongInterval(() => void this.#refreshCredentials(), 60_000);
  }

  async #refreshCredentials(): Promise<void> {
    const expiration = this.#spec?.credentials?.expiration;
    if (this.#mode !== 'thread' || expiration === undefined) return;
    if (expiration - this.#o.runtime.now() > REFRESH_BEFORE_MS) return;
    try {
      const spec = await this.#o.received.renewalSpec?.();
      if (spec && this.#mode === 'thread') {
        this.#spec = spec;
        this.#thread.post({ type: 'update', id: this.id, spec });
      }
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not refresh the lease thread credentials');
    }
  }

  /** The thread is gone: keep the lease here from now on. */
  fallBack(): void {
    if (this.#mode === 'stopped' || this.#mode === 'main') return;
    this.#mode = 'main';
    this.#refresh?.clear();
    this.#main.start();
    this.#stopped?.();
  }

  onReply(reply: Exclude<ThreadReply, { type: 'ready' }>): void {
    const o = this.#o;
    const base = { group: o.group, id: o.received.id };
    switch (reply.type) {
      case 'progress':
        if (reply.ok) {
          o.hooks.onProgress?.({ ...base, ok: true, lagMs: reply.lagMs });
          this.#renewedAt = Math.max(this.#renewedAt, this.#ackedAt + reply.renewedMs);
          if (reply.canceled) o.abort.abort('canceled');
        } else {
          o.hooks.onProgress?.({ ...base, ok: false, lagMs: 0 });
          if (reply.lost) {
            o.hooks.onLeaseLost?.({ ...base, cause: 'service', sinceMs: 0 });
            o.abort.abort('lease-lost');
          } else o.logger.warn({ error: reply.error }, 'progress report failed; will retry at the next tick');
        }
        return;
      case 'expired':
        expireLocally(o, reply.sinceMs);
        return;
      case 'stopped':
        this.#stopped?.();
        return;
    }
  }

  renew(fields?: Record<string, string>): Promise<void> {
    return this.#main.renew(fields);
  }

  async leaseLeftMs(): Promise<number> {
    const left = () =>
      Math.max(this.#renewedAt, this.#main.renewedAt) + this.#o.leaseMs - this.#o.runtime.monotonicNow();
    // The thread's latest answers may still be queued behind a handler that blocked this thread: the
    // stop's `stopped` comes after them, so wait for it before calling the lease lapsed.
    if (left() <= 0 && this.#stopping) await this.#stopping;
    return left();
  }

  giveUp(): void {
    expireLocally(this.#o, this.#o.runtime.monotonicNow() - Math.max(this.#renewedAt, this.#main.renewedAt));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const wasThread = this.#mode === 'thread';
    this.#mode = 'stopped';
    this.#refresh?.clear();
    if (wasThread) {
      const stopped = new Promise<void>((resolve) => (this.#stopped = resolve));
      this.#thread.post({ type: 'stop', id: this.id });
      // Bounded like the main ticker's stop: a renewal stuck on a dead connection must not hold the status.
      await withTimeout(stopped, Math.min(10_000, Math.max(100, this.#o.leaseMs / 3))).catch(() => undefined);
      this.#thread.forget(this.id);
    }
    await this.#main.stop();
  }
}
