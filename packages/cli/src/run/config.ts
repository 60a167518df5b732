import { resolveOptions } from '../config/resolve.ts';
import { UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import type { LogFormat } from '../logging.ts';
import { redact } from '../security/redact.ts';
import { RUN_OPTIONS } from '../commands/run-options.ts';

/** The validated configuration of `tasklane run`. */
export interface RunConfig {
  workerGroups: string[];
  plugins: string[];
  sources: Array<'datapipeline' | 'bullmq' | 'stepfunctions'>;
  queues: string[];
  /** Step Functions activities (`ARN-or-name[=HandlerType]`). */
  activities: string[];
  activityHeartbeatMs?: number;
  endpoint?: string;
  region: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  leaseMs: number;
  /** Turn length of the Redis coordinator (absent: its default). */
  redisTurnMs?: number;
  concurrency: number;
  maxTasks?: number;
  taskrunnerId?: string;
  hostname: string;
  progressIntervalMs: number;
  runnerHeartbeatIntervalMs: number;
  shutdownTimeoutMs: number;
  httpPort?: number;
  httpHost: string;
  /** Bearer token of the mutating endpoints; absent: they are refused. */
  httpToken?: string;
  dashboardWrite: boolean;
  /** Runner environment variables shell tasks may see besides the allow-list. */
  taskEnv: string[];
  /** Key sealing `*`-prefixed fields of BullMQ job data (base64 of 32 bytes). */
  secretKey?: string;
  metricsMaxActivityTypes: number;
  unreadyAfter: number;
  logLevel: string;
  logFormat: LogFormat;
  ec2Identity: boolean;
}

/** Shortest `--http-token` accepted: a guessable token is no protection. */
const MIN_TOKEN_LENGTH = 16;

function validate(config: RunConfig, help: boolean): void {
  if (help) return;
  const { sources: kinds, workerGroups, queues } = config;
  if (
    kinds.includes('datapipeline') &&
    workerGroups.length === 0 &&
    !(kinds.includes('bullmq') && queues.length > 0)
  )
    throw new UsageError(
      '--worker-group',
      '--worker-group is required (or TASKLANE_WORKER_GROUP, or workerGroups in --config)',
    );
  if (kinds.includes('bullmq') && queues.length === 0)
    throw new UsageError('--queue', '--queue is required with --source bullmq');
  if (kinds.includes('stepfunctions') && config.activities.length === 0)
    throw new UsageError('--activity', '--activity is required with --source stepfunctions');
  if (kinds.includes('bullmq') && !config.redisUrl)
    throw new UsageError('--redis-url', '--redis-url is required with --source bullmq');
  if (config.httpToken !== undefined && config.httpToken.length < MIN_TOKEN_LENGTH)
    throw new UsageError(
      '--http-token',
      `--http-token: must be at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  if (config.dashboardWrite && config.httpToken === undefined)
    throw new UsageError(
      '--dashboard-write',
      '--dashboard-write needs --http-token (or TASKLANE_HTTP_TOKEN)',
    );
  for (const name of config.taskEnv)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError('--task-env', `--task-env: "${name}" is not an environment variable name`);
}

/** Resolves and validates `tasklane run` options; throws UsageError naming the option at fault. */
export function resolveRunConfig(
  argv: readonly string[],
  host: Pick<Host, 'runtime'>,
): { config: RunConfig; help: boolean; print: boolean; sources: Record<string, string> } {
  const env = (name: string) => host.runtime.env(name);
  const { values: v, sources, help } = resolveOptions(RUN_OPTIONS, argv, env);
  const kinds = (v.source as string[]).map((s) => {
    if (s !== 'datapipeline' && s !== 'bullmq' && s !== 'stepfunctions')
      throw new UsageError(
        '--source',
        `--source: expected datapipeline, bullmq or stepfunctions, got "${s}"`,
      );
    return s;
  });
  const workerGroups = (v['worker-group'] as string[] | undefined) ?? [];
  const config: RunConfig = {
    workerGroups: kinds.includes('datapipeline') ? workerGroups : [],
    plugins: (v.plugin as string[] | undefined) ?? [],
    sources: kinds,
    queues: (v.queue as string[] | undefined) ?? [],
    activities: (v.activity as string[] | undefined) ?? [],
    region: (v.region as string | undefined) ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1',
    redisKeyPrefix: v['redis-key-prefix'] as string,
    leaseMs: v.lease as number,
    concurrency: v.concurrency as number,
    hostname: (v.hostname as string | undefined) ?? host.runtime.hostname(),
    progressIntervalMs: v['progress-interval'] as number,
    runnerHeartbeatIntervalMs: v['runner-heartbeat-interval'] as number,
    shutdownTimeoutMs: v['shutdown-timeout'] as number,
    httpHost: v['http-host'] as string,
    dashboardWrite: v['dashboard-write'] as boolean,
    taskEnv: (v['task-env'] as string[] | undefined) ?? [],
    metricsMaxActivityTypes: v['metrics-max-activity-types'] as number,
    unreadyAfter: v['unready-after'] as number,
    logLevel: v['log-level'] as string,
    logFormat: v['log-format'] as LogFormat,
    ec2Identity: v['ec2-identity'] as boolean,
    ...(v.endpoint ? { endpoint: v.endpoint as string } : {}),
    ...(v['redis-url'] ? { redisUrl: v['redis-url'] as string } : {}),
    ...(v['redis-turn'] !== undefined ? { redisTurnMs: v['redis-turn'] as number } : {}),
    ...(v['max-tasks'] ? { maxTasks: v['max-tasks'] as number } : {}),
    ...(v['taskrunner-id'] ? { taskrunnerId: v['taskrunner-id'] as string } : {}),
    ...(v['http-port'] !== undefined ? { httpPort: v['http-port'] as number } : {}),
    ...(v['http-token'] ? { httpToken: v['http-token'] as string } : {}),
    ...(v['secret-key'] ? { secretKey: v['secret-key'] as string } : {}),
    ...(v['activity-heartbeat'] ? { activityHeartbeatMs: v['activity-heartbeat'] as number } : {}),
  };
  validate(config, help);
  return { config, help, print: v['print-config'] === true, sources };
}

/** `--print-config` output: every value through the redaction layer (URLs, tokens, keys). */
export function printableConfig(config: RunConfig, sources: Record<string, string>): string {
  return JSON.stringify({ config: redact(config), sources }, null, 2) + '\n';
}
