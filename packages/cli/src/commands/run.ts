import {
  DataPipelineSource,
  fetchInstanceIdentity,
  InProcessCoordinator,
  Runner,
  type Coordinator,
  type Logger,
  type RunnerHooks,
  type SourceBinding,
} from '@tasklane/core';
import { resolveOptions } from '../config/resolve.ts';
import { formatOptions } from '../config/options.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import { createLogger, maskUrl, type LogFormat } from '../logging.ts';
import type { FleetSnapshot } from '../ops/http-app.ts';
import type { RunnerMetrics } from '../ops/metrics.ts';
import { RecentFailures } from '../ops/recent-failures.ts';
import { tracingHooks } from '../ops/tracing.ts';
import { loadPlugins } from '../plugins.ts';
import { RUN_OPTIONS } from './run-options.ts';

export const RUN_HELP = `Usage: tasklane run --worker-group NAME [--plugin MODULE]... [options]

Polls AWS Data Pipeline (or a BullMQ queue) and runs tasks with the handlers of the given plugins.
Precedence: flags > TASKLANE_* environment > --config FILE (JSON or YAML, camelCase keys) > defaults.

Options:
  --config FILE                       JSON or YAML config file (env TASKLANE_CONFIG)
${formatOptions(RUN_OPTIONS)}

Exit codes: 0 graceful stop (SIGTERM, SIGINT, terminate), 2 usage or configuration error, 1 fatal error.`;

/** The validated configuration of `tasklane run`. */
export interface RunConfig {
  workerGroups: string[];
  plugins: string[];
  sources: Array<'datapipeline' | 'bullmq'>;
  queues: string[];
  endpoint?: string;
  region: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  leaseMs: number;
  concurrency: number;
  maxTasks?: number;
  taskrunnerId?: string;
  hostname: string;
  progressIntervalMs: number;
  runnerHeartbeatIntervalMs: number;
  shutdownTimeoutMs: number;
  httpPort?: number;
  httpHost: string;
  logLevel: string;
  logFormat: LogFormat;
  ec2Identity: boolean;
}

/** Resolves and validates `tasklane run` options; throws UsageError naming the option at fault. */
export function resolveRunConfig(
  argv: readonly string[],
  host: Pick<Host, 'runtime'>,
): { config: RunConfig; help: boolean; print: boolean; sources: Record<string, string> } {
  const env = (name: string) => host.runtime.env(name);
  const { values: v, sources, help } = resolveOptions(RUN_OPTIONS, argv, env);
  const kinds = (v.source as string[]).map((s) => {
    if (s !== 'datapipeline' && s !== 'bullmq')
      throw new UsageError('--source', `--source: expected datapipeline or bullmq, got "${s}"`);
    return s;
  });
  const workerGroups = (v['worker-group'] as string[] | undefined) ?? [];
  const queues = (v.queue as string[] | undefined) ?? [];
  if (!help) {
    if (
      kinds.includes('datapipeline') &&
      workerGroups.length === 0 &&
      !(kinds.includes('bullmq') && queues.length > 0)
    ) {
      throw new UsageError(
        '--worker-group',
        '--worker-group is required (or TASKLANE_WORKER_GROUP, or workerGroups in --config)',
      );
    }
    if (kinds.includes('bullmq') && queues.length === 0)
      throw new UsageError('--queue', '--queue is required with --source bullmq');
    if (kinds.includes('bullmq') && !v['redis-url'])
      throw new UsageError('--redis-url', '--redis-url is required with --source bullmq');
  }
  const config: RunConfig = {
    workerGroups: kinds.includes('datapipeline') ? workerGroups : [],
    plugins: (v.plugin as string[] | undefined) ?? [],
    sources: kinds,
    queues,
    region: (v.region as string | undefined) ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1',
    redisKeyPrefix: v['redis-key-prefix'] as string,
    leaseMs: v.lease as number,
    concurrency: v.concurrency as number,
    hostname: (v.hostname as string | undefined) ?? host.runtime.hostname(),
    progressIntervalMs: v['progress-interval'] as number,
    runnerHeartbeatIntervalMs: v['runner-heartbeat-interval'] as number,
    shutdownTimeoutMs: v['shutdown-timeout'] as number,
    httpHost: v['http-host'] as string,
    logLevel: v['log-level'] as string,
    logFormat: v['log-format'] as LogFormat,
    ec2Identity: v['ec2-identity'] as boolean,
    ...(v.endpoint ? { endpoint: v.endpoint as string } : {}),
    ...(v['redis-url'] ? { redisUrl: v['redis-url'] as string } : {}),
    ...(v['max-tasks'] ? { maxTasks: v['max-tasks'] as number } : {}),
    ...(v['taskrunner-id'] ? { taskrunnerId: v['taskrunner-id'] as string } : {}),
    ...(v['http-port'] !== undefined ? { httpPort: v['http-port'] as number } : {}),
  };
  return { config, help, print: v['print-config'] === true, sources };
}

async function createCoordinator(
  config: RunConfig,
  logger: Logger,
  metrics: RunnerMetrics | undefined,
): Promise<Coordinator> {
  if (!config.redisUrl) return new InProcessCoordinator();
  const { RedisCoordinator } = await import('@tasklane/coordinator-redis');
  try {
    return new RedisCoordinator({
      url: config.redisUrl,
      keyPrefix: config.redisKeyPrefix,
      leaseMs: config.leaseMs,
      logger,
      onAcquire: ({ group, waitedMs, handOff }) =>
        metrics?.leaseWait.observe({ group, handoff: String(handOff) }, waitedMs / 1000),
    });
  } catch (error) {
    // Bad URLs and options are configuration errors: exit 2 naming the option.
    const option = /prefix/i.test(String(error))
      ? '--redis-key-prefix'
      : /lease/i.test(String(error))
        ? '--lease'
        : '--redis-url';
    throw new UsageError(option, `${option}: ${(error as Error).message}`, { cause: error });
  }
}

async function createSources(
  config: RunConfig,
  host: Host,
  logger: Logger,
  taskrunnerId: string,
): Promise<SourceBinding[]> {
  const bindings: SourceBinding[] = [];
  if (config.workerGroups.length > 0) {
    const identity = config.ec2Identity ? await fetchInstanceIdentity() : undefined;
    if (config.ec2Identity && !identity)
      logger.warn('--ec2-identity: IMDS did not answer; polling without instance identity');
    const source = new DataPipelineSource({
      hostname: config.hostname,
      taskrunnerId,
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(identity ? { instanceIdentity: identity } : {}),
      clientConfig: host.dataPipelineClientConfig?.() ?? {},
    });
    bindings.push({ source, groups: config.workerGroups });
  }
  if (config.sources.includes('bullmq')) {
    const { BullMQSource } = await import('@tasklane/source-bullmq');
    bindings.push({ source: new BullMQSource({ url: config.redisUrl!, logger }), groups: config.queues });
  }
  return bindings;
}

type FleetView = Pick<FleetSnapshot, 'groups' | 'instances'>;

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

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** `tasklane run`: resolves config, loads plugins, runs until SIGTERM/SIGINT/terminate; returns the exit code. */
export async function runCommand(argv: readonly string[], host: Host): Promise<number> {
  const { config, help, print, sources: valueSources } = resolveRunConfig(argv, host);
  if (help) {
    host.stdout(RUN_HELP + '\n');
    return ExitCode.Ok;
  }
  if (print) {
    const shown = { ...config, redisUrl: maskUrl(config.redisUrl) };
    host.stdout(JSON.stringify({ config: shown, sources: valueSources }, null, 2) + '\n');
    return ExitCode.Ok;
  }
  const logger = await createLogger({ level: config.logLevel, format: config.logFormat });
  const { registry, loaded } = await loadPlugins(config.plugins, host.runtime.env('PWD') ?? '.');
  const taskrunnerId = config.taskrunnerId ?? `tasklane-${config.hostname}-${randomSuffix()}`;
  // Metrics exist to be scraped: without --http-port neither prom-client nor hono is even loaded.
  const metrics =
    config.httpPort !== undefined ? new (await import('../ops/metrics.ts')).RunnerMetrics() : undefined;
  const coordinator = await createCoordinator(config, logger, metrics);
  const failures = new RecentFailures();
  const hooks: RunnerHooks[] = [...(metrics ? [metrics.hooks()] : []), failures.hooks(), tracingHooks()];
  const runner = new Runner({
    registry,
    sources: await createSources(config, host, logger, taskrunnerId),
    coordinator,
    runtime: host.runtime,
    logger,
    concurrency: config.concurrency,
    taskrunnerId,
    hostname: config.hostname,
    progressInterval: config.progressIntervalMs,
    runnerHeartbeatInterval: config.runnerHeartbeatIntervalMs,
    shutdownTimeout: config.shutdownTimeoutMs,
    hooks,
    ...(config.maxTasks ? { maxConcurrentTasks: config.maxTasks } : {}),
  });

  const unsubscribe = host.runtime.onShutdownSignal?.((signal) => {
    logger.info({ signal }, 'shutdown signal received: draining');
    void runner.stop();
  });
  await runner.start();
  metrics?.startProbes();
  let server: { port: number; close(): Promise<void> } | undefined;
  const closers: Array<() => Promise<void>> = [];
  if (config.httpPort !== undefined && metrics) {
    const { createHttpApp } = await import('../ops/http-app.ts');
    const fleet = await fleetReader(config, runner);
    closers.push(fleet.close);
    const snapshot = async (): Promise<FleetSnapshot> => ({
      coordinator: coordinator.kind,
      ...(await fleet.read()),
      failures: failures.list(),
      generatedAt: Date.now(),
    });
    const app = createHttpApp({ runner, metrics, fleet: snapshot });
    if (config.queues.length > 0 && config.redisUrl && host.serveStatic) {
      const { createQueueDashboard } = await import('@tasklane/source-bullmq');
      const dashboard = createQueueDashboard({
        url: config.redisUrl,
        queues: config.queues,
        basePath: '/queues',
        serveStatic: host.serveStatic as never,
      });
      app.route('/', dashboard);
      closers.push(async () => {
        await (dashboard as { close?: () => Promise<void> }).close?.();
      });
    }
    server = await host.serve(app, {
      port: config.httpPort,
      hostname: config.httpHost,
    });
  }
  logger.info(
    {
      workerGroups: config.workerGroups,
      queues: config.queues,
      handlers: loaded.flatMap((l) => l.handlers),
      coordinator: coordinator.kind,
      redisUrl: maskUrl(config.redisUrl),
      endpoint: config.endpoint,
      concurrency: config.concurrency,
      httpPort: server?.port,
      runtime: host.runtime.name,
    },
    'tasklane runner started',
  );
  await runner.stopped;
  unsubscribe?.();
  metrics?.stop();
  await server?.close();
  await Promise.all(closers.map((close) => close()));
  logger.info('tasklane runner stopped');
  return ExitCode.Ok;
}
