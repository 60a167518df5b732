import type { Coordinator } from './coordinator.ts';
import type { RunnerHooks } from './hooks.ts';
import type { Logger } from './logger.ts';
import type { HandlerRegistry } from './registry.ts';
import type { RuntimePrimitives } from './runtime.ts';
import { matchesPatternP } from './sanitize.ts';
import type { TaskSource } from './source.ts';
import {
  booleanOption,
  durationOption as duration,
  integerOption,
  optionError,
  stringOption,
} from './validate.ts';

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
  /**
   * Least lease a poll permit must have left (when its coordinator says) for a poll to start on it.
   * @default 1s
   */
  minPollLease?: DurationInput;
  /** How often the event loop's lag is sampled (`onEventLoopLag`). @default 500ms */
  lagProbeInterval?: DurationInput;
  /** Event-loop lag that logs a warning. @default 2s */
  lagWarnThreshold?: DurationInput;
  /**
   * Keep leases on a separate thread (when the runtime offers `startThread` and the source can describe
   * its renewals), so a handler that blocks the main thread cannot starve them. `false`: main thread only.
   * @default true
   */
  leaseThread?: boolean;
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
  readonly minPollLeaseMs: number;
  readonly lagProbeIntervalMs: number;
  readonly lagWarnThresholdMs: number;
  readonly leaseThread: boolean;
}

/** Validates options once; throws {@link InvalidOptionError} naming the option on the first problem. */
export function compileRunnerOptions(options: RunnerOptions): CompiledRunnerOptions {
  if (!options || typeof options !== 'object') throw optionError('options', 'an object', options);
  if (!options.registry) throw optionError('registry', 'a HandlerRegistry', options.registry);
  if (!Array.isArray(options.sources) || options.sources.length === 0)
    throw optionError('sources', 'a list of at least one { source, groups }', options.sources);
  const seen = new Set<string>();
  for (const [i, binding] of options.sources.entries()) {
    if (!binding?.source || typeof binding.source.poll !== 'function')
      throw optionError(`sources[${i}].source`, 'a TaskSource', binding?.source);
    if (!Array.isArray(binding.groups) || binding.groups.length === 0)
      throw optionError(`sources[${i}].groups`, 'a list of at least one group', binding.groups);
    for (const group of binding.groups) {
      // The service's `string` shape (1024, pattern P): a group it would refuse makes every poll fail.
      if (typeof group !== 'string' || group.trim() === '' || group.length > 1024 || !matchesPatternP(group))
        throw optionError(
          'groups',
          'a list of non-empty strings of at most 1024 characters without control characters',
          group,
        );
      const key = `${binding.source.kind}:${group}`;
      if (seen.has(key))
        throw optionError(
          'groups',
          `a list of distinct groups (one is listed twice for ${binding.source.kind})`,
          group,
        );
      seen.add(key);
    }
  }
  const base = duration('pollBackoffBase', options.pollBackoffBase, 1000);
  const max = duration('pollBackoffMax', options.pollBackoffMax, 60_000);
  if (max < base)
    throw optionError('pollBackoffMax', `at least \`pollBackoffBase\` (${base} ms)`, options.pollBackoffMax);
  const taskrunnerId = stringOption('taskrunnerId', options.taskrunnerId, undefined);
  const hostname = stringOption('hostname', options.hostname, undefined);
  return {
    concurrency: integerOption('concurrency', options.concurrency, 2),
    maxConcurrentTasks: integerOption(
      'maxConcurrentTasks',
      options.maxConcurrentTasks,
      Number.MAX_SAFE_INTEGER,
    ),
    taskrunnerId,
    hostname,
    progressIntervalMs: duration('progressInterval', options.progressInterval, 60_000, { min: 10 }),
    runnerHeartbeatIntervalMs: duration(
      'runnerHeartbeatInterval',
      options.runnerHeartbeatInterval,
      15 * 60_000,
      {
        min: 10,
      },
    ),
    shutdownTimeoutMs: duration('shutdownTimeout', options.shutdownTimeout, 60_000, { min: 0 }),
    abortGraceMs: duration('abortGrace', options.abortGrace, 10_000, { min: 0 }),
    pollBackoffBaseMs: base,
    pollBackoffMaxMs: max,
    statusRetryBaseMs: duration('statusRetryBase', options.statusRetryBase, 500),
    statusRetryMaxMs: duration('statusRetryMax', options.statusRetryMax, 10_000),
    minPollLeaseMs: duration('minPollLease', options.minPollLease, 1000, { min: 0 }),
    lagProbeIntervalMs: duration('lagProbeInterval', options.lagProbeInterval, 500, { min: 10 }),
    lagWarnThresholdMs: duration('lagWarnThreshold', options.lagWarnThreshold, 2000, { min: 1 }),
    leaseThread: booleanOption('leaseThread', options.leaseThread, true),
  };
}
