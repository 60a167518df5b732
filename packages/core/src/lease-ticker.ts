import type { RunnerHooks } from './hooks.ts';
import type { Logger } from './logger.ts';
import type { RuntimePrimitives } from './runtime.ts';
import type { TaskAbort } from './settle.ts';
import { LeaseLostError, type SourceTask } from './source.ts';
import { setLongInterval, withTimeout, type LongTimer } from './timers.ts';

/** Keeps one attempt's lease: renews it on a cadence, turns `canceled` into an abort, and gives it up locally. */
export interface LeaseKeeper {
  /** Starts renewing; the handler is called once this resolves. */
  start(): void | Promise<void>;
  /** Renews now, optionally publishing progress fields (ctx.reportProgress). Never rejects. */
  renew(fields?: Record<string, string>): Promise<void>;
  /** Stops renewing and waits for renewals in flight, so a late `canceled` is seen before any status. */
  stop(): Promise<void>;
  /**
   * Ms left on the local lease, counted from the send of the last successful renewal; 0 or less once it
   * lapsed. After that the attempt is no longer ours and nothing terminal may be sent (invariant 3).
   */
  leaseLeftMs(): Promise<number>;
  /** Gives the attempt up locally: counted, logged, and the handler aborted with 'lease-lost'. */
  giveUp(): void;
}

/** What a {@link LeaseTicker} works with. */
export interface LeaseTickerOptions {
  readonly received: SourceTask;
  readonly group: string;
  /** Renewal period. */
  readonly intervalMs: number;
  /** How long the service keeps the attempt without a renewal (`reportProgressTimeout` or its default). */
  readonly leaseMs: number;
  readonly runtime: RuntimePrimitives;
  readonly hooks: RunnerHooks;
  readonly logger: Logger;
  readonly abort: TaskAbort;
  /** When the ack was sent (monotonic): the service renewed the lease no earlier. Default: now. */
  readonly ackSentAt?: number | undefined;
}

/**
 * Renews a lease from the main event loop. Once no renewal succeeded for longer than the lease, the
 * service has timed the attempt out and may have offered it to another runner: the attempt is no longer
 * ours, so the handler is aborted with 'lease-lost' and nothing terminal is reported (invariant 3).
 */
export class LeaseTicker implements LeaseKeeper {
  readonly #o: LeaseTickerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  #lastRenewal: number;
  #timer: LongTimer | undefined;
  #ticking = false;

  constructor(options: LeaseTickerOptions) {
    this.#o = options;
    // The ack was the first renewal.
    this.#lastRenewal = options.ackSentAt ?? options.runtime.monotonicNow();
  }

  /** When the last successful renewal was sent (monotonic ms). */
  get renewedAt(): number {
    return this.#lastRenewal;
  }

  leaseLeftMs(): Promise<number> {
    return Promise.resolve(this.#lastRenewal + this.#o.leaseMs - this.#o.runtime.monotonicNow());
  }

  giveUp(): void {
    expireLocally(this.#o, this.#o.runtime.monotonicNow() - this.#lastRenewal);
  }

  start(): void {
    this.#timer = setLongInterval(() => this.#tick(), this.#o.intervalMs);
  }

  #tick(): void {
    const sinceMs = this.#o.runtime.monotonicNow() - this.#lastRenewal;
    if (sinceMs > this.#o.leaseMs) {
      expireLocally(this.#o, sinceMs);
      return;
    }
    // A renewal still waiting for its answer (a slow or half-open connection) is not doubled up.
    if (this.#ticking) return;
    this.#ticking = true;
    void this.renew().finally(() => {
      this.#ticking = false;
    });
  }

  renew(fields?: Record<string, string>): Promise<void> {
    const run = this.#renew(fields);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
    return run;
  }

  async #renew(fields?: Record<string, string>): Promise<void> {
    const o = this.#o;
    const expectedAt = this.#lastRenewal + o.intervalMs;
    // The service renewed somewhere between send and answer: counting from the send keeps the local
    // lease from outliving the service's.
    const sentAt = o.runtime.monotonicNow();
    try {
      const reply = await o.received.progress(fields);
      const now = o.runtime.monotonicNow();
      o.hooks.onProgress?.({
        group: o.group,
        id: o.received.id,
        ok: true,
        lagMs: Math.max(0, now - expectedAt),
      });
      this.#lastRenewal = Math.max(this.#lastRenewal, sentAt);
      if (reply.canceled) o.abort.abort('canceled');
    } catch (error) {
      o.hooks.onProgress?.({ group: o.group, id: o.received.id, ok: false, lagMs: 0 });
      if (LeaseLostError.is(error)) {
        o.hooks.onLeaseLost?.({ group: o.group, id: o.received.id, cause: 'service', sinceMs: 0 });
        o.abort.abort('lease-lost');
      } else o.logger.warn({ err: error }, 'progress report failed; will retry at the next tick');
    }
  }

  async stop(): Promise<void> {
    this.#timer?.clear();
    // Bounded: a renewal stuck on a half-open connection must not hold the status back for its whole timeout.
    const bound = Math.min(10_000, Math.max(100, this.#o.leaseMs / 3));
    const until = this.#o.runtime.monotonicNow() + bound;
    while (this.#inFlight.size > 0) {
      const left = until - this.#o.runtime.monotonicNow();
      if (left <= 0) break;
      await withTimeout(Promise.allSettled([...this.#inFlight]), left).catch(() => undefined);
    }
  }
}

/** Gives the attempt up: counted, logged, and the handler aborted with 'lease-lost'. */
export function expireLocally(o: LeaseTickerOptions, sinceMs: number): void {
  if (o.abort.reason) return;
  o.logger.warn(
    { sinceMs: Math.round(sinceMs), leaseMs: o.leaseMs },
    'no progress could be reported for longer than the lease: the attempt is no longer ours; aborting it',
  );
  o.hooks.onLeaseLost?.({ group: o.group, id: o.received.id, cause: 'local', sinceMs });
  o.abort.abort('lease-lost');
}
