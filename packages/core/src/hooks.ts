import type { TaskOutcome } from './outcome.ts';
import type { Task } from './task.ts';

/** Lifecycle states of a runner. */
export type RunnerState = 'created' | 'starting' | 'running' | 'draining' | 'stopped';

/** Why a task ended the way it did, as hooks see it. */
export type TaskEnd =
  | { readonly kind: 'reported'; readonly outcome: TaskOutcome }
  | { readonly kind: 'canceled' }
  | { readonly kind: 'lease-lost' }
  | { readonly kind: 'unreported'; readonly outcome: TaskOutcome; readonly error: unknown };

export interface PollInfo {
  readonly group: string;
  readonly source: string;
  readonly epoch: number;
}

/** What `onPollEnd` is told; `error` is present only when the poll failed. */
export interface PollEndInfo extends PollInfo {
  readonly durationMs: number;
  readonly gotTask: boolean;
  readonly error?: unknown;
  readonly leaseLost: boolean;
}

export interface TaskInfo {
  readonly group: string;
  readonly source: string;
  readonly task: Task;
}

/**
 * Observers and interceptors around polling and handling: the extension point for logging, metrics and
 * tracing. Every member is optional; errors thrown by observers are caught and logged, never fatal.
 */
export interface RunnerHooks {
  onStateChange?(state: RunnerState): void;
  onPollStart?(info: PollInfo): void;
  onPollEnd?(info: PollEndInfo): void;
  /** The permit was released; `heldMs` is how long this instance held the group. */
  onPermitReleased?(info: { readonly group: string; readonly heldMs: number }): void;
  onTaskStart?(info: TaskInfo): void;
  onTaskEnd?(info: TaskInfo & { readonly durationMs: number; readonly end: TaskEnd }): void;
  /** A task could not even be turned into a Task (malformed). */
  onTaskRejected?(info: { readonly group: string; readonly id: string; readonly error: unknown }): void;
  onProgress?(info: {
    readonly group: string;
    readonly id: string;
    readonly ok: boolean;
    readonly lagMs: number;
  }): void;
  onStatusRetry?(info: {
    readonly group: string;
    readonly id: string;
    readonly attempt: number;
    readonly error: unknown;
  }): void;
  /**
   * An attempt's lease was lost: `service` when the source said it no longer knows the task, `local`
   * when no progress could be reported for longer than the lease (`sinceMs` since the last success).
   * The handler is aborted with 'lease-lost' and nothing terminal is reported.
   */
  onLeaseLost?(info: {
    readonly group: string;
    readonly id: string;
    readonly cause: 'local' | 'service';
    readonly sinceMs: number;
  }): void;
  /** A permit was given back unused because its lease might end before a poll could (see `minPollLease`). */
  onPermitSkipped?(info: {
    readonly group: string;
    readonly epoch: number;
    readonly remainingMs: number;
  }): void;
  /** How late the event loop ran a timer, sampled every `lagProbeInterval` (a metric). */
  onEventLoopLag?(info: { readonly lagMs: number }): void;
  onSlotsChanged?(info: { readonly group: string; readonly busy: number; readonly slots: number }): void;
  onHeartbeat?(info: { readonly group: string; readonly ok: boolean; readonly terminate: boolean }): void;
  /** Wraps the handler call; call `next()` exactly once and return its result (e.g. inside a span). */
  wrapHandle?(info: TaskInfo, next: () => Promise<TaskOutcome>): Promise<TaskOutcome>;
  /** Wraps one poll; call `next()` exactly once. */
  wrapPoll?<T>(info: PollInfo, next: () => Promise<T>): Promise<T>;
}
