import type { Logger } from '@tasklane/core';
import type { RedisOptions } from 'ioredis';
import { RedisOptionError } from './errors.ts';

/** Options of {@link RedisCoordinator}. */
export interface RedisCoordinatorOptions {
  /**
   * Where Redis is; see `redisOptionsFromUrl` for the accepted forms (redis://, rediss://, redis+sentinel://).
   * Redis 6.0 or newer (BLPOP with a fractional timeout); an older server is refused at start.
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
   * Where leases are renewed. 'thread': on a worker thread with its own connection (node:worker_threads,
   * on Node, Bun and Deno), so a handler that blocks the main thread cannot let a lease expire under an
   * open poll; the main thread renews until the thread is up, and wherever it cannot start. 'main': on
   * the main thread only.
   * @default 'thread'
   */
  renewal?: 'thread' | 'main';
  /**
   * The longest a poll can stay open (the source's request timeout; Data Pipeline long-polls up to 90 s).
   * While the main thread gives no sign of life, the renewal thread renews for at most this long, so a
   * hung process holds its groups no longer than this plus a lease.
   * @default 100_000
   */
  pollTimeoutMs?: number;
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
  /**
   * How long a released lease stays with this instance for its next poll while no other instance waits
   * for it (the next poll then costs no Redis round trip). Another instance that starts waiting takes it
   * over at once, so this only bounds how long an instance without free slots sits on an idle lease.
   * 0 gives every lease back at once.
   * @default 250
   */
  keepIdleMs?: number;
  /**
   * How long an instance may go on polling a group while others wait for it: after the poll that ends
   * this long after it got the lease, the lease goes to the first waiter. Back-to-back polls then cost no
   * Redis round trip and no cross-process hand-off within a turn; a waiter waits at most one poll plus
   * this. A holder whose slots fill up hands the lease on at once whatever its turn, so a longer turn
   * costs no throughput (the group has one poll in flight either way) while each hand-off costs about
   * three Redis commands and a gap of a millisecond or more. 0 hands the lease on after every poll.
   * Measured for three busy runner processes on one group, on 2 cores (tools/bench, overhead section):
   * 1.1 Redis commands per task at 20 ms turns, 0.11 at 100 ms, 0.01 at 1 s; every hand-off slows the
   * new holder's poll cycle for a while (its process resumes cold and the kernel often wakes it on the
   * emulator's core), so the fleet drained a backlog at 0.83–0.89 of one raw loop with 100 ms turns and
   * 1.01 with 1 s. Longer turns make it likelier that a holder's poll is open while a CPU-bound handler
   * blocks its main thread, which is safe only with the lease renewed off that thread: acquire waits for
   * the renewal thread (see RedisCoordinator). Against the real service the turn costs no throughput
   * either way: PollForTask is rate-limited to 2 calls per second per account.
   * @default 1000
   */
  turnMs?: number;
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
  /**
   * A permit was granted; `handOff` is true when another instance's release handed it over directly,
   * `kept` when this instance still held the lease from its previous poll (no Redis round trip).
   */
  onAcquire?(info: {
    readonly group: string;
    readonly epoch: number;
    readonly waitedMs: number;
    readonly handOff: boolean;
    readonly kept: boolean;
    /**
     * For a hand-off: ms from the previous holder's release (Redis time, carried with the grant) to this
     * instance having the permit, i.e. how long the group had no poll in flight.
     */
    readonly handOffGapMs?: number;
  }): void;
}

/** The options with every default filled in. */
export interface CompiledOptions {
  readonly keyPrefix: string;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly renewal: 'thread' | 'main';
  readonly pollTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxWaitMs: number;
  readonly keepIdleMs: number;
  readonly turnMs: number;
  readonly registryTtlMs: number;
  readonly registryRefreshMs: number;
  readonly publishMinIntervalMs: number;
  /** Lifetime of a wake list: longer than any wait or lease. */
  readonly wakeTtlMs: number;
  /** Deadline of a waiter's registration, refreshed at every re-check: a crashed waiter ages out. */
  readonly waiterTtlMs: number;
}

/** Timers above this overflow to 1 ms in every runtime. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function duration(
  option: string,
  value: number | undefined,
  fallback: number,
  { allowZero = false } = {},
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (allowZero ? value >= 0 : value > 0) &&
    value <= MAX_TIMER_MS;
  if (!ok) {
    throw new RedisOptionError(
      option,
      `${option} must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds up to ${MAX_TIMER_MS}, got ${String(value)}`,
    );
  }
  return Math.round(value);
}

/** Validates the options; throws a {@link RedisOptionError} naming the first bad one. */
export function compileOptions(o: RedisCoordinatorOptions): CompiledOptions {
  const leaseMs = duration('leaseMs', o.leaseMs, 15_000);
  const renewEveryMs = duration('renewEveryMs', o.renewEveryMs, Math.max(1, Math.floor(leaseMs / 3)));
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
  const renewal = o.renewal ?? 'thread';
  if (renewal !== 'thread' && renewal !== 'main')
    throw new RedisOptionError(
      'renewal',
      `renewal must be 'thread' or 'main', got ${JSON.stringify(renewal)}`,
    );
  const commandTimeoutMs = duration('commandTimeoutMs', o.commandTimeoutMs, 1000);
  const maxWaitMs = duration('maxWaitMs', o.maxWaitMs, leaseMs);
  return {
    keyPrefix,
    leaseMs,
    renewEveryMs,
    renewal,
    pollTimeoutMs: duration('pollTimeoutMs', o.pollTimeoutMs, 100_000),
    commandTimeoutMs,
    maxWaitMs,
    wakeTtlMs: 2 * Math.max(leaseMs, maxWaitMs),
    waiterTtlMs: maxWaitMs + 2 * commandTimeoutMs + 1000,
    keepIdleMs: duration('keepIdleMs', o.keepIdleMs, 250, { allowZero: true }),
    turnMs: duration('turnMs', o.turnMs, 1000, { allowZero: true }),
    registryTtlMs: duration('registryTtlMs', o.registryTtlMs, 30_000),
    registryRefreshMs: duration('registryRefreshMs', o.registryRefreshMs, 10_000),
    publishMinIntervalMs: duration('publishMinIntervalMs', o.publishMinIntervalMs, 1000),
  };
}
