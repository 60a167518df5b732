import { Redis, type RedisOptions } from 'ioredis';

/** How to reach Redis: a URL (`redis://[:password@]host:port[/db]`) and/or ioredis options. */
export interface RedisConnectionOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  url?: string | undefined;
  /** Extra ioredis options (TLS, sentinels, ...); merged over what the URL says. */
  redis?: RedisOptions | undefined;
}

/**
 * Opens an ioredis client the way BullMQ needs it: `maxRetriesPerRequest: null` so blocking and
 * long-running commands wait for a reconnect instead of failing after a fixed number of retries.
 */
export function openRedis(options: RedisConnectionOptions, name?: string): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    ...(name ? { connectionName: name } : {}),
    ...options.redis,
  };
  return options.url ? new Redis(options.url, redisOptions) : new Redis(redisOptions);
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const TRANSIENT_MESSAGE =
  /connection is closed|stream isn't writeable|reached the max retries|socket closed|^(LOADING|BUSY|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN)\b/i;

/** True for errors that say Redis was unreachable or briefly unable to serve: worth a retry. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (name === 'MaxRetriesPerRequestError') return true;
  return typeof message === 'string' && TRANSIENT_MESSAGE.test(message);
}

/** Closes a client politely, falling back to a hard disconnect after `timeoutMs`. */
export async function closeRedis(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([
      client.quit().then(
        () => 'ok' as const,
        () => 'error' as const,
      ),
      timedOut,
    ]);
    if (result !== 'ok') client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An error fit for a log line: ioredis attaches the failed command with its arguments (`AUTH <password>`,
 * job data with its fields) as `error.command`, and every logger would print it. This copy keeps the
 * name, message, code and stack, and drops the rest.
 */
export function loggableError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const safe = new Error(error.message);
  safe.name = error.name;
  if (error.stack) safe.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') Object.assign(safe, { code });
  return safe;
}
