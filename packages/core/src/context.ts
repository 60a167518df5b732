import type { Logger } from './logger.ts';
import type { RuntimePrimitives } from './runtime.ts';

/** Why a handler's signal was aborted. */
export type AbortReason = 'canceled' | 'shutdown' | 'attempt-timeout' | 'lease-lost';

/** What a handler gets besides the task. */
export interface TaskContext {
  /** Aborted on cancellation, shutdown deadline, attempt timeout or lost lease; `abortReason` says which. */
  readonly signal: AbortSignal;
  /** The reason the signal aborted, once it has. */
  readonly abortReason: AbortReason | undefined;
  /** A logger bound to taskId, attemptId, pipelineId and activity type. */
  readonly logger: Logger;
  /** The worker group (or queue) the task came from. */
  readonly workerGroup: string;
  /** Milliseconds since the epoch when the runner received the task. */
  readonly startedAt: number;
  /** Epoch ms when the attempt times out (from `attemptTimeout`), if it has one. */
  readonly attemptDeadline: number | undefined;
  /** Epoch ms by which the handler must end once shutdown began, if it has. */
  readonly shutdownDeadline: number | undefined;
  /** The host's runtime primitives (spawn, env, clock). */
  readonly runtime: RuntimePrimitives;
  /**
   * Sends progress fields now (e.g. `{ percentComplete: 50 }`). It also renews the lease; the runner
   * renews on its own, so handlers call this only to publish progress.
   */
  reportProgress(fields?: Record<string, string | number>): Promise<void>;
}
