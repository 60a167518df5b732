import type { Coordinator, Runner } from '@tasklane/core';
import type { Host, ServedApp } from '../host.ts';
import type { FleetSnapshot } from '../ops/http-app.ts';
import type { RunnerMetrics } from '../ops/metrics.ts';
import { fleetFailures, honestInstance } from '../ops/fleet-numbers.ts';
import type { RecentFailures } from '../ops/recent-failures.ts';
import type { ServiceReadiness } from '../ops/service-readiness.ts';
import type { RunConfig } from './config.ts';

type FleetView = Pick<FleetSnapshot, 'groups' | 'instances'>;

/** Where the BullMQ dashboard lives on the ops server. */
export const DASHBOARD_PATH = '/queues';

/** How long stopping the ops server may take before open connections are cut. */
const CLOSE_BOUND_MS = 2000;

/**
 * Where the fleet page reads from: Redis (every instance, lease holders, waiters) through one lazily
 * opened connection, or this process alone with in-process coordination.
 */
async function fleetReader(
  config: RunConfig,
  runner: Runner,
): Promise<{ read(): Promise<FleetView>; close(): Promise<void> }> {
  if (!config.redisUrl) {
    return {
      read: () =>
        Promise.resolve({
          groups: Object.keys(runner.instanceState().groups).map((group) => ({ group, waiters: 0 })),
          instances: [runner.instanceState()],
        }),
      close: () => Promise.resolve(),
    };
  }
  const { connectRedis, readFleetStatus } = await import('@tasklane/coordinator-redis');
  const redis = connectRedis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
  });
  return {
    read: async () => {
      const status = await readFleetStatus(redis, {
        keyPrefix: config.redisKeyPrefix,
        groups: config.workerGroups,
      });
      return {
        groups: status.groups.map((g) => ({ group: g.group, waiters: g.waiters, holder: g.holder })),
        instances: status.instances,
      };
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

/** What the ops server reads from the running process. */
export interface OpsServerDeps {
  readonly runner: Runner;
  readonly coordinator: Coordinator;
  readonly metrics: RunnerMetrics;
  readonly failures: RecentFailures;
  readonly readiness: ServiceReadiness;
}

/**
 * Starts the ops HTTP server of `--http-port`: probes, metrics, the fleet page, `/drain` and, for BullMQ
 * queues, the dashboard (read-only unless `--dashboard-write`). `close()` is bounded: connections still
 * open after a short grace are cut, so no client can keep a stopped runner alive.
 */
export async function startOpsServer(
  config: RunConfig & { httpPort: number },
  host: Host,
  deps: OpsServerDeps,
): Promise<ServedApp> {
  const { createHttpApp } = await import('../ops/http-app.ts');
  const closers: Array<() => Promise<void>> = [];
  const fleet = await fleetReader(config, deps.runner);
  closers.push(fleet.close);
  const snapshot = async (): Promise<FleetSnapshot> => {
    const view = await fleet.read();
    const instances = view.instances.map(honestInstance);
    return {
      coordinator: deps.coordinator.kind,
      groups: view.groups,
      instances,
      failures: fleetFailures(deps.failures.list(), instances),
      generatedAt: Date.now(),
    };
  };
  const app = createHttpApp({
    runner: deps.runner,
    metrics: deps.metrics,
    fleet: snapshot,
    token: config.httpToken,
    readOnlyPrefixes: config.dashboardWrite ? [] : [DASHBOARD_PATH],
    serviceReady: () => deps.readiness.isReady(),
  });
  const serveStatic =
    config.queues.length > 0 && config.redisUrl
      ? (host.serveStatic ?? (await host.loadServeStatic?.()))
      : undefined;
  if (config.queues.length > 0 && config.redisUrl && serveStatic) {
    const { createQueueDashboard } = await import('@tasklane/source-bullmq');
    const dashboard = createQueueDashboard({
      url: config.redisUrl,
      queues: config.queues,
      basePath: DASHBOARD_PATH,
      serveStatic: serveStatic as never,
      readOnly: !config.dashboardWrite,
    });
    app.route('/', dashboard);
    closers.push(() => dashboard.close());
  }
  const server = await host.serve(app, { port: config.httpPort, hostname: config.httpHost });
  return {
    port: server.port,
    close: async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_BOUND_MS)));
      await Promise.race([server.close(), bound]);
      clearTimeout(timer);
      await Promise.all(closers.map((close) => close()));
    },
  };
}
