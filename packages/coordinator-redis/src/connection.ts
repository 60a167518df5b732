import { TasklaneError, type Logger } from '@tasklane/core';
import type { Redis, RedisOptions } from 'ioredis';
import { connectRedis } from './connect.ts';
import { RedisErrorCode } from './errors.ts';
import type { CompiledOptions } from './options.ts';
import { Scripts } from './scripts.ts';

/** BLPOP with a fractional timeout (the waiters' deadlines) arrived in Redis 6.0. */
export const MIN_REDIS_VERSION = '6.0.0';

/** Reads `redis_version` from an INFO reply; undefined when absent. */
export function redisVersion(info: string): string | undefined {
  return /^redis_version:([0-9.]+)/m.exec(info)?.[1];
}

/** True when `version` (dotted numbers) is at least `min`. */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** Grows 50 ms, 100 ms, … up to 1 s: every retry loop on a Redis error waits this long. */
export function errorBackoffMs(failures: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(failures, 5));
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
 * A signal that aborts with whichever of `a` and `b` aborts first; `dispose` detaches it. Not
 * AbortSignal.any: on Node 20 every signal made from a long-lived one stays reachable from it.
 */
export function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const both = new AbortController();
  const abort = () => both.abort(a.aborted ? a.reason : b.reason);
  if (a.aborted || b.aborted) abort();
  else {
    a.addEventListener('abort', abort, { once: true });
    b.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: both.signal,
    dispose: () => {
      a.removeEventListener('abort', abort);
      b.removeEventListener('abort', abort);
    },
  };
}

export interface ConnectionEvents {
  onReadyChange(ready: boolean): void;
  /** The command connection is (re)established and the server passed the version check. */
  onConnected(): void;
  /** The command connection was lost. */
  onDisconnected(): void;
}

/**
 * The command connection and what is known about its health: connected, answering in time (a timeout
 * marks it degraded), and recent enough. Readiness is all three; every command goes through `run`.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly scripts: Scripts;
  readonly stats = { commands: 0, errors: 0 };
  readonly #o: CompiledOptions;
  readonly #log: Logger;
  readonly #events: ConnectionEvents;
  readonly #readyWaiters = new Set<() => void>();
  #connected = false;
  #degraded = false;
  #closed = false;
  #lastReady = false;
  #lastOkAt = 0;
  #lastErrorLogAt = 0;
  #incompatible: TasklaneError | undefined;
  /** When the connection was last lost; the fence after a Redis state loss is measured from it. */
  disconnectedAt: number | undefined;

  constructor(
    url: string,
    extra: RedisOptions | undefined,
    o: CompiledOptions,
    log: Logger,
    events: ConnectionEvents,
  ) {
    this.#o = o;
    this.#log = log;
    this.#events = events;
    this.client = connectRedis(url, {
      lazyConnect: true,
      // Commands fail at once while disconnected instead of queueing: an acquire must not be granted
      // late from a queue, and readiness must flip immediately.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A command lost with its connection is reported as failed, never replayed on the next one.
      autoResendUnfulfilledCommands: false,
      commandTimeout: o.commandTimeoutMs,
      connectTimeout: Math.max(2 * o.commandTimeoutMs, 2000),
      retryStrategy: (times: number) => errorBackoffMs(times),
      connectionName: 'tasklane',
      ...extra,
    });
    this.scripts = new Scripts(this.client);
    this.client.on('ready', () => void this.#onReady());
    this.client.on('close', () => {
      const was = this.#connected;
      if (was) this.disconnectedAt = Date.now();
      this.#connected = false;
      this.#readyChanged();
      if (was) this.#events.onDisconnected();
    });
    this.client.on('error', (error: Error) => this.logError(error, 'Redis connection error'));
  }

  /** The version check failed: the coordinator never grants a permit on this server. */
  get incompatible(): TasklaneError | undefined {
    return this.#incompatible;
  }

  get connected(): boolean {
    return this.#connected;
  }

  isReady(): boolean {
    return this.#connected && !this.#degraded && !this.#closed && !this.#incompatible;
  }

  async #onReady(): Promise<void> {
    try {
      const version = redisVersion(await this.client.info('server'));
      if (version && !versionAtLeast(version, MIN_REDIS_VERSION)) {
        this.#incompatible = new TasklaneError(
          RedisErrorCode.Version,
          `Redis ${version} is too old: the coordinator needs Redis ${MIN_REDIS_VERSION} or newer (BLPOP with fractional timeouts)`,
        );
        this.#log.error({ err: this.#incompatible }, this.#incompatible.message);
      }
    } catch (error) {
      // An ACL may deny INFO; the first BLPOP then shows whether the server is new enough.
      this.#log.warn({ err: error }, 'could not read the Redis version (INFO server); assuming 6.0 or newer');
    }
    if (this.client.status !== 'ready') return;
    this.#connected = true;
    this.#degraded = false;
    this.#lastOkAt = Date.now();
    this.#readyChanged();
    if (this.#incompatible) return;
    for (const wake of [...this.#readyWaiters]) wake();
    this.#events.onConnected();
  }

  /**
   * Logs a Redis error at warn level, at most once a second per connection (every retry loop also
   * backs off, so a failing command can neither spin nor flood the log); the rest at debug.
   */
  logError(error: unknown, message: string, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.#lastErrorLogAt >= 1000) {
      this.#lastErrorLogAt = now;
      this.#log.warn({ ...fields, err: error }, message);
    } else this.#log.debug({ ...fields, err: error }, message);
  }

  /** Runs one command, keeping count and the readiness flag in step with what Redis answers. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    this.stats.commands++;
    try {
      const result = await command();
      this.#lastOkAt = Date.now();
      if (this.#degraded) {
        this.#degraded = false;
        this.#readyChanged();
      }
      return result;
    } catch (error) {
      this.stats.errors++;
      if (/timed out/i.test(String((error as Error)?.message))) {
        if (!this.#degraded) {
          this.#degraded = true;
          this.#readyChanged();
        }
        // A socket that swallows commands without closing would never reconnect by itself.
        if (Date.now() - this.#lastOkAt > 3 * this.#o.commandTimeoutMs && this.client.status === 'ready')
          this.client.disconnect(true);
      }
      throw error;
    }
  }

  /** Resolves once the connection is ready and the server passed the version check. */
  waitReady(signal: AbortSignal): Promise<void> {
    if (this.client.status === 'ready' && this.#connected && !this.#incompatible) return Promise.resolve();
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

  /** Like waitReady, but false once `deadline` (epoch ms) passes or the signal aborts. */
  async readyBy(deadline: number, signal: AbortSignal): Promise<boolean> {
    const wait = new AbortController();
    const timer = setTimeout(() => wait.abort(), Math.max(0, deadline - Date.now()));
    const either = eitherSignal(wait.signal, signal);
    try {
      await this.waitReady(either.signal);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      either.dispose();
    }
  }

  #readyChanged(): void {
    const ready = this.isReady();
    if (ready === this.#lastReady) return;
    this.#lastReady = ready;
    if (ready) this.#log.info({}, 'Redis reachable; coordinated polling enabled');
    else if (!this.#closed)
      this.#log.warn({}, 'Redis unreachable; no coordinated polls until it is back (running tasks continue)');
    try {
      this.#events.onReadyChange(ready);
    } catch {}
  }

  /** A connection for BLPOP: blocking commands must not share the command connection. */
  blocker(name: string, fields: Record<string, unknown>): Redis {
    const blocker = this.client.duplicate({
      lazyConnect: false,
      enableOfflineQueue: false,
      // BLPOP carries its own timeout; a command timeout would cut every wait short.
      commandTimeout: undefined,
      // A client-side deadline of BLPOP timeout + grace guards against a silently dead socket.
      blockingTimeout: 1000,
      blockingTimeoutGrace: Math.max(1000, this.#o.commandTimeoutMs),
      connectionName: name,
    });
    blocker.on('error', (error: Error) => this.logError(error, 'Redis wait connection error', fields));
    return blocker;
  }

  /** Quits the given clients (politely while connected, else at once) and wakes every waiter. */
  async close(others: Redis[]): Promise<void> {
    const wasReady = this.#connected;
    this.#closed = true;
    for (const wake of [...this.#readyWaiters]) wake();
    await Promise.allSettled(
      [this.client, ...others].map(async (client) => {
        if (wasReady && client.status === 'ready') {
          const quit = client.quit().catch(() => undefined);
          const timer = setTimeout(() => client.disconnect(), this.#o.commandTimeoutMs);
          await quit;
          clearTimeout(timer);
        } else client.disconnect();
      }),
    );
    this.#readyChanged();
  }
}
