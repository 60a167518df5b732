/**
 * @module @tasklane/cli
 *
 * The `tasklane` command line, runtime-neutral. A host app supplies runtime primitives and an HTTP
 * server, then calls {@link main}:
 *
 * ```ts
 * import { main } from '@tasklane/cli';
 * process.exitCode = await main(process.argv.slice(2), nodeHost);
 * ```
 */
export { main, usage } from './cli.ts';
export { ExitCode, UsageError } from './errors.ts';
export { resolveRunConfig, runCommand } from './commands/run.ts';
export { RUN_OPTIONS } from './commands/run-options.ts';
export { resolveOptions, readConfigFile } from './config/resolve.ts';
export { loadPlugins } from './plugins.ts';
export { definitionToObjects, readDefinitionFile } from './definition.ts';
export { createLogger, maskUrl } from './logging.ts';
export { redact, redactText, redactUrl, redactError, isSecretName } from './security/redact.ts';
export { httpGuard, tokenMatches } from './security/http-guard.ts';
export { createHttpApp } from './ops/http-app.ts';
export { RunnerMetrics } from './ops/metrics.ts';
export { ServiceReadiness } from './ops/service-readiness.ts';
export { tracingHooks } from './ops/tracing.ts';
export { renderManifests, toYaml } from './k8s/manifests.ts';
export { resolveValues, terminationGracePeriodSeconds, DEFAULT_VALUES } from './k8s/values.ts';

export type { Host, FetchApp, ServedApp } from './host.ts';
export type { RunConfig } from './commands/run.ts';
export type { OptionSpec, OptionKind } from './config/options.ts';
export type { FleetSnapshot, HttpAppDeps } from './ops/http-app.ts';
export type { HttpGuardOptions } from './security/http-guard.ts';
export type { RunnerMetricsOptions } from './ops/metrics.ts';
export type { ManifestValues, DeploymentValues } from './k8s/values.ts';
