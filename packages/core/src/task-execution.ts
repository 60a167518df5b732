import { backoffDelay, sleep } from './backoff.ts';
import type { InFlightTask } from './coordinator.ts';
import { ErrorCode } from './errors.ts';
import type { RunnerHooks, TaskEnd, TaskInfo } from './hooks.ts';
import { LeaseTicker, type LeaseKeeper, type LeaseTickerOptions } from './lease-ticker.ts';
import { lazyChild, type Logger } from './logger.ts';
import type { CompiledRunnerOptions } from './options.ts';
import { failureOutcome } from './outcome.ts';
import type { HandlerRegistry } from './registry.ts';
import type { RuntimePrimitives } from './runtime.ts';
import { callHandler, reportedOutcome, settleHandler, TaskAbort, taskContext } from './settle.ts';
import { LeaseLostError, type LeaseReply, type SourceTask, type TaskSource } from './source.ts';
import { StatusReporter } from './status-reporter.ts';
import type { Task } from './task.ts';
import { setLongTimeout } from './timers.ts';

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
  /** Tasks running now, for status pages and the fleet registry. */
  readonly inFlight: { add(task: InFlightTask): void; delete(taskId: string): void };
  /** Builds the lease keeper of one attempt (a thread-backed one when the runtime offers threads). */
  leaseKeeper?(options: LeaseTickerOptions): LeaseKeeper;
}

/** The service's default lease when a task names none (protocol §3.1: report within 15 min). */
const DEFAULT_LEASE_MS = 15 * 60_000;
const ACK_ATTEMPTS = 5;

function stringFields(
  fields: Record<string, string | number> | undefined,
): Record<string, string> | undefined {
  if (!fields) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

/** Listeners of one signal, so each task adds to a Set rather than to the signal's EventTarget. */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `listener` once `signal` aborts (at once if it has); returns the way to stop watching. */
function onAborted(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) {
    listener();
    return () => undefined;
  }
  let set = watchers.get(signal);
  if (!set) {
    const listeners = new Set<() => void>();
    signal.addEventListener('abort', () => [...listeners].forEach((l) => l()), { once: true });
    watchers.set(signal, listeners);
    set = listeners;
  }
  set.add(listener);
  const added = set;
  return () => added.delete(listener);
}

/**
 * Runs one received task to its end: ack before handler code, the lease kept by a {@link LeaseKeeper},
 * the handler with an abort signal, and exactly one terminal status through a {@link StatusReporter}
 * unless the task was canceled or its lease lost.
 */
export class TaskExecution {
  readonly #host: ExecutionHost;
  readonly #source: TaskSource;
  readonly #group: string;
  readonly #received: SourceTask;
  readonly #log: Logger;
  /** When the first ack was sent: the local lease counts from no later than the service's. */
  #ackSentAt = 0;

  constructor(host: ExecutionHost, source: TaskSource, group: string, received: SourceTask) {
    this.#host = host;
    this.#source = source;
    this.#group = group;
    this.#received = received;
    this.#log = lazyChild(host.logger, { workerGroup: group, attemptId: received.id });
  }

  #reporter(log: Logger): StatusReporter {
    const h = this.#host;
    return new StatusReporter({
      options: h.options,
      runtime: h.runtime,
      hooks: h.hooks,
      source: this.#source,
      group: this.#group,
      received: this.#received,
      logger: log,
    });
  }

  async run(): Promise<void> {
    const h = this.#host;
    if (h.shutdown.deadlinePassed.aborted) {
      // Invariant 7: a task that arrives after the deadline is left un-acked; the service re-offers it.
      this.#log.warn(
        'task arrived after the shutdown deadline; leaving it un-acked for the service to re-offer',
      );
      return;
    }
    const ack = await this.#acknowledge();
    if (!ack) return;
    if (ack.canceled) {
      this.#log.info('task was canceled before it started');
      return;
    }
    // The task is parsed once; its durations are read here, so a bad one ends it as malformed.
    let task: Task;
    let leaseMs: number;
    let attemptTimeoutMs: number | undefined;
    try {
      task = this.#received.toTask();
      leaseMs = this.#received.leaseTimeoutMs ?? DEFAULT_LEASE_MS;
      attemptTimeoutMs = task.getDuration('attemptTimeout');
    } catch (error) {
      h.hooks.onTaskRejected?.({ group: this.#group, id: this.#received.id, error });
      this.#log.warn({ err: error }, 'malformed task: reporting FAILED');
      await this.#reporter(this.#log).report(
        failureOutcome(error, ErrorCode.MalformedTask),
        DEFAULT_LEASE_MS,
      );
      return;
    }
    const log = lazyChild(this.#log, {
      taskId: task.taskId.slice(0, 64),
      pipelineId: task.pipelineId,
      activityType: task.activityType,
    });
    const info: TaskInfo = { group: this.#group, source: this.#source.kind, task };
    const startedAt = h.runtime.now();
    const started = h.runtime.monotonicNow();
    h.inFlight.add({
      taskId: task.taskId,
      attemptId: task.attemptId,
      group: this.#group,
      activityType: task.activityType,
      startedAt,
    });
    h.hooks.onTaskStart?.(info);
    let end: TaskEnd;
    try {
      end = await this.#execute(task, log, info, startedAt, leaseMs, attemptTimeoutMs);
    } finally {
      h.inFlight.delete(task.taskId);
    }
    h.hooks.onTaskEnd?.({ ...info, durationMs: h.runtime.monotonicNow() - started, end });
  }

  async #acknowledge(): Promise<LeaseReply | undefined> {
    const o = this.#host.options;
    this.#ackSentAt = this.#host.runtime.monotonicNow();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#received.ack();
      } catch (error) {
        if (LeaseLostError.is(error) || !this.#source.isTransient(error) || attempt + 1 >= ACK_ATTEMPTS) {
          // Unacknowledged, the service offers the task again after its ack window: nothing is lost.
          this.#log.warn(
            { err: error },
            'could not acknowledge task; leaving it for the service to re-offer',
          );
          return undefined;
        }
        await sleep(backoffDelay(attempt, o.statusRetryBaseMs, o.statusRetryMaxMs));
      }
    }
  }

  async #execute(
    task: Task,
    log: Logger,
    info: TaskInfo,
    startedAt: number,
    leaseMs: number,
    attemptTimeoutMs: number | undefined,
  ): Promise<TaskEnd> {
    const h = this.#host;
    const abort = new TaskAbort();
    abort.onAbort((reason) => log.info({ reason }, 'aborting handler'));
    const leaseOptions: LeaseTickerOptions = {
      received: this.#received,
      group: this.#group,
      intervalMs: Math.max(10, Math.min(h.options.progressIntervalMs, Math.floor(leaseMs / 3))),
      leaseMs,
      runtime: h.runtime,
      hooks: h.hooks,
      logger: log,
      abort,
      ackSentAt: this.#ackSentAt,
    };
    const received = this.#received;
    // A source that renews its own leases (in bulk) needs no ticker: the keeper is only there for
    // ctx.reportProgress and to wait for its renewals before a status.
    const ownLease = received.renewsOwnLease === true && received.onInterrupt !== undefined;
    const lease = ownLease
      ? new LeaseTicker(leaseOptions)
      : (h.leaseKeeper?.(leaseOptions) ?? new LeaseTicker(leaseOptions));
    if (!ownLease) await lease.start();
    let progressed = !ownLease;
    received.onInterrupt?.((reason) => abort.abort(reason));
    // Abort a little before the service's own attemptTimeout so the attempt ends with our explanation
    // (TL_ATTEMPT_TIMEOUT and whatever the handler logged) rather than a bare service-side timeout.
    const attemptTimer =
      attemptTimeoutMs === undefined
        ? undefined
        : setLongTimeout(
            () => abort.abort('attempt-timeout'),
            attemptTimeoutMs - Math.min(5000, attemptTimeoutMs * 0.1),
          );
    const unwatch = onAborted(h.shutdown.deadlinePassed, () => abort.abort('shutdown'));

    const ctx = taskContext({
      abort,
      logger: log,
      workerGroup: this.#group,
      startedAt,
      attemptTimeoutMs,
      shutdownDeadline: () => h.shutdown.deadline,
      runtime: h.runtime,
      reportProgress: (fields) => {
        progressed = true;
        return lease.renew(stringFields(fields));
      },
    });
    const call = () => callHandler(() => h.registry.create(task.activityType), task, ctx);
    const wrap = h.hooks.wrapHandle;
    // A wrapHandle hook that throws must still end in a status (invariant 8), not in a lost task;
    // callHandler itself never rejects.
    const handled = wrap
      ? (async () => wrap(info, call))().catch((error: unknown) =>
          failureOutcome(error, ErrorCode.HandlerFailed),
        )
      : call();
    let settled;
    let stopped: Promise<void> | undefined;
    try {
      settled = await settleHandler(handled, abort, h.options.abortGraceMs, () =>
        log.warn({ graceMs: h.options.abortGraceMs }, 'handler ignored its abort signal; freeing its slot'),
      );
    } finally {
      attemptTimer?.clear();
      unwatch();
      stopped = progressed ? lease.stop() : undefined;
    }
    // A FINISHED waits for renewals in flight, so a `canceled` answer racing the end turns into no status
    // (invariant 5). Any other end is due now (an attempt timeout is reported just before the service's).
    if (stopped && !abort.reason && settled.outcome.status === 'FINISHED') await stopped;
    else void stopped;
    const outcome = reportedOutcome(settled.outcome, abort.reason, { attemptTimeoutMs });
    if (outcome === undefined) {
      if (abort.reason === 'canceled') {
        log.info('task canceled by the service; no status reported');
        return { kind: 'canceled' };
      }
      log.warn('lease lost (the attempt is no longer ours); no status reported');
      return { kind: 'lease-lost' };
    }
    // A source that renews its own leases is the judge of them; the keeper here never renewed.
    return this.#reporter(log).report(outcome, leaseMs, ownLease ? undefined : lease);
  }
}
