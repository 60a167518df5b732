import { Runner, type HandlerRegistry, type RunnerHooks } from '@tasklane/core';
import { cwd } from 'node:process';
import type { DestinationStream } from 'pino';
import { formatOptions } from '../config/options.ts';
import { ExitCode } from '../errors.ts';
import type { Host, ServedApp } from '../host.ts';
import { createLogger } from '../logging.ts';
import { publishFailures } from '../ops/fleet-numbers.ts';
import type { RunnerMetrics } from '../ops/metrics.ts';
import { RecentFailures } from '../ops/recent-failures.ts';
import { ServiceReadiness } from '../ops/service-readiness.ts';
import { globalTracerRegistered, startOtelSdk } from '../ops/otel-sdk.ts';
import { loadPlugins } from '../plugins.ts';
import { bindTaskEnvPolicy, createCoordinator, createSources } from '../run/components.ts';
import { printableConfig, resolveRunConfig } from '../run/config.ts';
import { checkAwsCredentials, handleSignals, InFlightPolls } from '../run/lifecycle.ts';
import { redactUrl } from '../security/redact.ts';
import { RUN_OPTIONS } from './run-options.ts';

export { resolveRunConfig } from '../run/config.ts';
export type { RunConfig } from '../run/config.ts';

export const RUN_HELP = `Usage: tasklane run --worker-group NAME [--plugin MODULE]... [options]

Polls AWS Data Pipeline (or a BullMQ queue) and runs tasks with the handlers of the given plugins.
Precedence: flags > TASKLANE_* environment > --config FILE (JSON or YAML, camelCase keys) > defaults.

Options:
  --config FILE                       JSON or YAML config file (env TASKLANE_CONFIG)
${formatOptions(RUN_OPTIONS)}

Exit codes: 0 graceful stop (SIGTERM, SIGINT, terminate), 2 usage or configuration error, 1 fatal error,
130 a second SIGTERM/SIGINT abandoned the drain.`;

/** What a front end over `tasklane run` (`tasklane taskrunner`, the Java runner's command line) adds. */
export interface RunExtras {
  /** Where JSON log lines go instead of stdout. */
  logDestination?: DestinationStream;
  hooks?: RunnerHooks[];
  /** Called once the plugins are loaded, before the runner starts. */
  prepareRegistry?(registry: HandlerRegistry): void;
  /** Called when the metrics exist (with --http-port), to register more. */
  onMetrics?(metrics: RunnerMetrics): void;
  /** Awaited after the runner stopped gracefully, before the command returns (e.g. log uploads). */
  onStopped?(): Promise<void>;
}

/** `tasklane run`: resolves config, loads plugins, runs until SIGTERM/SIGINT/terminate; returns the exit code. */
export async function runCommand(
  argv: readonly string[],
  host: Host,
  extras: RunExtras = {},
): Promise<number> {
  const { config, help, print, sources: valueSources } = resolveRunConfig(argv, host);
  if (help) {
    host.stdout(RUN_HELP + '\n');
    return ExitCode.Ok;
  }
  if (print) {
    host.stdout(printableConfig(config, valueSources));
    return ExitCode.Ok;
  }
  const logger = await createLogger({
    level: config.logLevel,
    format: config.logFormat,
    ...(extras.logDestination ? { destination: extras.logDestination } : {}),
  });
  const unhandled = host.onUnhandledRejection?.((reason) =>
    logger.error({ err: reason }, 'unhandled promise rejection (the runner keeps running)'),
  );
  const { registry, loaded } = await loadPlugins(config.plugins, cwd());
  bindTaskEnvPolicy(registry, config.taskEnv);
  extras.prepareRegistry?.(registry);
  // Metrics exist to be scraped: without --http-port neither prom-client nor hono is even loaded.
  const metrics =
    config.httpPort !== undefined
      ? new (await import('../ops/metrics.ts')).RunnerMetrics({
          maxActivityTypes: config.metricsMaxActivityTypes,
          knownActivityTypes: loaded.flatMap((l) => l.handlers),
        })
      : undefined;
  if (metrics) extras.onMetrics?.(metrics);
  const coordinator = await createCoordinator(config, logger, metrics);
  // After every option error (exit 2 naming the option), before anything polls.
  await checkAwsCredentials(config, host);
  // OTEL_* variables start an SDK (loaded only then). Spans go through the API whenever a tracer
  // provider is registered, ours or one a plugin or preload set up; with none they would all be no-ops,
  // so the API (and the per-call middleware) is not even loaded.
  const otel = await startOtelSdk(host.runtime.env.bind(host.runtime), logger, host.runtime);
  const tracing =
    otel || globalTracerRegistered() ? new (await import('../ops/tracing.ts')).RunnerTracing() : undefined;
  const sources = await createSources(config, host, logger);
  const failures = new RecentFailures();
  publishFailures(coordinator, failures);
  const readiness = new ServiceReadiness(config.unreadyAfter);
  const polls = new InFlightPolls();
  const hooks: RunnerHooks[] = [
    ...(metrics ? [metrics.hooks()] : []),
    failures.hooks(),
    readiness.hooks(),
    polls.hooks(),
    ...(tracing ? [tracing.hooks()] : []),
    ...(extras.hooks ?? []),
  ];
  const runner = new Runner({
    registry,
    // The runner owns its identity (taskrunnerId, instance id) and hands it to its sources.
    sources: tracing ? tracing.instrument(sources) : sources,
    coordinator,
    runtime: host.runtime,
    logger,
    concurrency: config.concurrency,
    ...(config.taskrunnerId ? { taskrunnerId: config.taskrunnerId } : {}),
    hostname: config.hostname,
    progressInterval: config.progressIntervalMs,
    runnerHeartbeatInterval: config.runnerHeartbeatIntervalMs,
    shutdownTimeout: config.shutdownTimeoutMs,
    hooks,
    ...(config.maxTasks ? { maxConcurrentTasks: config.maxTasks } : {}),
  });

  const signals = handleSignals(host, runner, polls, config, logger);
  await runner.start();
  metrics?.startProbes();
  let server: ServedApp | undefined;
  if (config.httpPort !== undefined && metrics) {
    const { startOpsServer } = await import('../run/ops-server.ts');
    server = await startOpsServer({ ...config, httpPort: config.httpPort }, host, {
      runner,
      coordinator,
      metrics,
      failures,
      readiness,
    });
  }
  logger.info(
    {
      workerGroups: config.workerGroups,
      queues: config.queues,
      handlers: loaded.flatMap((l) => l.handlers),
      coordinator: coordinator.kind,
      redisUrl: redactUrl(config.redisUrl),
      endpoint: config.endpoint,
      concurrency: config.concurrency,
      httpPort: server?.port,
      httpHost: server ? config.httpHost : undefined,
      runtime: host.runtime.name,
      runtimeVersion: host.runtime.version,
    },
    'tasklane runner started',
  );
  const code = await Promise.race([runner.stopped.then(() => ExitCode.Ok as number), signals.abandoned]);
  signals.dispose();
  metrics?.stop();
  if (code !== ExitCode.Ok) return code;
  await server?.close();
  await otel?.shutdown();
  unhandled?.();
  logger.info('tasklane runner stopped');
  // After the last line, so a front end uploading the runner's log gets all of it.
  await extras.onStopped?.();
  return ExitCode.Ok;
}
