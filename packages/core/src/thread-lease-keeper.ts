import { SlotFlag, sharedNow } from './lease-board.ts';
import { LeaseTicker, expireLocally, type LeaseKeeper, type LeaseTickerOptions } from './lease-ticker.ts';
import type { LeaseRenewalSpec } from './source.ts';
import type { ThreadReply } from './thread-messages.ts';
import { setLongInterval, withTimeout, type LongTimer } from './timers.ts';

/** Longest wait for a task's renewal spec before its lease is kept on the main thread instead. */
const SPEC_TIMEOUT_MS = 2000;
/** Longest a handler waits for the lease thread to load its SDK (with the first lease of a process). */
const SDK_WAIT_MS = 5000;

/** What a keeper needs of the runner's lease thread (`LeaseThread` in thread-lease.ts). */
export interface LeaseHost {
  /** Writes the lease to the board; [slot, generation], or undefined to keep it on the main thread. */
  claim(
    keeper: ThreadLeaseKeeper,
    spec: LeaseRenewalSpec,
    o: LeaseTickerOptions,
  ): [number, number] | undefined;
  /** Frees a slot: 'free' at once, 'stopping' while a renewal is in flight (its answer follows). */
  release(slot: number, generation: number): 'free' | 'stopping' | 'gone';
  /** Flags and last renewal of a slot the caller still owns. */
  read(slot: number): { flags: number; renewedAt: number };
  forget(slot: number, keeper: ThreadLeaseKeeper): void;
  /** Whether the thread renews from the board yet (it loads its SDK with the first lease). */
  sdkLoaded(): boolean;
  /** Records on the board a renewal made on the main thread (shared clock), for the thread's expiry watch. */
  noteRenewal(slot: number, generation: number, at: number): void;
}

/**
 * Keeps one lease from the lease thread. Handler progress (ctx.reportProgress) still goes out from the
 * main thread. `stop()` frees the slot at once unless a renewal is in flight, in which case it waits for
 * the thread's answer, so a `canceled` is never missed.
 */
export class ThreadLeaseKeeper implements LeaseKeeper {
  readonly #thread: LeaseHost;
  readonly #o: LeaseTickerOptions;
  readonly #main: LeaseTicker;
  #slot: [number, number] | undefined;
  /** When the thread last renewed, on this thread's monotonic clock, once the slot is given back. */
  #finalRenewedAt: number | undefined;
  /** The thread's latest renewal it told of (shared clock), for when the slot is no longer ours to read. */
  #toldRenewedAt: number | undefined;
  /** Board flags already acted on (from a message or from the board itself), so each acts once. */
  #applied = 0;
  #stopping: Promise<void> | undefined;
  #mode: 'pending' | 'thread' | 'main' | 'stopped' = 'pending';
  #stopped: (() => void) | undefined;
  /** Renews from here while the thread is still loading its SDK (see {@link #bridgeTick}). */
  #bridge: LongTimer | undefined;
  #bridging = false;

  constructor(thread: LeaseHost, options: LeaseTickerOptions) {
    this.#thread = thread;
    this.#o = options;
    this.#main = new LeaseTicker(options);
  }

  /**
   * Resolves once the lease is on the board: a handler that blocks at once must find it renewing. The
   * thread need not have loaded yet; it reads the board on its own once it has.
   */
  async start(): Promise<void> {
    let spec: LeaseRenewalSpec | undefined;
    try {
      // A credential provider that hangs (an unreachable metadata service) must not hold the handler.
      spec = await withTimeout(this.#o.received.renewalSpec?.(), SPEC_TIMEOUT_MS);
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'lease cannot be renewed from the lease thread; renewing it here');
    }
    if (this.#mode !== 'pending') return;
    this.#slot = spec && this.#thread.claim(this, spec, this.#o);
    if (!this.#slot) {
      this.fallBack();
      return;
    }
    this.#mode = 'thread';
    if (this.#thread.sdkLoaded()) return;
    this.#bridge = setLongInterval(() => this.#bridgeTick(), this.#o.intervalMs);
    // Only the thread renews while a handler blocks this one, and the bridge cannot run then: a handler
    // that blocked at once lost its 3 s lease in a chaos run while the thread was still loading (5
    // runners starting on 2 cores). So the handler starts once the thread has loaded (once per process;
    // the bridge renews meanwhile), or after SDK_WAIT_MS on a machine too slow for that.
    const { runtime } = this.#o;
    const deadline = runtime.monotonicNow() + Math.min(SDK_WAIT_MS, this.#o.leaseMs);
    while (this.#mode === 'thread' && !this.#thread.sdkLoaded() && runtime.monotonicNow() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /**
   * Until the thread has loaded its SDK (with the first lease; 0.1-1 s, more on a loaded machine), this
   * lease is renewed from here as the main ticker would, and each renewal is written to the board, so
   * the thread, once it reads the board, neither renews at once nor takes the lease for expired. There
   * is no local expiry check here: after a handler blocked this thread, the board (renewed by the thread
   * meanwhile) is what says whether the lease lapsed, and the thread watches that.
   */
  #bridgeTick(): void {
    if (this.#mode !== 'thread' || this.#thread.sdkLoaded()) {
      this.#endBridge();
      return;
    }
    if (this.#bridging) return;
    this.#bridging = true;
    void this.#main.renew().finally(() => {
      this.#bridging = false;
      const slot = this.#slot;
      if (this.#mode !== 'thread' || !slot) return;
      const o = this.#o;
      // Refused only while the thread renews the slot itself, whose answer then carries a fresher time.
      this.#thread.noteRenewal(
        slot[0],
        slot[1],
        sharedNow() - (o.runtime.monotonicNow() - this.#main.renewedAt),
      );
    });
  }

  #endBridge(): void {
    this.#bridge?.clear();
    this.#bridge = undefined;
  }

  /** The thread is gone: keep the lease here from now on. */
  fallBack(): void {
    if (this.#mode === 'stopped' || this.#mode === 'main') return;
    this.#endBridge();
    this.#mode = 'main';
    this.#main.start();
    this.#stopped?.();
  }

  #apply(flags: number, sinceMs = 0): void {
    const o = this.#o;
    const fresh = flags & ~this.#applied;
    this.#applied |= flags;
    const base = { group: o.group, id: o.received.id };
    if (fresh & SlotFlag.Lost) {
      o.hooks.onLeaseLost?.({ ...base, cause: 'service', sinceMs: 0 });
      o.abort.abort('lease-lost');
    }
    if (fresh & SlotFlag.Canceled) o.abort.abort('canceled');
    if (fresh & SlotFlag.Expired) expireLocally(o, sinceMs || o.runtime.monotonicNow() - this.#renewedAt());
  }

  onReply(reply: Exclude<ThreadReply, { type: 'ready' | 'failed' }>): void {
    const slot = this.#slot;
    if (!slot || reply.generation !== slot[1]) return;
    const o = this.#o;
    const base = { group: o.group, id: o.received.id };
    switch (reply.type) {
      case 'progress':
        o.hooks.onProgress?.(
          reply.ok ? { ...base, ok: true, lagMs: reply.lagMs } : { ...base, ok: false, lagMs: 0 },
        );
        if (reply.ok) {
          this.#toldRenewedAt = Math.max(this.#toldRenewedAt ?? 0, reply.renewedAt);
          this.#apply(reply.canceled ? SlotFlag.Canceled : 0);
        } else if (reply.lost) this.#apply(SlotFlag.Lost);
        else o.logger.warn({ error: reply.error }, 'progress report failed; will retry at the next tick');
        return;
      case 'expired':
        this.#apply(SlotFlag.Expired, reply.sinceMs);
        return;
      case 'stopped':
        this.#stopped?.();
        return;
    }
  }

  /** The thread's last renewal on this thread's clock (the ack until it renewed). */
  #renewedAt(): number {
    if (this.#finalRenewedAt !== undefined) return this.#finalRenewedAt;
    let shared = this.#toldRenewedAt;
    // The board is read only while the slot is ours; once given back, another lease may hold it.
    if (this.#slot && this.#mode === 'thread')
      shared = Math.max(shared ?? 0, this.#thread.read(this.#slot[0]).renewedAt);
    return this.#onThisClock(shared);
  }

  /** A shared-clock time as this thread's monotonic time, never before the ack. */
  #onThisClock(shared: number | undefined): number {
    const o = this.#o;
    const acked = o.ackSentAt ?? o.runtime.monotonicNow();
    if (shared === undefined) return acked;
    return Math.max(acked, o.runtime.monotonicNow() - Math.max(0, sharedNow() - shared));
  }

  renew(fields?: Record<string, string>): Promise<void> {
    return this.#main.renew(fields);
  }

  async leaseLeftMs(): Promise<number> {
    const left = () =>
      Math.max(this.#renewedAt(), this.#main.renewedAt) + this.#o.leaseMs - this.#o.runtime.monotonicNow();
    // A renewal still in flight when the lease was stopped may yet extend it: wait for the stop first.
    if (left() <= 0 && this.#stopping) await this.#stopping;
    return left();
  }

  giveUp(): void {
    expireLocally(
      this.#o,
      this.#o.runtime.monotonicNow() - Math.max(this.#renewedAt(), this.#main.renewedAt),
    );
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const slot = this.#mode === 'thread' ? this.#slot : undefined;
    this.#mode = 'stopped';
    this.#endBridge();
    if (slot) {
      const [index, generation] = slot;
      const stopped = new Promise<void>((resolve) => (this.#stopped = resolve));
      const released = this.#thread.release(index, generation);
      if (released === 'free') {
        // Freed by this very call, so nothing else wrote the slot since: its outcome is read here.
        const { flags, renewedAt } = this.#thread.read(index);
        this.#finalRenewedAt = this.#onThisClock(Math.max(this.#toldRenewedAt ?? 0, renewedAt));
        this.#thread.forget(index, this);
        this.#apply(flags);
      } else {
        // A renewal is in flight: its answer, then `stopped`, come as messages (the slot may be reused
        // once the thread frees it). Bounded like the main ticker's stop: a renewal stuck on a dead
        // connection must not hold the status.
        const bound = Math.min(10_000, Math.max(100, this.#o.leaseMs / 3));
        if (released === 'stopping') await withTimeout(stopped, bound).catch(() => undefined);
        this.#finalRenewedAt = this.#onThisClock(this.#toldRenewedAt);
        this.#thread.forget(index, this);
      }
    }
    await this.#main.stop();
  }
}
