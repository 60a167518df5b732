import type { Coordinator } from './coordinator.ts';
import { parseDuration } from './duration.ts';
import { describeValue, InvalidOptionError } from './errors.ts';
import type { RunnerHooks } from './hooks.ts';
import type { Logger } from './logger.ts';
import type { HandlerRegistry } from './registry.ts';
import type { RuntimePrimitives } from './runtime.ts';
import type { TaskSource } from './source.ts';

/** A duration in milliseconds, or a string such as `'500ms'`, `'2s'`, `'1m'`, `'20 minutes'`. */
export type DurationInput = number | string;

/** One set of groups served from one source. */
export interface SourceBinding {
  source: TaskSource;
  /** Worker groups (Data Pipeline) or queue names (BullMQ) to serve from this source. */
  groups: string[];
}

/** Options of {@link Runner}. Every field but `registry` and `sources` is optional. */
export interface RunnerOptions {
  /** Handlers and their container. */
  registry: HandlerRegistry;
  /** Sources and the groups served from each. */
  sources: SourceBinding[];
  /**
   * Fleet coordination of polls.
   * @default an in-process coordinator (one poll per group within this process)
   */
  coordinator?: Coordinator;
  runtime?: RuntimePrimitives;
  logger?: Logger;
  /**
   * Task slots per group, like the official runner's `--tasks`.
   * @default 2
   */
  concurrency?: number;
  /** Process-wide cap on running tasks across all groups. @default unlimited */
  maxConcurrentTasks?: number;
  /** Reported with heartbeats. @default generated, stable for the runner */
  taskrunnerId?: string;
  /** This instance's name in the fleet registry and default taskrunnerId. @default runtime.hostname() */
  hostname?: string;
  /** Lease renewal period; a task's own `reportProgressTimeout` tightens it. @default 60s */
  progressInterval?: DurationInput;
  /** How often ReportTaskRunnerHeartbeat is sent (it is also sent at start). @default 15m */
  runnerHeartbeatInterval?: DurationInput;
  /** How long stop() lets running tasks finish before aborting them. @default 60s */
  shutdownTimeout?: DurationInput;
  /** How long a handler may take to settle after its signal aborted before its slot is freed. @default 10s */
  abortGrace?: DurationInput;
  /** First delay after a failed poll; doubles up to pollBackoffMax, with jitter. @default 1s */
  pollBackoffBase?: DurationInput;
  /** @default 60s */
  pollBackoffMax?: DurationInput;
  /** First delay between SetTaskStatus retries. @default 500ms */
  statusRetryBase?: DurationInput;
  /** Longest delay between SetTaskStatus retries. @default 10s */
  statusRetryMax?: DurationInput;
  /** Observers and interceptors. */
  hooks?: RunnerHooks[];
}

/** {@link RunnerOptions} after validation: every field present, durations in milliseconds. */
export interface CompiledRunnerOptions {
  readonly concurrency: number;
  readonly maxConcurrentTasks: number;
  readonly taskrunnerId: string | undefined;
  readonly hostname: string | undefined;
  readonly progressIntervalMs: number;
  readonly runnerHeartbeatIntervalMs: number;
  readonly shutdownTimeoutMs: number;
  readonly abortGraceMs: number;
  readonly pollBackoffBaseMs: number;
  readonly pollBackoffMaxMs: number;
  readonly statusRetryBaseMs: number;
  readonly statusRetryMaxMs: number;
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(
      option,
      `Expected \`${option}\` to be an integer >= 1, got ${describeValue(value)}`,
    );
  }
  return value;
}

function duration(option: string, value: DurationInput | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDuration(value, option);
  } catch {
    throw new InvalidOptionError(
      option,
      `Expected \`${option}\` to be a duration such as 500ms, 2s or 1m, got ${describeValue(value)}`,
    );
  }
  if (ms < min)
    throw new InvalidOptionError(
      option,
      `Expected \`${option}\` to be at least ${min} ms, got ${describeValue(value)}`,
    );
  return ms;
}

/** Validates options once; throws {@link InvalidOptionError} naming the option on the first problem. */
export function compileRunnerOptions(options: RunnerOptions): CompiledRunnerOptions {
  if (!options || typeof options !== 'object')
    throw new InvalidOptionError('options', 'Runner options must be an object');
  if (!options.registry) throw new InvalidOptionError('registry', 'Expected `registry` (a HandlerRegistry)');
  if (!Array.isArray(options.sources) || options.sources.length === 0) {
    throw new InvalidOptionError('sources', 'Expected `sources` to list at least one source with its groups');
  }
  const seen = new Set<string>();
  for (const [i, binding] of options.sources.entries()) {
    if (!binding?.source || typeof binding.source.poll !== 'function') {
      throw new InvalidOptionError(
        `sources[${i}].source`,
        `Expected \`sources[${i}].source\` to be a TaskSource`,
      );
    }
    if (!Array.isArray(binding.groups) || binding.groups.length === 0) {
      throw new InvalidOptionError(
        `sources[${i}].groups`,
        `Expected \`sources[${i}].groups\` to name at least one group`,
      );
    }
    for (const group of binding.groups) {
      if (typeof group !== 'string' || group.trim() === '' || group.length > 1024) {
        throw new InvalidOptionError(
          'groups',
          `Expected each group to be a non-empty string of at most 1024 characters, got ${describeValue(group)}`,
        );
      }
      const key = `${binding.source.kind}:${group}`;
      if (seen.has(key))
        throw new InvalidOptionError(
          'groups',
          `Group "${group}" is listed twice for source ${binding.source.kind}`,
        );
      seen.add(key);
    }
  }
  const base = duration('pollBackoffBase', options.pollBackoffBase, 1000);
  const max = duration('pollBackoffMax', options.pollBackoffMax, 60_000);
  if (max < base)
    throw new InvalidOptionError(
      'pollBackoffMax',
      `Expected \`pollBackoffMax\` (${max} ms) to be >= \`pollBackoffBase\` (${base} ms)`,
    );
  if (
    options.taskrunnerId !== undefined &&
    (typeof options.taskrunnerId !== 'string' || options.taskrunnerId === '')
  ) {
    throw new InvalidOptionError(
      'taskrunnerId',
      `Expected \`taskrunnerId\` to be a non-empty string, got ${describeValue(options.taskrunnerId)}`,
    );
  }
  return {
    concurrency: positiveInteger('concurrency', options.concurrency, 2),
    maxConcurrentTasks: positiveInteger(
      'maxConcurrentTasks',
      options.maxConcurrentTasks,
      Number.MAX_SAFE_INTEGER,
    ),
    taskrunnerId: options.taskrunnerId,
    hostname: options.hostname,
    progressIntervalMs: duration('progressInterval', options.progressInterval, 60_000, 10),
    runnerHeartbeatIntervalMs: duration(
      'runnerHeartbeatInterval',
      options.runnerHeartbeatInterval,
      15 * 60_000,
      10,
    ),
    shutdownTimeoutMs: duration('shutdownTimeout', options.shutdownTimeout, 60_000, 0),
    abortGraceMs: duration('abortGrace', options.abortGrace, 10_000, 0),
    pollBackoffBaseMs: base,
    pollBackoffMaxMs: max,
    statusRetryBaseMs: duration('statusRetryBase', options.statusRetryBase, 500),
    statusRetryMaxMs: duration('statusRetryMax', options.statusRetryMax, 10_000),
  };
}
