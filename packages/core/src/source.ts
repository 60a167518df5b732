import { ErrorCode, TasklaneError } from './errors.ts';
import type { TaskOutcome } from './outcome.ts';
import type { Task } from './task.ts';

/** The service's answer to a lease renewal. */
export interface LeaseReply {
  /** The task was canceled: stop work and report nothing more. */
  readonly canceled: boolean;
}

/**
 * A task received from a source, with the operations that keep and end its lease. Implementations
 * throw {@link LeaseLostError} when the source no longer knows the task, and any other error for
 * problems worth retrying (the runner classifies them with {@link TaskSource.isTransient}).
 */
export interface SourceTask {
  /** Stable id for logs even when the task itself is malformed. */
  readonly id: string;
  /** Builds the task; throws MalformedTaskError when it cannot be understood. */
  toTask(): Task;
  /** Lease renewal period the task itself asks for (e.g. `reportProgressTimeout`), if any. */
  readonly leaseTimeoutMs?: number | undefined;
  /** Acknowledges receipt; called before any handler code. */
  ack(): Promise<LeaseReply>;
  /** Renews the lease, optionally publishing progress fields. */
  progress(fields?: Record<string, string>): Promise<LeaseReply>;
  /** Reports the terminal outcome. */
  complete(outcome: TaskOutcome): Promise<void>;
  /**
   * Describes this task's lease renewal as plain data, so the runner's lease thread can renew it while
   * the main thread is busy. Sources that cannot (or a task that must not) leave it out or resolve
   * `undefined`; their leases are kept on the main thread.
   */
  renewalSpec?(): Promise<LeaseRenewalSpec | undefined>;
  /**
   * True when the source keeps this task's lease itself (e.g. one bulk renewal for all its tasks) and
   * pushes a cancel or a lost lease through {@link onInterrupt}: the runner then runs no lease ticker for
   * it, and `progress()` is only called for `ctx.reportProgress`. Requires `onInterrupt`.
   */
  readonly renewsOwnLease?: boolean;
  /**
   * Push-based cancel: after `ack()`, the runner registers here and the source calls `listener` (once, at
   * once if it already happened) when the task is canceled or its lease lost, so the handler's signal
   * aborts without waiting for a renewal. The runner reports nothing after either.
   */
  onInterrupt?(listener: (reason: 'canceled' | 'lease-lost') => void): void;
}

/** A Data Pipeline lease renewal that another thread can carry out on its own: structured-clone data only. */
export interface LeaseRenewalSpec {
  readonly kind: 'datapipeline';
  readonly taskId: string;
  readonly region: string;
  readonly endpoint?: string | undefined;
  readonly requestTimeoutMs: number;
  /** Resolved credentials (the thread cannot run the main thread's provider chain); absent: the thread's default chain. */
  readonly credentials?:
    | {
        readonly accessKeyId: string;
        readonly secretAccessKey: string;
        readonly sessionToken?: string | undefined;
        /** Epoch ms; the runner re-resolves and resends them before then. */
        readonly expiration?: number | undefined;
      }
    | undefined;
}

/** Who a runner is, as it tells its sources (the service sees these in polls and heartbeats). */
export interface RunnerIdentity {
  readonly taskrunnerId: string;
  readonly hostname: string;
  readonly instanceId: string;
}

/** Where tasks come from: Data Pipeline, BullMQ, or anything that can poll, lease and complete. */
export interface TaskSource {
  /** 'datapipeline', 'bullmq', ... */
  readonly kind: string;
  /** Whether polls of one group must be coordinated across the fleet (true for Data Pipeline). */
  readonly coordinated: boolean;
  /**
   * Waits for one task of `group`, or null when the long poll ended empty. A source whose polls may
   * be abandoned safely honours `signal`; Data Pipeline ignores it because an aborted poll can lose a task.
   */
  poll(group: string, signal: AbortSignal): Promise<SourceTask | null>;
  /** Tells the service the runner is alive; `terminate` asks for a graceful stop. */
  heartbeat?(group: string): Promise<{ terminate: boolean }>;
  /** True when an error is worth retrying with backoff (throttling, 5xx, network). */
  isTransient(error: unknown): boolean;
  /** True when the error says the poll rate is too high, so the next poll should back off longer. */
  isThrottle?(error: unknown): boolean;
  /**
   * True when the service refused a request for its content (Data Pipeline's InvalidRequestException):
   * retrying it as is cannot help, but a smaller status can.
   */
  isRejected?(error: unknown): boolean;
  /**
   * True when this source's tasks offer {@link SourceTask.renewalSpec}, so their leases can be kept from
   * the runner's lease thread (started with the first such lease; see packages/core/README.md).
   */
  readonly renewsFromThread?: boolean;
  /**
   * Polls of one group that may be in flight at once, each with a slot reserved for it (capped at the
   * runner's `concurrency`). Step Functions wants many open polls per activity. @default 1
   */
  readonly pollsPerGroup?: number;
  /** The longest one poll can stay open (its request timeout), for shutdown logs and lease checks. */
  readonly maxPollMs?: number | undefined;
  /**
   * Called once by the runner that serves this source, before any poll: the runner owns its identity
   * and a source that needs one (heartbeats name the taskrunnerId) takes it from here unless it was
   * given one explicitly.
   */
  bindRunner?(identity: RunnerIdentity): void;
  close?(): Promise<void>;
}

const LEASE_LOST = Symbol.for('tasklane.LeaseLost');

/** The source no longer holds the task for us (expired, reassigned, or unknown). Code `TL_LEASE_LOST`. */
export class LeaseLostError extends TasklaneError {
  readonly [LEASE_LOST] = true;
  override name = 'LeaseLostError';
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.LeaseLost, message, options);
  }
  static override is(value: unknown): value is LeaseLostError {
    try {
      return (
        typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LEASE_LOST] === true
      );
    } catch {
      return false;
    }
  }
}
