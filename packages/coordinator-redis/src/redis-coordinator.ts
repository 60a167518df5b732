import { silentLogger, type Coordinator, type InstanceState, type Logger } from '@tasklane/core';
import { eitherSignal, RedisConnection } from './connection.ts';
import { isClusterUrl, parseClusterUrl } from './cluster.ts';
import { redisOptionsFromUrl, renewalTarget } from './connect.ts';
import { CoordinatorClosedError, redactUrl } from './errors.ts';
import { registryKeys } from './keys.ts';
import { LeaseManager, type RedisPollPermit } from './lease-manager.ts';
import { compileOptions, type CompiledOptions, type RedisCoordinatorOptions } from './options.ts';
import { InstanceRegistry } from './registry.ts';
import { ThreadRenewer } from './renewer.ts';
import { GroupWaiters } from './waiters.ts';

/** Counters for metrics and tests; see {@link RedisCoordinator.stats}. */
export interface RedisCoordinatorStats {
  /** Permits granted. */
  readonly acquires: number;
  /** Of those, granted by another instance's release or cancel (the wake-up carried the grant). */
  readonly handOffs: number;
  /** Of those, taken from the lease this instance kept from its previous poll (no Redis command). */
  readonly keptGrants: number;
  /** Leases found lost while the poll was in flight. */
  readonly leaseLost: number;
  /** Times an acquire found the group's state lost (Redis restart/flush) and fenced it. */
  readonly stateLoss: number;
  /** Redis commands this coordinator sent (scripts, BLPOP; not connection handshakes). */
  readonly commands: number;
  /** Commands that failed (timeouts, connection errors). */
  readonly errors: number;
  readonly ready: boolean;
  /** Leases are renewed on the worker thread (false until it is up, or where it cannot start). */
  readonly renewalThread: boolean;
}

/** Longest acquire waits, while Redis answers, for the renewal thread to come up (see #afterThread). */
const THREAD_WAIT_MS = 10_000;

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fleet-wide coordinator on Redis: at most one instance polls a worker group at a time.
 *
 * Each group has a lease (owner token, epoch, since) with a TTL, renewed while held and handed directly
 * to the first waiter in a FIFO queue when a poll answers and someone waits; while nobody waits the
 * holder keeps it for its next poll. Waiters block on their own wake list (BLPOP on a dedicated
 * connection), so nobody polls Redis in a loop. While Redis is unreachable no permit is granted (fail
 * closed) and `isReady()` is false; everything resumes by itself.
 */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  readonly options: CompiledOptions;
  readonly #o: RedisCoordinatorOptions;
  readonly #log: Logger;
  readonly #token = randomHex(8);
  readonly #conn: RedisConnection;
  readonly #leases: LeaseManager;
  readonly #waiters: GroupWaiters;
  readonly #registry: InstanceRegistry;
  readonly #closed = new AbortController();
  readonly #thread: ThreadRenewer | undefined;
  #started: Promise<void> | undefined;
  /** The renewal thread took longer than THREAD_WAIT_MS to come up: permits no longer wait for it. */
  #threadWaitOver = false;
  #closing: Promise<void> | undefined;
  #stats = { acquires: 0, handOffs: 0, stateLoss: 0 };

  constructor(options: RedisCoordinatorOptions = {}) {
    this.#o = options;
    this.options = compileOptions(options);
    this.#log = (options.logger ?? silentLogger).child({ component: 'coordinator-redis' });
    const url = options.url ?? 'redis://127.0.0.1:6379';
    // Fail fast on a bad URL, before any connection is attempted.
    if (isClusterUrl(url)) parseClusterUrl(url);
    else redisOptionsFromUrl(url);
    this.#conn = new RedisConnection(url, options.redis, this.options, this.#log, {
      onReadyChange: (ready) => this.#o.onReadyChange?.(ready),
      onConnected: () => this.#registry.onReady(),
      onDisconnected: () => void this.#leases.releaseAll(false),
    });
    this.#leases = new LeaseManager(
      this.#conn,
      this.options,
      this.#log,
      {
        onLeaseLost: (info) => this.#o.onLeaseLost?.(info),
        onChange: (group) => this.#waiters.changed(group),
      },
      this.#closed.signal,
    );
    if (this.options.renewal === 'thread') {
      this.#thread = new ThreadRenewer(
        renewalTarget(url, options.redis),
        this.#token,
        this.options,
        this.#log,
        {
          renewed: (owner, renewedAt) => this.#leases.fromThread(owner, { renewedAt }),
          lost: (owner) => this.#leases.fromThread(owner, { lost: true }),
          failed: (owner, failed, at) => this.#leases.fromThread(owner, { failed, at }),
        },
      );
      this.#leases.useThread(this.#thread);
    }
    this.#waiters = new GroupWaiters(this.#conn, this.options, this.#leases, {
      instanceId: () => this.instanceId,
      token: this.#token,
      closed: this.#closed.signal,
      onGrant: (g) => this.#granted(g),
      onStateLoss: (group, epoch) => {
        this.#stats.stateLoss++;
        this.#log.warn(
          { workerGroup: group, epoch },
          'Redis lost the group state (restart or flush); group fenced until an old lease would have expired',
        );
      },
    });
    this.#registry = new InstanceRegistry(this.#conn.scripts, {
      keys: registryKeys(this.options.keyPrefix),
      ttlMs: this.options.registryTtlMs,
      refreshMs: this.options.registryRefreshMs,
      minIntervalMs: this.options.publishMinIntervalMs,
      logger: this.#log,
      isReady: () => this.#conn.connected,
      onCommand: () => this.#conn.stats.commands++,
    });
    this.#log.debug({ url: redactUrl(url), prefix: this.options.keyPrefix }, 'redis coordinator created');
  }

  /**
   * Connects. Resolves even when Redis is down (the coordinator then stays not-ready and retries);
   * rejects with code TL_REDIS_VERSION when the server is older than Redis 6.0.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const threadReady = this.#thread?.whenReady(Math.max(2 * this.options.commandTimeoutMs, 2000));
    this.#registry.start();
    this.#conn.client.connect().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'Redis is unreachable; coordinated polls wait until it is back');
    });
    const ready = new AbortController();
    const timer = setTimeout(() => ready.abort(), Math.max(2 * this.options.commandTimeoutMs, 2000));
    const versionChecked = new Promise<void>((resolve) => {
      const check = () => (this.#conn.incompatible ? resolve() : setTimeout(check, 20));
      check();
      ready.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      await Promise.race([
        this.#conn.waitReady(AbortSignal.any([ready.signal, this.#closed.signal])),
        versionChecked,
      ]);
    } catch {
      // Fail closed rather than fail the runner: acquire() waits until Redis is reachable.
    } finally {
      clearTimeout(timer);
      ready.abort();
    }
    if (this.#conn.incompatible) throw this.#conn.incompatible;
    // The first lease must not depend on the main thread for its renewal (see ThreadRenewer.whenReady).
    if (this.#conn.isReady()) await threadReady;
  }

  isReady(): boolean {
    return this.#conn.isReady() && !this.#closed.signal.aborted;
  }

  /** Counters since construction. */
  stats(): RedisCoordinatorStats {
    return {
      ...this.#stats,
      keptGrants: this.#leases.stats.keptGrants,
      leaseLost: this.#leases.stats.leaseLost,
      commands: this.#waiters.channels().reduce((n, c) => n + c.sent, this.#conn.stats.commands),
      errors: this.#conn.stats.errors,
      ready: this.isReady(),
      renewalThread: this.#thread?.ready ?? false,
    };
  }

  /** The id this instance uses in leases and the registry. */
  get instanceId(): string {
    return this.#o.instanceId ?? this.#registry.instanceId ?? `anon-${this.#token}`;
  }

  publishInstance(state: InstanceState): void {
    this.#registry.publish(this.#o.instanceId ? { ...state, instanceId: this.#o.instanceId } : state);
  }

  acquire(group: string, signal: AbortSignal): Promise<RedisPollPermit> {
    if (this.#closed.signal.aborted) return Promise.reject(new CoordinatorClosedError());
    if (signal.aborted) return Promise.reject(signal.reason);
    if (!this.#started) void this.start().catch(() => undefined);
    if (this.#thread?.loading && !this.#threadWaitOver) return this.#afterThread(group, signal);
    return this.#waiters.acquire(group, signal);
  }

  /**
   * No permit while the renewal thread is still coming up: only this thread would renew the lease, and
   * a handler that blocks it would let the lease run out under the open poll (a short chaos run saw two
   * polls in flight when a runner, started on cores other runners kept busy, took longer than start()'s
   * wait to load its thread). Bounded by THREAD_WAIT_MS of Redis answering, for a thread that cannot
   * connect; after that leases are renewed here until it is up.
   */
  async #afterThread(group: string, signal: AbortSignal): Promise<RedisPollPermit> {
    const thread = this.#thread!;
    const stop = eitherSignal(signal, this.#closed.signal);
    let waitedMs = 0;
    try {
      while (thread.loading && waitedMs < THREAD_WAIT_MS && !stop.signal.aborted) {
        const answering = this.#conn.isReady();
        const t0 = Date.now();
        await thread.whenReady(250, stop.signal);
        if (answering) waitedMs += Date.now() - t0;
      }
    } finally {
      stop.dispose();
    }
    if (this.#closed.signal.aborted) throw new CoordinatorClosedError();
    if (signal.aborted) throw signal.reason;
    if (thread.loading && !this.#threadWaitOver) {
      this.#threadWaitOver = true;
      this.#log.warn(
        { waitedMs },
        'lease renewal thread is not up yet; leases are renewed on the main thread until it is',
      );
    }
    return this.#waiters.acquire(group, signal);
  }

  #granted(g: {
    group: string;
    epoch: number;
    began: number;
    handOff: boolean;
    kept: boolean;
    releasedAt?: number;
  }): void {
    this.#stats.acquires++;
    if (g.handOff) this.#stats.handOffs++;
    if (!this.#o.onAcquire) return;
    try {
      this.#o.onAcquire({
        group: g.group,
        epoch: g.epoch,
        waitedMs: performance.now() - g.began,
        handOff: g.handOff,
        kept: g.kept,
        // Redis time of the release against this host's clock: skew shows here, hence the floor at 0.
        ...(Number.isFinite(g.releasedAt) ? { handOffGapMs: Math.max(0, Date.now() - g.releasedAt!) } : {}),
      });
    } catch {}
  }

  /** Rejects pending acquires, releases held permits, leaves the registry and closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Let the active waiters leave Redis' queue (their cancel needs the command connection).
    const active = this.#waiters.rejectQueued();
    this.#closed.abort(new CoordinatorClosedError());
    await Promise.allSettled([...active, this.#leases.releaseAll()]);
    await this.#registry.stop();
    await Promise.all([
      this.#thread?.close(),
      this.#conn.close(this.#waiters.channels().flatMap((c) => c.take() ?? [])),
    ]);
  }
}
