import { eitherSignal, errorBackoffMs, sleep, type RedisConnection } from './connection.ts';
import { EpochMemory } from './epochs.ts';
import { grantedAfter } from './grant-time.ts';
import { CoordinatorClosedError } from './errors.ts';
import { groupKeys, type GroupKeys } from './keys.ts';
import type { LeaseManager, RedisPollPermit } from './lease-manager.ts';
import type { CompiledOptions } from './options.ts';
import { WakeChannel } from './wake-channel.ts';

interface LocalWaiter {
  readonly signal: AbortSignal;
  settled: boolean;
  resolve(permit: RedisPollPermit): void;
  reject(error: unknown): void;
}

interface Group {
  readonly name: string;
  readonly keys: GroupKeys;
  readonly channel: WakeChannel;
  readonly queue: LocalWaiter[];
  active: LocalWaiter | undefined;
  pumping: boolean;
  /** The latest pump: close waits for it, so an active waiter's cancel reaches Redis first. */
  pumped: Promise<void>;
  /** Wakes the pump when the group's lease turns idle or leaves this instance. */
  changed: (() => void) | undefined;
}

/** What the waiters need of the coordinator besides the connection and the leases. */
export interface WaiterContext {
  readonly instanceId: () => string;
  readonly token: string;
  readonly closed: AbortSignal;
  readonly onGrant: (info: {
    group: string;
    epoch: number;
    began: number;
    handOff: boolean;
    kept: boolean;
    /** Redis time (ms) of the release that handed the lease over; older releasers do not send it. */
    releasedAt?: number;
  }) => void;
  readonly onStateLoss: (group: string, epoch: number) => void;
}

/**
 * Per-group FIFO of this instance's acquirers. Only the head waits in Redis: one Redis registration and
 * one blocking connection per group, however many loops share the coordinator. A lease this instance
 * already holds is taken locally instead.
 */
export class GroupWaiters {
  readonly #conn: RedisConnection;
  readonly #o: CompiledOptions;
  readonly #leases: LeaseManager;
  readonly #ctx: WaiterContext;
  readonly #groups = new Map<string, Group>();
  readonly #epochs = new EpochMemory();
  #seq = 0;

  constructor(conn: RedisConnection, o: CompiledOptions, leases: LeaseManager, ctx: WaiterContext) {
    this.#conn = conn;
    this.#o = o;
    this.#leases = leases;
    this.#ctx = ctx;
  }

  /** Called by the lease manager: the group's lease is idle or gone, so its head waiter may go on. */
  changed(group: string): void {
    this.#groups.get(group)?.changed?.();
  }

  acquire(name: string, signal: AbortSignal): Promise<RedisPollPermit> {
    const g = this.#group(name);
    // The hot path: the lease of the previous poll is still ours and nobody else waits for it.
    if (g.queue.length === 0) {
      const kept = this.#leases.takeKept(name);
      if (kept) {
        this.#ctx.onGrant({
          group: name,
          epoch: kept.epoch,
          began: performance.now(),
          handOff: false,
          kept: true,
        });
        return Promise.resolve(kept);
      }
    }
    return new Promise<RedisPollPermit>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.settled) return;
        waiter.settled = true;
        // The active waiter may be inside Redis' queue; the pump takes it out (cancel script) and moves on.
        if (g.active !== waiter) {
          const i = g.queue.indexOf(waiter);
          if (i >= 0) g.queue.splice(i, 1);
        } else g.changed?.();
        reject(signal.reason);
      };
      const waiter: LocalWaiter = {
        signal,
        settled: false,
        resolve: (permit) => {
          signal.removeEventListener('abort', onAbort);
          waiter.settled = true;
          resolve(permit);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          waiter.settled = true;
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      g.queue.push(waiter);
      if (!g.pumping) g.pumped = this.#pump(g);
    });
  }

  #group(name: string): Group {
    let g = this.#groups.get(name);
    if (!g) {
      g = {
        name,
        keys: groupKeys(this.#o.keyPrefix, name),
        channel: new WakeChannel(this.#conn, name),
        queue: [],
        active: undefined,
        pumping: false,
        pumped: Promise.resolve(),
        changed: undefined,
      };
      this.#groups.set(name, g);
    }
    return g;
  }

  async #pump(g: Group): Promise<void> {
    g.pumping = true;
    try {
      while (g.queue.length > 0) {
        const waiter = g.queue[0]!;
        g.active = waiter;
        let permit: RedisPollPermit | undefined;
        let failure: unknown;
        try {
          permit = await this.#next(g, waiter);
        } catch (error) {
          failure = this.#ctx.closed.aborted && !waiter.signal.aborted ? new CoordinatorClosedError() : error;
        }
        g.queue.shift();
        g.active = undefined;
        if (permit && waiter.settled) void permit.release();
        else if (permit) waiter.resolve(permit);
        else if (!waiter.settled) waiter.reject(failure);
      }
    } finally {
      g.pumping = false;
    }
  }

  /** The head waiter's permit: the kept lease once this instance's poll on it ends, or one from Redis. */
  async #next(g: Group, waiter: LocalWaiter): Promise<RedisPollPermit> {
    const both = eitherSignal(waiter.signal, this.#ctx.closed);
    try {
      return await this.#nextOn(g, waiter, both.signal);
    } finally {
      both.dispose();
    }
  }

  async #nextOn(g: Group, waiter: LocalWaiter, signal: AbortSignal): Promise<RedisPollPermit> {
    const began = performance.now();
    for (;;) {
      if (signal.aborted || waiter.settled) throw signal.reason ?? new CoordinatorClosedError();
      const kept = this.#leases.takeKept(g.name);
      if (kept) {
        this.#ctx.onGrant({ group: g.name, epoch: kept.epoch, began, handOff: false, kept: true });
        return kept;
      }
      if (!this.#leases.holds(g.name)) return this.#fromRedis(g, signal, began);
      await new Promise<void>((resolve) => {
        // Removed on wake: this loop may wait here for every poll of a long-held lease.
        const wake = () => (signal.removeEventListener('abort', wake), resolve());
        g.changed = wake;
        signal.addEventListener('abort', wake, { once: true });
      });
      g.changed = undefined;
    }
  }

  async #fromRedis(g: Group, signal: AbortSignal, began: number): Promise<RedisPollPermit> {
    const waiterId = `${this.#ctx.token}:${++this.#seq}`;
    // Once queued in Redis, an abort must leave the queue, or a release would grant a lease to nobody.
    let queued = false;
    try {
      let failures = 0;
      for (;;) {
        if (signal.aborted) throw signal.reason;
        await this.#conn.waitReady(signal);
        const sentAt = Date.now();
        let reply;
        try {
          reply = await this.#conn.run(() =>
            this.#conn.scripts.acquire(g.keys, {
              waiterId,
              instanceId: this.#ctx.instanceId(),
              leaseMs: this.#o.leaseMs,
              waiterTtlMs: this.#o.waiterTtlMs,
              floorEpoch: this.#epochs.floor(g.name),
              fenceMs: EpochMemory.fenceMs(this.#conn.disconnectedAt, this.#o.leaseMs),
              wakeTtlMs: this.#o.wakeTtlMs,
            }),
          );
        } catch (error) {
          this.#conn.logError(error, 'acquire failed; retrying (no coordinated poll meanwhile)', {
            workerGroup: g.name,
          });
          await sleep(errorBackoffMs(failures++), signal);
          continue;
        }
        this.#epochs.see(g.name, reply.epoch);
        if (reply.stateLost) this.#ctx.onStateLoss(g.name, reply.epoch);
        if (reply.granted) {
          this.#ctx.onGrant({ group: g.name, epoch: reply.epoch, began, handOff: false, kept: false });
          // A grant made while our BLPOP had timed out: only what Redis says is left of it counts.
          const leftMs = reply.waitMs > 0 ? Math.min(reply.waitMs, this.#o.leaseMs) : 0;
          return this.#leases.adopt(g.name, g.keys, g.channel, {
            owner: waiterId,
            epoch: reply.epoch,
            contended: reply.contended,
            expiresAt: sentAt + leftMs,
          });
        }
        queued = true;
        const waitMs = reply.waitMs > 0 ? reply.waitMs + 20 : this.#o.maxWaitMs;
        const timeoutMs = Math.max(10, Math.min(this.#o.maxWaitMs, waitMs));
        const woke = await g.channel.pop(g.keys.wakePrefix + waiterId, timeoutMs, signal);
        if (woke.kind === 'aborted') throw signal.reason;
        if (woke.kind === 'error') {
          this.#conn.stats.errors++;
          this.#conn.logError(woke.error, 'waiting for the lease (BLPOP) failed; backing off', {
            workerGroup: g.name,
          });
          await sleep(errorBackoffMs(failures++), signal);
          continue;
        }
        failures = 0;
        if (woke.kind === 'message' && woke.value.startsWith('g:')) {
          // "g:<epoch>:<contended>[:<release ms>]", sent with the lease by the previous holder's release.
          const [, epoch, contended, releasedAt] = woke.value.split(':');
          const handed = Number(epoch);
          // A grant not above the acquire's epoch predates it (the acquire clears the list: a backstop).
          if (!(handed > reply.epoch)) continue;
          const expiresAt = grantedAfter(sentAt, reply.redisNow, Number(releasedAt)) + this.#o.leaseMs;
          // Ran out before this BLPOP went out (thread blocked; seen on Bun): acquire again finds it ours
          // with what is left, or queues us behind whoever took the group since.
          if (expiresAt <= Date.now()) continue;
          this.#epochs.see(g.name, handed);
          const grant = { group: g.name, epoch: handed, began, handOff: true, kept: false };
          this.#ctx.onGrant(releasedAt ? { ...grant, releasedAt: Number(releasedAt) } : grant);
          const held = { owner: waiterId, epoch: handed, contended: contended === '1', expiresAt };
          return this.#leases.adopt(g.name, g.keys, g.channel, held);
        }
        // Timeout or 'c': run acquire again (it also refreshes our place in the queue).
      }
    } catch (error) {
      if (queued) await this.#cancel(g, waiterId);
      throw error;
    }
  }

  /** Leaves Redis' queue; a lease granted to us in the meantime goes on to the next waiter. */
  async #cancel(g: Group, waiterId: string): Promise<void> {
    try {
      await this.#conn.run(() =>
        this.#conn.scripts.cancel(g.keys, { waiterId, wakeTtlMs: this.#o.wakeTtlMs }),
      );
    } catch (error) {
      // Until our registration's deadline a release may grant us a lease nobody uses (it expires).
      this.#conn.logError(error, 'could not leave the wait queue', { workerGroup: g.name });
    }
  }

  /** Rejects queued waiters outside Redis' queue; what it returns settles once the active ones left it. */
  rejectQueued(): Promise<void>[] {
    const active: Promise<void>[] = [];
    for (const g of this.#groups.values()) {
      for (const waiter of [...g.queue])
        if (g.active !== waiter && !waiter.settled) waiter.reject(new CoordinatorClosedError());
      if (g.active) active.push(g.pumped, g.channel.idle());
    }
    return active;
  }

  /** The groups' wait channels (their connections are closed with the coordinator). */
  channels(): WakeChannel[] {
    return [...this.#groups.values()].map((g) => g.channel);
  }
}
