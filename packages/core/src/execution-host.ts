import { backoffDelay, sleep } from './backoff.ts';
import type { AbortReason } from './context.ts';
import type { InFlightTask } from './coordinator.ts';
import type { RunnerHooks } from './hooks.ts';
import type { LeaseKeeper, LeaseTickerOptions } from './lease-ticker.ts';
import type { Logger } from './logger.ts';
import type { CompiledRunnerOptions } from './options.ts';
import type { HandlerRegistry } from './registry.ts';
import type { RuntimePrimitives } from './runtime.ts';
import { TaskAbort } from './settle.ts';
import { LeaseLostError, type LeaseReply, type SourceTask, type TaskSource } from './source.ts';

/** A task execution as its runner sees it while the task runs. */
export interface RunningTask {
  /** What status pages show of it. */
  describe(): InFlightTask;
  /** The shutdown deadline passed: a handler still running is aborted with 'shutdown'. */
  shutdownDeadlinePassed(): void;
}

/** The runner's shutdown as a task sees it. */
export interface ShutdownClock {
  /** Epoch ms of the shutdown deadline, once stop() was called. */
  readonly deadline: number | undefined;
  /** Aborts when the deadline passes: running handlers are then aborted with 'shutdown'. */
  readonly deadlinePassed: AbortSignal;
}

/** What one task execution needs from its runner: a narrow, read-mostly view. */
export interface ExecutionHost {
  readonly options: CompiledRunnerOptions;
  readonly registry: HandlerRegistry;
  readonly runtime: RuntimePrimitives;
  readonly logger: Logger;
  readonly hooks: RunnerHooks;
  readonly shutdown: ShutdownClock;
  /**
   * Tasks running now (received, parsed and acknowledged), for status pages and the fleet registry; the
   * host tells them when the shutdown deadline passes.
   */
  readonly running: { add(task: RunningTask): void; delete(task: RunningTask): void };
  /** The execution is over, whatever became of it: the host frees its slot. Called once per execution. */
  ended(group: string): void;
  /** Builds the lease keeper of one attempt (a thread-backed one when the runtime offers threads). */
  leaseKeeper?(options: LeaseTickerOptions): LeaseKeeper;
}

/** The service's default lease when a task names none (protocol §3.1: report within 15 min). */
export const DEFAULT_LEASE_MS = 15 * 60_000;
const ACK_ATTEMPTS = 5;

/** Progress fields as the sources send them. */
export function stringFields(
  fields: Record<string, string | number> | undefined,
): Record<string, string> | undefined {
  if (!fields) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

/** An execution's abort: the first reason is logged with the task, whoever aborted. */
export class ExecutionAbort extends TaskAbort {
  readonly #owner: { readonly logger: Logger };

  constructor(owner: { readonly logger: Logger }) {
    super();
    this.#owner = owner;
  }

  override abort(reason: AbortReason): boolean {
    if (!super.abort(reason)) return false;
    this.#owner.logger.info({ reason }, 'aborting handler');
    return true;
  }
}

/**
 * Retries an ack that failed with `error` while retrying can help; undefined once the task is left for
 * the service to re-offer.
 */
export async function acknowledgeAgain(
  received: SourceTask,
  source: TaskSource,
  options: Pick<CompiledRunnerOptions, 'statusRetryBaseMs' | 'statusRetryMaxMs'>,
  log: Logger,
  error: unknown,
): Promise<LeaseReply | undefined> {
  for (let attempt = 0; ; attempt++) {
    if (LeaseLostError.is(error) || !source.isTransient(error) || attempt + 1 >= ACK_ATTEMPTS) {
      // Unacknowledged, the service offers the task again after its ack window: nothing is lost.
      log.warn({ err: error }, 'could not acknowledge task; leaving it for the service to re-offer');
      return undefined;
    }
    await sleep(backoffDelay(attempt, options.statusRetryBaseMs, options.statusRetryMaxMs));
    try {
      return await received.ack();
    } catch (next) {
      error = next;
    }
  }
}
