import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { closeRedis, openRedis, type RedisConnectionOptions } from './connection.ts';
import { InvalidJobError } from './errors.ts';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

/**
 * The runtime's `serveStatic` for Hono: `serveStatic` from `@hono/node-server/serve-static` on Node,
 * from `hono/bun` on Bun, from `hono/deno` on Deno. bull-board's UI assets are served through it.
 */
export type DashboardServeStatic = ConstructorParameters<typeof HonoAdapter>[0];

/** Options of {@link createQueueDashboard}. */
export interface QueueDashboardOptions extends RedisConnectionOptions {
  /** Queue names to show. */
  queues: readonly string[];
  /** Path the dashboard lives under, e.g. `/queues`. @default '/queues' */
  basePath?: string;
  /** The runtime adapter's `serveStatic` (bull-board's Hono adapter needs one). */
  serveStatic: DashboardServeStatic;
  /** BullMQ key prefix. @default 'bull' */
  prefix?: string;
  /**
   * Refuse every change (retry, clean, promote, remove, add) and hide its buttons. Whoever can reach the
   * dashboard could otherwise add a job, i.e. run a command through a shell handler. @default true
   */
  readOnly?: boolean;
  /** Title shown in the UI. @default 'Tasklane queues' */
  title?: string;
}

/** A Hono app serving bull-board under `basePath`, plus `close()` for its Redis connection. */
export type QueueDashboard = Hono & {
  /** The path the dashboard is served under. */
  readonly basePath: string;
  /** Closes the queues and the Redis connection the dashboard reads through. */
  close(): Promise<void>;
};

/**
 * Bull-board for the given queues as a Hono app whose routes already sit under `basePath`; mount it on the
 * ops HTTP server with `app.route('/', dashboard)` (or serve it alone). One Redis connection, opened lazily.
 *
 * @example
 * ```ts
 * import { serveStatic } from '@hono/node-server/serve-static';
 * const dashboard = createQueueDashboard({ url, queues: ['etl'], basePath: '/queues', serveStatic });
 * opsApp.route('/', dashboard);
 * ```
 */
export function createQueueDashboard(options: QueueDashboardOptions): QueueDashboard {
  if (!Array.isArray(options?.queues) || options.queues.length === 0)
    throw new InvalidJobError('createQueueDashboard: "queues" must list at least one queue');
  if (typeof options.serveStatic !== 'function') {
    throw new InvalidJobError(
      'createQueueDashboard: "serveStatic" is required (from @hono/node-server/serve-static, hono/bun or hono/deno)',
    );
  }
  const basePath = normalizeBasePath(options.basePath ?? '/queues');
  const connection = openRedis(options, 'tasklane-dashboard');
  const prefix = options.prefix ?? 'bull';
  const queues = options.queues.map((name) => new Queue(name, { connection, prefix }));
  const serverAdapter = new HonoAdapter(options.serveStatic);
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: options.readOnly ?? true })),
    // @bull-board/hono 9.10.1 pins its own @bull-board/api 9.10.1; the adapter interface is the same, only
    // the duplicate declarations (private fields) differ, so TypeScript needs telling.
    serverAdapter: serverAdapter as unknown as BoardServerAdapter,
    options: { uiConfig: { boardTitle: options.title ?? 'Tasklane queues' } },
  });
  const app = new Hono().route(basePath, serverAdapter.registerPlugin());
  let closing: Promise<void> | undefined;
  return Object.assign(app, {
    basePath,
    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.allSettled(queues.map((q) => q.close()));
        await closeRedis(connection, 2000);
      })();
      return closing;
    },
  });
}

function normalizeBasePath(path: string): string {
  const trimmed = `/${path}`.replace(/\/{2,}/g, '/').replace(/\/$/, '');
  return trimmed === '' ? '/' : trimmed;
}
