import { backoffDelay, sleep } from './backoff.ts';
import type { RunnerHooks, TaskEnd } from './hooks.ts';
import type { LeaseKeeper } from './lease-ticker.ts';
import type { Logger } from './logger.ts';
import type { CompiledRunnerOptions } from './options.ts';
import { finishedOutcome, minimalOutcome, sanitizeOutcome, type TaskOutcome } from './outcome.ts';
import type { RuntimePrimitives } from './runtime.ts';
import { LeaseLostError, type SourceTask, type TaskSource } from './source.ts';

/** What a {@link StatusReporter} works with. */
export interface StatusReporterOptions {
  readonly options: Pick<CompiledRunnerOptions, 'statusRetryBaseMs' | 'statusRetryMaxMs'>;
  readonly runtime: RuntimePrimitives;
  readonly hooks: RunnerHooks;
  readonly source: TaskSource;
  readonly group: string;
  readonly received: SourceTask;
  readonly logger: Logger;
}

/**
 * Turns an outcome into exactly one terminal status: every field sanitized to the service's shapes,
 * transient failures retried while the lease can still hold, and a status the service refuses as an
 * invalid request replaced once by a minimal one that it cannot refuse (invariant 4).
 */
export class StatusReporter {
  readonly #o: StatusReporterOptions;

  constructor(options: StatusReporterOptions) {
    this.#o = options;
  }

  /**
   * `lease` is the attempt's local lease, when it has one: once it lapsed the service may have given the
   * attempt to another runner, so nothing is sent and retries stop where it would lapse (invariant 3).
   */
  async report(
    raw: TaskOutcome,
    leaseMs: number,
    lease?: Pick<LeaseKeeper, 'leaseLeftMs' | 'giveUp'>,
  ): Promise<TaskEnd> {
    const o = this.#o;
    let outcome = sanitizeOutcome(raw);
    let minimal = false;
    const deadline = o.runtime.monotonicNow() + leaseMs;
    for (let attempt = 0; ; attempt++) {
      if (lease && (await lease.leaseLeftMs()) <= 0) {
        lease.giveUp();
        return { kind: 'lease-lost' };
      }
      try {
        await o.received.complete(outcome);
        logEnded(o.logger, outcome);
        return outcome === FINISHED.outcome ? FINISHED : { kind: 'reported', outcome };
      } catch (error) {
        if (LeaseLostError.is(error)) {
          o.logger.warn({ err: error }, 'status not accepted: the service no longer knows the task');
          return { kind: 'lease-lost' };
        }
        if (!minimal && outcome.status === 'FAILED' && (o.source.isRejected?.(error) ?? false)) {
          o.logger.warn({ err: error }, 'the service refused the status; sending a minimal one');
          outcome = minimalOutcome(outcome, 'the service refused the full status');
          minimal = true;
          continue;
        }
        const delay = backoffDelay(attempt, o.options.statusRetryBaseMs, o.options.statusRetryMaxMs);
        if (!o.source.isTransient(error) || o.runtime.monotonicNow() + delay > deadline) {
          o.logger.error({ err: error, status: outcome.status }, 'could not report task status');
          return { kind: 'unreported', outcome, error };
        }
        if (lease && (await lease.leaseLeftMs()) <= delay) {
          o.logger.warn(
            { err: error, status: outcome.status },
            'status not reported before the lease ran out',
          );
          lease.giveUp();
          return { kind: 'lease-lost' };
        }
        o.hooks.onStatusRetry?.({ group: o.group, id: o.received.id, attempt: attempt + 1, error });
        await sleep(delay);
      }
    }
  }
}

/** The end of every task whose handler returned nothing: shared, as that outcome is. */
const FINISHED = Object.freeze({ kind: 'reported', outcome: finishedOutcome(undefined) }) as TaskEnd & {
  kind: 'reported';
};
const FINISHED_LINE = Object.freeze({ status: 'FINISHED' });

/** The 'task ended' line, its fields built only when the level is on (most tasks run at warn). */
function logEnded(logger: Logger, outcome: TaskOutcome): void {
  const check = (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  if (typeof check === 'function' && !check.call(logger, 'info')) return;
  logger.info(
    outcome.status === 'FAILED'
      ? { status: outcome.status, errorId: outcome.errorId, errorMessage: outcome.errorMessage }
      : outcome.status === 'FINISHED'
        ? FINISHED_LINE
        : { status: outcome.status },
    'task ended',
  );
}
