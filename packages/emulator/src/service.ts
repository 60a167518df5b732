/** Shared state and collaborators of one emulator instance. */
import type { Clock } from './clock.ts';
import type { FaultInjector } from './faults.ts';
import type { Leases } from './leases.ts';
import type { TaskRetention } from './retention.ts';
import type { S3Store } from './s3/store.ts';
import type { Pipeline, Task } from './model.ts';
import type { ObservationLog } from './observations.ts';
import type { TaskQueues } from './task-queue.ts';

export interface ServiceConfig {
  longPollMs: number;
  timeScale: number;
  ackTimeoutMs: number;
  defaultReportProgressTimeoutMs: number;
  /** Undocumented by AWS; the emulator's choices are in the README. */
  defaultRetryDelayMs: number;
  defaultMaximumRetries: number;
  /** Ended tasks, idle worker groups and silent runners are forgotten after this long (real ms). */
  observationRetentionMs: number;
  /** At most this many ended tasks are remembered, whatever their age. */
  maxEndedTasks: number;
}

export interface ServiceState {
  readonly config: ServiceConfig;
  readonly clock: Clock;
  readonly obs: ObservationLog;
  readonly faults: FaultInjector;
  readonly queues: TaskQueues;
  /** Ack, progress and attempt deadlines of handed-out tasks. */
  readonly leases: Leases;
  readonly retention: TaskRetention;
  /** The emulator's S3, for service-evaluated preconditions; undefined when S3 is off. */
  readonly s3: S3Store | undefined;
  /** Buckets re-created by reset(). */
  readonly s3Buckets: readonly string[];
  readonly pipelines: Map<string, Pipeline>;
  /** `${name}\u0000${uniqueId}` → pipeline id, for CreatePipeline idempotency. */
  readonly byNameAndUniqueId: Map<string, string>;
  readonly hiddenByGroup: Map<string, Pipeline>;
  readonly tasks: Map<string, Task>;
  readonly terminate: { allSeq: number; seen: Map<string, number>; runners: Set<string> };
  readonly log: (line: string) => void;
  /** Set by close(): polls are answered at once instead of being held. */
  closing: boolean;
  /** Asks the state file (if any) to save soon. */
  persist(): void;
}

/** Service time (ms) to real time (ms). */
export function scaled(state: ServiceState, serviceMs: number): number {
  return serviceMs / state.config.timeScale;
}
