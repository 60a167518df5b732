import type { Redis } from 'ioredis';
import type { RedisConnection } from './connection.ts';

/** What one BLPOP on a wake list came back with. */
export type WakeResult =
  | { readonly kind: 'message'; readonly value: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'error'; readonly error: unknown };

/**
 * The blocking connection of one group, shared by this instance's waiter and lease holder of that
 * group (never both at once). One BLPOP at a time: a new one first lets the previous one end.
 */
export class WakeChannel {
  readonly #conn: RedisConnection;
  readonly #group: string;
  #blocker: Redis | undefined;
  #blocking: Promise<unknown> | undefined;
  /** BLPOPs sent, for the coordinator's command count. */
  sent = 0;

  constructor(conn: RedisConnection, group: string) {
    this.#conn = conn;
    this.#group = group;
  }

  /** Settles once the BLPOP in flight (if any) has ended. */
  idle(): Promise<void> {
    return (this.#blocking ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Blocks on `key` for up to `timeoutMs`. An abort returns 'aborted' at once; the BLPOP itself ends when
   * the caller pushes to the list (cancel/release scripts do) or at its timeout.
   */
  async pop(key: string, timeoutMs: number, signal?: AbortSignal): Promise<WakeResult> {
    await this.idle();
    const blocker = (this.#blocker ??= this.#conn.blocker('tasklane-wait', { workerGroup: this.#group }));
    if (blocker.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          blocker.off('ready', done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(timeoutMs, 1000));
        blocker.once('ready', done);
        signal?.addEventListener('abort', done, { once: true });
      });
      // The listener above may have changed the status; TypeScript still sees the narrowed type.
      if ((blocker.status as string) !== 'ready')
        return signal?.aborted
          ? { kind: 'aborted' }
          : { kind: 'error', error: new Error('wait connection not ready') };
    }
    if (signal?.aborted) return { kind: 'aborted' };
    this.sent++;
    const pop = blocker.blpop(key, (timeoutMs / 1000).toFixed(3));
    this.#blocking = pop;
    const answered = pop.then(
      (r): WakeResult => (r ? { kind: 'message', value: r[1] } : { kind: 'timeout' }),
      (error: unknown): WakeResult => ({ kind: 'error', error }),
    );
    if (!signal) return answered;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<WakeResult>((resolve) => {
      onAbort = () => resolve({ kind: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([answered, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** The connection, for closing; the channel is unusable afterwards. */
  take(): Redis | undefined {
    const b = this.#blocker;
    this.#blocker = undefined;
    return b;
  }
}
