import {
  DataPipelineSource,
  fetchInstanceIdentity,
  InProcessCoordinator,
  TasklaneError,
  type Coordinator,
  type HandlerRegistry,
  type Logger,
  type SourceBinding,
} from '@tasklane/core';
import { UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import type { RunnerMetrics } from '../ops/metrics.ts';
import { redactText } from '../security/redact.ts';
import type { RunConfig } from './config.ts';

/**
 * The token of core's TaskEnvPolicy (`TASK_ENV_POLICY` in @tasklane/core): `Symbol.for` gives the same
 * symbol whichever copy of core a plugin resolved, so the binding is found by every handler.
 */
export const TASK_ENV_POLICY_TOKEN = Symbol.for('tasklane.taskEnvPolicy');

/** Coordinator option names (as the coordinator reports them) → the run flag an operator sets. */
const COORDINATOR_OPTION_FLAGS: Record<string, string> = {
  keyPrefix: '--redis-key-prefix',
  leaseMs: '--lease',
  renewEveryMs: '--lease',
  maxWaitMs: '--lease',
  turnMs: '--redis-turn',
  url: '--redis-url',
};

/** The fleet coordinator: Redis with `--redis-url`, else in-process. Option errors exit 2 naming the flag. */
export async function createCoordinator(
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
      ...(config.redisTurnMs !== undefined ? { turnMs: config.redisTurnMs } : {}),
      // Only Data Pipeline polls take leases: without a worker group the coordinator keeps the fleet
      // registry alone, and a renewal thread (and its connection) would sit idle.
      ...(config.workerGroups.length === 0 ? { renewal: 'main' as const } : {}),
      logger,
      onAcquire: ({ group, waitedMs, handOff, handOffGapMs }) => {
        metrics?.leaseWait.observe({ group, handoff: String(handOff) }, waitedMs / 1000);
        if (handOffGapMs !== undefined) metrics?.handOffGap.observe({ group }, handOffGapMs / 1000);
      },
    });
  } catch (error) {
    if (!TasklaneError.is(error)) throw error;
    // RedisOptionError names its option; a RedisUrlError is about the URL.
    const option = (error as { option?: unknown }).option;
    const flag =
      typeof option === 'string' ? (COORDINATOR_OPTION_FLAGS[option] ?? `--${option}`) : '--redis-url';
    throw new UsageError(flag, `${flag}: ${error.message}`, { cause: error });
  }
}

/** Task sources: Data Pipeline worker groups and/or BullMQ queues. */
export async function createSources(config: RunConfig, host: Host, logger: Logger): Promise<SourceBinding[]> {
  const bindings: SourceBinding[] = [];
  if (config.workerGroups.length > 0) {
    const identity = config.ec2Identity ? await fetchInstanceIdentity() : undefined;
    if (config.ec2Identity && !identity)
      logger.warn('--ec2-identity: IMDS did not answer; polling without instance identity');
    const source = new DataPipelineSource({
      hostname: config.hostname,
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(identity ? { instanceIdentity: identity } : {}),
      clientConfig: host.dataPipelineClientConfig?.() ?? {},
    });
    bindings.push({ source, groups: config.workerGroups });
  }
  if (config.sources.includes('bullmq')) {
    const { BullMQSource } = await import('@tasklane/source-bullmq');
    let source;
    try {
      source = new BullMQSource({
        url: config.redisUrl!,
        logger,
        // Failure reasons and stacks stored with jobs (and shown by the dashboard) go through redaction too.
        redact: redactText,
        ...(config.secretKey ? { secretKey: config.secretKey } : {}),
      });
    } catch (error) {
      const option = (error as { option?: unknown }).option;
      if (option === 'secretKey')
        throw new UsageError('--secret-key', `--secret-key: ${(error as Error).message}`, { cause: error });
      throw error;
    }
    bindings.push({ source, groups: config.queues });
  }
  if (config.sources.includes('stepfunctions')) bindings.push(await stepFunctionsBinding(config, logger));
  return bindings;
}

/** Binds the operator's `--task-env` opt-ins where the shell handlers look for them. */
export function bindTaskEnvPolicy(registry: HandlerRegistry, optIn: readonly string[]): void {
  const container = registry.container;
  // The operator's flags decide what tasks see: replace whatever a plugin module may have bound.
  if (container.isBound(TASK_ENV_POLICY_TOKEN)) container.unbind(TASK_ENV_POLICY_TOKEN);
  container.bind(TASK_ENV_POLICY_TOKEN).toConstantValue(Object.freeze({ optIn: Object.freeze([...optIn]) }));
}

/** `--activity ARN-or-name[=HandlerType]`: the group is the activity, the handler type optional. */
async function stepFunctionsBinding(config: RunConfig, logger: Logger): Promise<SourceBinding> {
  const { StepFunctionsSource, StepFunctionsErrorCode } = await import('@tasklane/source-stepfunctions');
  const handlerTypes: Record<string, string> = {};
  const groups = config.activities.map((spec) => {
    const [activity = '', type] = spec.split('=', 2);
    if (activity === '' || type === '')
      throw new UsageError('--activity', `--activity: expected ARN-or-name[=HandlerType], got "${spec}"`);
    if (type !== undefined) handlerTypes[activity] = type;
    return activity;
  });
  const source = new StepFunctionsSource({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    logger,
    handlerTypes,
    redact: redactText,
    workerName: config.hostname.slice(0, 80),
    ...(config.activityHeartbeatMs === undefined
      ? {}
      : { heartbeatSeconds: config.activityHeartbeatMs / 1000 }),
  });
  // A name no activity has is a configuration error; a service that cannot answer yet is left to the polls.
  for (const group of groups)
    await source.activity(group).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== StepFunctionsErrorCode.UnknownActivity) return;
      void source.close();
      throw new UsageError('--activity', `--activity: ${(error as Error).message}`, { cause: error });
    });
  return { source, groups };
}
