import type { Logger } from '@tasklane/core';
import { errorBackoffMs, sleep, type RedisConnection } from './connection.ts';
import type { Held, LeaseEvents, RedisPollPermit } from './held.ts';
import type { GroupKeys } from './keys.ts';
import type { CompiledOptions } from './options.ts';
import type { ThreadRenewer } from './renewer.ts';
import type { WakeChannel } from './wake-channel.ts';

export type { LeaseEvents, RedisPollPermit } from './held.ts';

/**
 * Owns every lease this instance holds: grant, renewal, release, and loss. After a poll the lease stays
 * here for the next poll while no other instance waits (`keepIdleMs`), so a busy instance polls
 * back-to-back without a Redis round trip. An instance that starts waiting flags the lease contended
 * and pushes 'y' to the holder, which blocks on its own wake list while it keeps an uncontended lease;
 * a contended lease goes to the first waiter at the end of the current poll.
 */
export class LeaseManager {
  readonly stats = { leaseLost: 0, keptGrants: 0 };
  readonly #conn: RedisConnection;
  readonly #o: CompiledOptions;
  readonly #log: Logger;
  readonly #events: LeaseEvents;
  readonly #held = new Map<string, Held>();
  readonly #releasing = new Set<Promise<void>>();
  readonly #closed: AbortSignal;
  #thread: ThreadRenewer | undefined;

  constructor(
    conn: RedisConnection,
    o: CompiledOptions,
    log: Logger,
    events: LeaseEvents,
    closed: AbortSignal,
  ) {
    this.#conn = conn;
    this.#o = o;
    this.#log = log;
    this.#events = events;
    this.#closed = closed;
  }

  /** Hands renewal to a worker thread; what it reports about a lease comes back through `fromThread`. */
  useThread(thread: ThreadRenewer): void {
    this.#thread = thread;
  }

  fromThread(
    owner: string,
    report: { renewedAt: number } | { lost: true } | { failed: string; at: number },
  ): void {
    let h: Held | undefined;
    for (const held of this.#held.values()) if (held.owner === owner) h = held;
    if (!h) return;
    if ('renewedAt' in report) h.expiresAt = Math.max(h.expiresAt, report.renewedAt + this.#o.leaseMs);
    else if ('lost' in report) this.#lose(h, 'taken');
    else {
      this.#conn.logError(new Error(report.failed), 'lease renewal failed', { workerGroup: h.group });
      // Judged when the thread failed, not now: after a block, renewals it made since wait in the queue
      // behind this report, and the lease may well be alive.
      if (report.at >= h.expiresAt) this.#lose(h, 'unreachable');
    }
  }

  /** True while this instance holds the group's lease (a local waiter waits for it locally). */
  holds(group: string): boolean {
    return this.#held.has(group);
  }

  /** Takes a lease Redis just granted (`sentAt`: when the granting command was sent). */
  adopt(
    group: string,
    keys: GroupKeys,
    channel: WakeChannel,
    grant: { owner: string; epoch: number; contended: boolean; expiresAt: number },
  ): RedisPollPermit {
    const h: Held = {
      group,
      keys,
      channel,
      owner: grant.owner,
      epoch: grant.epoch,
      grantedAt: Date.now(),
      expiresAt: grant.expiresAt,
      contended: grant.contended,
      retired: false,
      inUse: true,
      watching: false,
      renewing: false,
      threaded: false,
      gone: false,
      permit: undefined,
      renewTimer: setInterval(() => void this.#renew(h), this.#o.renewEveryMs),
      idleTimer: undefined,
    };
    this.#held.set(group, h);
    h.threaded = this.#thread?.hold(keys.lease, h.owner) ?? false;
    if (!h.contended && this.#o.keepIdleMs > 0) void this.#watch(h);
    return this.#permit(h);
  }

  /**
   * The kept lease of the group for the next poll, without a Redis round trip; undefined when there is
   * none, someone else waits for it, Redis is not ready (fail closed), or too little of it is left.
   */
  takeKept(group: string): RedisPollPermit | undefined {
    const h = this.#held.get(group);
    if (!h || h.inUse || h.retired || (h.contended && !this.#inTurn(h)) || !this.#conn.isReady())
      return undefined;
    // Renewal runs every renewEveryMs; less than a full lease minus two periods left means renewals are
    // not landing, and a poll must not start on a lease that may run out under it.
    if (h.expiresAt - Date.now() < this.#o.leaseMs - 2 * this.#o.renewEveryMs) {
      void this.#giveBack(h);
      return undefined;
    }
    clearTimeout(h.idleTimer);
    h.idleTimer = undefined;
    h.inUse = true;
    this.stats.keptGrants++;
    return this.#permit(h);
  }

  #permit(h: Held): RedisPollPermit {
    const state = { lost: false };
    h.permit = state;
    let released: Promise<void> | undefined;
    return {
      group: h.group,
      epoch: h.epoch,
      expiresAt: h.expiresAt,
      get lost() {
        return state.lost;
      },
      release: () => (released ??= this.#endPoll(h, state)),
    };
  }

  #endPoll(h: Held, state: { lost: boolean }): Promise<void> {
    if (h.permit === state) h.permit = undefined;
    if (h.gone) return Promise.resolve();
    h.inUse = false;
    if (this.#closed.aborted || h.retired || !this.#conn.isReady()) return this.#giveBack(h);
    // Contended, the lease stays only for a next poll that follows at once, within this turn.
    const keepMs = h.contended ? 0 : this.#o.keepIdleMs;
    if (h.contended ? !this.#inTurn(h) : keepMs === 0) return this.#giveBack(h);
    h.idleTimer = setTimeout(() => void this.#giveBack(h), keepMs);
    this.#events.onChange(h.group);
    return Promise.resolve();
  }

  /** A contended lease stays for this instance's next poll while its turn (`turnMs`) lasts. */
  #inTurn(h: Held): boolean {
    return Date.now() - h.grantedAt < this.#o.turnMs;
  }

  /** While the lease is kept uncontended, waits for the 'y' of an instance that starts waiting. */
  async #watch(h: Held): Promise<void> {
    h.watching = true;
    let failures = 0;
    try {
      while (!h.gone && !h.contended && !this.#closed.aborted) {
        const r = await h.channel.pop(h.keys.wakePrefix + h.owner, this.#o.maxWaitMs);
        if (r.kind === 'message' && r.value === 'y') {
          h.contended = true;
          if (!h.inUse) void this.#giveBack(h);
        } else if (r.kind === 'error') {
          this.#conn.stats.errors++;
          this.#conn.logError(r.error, 'lease watch (BLPOP) failed; backing off', { workerGroup: h.group });
          await sleep(errorBackoffMs(failures++), this.#closed);
        } else failures = 0;
      }
    } finally {
      h.watching = false;
    }
  }

  async #renew(h: Held): Promise<void> {
    if (h.renewing || h.gone) return;
    if (h.threaded && this.#thread?.ready) {
      // The thread renews; this tick only shows it that the main thread is alive.
      this.#thread.touch();
      return;
    }
    h.renewing = true;
    const sentAt = Date.now();
    try {
      const ok = await this.#conn.run(() =>
        this.#conn.scripts.renew(h.keys, { owner: h.owner, leaseMs: this.#o.leaseMs }),
      );
      if (h.gone) return;
      if (ok) h.expiresAt = sentAt + this.#o.leaseMs;
      else this.#lose(h, 'taken');
    } catch (error) {
      this.#conn.logError(error, 'lease renewal failed', { workerGroup: h.group, epoch: h.epoch });
      // Unknown whether we still hold it; once it would have expired, assume someone else may poll.
      if (Date.now() >= h.expiresAt) this.#lose(h, 'unreachable');
    } finally {
      h.renewing = false;
    }
  }

  #lose(h: Held, reason: 'taken' | 'unreachable'): void {
    if (h.gone) return;
    h.retired = true;
    if (h.permit && !h.permit.lost) {
      h.permit.lost = true;
      this.stats.leaseLost++;
      this.#log.warn(
        { workerGroup: h.group, epoch: h.epoch, reason },
        'poll lease lost while the poll was in flight (the poll continues)',
      );
      try {
        this.#events.onLeaseLost({ group: h.group, epoch: h.epoch, reason });
      } catch {}
    }
    // Unreachable, the lease may still be ours: handed on now, the next instance would poll beside our
    // open poll. So it stays (still renewed) until the poll ends. Taken, the release script finds it gone.
    if (reason === 'taken' || !h.inUse) void this.#giveBack(h);
  }

  /** Gives the lease back to Redis (handing it to the first waiter); never throws. */
  #giveBack(h: Held): Promise<void> {
    if (h.gone) return Promise.resolve();
    h.gone = true;
    clearInterval(h.renewTimer);
    clearTimeout(h.idleTimer);
    if (h.threaded) this.#thread?.drop(h.keys.lease);
    if (this.#held.get(h.group) === h) this.#held.delete(h.group);
    const endWatch = h.watching;
    const done = this.#release(h, endWatch).finally(() => this.#releasing.delete(done));
    this.#releasing.add(done);
    this.#events.onChange(h.group);
    return done;
  }

  async #release(h: Held, endWatch: boolean): Promise<void> {
    const attempt = () =>
      this.#conn.run(() =>
        this.#conn.scripts.release(h.keys, { owner: h.owner, wakeTtlMs: this.#o.wakeTtlMs, endWatch }),
      );
    // Redis blinked: retry while the lease could still be alive, so the group does not sit idle until
    // it expires. After that it is gone anyway.
    for (let failures = 0; ; failures++) {
      try {
        await attempt();
        return;
      } catch (error) {
        const left = h.expiresAt - Date.now();
        this.#conn.logError(error, 'lease release failed; retrying while the lease could be alive', {
          workerGroup: h.group,
          leftMs: left,
        });
        if (left <= 0 || this.#closed.aborted) return;
        await sleep(Math.min(left, errorBackoffMs(failures)), this.#closed);
        if (!(await this.#conn.readyBy(h.expiresAt, this.#closed))) return;
      }
    }
  }

  /**
   * The connection dropped: Redis may come back without our leases (a restart), so none is reused for
   * another poll; idle ones go back now, busy ones after their poll. `all` (close) also waits for them.
   */
  async releaseAll(all = true): Promise<void> {
    for (const h of [...this.#held.values()]) {
      if (all || !h.inUse) void this.#giveBack(h);
      else h.retired = true;
    }
    if (all) await Promise.allSettled([...this.#releasing]);
  }
}
