import {
  silentLogger,
  type Coordinator,
  type InstanceState,
  type Logger,
  type PollPermit,
} from '@tasklane/core';
import type { Redis, RedisOptions } from 'ioredis';
import { connectRedis, redisOptionsFromUrl } from './connect.ts';
import { CoordinatorClosedError, RedisOptionError, redactUrl } from './errors.ts';
import { groupKeys, registryKeys, type GroupKeys } from './keys.ts';
import { InstanceRegistry } from './registry.ts';
import { defineScripts, type ScriptedRedis } from './scripts.ts';

/** Options of {@link RedisCoordinator}. */
export interface RedisCoordinatorOptions {
  /**
   * Where Redis is; see `redisOptionsFromUrl` for the accepted forms (redis://, rediss://, redis+sentinel://).
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /** ioredis options laid over what the URL says: tls, username, password, sentinels, name, ... */
  redis?: RedisOptions;
  /**
   * Prefix of every key, so several fleets can share one Redis.
   * @default 'tl:'
   */
  keyPrefix?: string;
  /**
   * How long a lease lives without renewal: a crashed holder blocks its group at most this long.
   * @default 15_000
   */
  leaseMs?: number;
  /** @default leaseMs / 3 */
  renewEveryMs?: number;
  /**
   * Every non-blocking Redis command fails after this long; a failure counts as "Redis unreachable".
   * @default 1000
   */
  commandTimeoutMs?: number;
  /**
   * Longest a waiter blocks before it re-checks the lease itself (a lost wake-up stalls no longer).
   * @default leaseMs
   */
  maxWaitMs?: number;
  /** TTL of this instance's registry entry. @default 30_000 */
  registryTtlMs?: number;
  /** How often the registry entry is refreshed while nothing changes. @default 10_000 */
  registryRefreshMs?: number;
  /** Slot changes are written to the registry at most this often. @default 1000 */
  publishMinIntervalMs?: number;
  /** Names this instance in leases and the registry; by default the id the runner publishes. */
  instanceId?: string;
  logger?: Logger;
  /** A lease was lost while its poll was in flight (the poll goes on; this is for metrics). */
  onLeaseLost?(info: {
    readonly group: string;
    readonly epoch: number;
    readonly reason: 'taken' | 'unreachable';
  }): void;
  /** Readiness changed: false while Redis is unreachable (no coordinated polls), true once it is back. */
  onReadyChange?(ready: boolean): void;
  /** A permit was granted; `handOff` is true when another instance's release handed it over directly. */
  onAcquire?(info: {
    readonly group: string;
    readonly epoch: number;
    readonly waitedMs: number;
    readonly handOff: boolean;
  }): void;
}

/** Counters for metrics and tests; see {@link RedisCoordinator.stats}. */
export interface RedisCoordinatorStats {
  /** Permits granted. */
  readonly acquires: number;
  /** Of those, granted by another instance's release or cancel (the wake-up carried the grant). */
  readonly handOffs: number;
  /** Leases found lost while the poll was in flight. */
  readonly leaseLost: number;
  /** Times an acquire found the group's state lost (Redis restart/flush) and fenced it. */
  readonly stateLoss: number;
  /** Redis commands this coordinator sent (scripts, BLPOP; not connection handshakes). */
  readonly commands: number;
  /** Commands that failed (timeouts, connection errors). */
  readonly errors: number;
  readonly ready: boolean;
}

interface LocalWaiter {
  readonly signal: AbortSignal;
  settled: boolean;
  resolve(permit: PollPermit): void;
  reject(error: unknown): void;
}

interface GroupState {
  readonly group: string;
  readonly keys: GroupKeys;
  readonly queue: LocalWaiter[];
  active: LocalWaiter | undefined;
  pumping: boolean;
  blocker: Redis | undefined;
  /** The BLPOP still running on `blocker` (one at a time per connection). */
  blocking: Promise<unknown> | undefined;
}

interface Held {
  readonly group: string;
  readonly epoch: number;
  release(): Promise<void>;
}

type Compiled = Required<
  Pick<
    RedisCoordinatorOptions,
    | 'keyPrefix'
    | 'leaseMs'
    | 'renewEveryMs'
    | 'commandTimeoutMs'
    | 'maxWaitMs'
    | 'registryTtlMs'
    | 'registryRefreshMs'
    | 'publishMinIntervalMs'
  >
>;

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RedisOptionError(
      option,
      `${option} must be a positive number of milliseconds, got ${String(value)}`,
    );
  }
  return Math.round(value);
}

function compile(o: RedisCoordinatorOptions): Compiled {
  const leaseMs = positive('leaseMs', o.leaseMs, 15_000);
  const renewEveryMs = positive('renewEveryMs', o.renewEveryMs, Math.max(1, Math.floor(leaseMs / 3)));
  if (renewEveryMs >= leaseMs)
    throw new RedisOptionError(
      'renewEveryMs',
      `renewEveryMs (${renewEveryMs}) must be below leaseMs (${leaseMs})`,
    );
  const keyPrefix = o.keyPrefix ?? 'tl:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new RedisOptionError(
      'keyPrefix',
      `keyPrefix must be a string without braces (they are hash tags), got ${JSON.stringify(keyPrefix)}`,
    );
  }
  return {
    keyPrefix,
    leaseMs,
    renewEveryMs,
    commandTimeoutMs: positive('commandTimeoutMs', o.commandTimeoutMs, 1000),
    maxWaitMs: positive('maxWaitMs', o.maxWaitMs, leaseMs),
    registryTtlMs: positive('registryTtlMs', o.registryTtlMs, 30_000),
    registryRefreshMs: positive('registryRefreshMs', o.registryRefreshMs, 10_000),
    publishMinIntervalMs: positive('publishMinIntervalMs', o.publishMinIntervalMs, 1000),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Fleet-wide coordinator on Redis: at most one instance polls a worker group at a time.
 *
 * Each group has a lease (owner token, epoch, since) with a TTL, renewed while the poll is in flight and
 * handed directly to the first waiter in a FIFO queue when the poll answers. Waiters block on their own
 * wake list (BLPOP on a dedicated connection), so nobody polls Redis in a loop. While Redis is
 * unreachable no permit is granted (fail closed) and `isReady()` is false; everything resumes by itself.
 */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  readonly options: Readonly<Compiled>;
  readonly #o: RedisCoordinatorOptions;
  readonly #log: Logger;
  readonly #token = randomHex(8);
  readonly #cmd: ScriptedRedis;
  readonly #groups = new Map<string, GroupState>();
  readonly #lastEpoch = new Map<string, number>();
  readonly #held = new Set<Held>();
  readonly #closed = new AbortController();
  readonly #readyWaiters = new Set<() => void>();
  readonly #registry: InstanceRegistry;
  #seq = 0;
  #started: Promise<void> | undefined;
  #connected = false;
  #degraded = false;
  #lastReady = false;
  #disconnectedAt: number | undefined;
  #lastOkAt = 0;
  #closing: Promise<void> | undefined;
  #stats = { acquires: 0, handOffs: 0, leaseLost: 0, stateLoss: 0, commands: 0, errors: 0 };

  constructor(options: RedisCoordinatorOptions = {}) {
    this.#o = options;
    this.options = compile(options);
    this.#log = (options.logger ?? silentLogger).child({ component: 'coordinator-redis' });
    const url = options.url ?? 'redis://127.0.0.1:6379';
    redisOptionsFromUrl(url); // fail fast on a bad URL, before any connection is attempted
    this.#cmd = defineScripts(
      connectRedis(url, {
        lazyConnect: true,
        // Commands fail at once while disconnected instead of queueing: an acquire must not be granted
        // late from a queue, and readiness must flip immediately.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // A command lost with its connection is reported as failed, never replayed on the next one.
        autoResendUnfulfilledCommands: false,
        commandTimeout: this.options.commandTimeoutMs,
        connectTimeout: Math.max(2 * this.options.commandTimeoutMs, 2000),
        retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
        connectionName: 'tasklane',
        ...options.redis,
      }),
    );
    this.#cmd.on('ready', () => {
      this.#connected = true;
      this.#degraded = false;
      this.#lastOkAt = Date.now();
      this.#readyChanged();
      for (const wake of [...this.#readyWaiters]) wake();
      this.#registry.onReady();
    });
    this.#cmd.on('close', () => {
      if (this.#connected) this.#disconnectedAt = Date.now();
      this.#connected = false;
      this.#readyChanged();
    });
    this.#cmd.on('error', (error: Error) => this.#log.debug({ err: error }, 'redis connection error'));
    this.#registry = new InstanceRegistry(this.#cmd, {
      keys: registryKeys(this.options.keyPrefix),
      ttlMs: this.options.registryTtlMs,
      refreshMs: this.options.registryRefreshMs,
      minIntervalMs: this.options.publishMinIntervalMs,
      logger: this.#log,
      isReady: () => this.#connected,
      onCommand: () => this.#stats.commands++,
    });
    this.#log.debug({ url: redactUrl(url), prefix: this.options.keyPrefix }, 'redis coordinator created');
  }

  /** Connects. Resolves even when Redis is down (the coordinator then stays not-ready and retries). */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    this.#registry.start();
    this.#cmd.connect().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'Redis is unreachable; coordinated polls wait until it is back');
    });
    const ready = new AbortController();
    const timer = setTimeout(() => ready.abort(), Math.max(2 * this.options.commandTimeoutMs, 2000));
    try {
      await this.#waitReady(AbortSignal.any([ready.signal, this.#closed.signal]));
    } catch {
      // Fail closed rather than fail the runner: acquire() waits until Redis is reachable.
    } finally {
      clearTimeout(timer);
    }
  }

  isReady(): boolean {
    return this.#connected && !this.#degraded && !this.#closed.signal.aborted;
  }

  /** Counters since construction. */
  stats(): RedisCoordinatorStats {
    return { ...this.#stats, ready: this.isReady() };
  }

  /** The id this instance uses in leases and the registry. */
  get instanceId(): string {
    return this.#o.instanceId ?? this.#registry.instanceId ?? `anon-${this.#token}`;
  }

  publishInstance(state: InstanceState): void {
    this.#registry.publish(this.#o.instanceId ? { ...state, instanceId: this.#o.instanceId } : state);
  }

  acquire(group: string, signal: AbortSignal): Promise<PollPermit> {
    if (this.#closed.signal.aborted) return Promise.reject(new CoordinatorClosedError());
    if (signal.aborted) return Promise.reject(signal.reason);
    void this.start();
    const gs = this.#group(group);
    return new Promise<PollPermit>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.settled) return;
        waiter.settled = true;
        // The active waiter is inside Redis' queue; the pump takes it out (cancel script) and moves on.
        if (gs.active !== waiter) {
          const i = gs.queue.indexOf(waiter);
          if (i >= 0) gs.queue.splice(i, 1);
        }
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
      gs.queue.push(waiter);
      if (!gs.pumping) void this.#pump(gs);
    });
  }

  #group(group: string): GroupState {
    let gs = this.#groups.get(group);
    if (!gs) {
      gs = {
        group,
        keys: groupKeys(this.options.keyPrefix, group),
        queue: [],
        active: undefined,
        pumping: false,
        blocker: undefined,
        blocking: undefined,
      };
      this.#groups.set(group, gs);
    }
    return gs;
  }

  /**
   * Local acquirers of one group queue here in FIFO order, and only the head waits in Redis: one Redis
   * waiter and one blocking connection per group, however many loops share this coordinator.
   */
  async #pump(gs: GroupState): Promise<void> {
    gs.pumping = true;
    try {
      while (gs.queue.length > 0) {
        const waiter = gs.queue[0]!;
        gs.active = waiter;
        const signal = AbortSignal.any([waiter.signal, this.#closed.signal]);
        let permit: PollPermit | undefined;
        let failure: unknown;
        try {
          permit = await this.#acquireInRedis(gs, signal);
        } catch (error) {
          failure =
            this.#closed.signal.aborted && !waiter.signal.aborted ? new CoordinatorClosedError() : error;
        }
        gs.queue.shift();
        gs.active = undefined;
        if (permit && waiter.settled) void permit.release();
        else if (permit) waiter.resolve(permit);
        else if (!waiter.settled) waiter.reject(failure);
      }
    } finally {
      gs.pumping = false;
    }
  }

  async #acquireInRedis(gs: GroupState, signal: AbortSignal): Promise<PollPermit> {
    const waiterId = `${this.#token}:${++this.#seq}`;
    // Once Redis has queued us, an abort must take us out again, or a release would hand the lease to a
    // waiter that is gone and the group would sit idle until that lease expired.
    const registration = { queued: false, cancelled: false };
    try {
      return await this.#acquireLoop(gs, waiterId, registration, signal);
    } catch (error) {
      if (registration.queued && !registration.cancelled) await this.#cancel(gs, waiterId);
      throw error;
    }
  }

  async #acquireLoop(
    gs: GroupState,
    waiterId: string,
    registration: { queued: boolean; cancelled: boolean },
    signal: AbortSignal,
  ): Promise<PollPermit> {
    const k = gs.keys;
    const began = performance.now();
    let failures = 0;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      await this.#waitReady(signal);
      let reply: [number, number, number, number];
      try {
        reply = (await this.#run(() =>
          this.#cmd.tlAcquire(
            k.lease,
            k.epoch,
            k.queue,
            k.waiters,
            k.fence,
            waiterId,
            this.instanceId,
            this.options.leaseMs,
            this.#waiterTtlMs(),
            this.#lastEpoch.get(gs.group) ?? 0,
            this.#fenceMs(),
            k.wakePrefix,
            this.#wakeTtlMs(),
          ),
        )) as [number, number, number, number];
        failures = 0;
      } catch (error) {
        this.#log.warn(
          { err: error, workerGroup: gs.group },
          'acquire failed; retrying (no coordinated poll meanwhile)',
        );
        await sleep(Math.min(1000, 50 * 2 ** failures++), signal);
        continue;
      }
      const [granted, epoch, waitMs, lost] = reply;
      this.#seeEpoch(gs.group, epoch);
      if (lost === 1) {
        this.#stats.stateLoss++;
        this.#log.warn(
          { workerGroup: gs.group, epoch },
          'Redis lost the group state (restart or flush); group fenced until an old lease would have expired',
        );
      }
      if (granted === 1) return this.#grant(gs.group, waiterId, epoch, began, false);
      registration.queued = true;
      const timeoutMs = Math.max(
        10,
        Math.min(this.options.maxWaitMs, waitMs > 0 ? waitMs + 20 : this.options.maxWaitMs),
      );
      const message = await this.#block(gs, waiterId, timeoutMs, signal, registration);
      if (message?.startsWith('g:')) {
        const handed = Number(message.slice(2));
        this.#seeEpoch(gs.group, handed);
        return this.#grant(gs.group, waiterId, handed, began, true);
      }
      // Timeout, 'c' or a connection error: run acquire again (it also refreshes our place in the queue).
    }
  }

  /** Waits on the waiter's own wake list. Resolves with the message, or undefined on timeout/abort/error. */
  async #block(
    gs: GroupState,
    waiterId: string,
    timeoutMs: number,
    signal: AbortSignal,
    registration: { cancelled: boolean },
  ): Promise<string | undefined> {
    if (gs.blocking) await gs.blocking.catch(() => undefined);
    const blocker = (gs.blocker ??= this.#newBlocker(gs.group));
    if (blocker.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          blocker.off('ready', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(timeoutMs, 1000));
        blocker.once('ready', done);
        signal.addEventListener('abort', done, { once: true });
      });
      // The listener above may have changed the status; TypeScript still sees the narrowed type.
      if ((blocker.status as string) !== 'ready') return undefined;
    }
    if (signal.aborted) throw signal.reason;
    this.#stats.commands++;
    const pop = blocker.blpop(gs.keys.wakePrefix + waiterId, (timeoutMs / 1000).toFixed(3));
    gs.blocking = pop;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([
        pop.then(
          (r) => r ?? undefined,
          () => 'error' as const,
        ),
        aborted,
      ]);
      if (result === 'aborted') {
        // The cancel script also pushes 'c' to our wake list, which ends the BLPOP.
        registration.cancelled = true;
        await this.#cancel(gs, waiterId);
        throw signal.reason;
      }
      if (result === 'error') {
        this.#stats.errors++;
        return undefined;
      }
      return result?.[1];
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  #newBlocker(group: string): Redis {
    const blocker = this.#cmd.duplicate({
      lazyConnect: false,
      enableOfflineQueue: false,
      // BLPOP carries its own timeout; a command timeout would cut every wait short.
      commandTimeout: undefined,
      // A client-side deadline of BLPOP timeout + grace guards against a silently dead socket.
      blockingTimeout: 1000,
      blockingTimeoutGrace: Math.max(1000, this.options.commandTimeoutMs),
      connectionName: 'tasklane-wait',
    });
    blocker.on('error', (error: Error) =>
      this.#log.debug({ err: error, workerGroup: group }, 'redis wait connection error'),
    );
    return blocker;
  }

  /** Leaves Redis' queue; a lease granted to us in the meantime goes on to the next waiter. */
  async #cancel(gs: GroupState, waiterId: string): Promise<void> {
    const k = gs.keys;
    try {
      await this.#run(() =>
        this.#cmd.tlCancel(k.lease, k.epoch, k.queue, k.waiters, waiterId, k.wakePrefix, this.#wakeTtlMs()),
      );
    } catch (error) {
      // Our registration expires by its deadline; until then a release may hand us a lease we never use,
      // which then expires after leaseMs.
      this.#log.warn({ err: error, workerGroup: gs.group }, 'could not leave the wait queue');
    }
  }

  #grant(group: string, owner: string, epoch: number, began: number, handOff: boolean): PollPermit {
    this.#stats.acquires++;
    if (handOff) this.#stats.handOffs++;
    const k = this.#group(group).keys;
    let lost = false;
    let releasing: Promise<void> | undefined;
    let lastRenewOk = Date.now();
    let renewing = false;
    const markLost = (reason: 'taken' | 'unreachable') => {
      if (lost) return;
      lost = true;
      this.#stats.leaseLost++;
      this.#log.warn(
        { workerGroup: group, epoch, reason },
        'poll lease lost while the poll was in flight (the poll continues)',
      );
      try {
        this.#o.onLeaseLost?.({ group, epoch, reason });
      } catch {}
    };
    const renew = async () => {
      if (renewing || releasing) return;
      renewing = true;
      try {
        const ok = await this.#run(() => this.#cmd.tlRenew(k.lease, owner, this.options.leaseMs));
        if (releasing) return;
        if (ok === 1) lastRenewOk = Date.now();
        else markLost('taken');
      } catch {
        // Unknown whether we still hold it; once it would have expired, assume someone else may poll.
        if (Date.now() - lastRenewOk >= this.options.leaseMs) markLost('unreachable');
      } finally {
        renewing = false;
      }
    };
    const timer = setInterval(() => void renew(), this.options.renewEveryMs);
    const held: Held = {
      group,
      epoch,
      release: () => {
        releasing ??= (async () => {
          clearInterval(timer);
          this.#held.delete(held);
          await this.#release(group, owner, lastRenewOk);
        })();
        return releasing;
      },
    };
    this.#held.add(held);
    try {
      this.#o.onAcquire?.({ group, epoch, waitedMs: performance.now() - began, handOff });
    } catch {}
    return {
      group,
      epoch,
      get lost() {
        return lost;
      },
      release: () => held.release(),
    };
  }

  async #release(group: string, owner: string, lastRenewOk: number): Promise<void> {
    const k = this.#group(group).keys;
    const attempt = () =>
      this.#run(() =>
        this.#cmd.tlRelease(k.lease, k.epoch, k.queue, k.waiters, owner, k.wakePrefix, this.#wakeTtlMs()),
      );
    try {
      await attempt();
      return;
    } catch (error) {
      this.#log.debug({ err: error, workerGroup: group }, 'release failed; retrying once Redis is back');
    }
    // Redis blinked: retry while the lease could still be alive, so the group does not sit idle until
    // it expires. After that it is gone anyway. Never throws.
    const deadline = lastRenewOk + this.options.leaseMs;
    while (!this.#closed.signal.aborted && Date.now() < deadline) {
      const wait = new AbortController();
      const timer = setTimeout(() => wait.abort(), Math.max(0, deadline - Date.now()));
      try {
        await this.#waitReady(AbortSignal.any([wait.signal, this.#closed.signal]));
        await attempt();
        return;
      } catch {
        await sleep(100, this.#closed.signal);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Runs one command, keeping count and the readiness flag in step with what Redis answers. */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    this.#stats.commands++;
    try {
      const result = await command();
      this.#lastOkAt = Date.now();
      if (this.#degraded) {
        this.#degraded = false;
        this.#readyChanged();
      }
      return result;
    } catch (error) {
      this.#stats.errors++;
      if (/timed out/i.test(String((error as Error)?.message))) {
        if (!this.#degraded) {
          this.#degraded = true;
          this.#readyChanged();
        }
        // A socket that swallows commands without closing would never reconnect by itself.
        if (Date.now() - this.#lastOkAt > 3 * this.options.commandTimeoutMs && this.#cmd.status === 'ready')
          this.#cmd.disconnect(true);
      }
      throw error;
    }
  }

  #readyChanged(): void {
    const ready = this.isReady();
    if (ready === this.#lastReady) return;
    this.#lastReady = ready;
    if (ready) this.#log.info({}, 'Redis reachable; coordinated polling enabled');
    else if (!this.#closed.signal.aborted)
      this.#log.warn({}, 'Redis unreachable; no coordinated polls until it is back (running tasks continue)');
    try {
      this.#o.onReadyChange?.(ready);
    } catch {}
  }

  #waitReady(signal: AbortSignal): Promise<void> {
    if (this.#cmd.status === 'ready') return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#readyWaiters.delete(wake);
        reject(signal.reason);
      };
      const wake = () => {
        this.#readyWaiters.delete(wake);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#readyWaiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #seeEpoch(group: string, epoch: number): void {
    if (epoch > (this.#lastEpoch.get(group) ?? 0)) this.#lastEpoch.set(group, epoch);
  }

  /**
   * How long a group stays fenced when Redis turns out to have lost its state: until a lease granted just
   * before we lost the connection would have expired. Without a known disconnect, a whole lease.
   */
  #fenceMs(): number {
    if (this.#disconnectedAt === undefined) return this.options.leaseMs;
    return Math.max(0, this.#disconnectedAt + this.options.leaseMs - Date.now());
  }

  #waiterTtlMs(): number {
    return this.options.maxWaitMs + 2 * this.options.commandTimeoutMs + 1000;
  }

  #wakeTtlMs(): number {
    return 2 * Math.max(this.options.leaseMs, this.options.maxWaitMs);
  }

  /** Rejects pending acquires, releases held permits, leaves the registry and closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasReady = this.#connected;
    for (const gs of this.#groups.values()) {
      for (const waiter of [...gs.queue])
        if (gs.active !== waiter && !waiter.settled) waiter.reject(new CoordinatorClosedError());
    }
    // Let the active waiters leave Redis' queue (their cancel needs the command connection).
    const cancelled = [...this.#groups.values()]
      .filter((gs) => gs.active)
      .map((gs) => gs.blocking?.catch(() => undefined));
    this.#closed.abort(new CoordinatorClosedError());
    await Promise.allSettled([...cancelled, ...[...this.#held].map((h) => h.release())]);
    await this.#registry.stop();
    for (const wake of [...this.#readyWaiters]) wake();
    const clients = [
      this.#cmd,
      ...[...this.#groups.values()].flatMap((gs) => (gs.blocker ? [gs.blocker] : [])),
    ];
    await Promise.allSettled(
      clients.map(async (client) => {
        if (wasReady && client.status === 'ready') {
          const quit = client.quit().catch(() => undefined);
          const timer = setTimeout(() => client.disconnect(), this.options.commandTimeoutMs);
          await quit;
          clearTimeout(timer);
        } else client.disconnect();
      }),
    );
    this.#readyChanged();
  }
}
