import type { TaskContext } from './context.ts';
import type { InFlightTask } from './coordinator.ts';
import { ErrorCode } from './errors.ts';
import {
  acknowledgeAgain,
  DEFAULT_LEASE_MS,
  ExecutionAbort,
  stringFields,
  type ExecutionHost,
  type RunningTask,
} from './execution-host.ts';
import type { TaskEnd, TaskInfo } from './hooks.ts';
import { LeaseTicker, type LeaseKeeper, type LeaseTickerOptions } from './lease-ticker.ts';
import { lazyChild, type Logger } from './logger.ts';
import { failureOutcome, type TaskOutcome } from './outcome.ts';
import type { TaskAbort } from './settle.ts';
import {
  attemptTimeoutMarginMs,
  invokeHandler,
  isThenable,
  renewalWaitMs,
  reportedOutcome,
  settleHandler,
  taskContext,
  type TaskContextParts,
} from './settle.ts';
import type { LeaseReply, SourceTask, TaskSource } from './source.ts';
import { StatusReporter } from './status-reporter.ts';
import type { Task } from './task.ts';
import { setLongTimeout, withTimeout, type LongTimer } from './timers.ts';

/**
 * Runs one received task to its end: ack before handler code, the lease kept by a {@link LeaseKeeper},
 * the handler with an abort signal, and exactly one terminal status through a {@link StatusReporter}
 * unless the task was canceled or its lease lost. It is also the handler context's source of live values
 * ({@link TaskContextParts}), so a task costs one context object and no closures for it.
 */
export class TaskExecution implements TaskContextParts, RunningTask {
  readonly #host: ExecutionHost;
  readonly #source: TaskSource;
  readonly #received: SourceTask;
  readonly workerGroup: string;
  /** When the first ack was sent: the local lease counts from no later than the service's. */
  #ackSentAt = 0;
  #attemptLog: Logger | undefined;
  #taskLog: Logger | undefined;
  #task: Task | undefined;
  #leaseMs = DEFAULT_LEASE_MS;
  /** The keeper of a source that renews its own leases exists once ctx.reportProgress is called. */
  #lease: LeaseKeeper | undefined;
  #progressed = false;
  /** True while the handler runs: the shutdown deadline aborts it only then. */
  #handling = false;
  #attemptTimer: LongTimer | undefined;
  readonly abort: TaskAbort = new ExecutionAbort(this);
  startedAt = 0;
  attemptTimeoutMs: number | undefined;

  constructor(host: ExecutionHost, source: TaskSource, group: string, received: SourceTask) {
    this.#host = host;
    this.#source = source;
    this.workerGroup = group;
    this.#received = received;
  }

  get runtime(): TaskContext['runtime'] {
    return this.#host.runtime;
  }

  /** Logger bound to the group and attempt id (before the task is parsed). Built on first use. */
  get #log(): Logger {
    return (this.#attemptLog ??= lazyChild(this.#host.logger, {
      workerGroup: this.workerGroup,
      attemptId: this.#received.id,
    }));
  }

  /** The task's logger (ids, pipeline, activity type), handed to the handler. Built on first use. */
  get logger(): Logger {
    const task = this.#task;
    if (!task) return this.#log;
    return (this.#taskLog ??= lazyChild(this.#log, {
      taskId: task.taskId.slice(0, 64),
      pipelineId: task.pipelineId,
      activityType: task.activityType,
    }));
  }

  shutdownDeadline(): number | undefined {
    return this.#host.shutdown.deadline;
  }

  reportProgress(fields?: Record<string, string | number>): Promise<void> {
    this.#progressed = true;
    this.#lease ??= new LeaseTicker(this.#leaseOptions());
    return this.#lease.renew(stringFields(fields));
  }

  /** What status pages show of this task (built when asked, not per task). */
  describe(): InFlightTask {
    const task = this.#task!;
    const { taskId, attemptId, activityType } = task;
    return { taskId, attemptId, group: this.workerGroup, activityType, startedAt: this.startedAt };
  }

  /** The runner's shutdown deadline passed: a handler still running is aborted with 'shutdown'. */
  shutdownDeadlinePassed(): void {
    if (this.#handling) this.abort.abort('shutdown');
  }

  #leaseOptions(): LeaseTickerOptions {
    const h = this.#host;
    return {
      received: this.#received,
      group: this.workerGroup,
      intervalMs: Math.max(10, Math.min(h.options.progressIntervalMs, Math.floor(this.#leaseMs / 3))),
      leaseMs: this.#leaseMs,
      runtime: h.runtime,
      hooks: h.hooks,
      logger: this.logger,
      abort: this.abort,
      ackSentAt: this.#ackSentAt,
    };
  }

  #reporter(): StatusReporter {
    const h = this.#host;
    return new StatusReporter({
      options: h.options,
      runtime: h.runtime,
      hooks: h.hooks,
      source: this.#source,
      group: this.workerGroup,
      received: this.#received,
      logger: this.logger,
    });
  }

  /**
   * Runs the task to its end. Never rejects; tells the host once it is over. One async frame for the
   * whole task (the steps around it are synchronous), as each one costs an allocation per task.
   */
  async run(): Promise<void> {
    const h = this.#host;
    const received = this.#received;
    try {
      if (h.shutdown.deadlinePassed.aborted) {
        // Invariant 7: a task that arrives after the deadline is left un-acked; the service re-offers it.
        this.#log.warn(
          'task arrived after the shutdown deadline; leaving it un-acked for the service to re-offer',
        );
        return;
      }
      this.#ackSentAt = h.runtime.monotonicNow();
      let ack: LeaseReply | undefined;
      try {
        ack = await received.ack();
      } catch (error) {
        ack = await acknowledgeAgain(received, this.#source, h.options, this.#log, error);
      }
      if (!ack) return;
      if (ack.canceled) {
        this.#log.info('task was canceled before it started');
        return;
      }
      let task: Task;
      try {
        task = this.#parse();
      } catch (error) {
        h.hooks.onTaskRejected?.({ group: this.workerGroup, id: received.id, error });
        this.#log.warn({ err: error }, 'malformed task: reporting FAILED');
        await this.#reporter().report(failureOutcome(error, ErrorCode.MalformedTask), DEFAULT_LEASE_MS);
        return;
      }
      const hooks = h.hooks;
      // Hook payloads are built only for hooks that are there.
      const info: TaskInfo | undefined =
        hooks.onTaskStart || hooks.onTaskEnd || hooks.wrapHandle
          ? { group: this.workerGroup, source: this.#source.kind, task }
          : undefined;
      this.startedAt = h.runtime.now();
      const started = h.runtime.monotonicNow();
      h.running.add(this);
      let end: TaskEnd;
      try {
        if (info) hooks.onTaskStart?.(info);
        // A source that renews its own leases (in bulk) needs no keeper: one is made only for
        // ctx.reportProgress, and a status then waits for its renewals.
        const ownLease = received.renewsOwnLease === true && received.onInterrupt !== undefined;
        if (!ownLease) await this.#startLease();
        const handled = this.#startHandler(task, info);
        let outcome: TaskOutcome;
        let stopped: Promise<void> | undefined;
        try {
          // A synchronous handler's outcome is there at once: nothing to wait for.
          outcome = isThenable(handled) ? (await this.#settle(handled)).outcome : handled;
        } finally {
          stopped = this.#handlerEnded();
        }
        // A status waits for the renewals in flight: one landing after it would report on an ended
        // attempt (seen on Deno: the lease thread's first renewal outran a FAILED), and a FINISHED must
        // see a `canceled` it brings (invariant 5). Deadlines wait less (renewalWaitMs).
        const waitMs = renewalWaitMs(this.abort.reason, this.attemptTimeoutMs);
        await (waitMs === undefined ? stopped : withTimeout(stopped, waitMs).catch(() => undefined));
        // Read after that wait: the renewal may have brought the cancel.
        const reason = this.abort.reason;
        const reported = reason === undefined ? outcome : reportedOutcome(outcome, reason, this);
        // A source that renews its own leases is the judge of them; a keeper made here never renewed.
        end =
          reported === undefined
            ? this.#unreported()
            : await this.#reporter().report(reported, this.#leaseMs, ownLease ? undefined : this.#lease);
      } finally {
        h.running.delete(this);
      }
      if (info && hooks.onTaskEnd) {
        const durationMs = h.runtime.monotonicNow() - started;
        hooks.onTaskEnd({ group: info.group, source: info.source, task, durationMs, end });
      }
    } catch (error) {
      this.#log.error({ err: error }, 'task execution failed unexpectedly');
    } finally {
      h.ended(this.workerGroup);
    }
  }

  /** The task, parsed once; its durations are read here, so a bad one ends it as malformed. */
  #parse(): Task {
    const received = this.#received;
    const task = received.toTask();
    const leaseMs = received.leaseTimeoutMs ?? DEFAULT_LEASE_MS;
    this.attemptTimeoutMs = task.getDuration('attemptTimeout');
    this.#leaseMs = leaseMs;
    this.#task = task;
    return task;
  }

  async #startLease(): Promise<void> {
    const options = this.#leaseOptions();
    this.#lease = this.#host.leaseKeeper?.(options) ?? new LeaseTicker(options);
    this.#progressed = true;
    await this.#lease.start();
  }

  /** Calls the handler: its outcome, or a promise of it settled by {@link settleHandler}. */
  #startHandler(task: Task, info: TaskInfo | undefined): TaskOutcome | Promise<TaskOutcome> {
    const h = this.#host;
    const abort = this.abort;
    this.#received.onInterrupt?.((reason) => abort.abort(reason));
    if (h.shutdown.deadlinePassed.aborted) abort.abort('shutdown');
    // Aborted while its lease started (the first waits for the lease thread's SDK): not started at all.
    if (abort.reason)
      return failureOutcome(new Error(`not started: ${abort.reason}`), ErrorCode.HandlerFailed);
    const timeoutMs = this.attemptTimeoutMs;
    // Abort a little before the service's own attemptTimeout so the attempt ends with our explanation
    // (TL_ATTEMPT_TIMEOUT and whatever the handler logged) rather than a bare service-side timeout.
    // Counted from the ack, as the service counts from the hand-out: the handler may start seconds
    // later (the lease thread loading its SDK on a busy machine), and the service would time it out first.
    if (timeoutMs !== undefined) {
      const sinceAckMs = h.runtime.monotonicNow() - this.#ackSentAt;
      this.#attemptTimer = setLongTimeout(
        () => abort.abort('attempt-timeout'),
        Math.max(0, timeoutMs - attemptTimeoutMarginMs(timeoutMs) - sinceAckMs),
      );
    }
    this.#handling = true;
    const ctx = taskContext(this);
    const create = () => h.registry.create(task.activityType);
    const wrap = h.hooks.wrapHandle;
    // A wrapHandle hook that throws must still end in a status (invariant 8), not in a lost task;
    // invokeHandler itself never throws.
    if (!wrap || !info) return invokeHandler(create, task, ctx);
    return (async () => wrap(info, async () => invokeHandler(create, task, ctx)))().catch((error: unknown) =>
      failureOutcome(error, ErrorCode.HandlerFailed),
    );
  }

  /** The handler is done (or abandoned): its timers stop, and the keeper stops renewing if there is one. */
  #handlerEnded(): Promise<void> | undefined {
    this.#attemptTimer?.clear();
    this.#handling = false;
    return this.#progressed ? this.#lease?.stop() : undefined;
  }

  #unreported(): TaskEnd {
    if (this.abort.reason === 'canceled') {
      this.logger.info('task canceled by the service; no status reported');
      return { kind: 'canceled' };
    }
    this.logger.warn('lease lost (the attempt is no longer ours); no status reported');
    return { kind: 'lease-lost' };
  }

  #settle(handled: Promise<TaskOutcome>) {
    const graceMs = this.#host.options.abortGraceMs;
    return settleHandler(handled, this.abort, graceMs, () =>
      this.logger.warn({ graceMs }, 'handler ignored its abort signal; freeing its slot'),
    );
  }
}
